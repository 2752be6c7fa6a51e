"""GlobMed-Bench ROUGE-L F1 with a tokenizer that works in all 12 languages.

`rouge_score`'s default tokenizer keeps only [a-z0-9], which turns Chinese, Japanese and Korean answers
into empty strings (and strips Yoruba tone marks into different tokens). Here text is lower-cased and NFKC
normalised, each Han/kana/Hangul character is one token, and other text is split into runs of letters and
digits (\\w+). Score per pair is the LCS F-measure (beta = 1); the result is the mean over pairs.
Loaded by path: `evaluate.load("benchmark/metrics/rouge_l")`.
"""

import re
import unicodedata

import datasets
import evaluate
import numpy as np

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

_CJK = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+")


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(unicodedata.normalize("NFKC", text).lower())


def lcs_length(a: list[str], b: list[str]) -> int:
    if not a or not b:
        return 0
    previous = [0] * (len(b) + 1)
    for token in a:
        current = [0]
        for j, other in enumerate(b):
            current.append(previous[j] + 1 if token == other else max(previous[j + 1], current[j]))
        previous = current
    return previous[-1]


def rouge_l(prediction: str, reference: str) -> float:
    pred, ref = tokenize(prediction), tokenize(reference)
    lcs = lcs_length(pred, ref)
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(pred), lcs / len(ref)
    return 2 * precision * recall / (precision + recall)


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
        scores = [rouge_l(p, r) for p, r in zip(predictions, references, strict=False)]
        out = {"rougeL": float(np.mean(scores)) if scores else 0.0}
        if per_item:
            out["scores"] = scores
        return out
