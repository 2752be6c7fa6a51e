"""GlobMed-Bench ROUGE-L F1 with a tokenizer that works in all 12 languages.

The LCS and F-measure are `rouge_score`'s (`RougeScorer(["rougeL"])`); only its tokenizer is replaced. The default
one keeps only [a-z0-9], which turns Chinese, Japanese and Korean answers into empty strings (and strips Yoruba
tone marks into different tokens). Here text is lower-cased and NFKC normalised, each Han/kana/Hangul character
is one token, and other text is split into runs of letters and digits (\\w+). Score per pair is the LCS
F-measure (beta = 1); the result is the mean over pairs.
Loaded by path: `evaluate.load("benchmark/metrics/rouge_l")`.
"""

import datasets
import evaluate

from .score import compute

_DESCRIPTION = "ROUGE-L F1 (LCS), multilingual tokenisation (CJK by character)."
_KWARGS = """
Args:
    predictions (list of str): generated answers.
    references (list of str): reference answers.
    per_item (bool): also return every pair's score under "scores".
Returns:
    rougeL (float): mean LCS F1 in [0, 1].
Examples:
    >>> m = evaluate.load("benchmark/metrics/rouge_l")
    >>> m.compute(predictions=["the cat sat"], references=["the cat sat down"])["rougeL"]
    0.8571428571428571
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS)
class RougeL(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="Lin, 2004. ROUGE: A Package for Automatic Evaluation of Summaries.",
            inputs_description=_KWARGS,
            features=datasets.Features(
                {"predictions": datasets.Value("string"), "references": datasets.Value("string")}
            ),
        )

    def _compute(self, predictions, references, per_item=False):
        return compute(predictions, references, per_item)
