"""GlobMed-Bench chrF: sacrebleu's character n-gram F-score per answer, rescaled to [0, 1], averaged.

Character n-grams need no word segmentation, so chrF is comparable across Chinese, Zulu and English
(unlike word-level metrics). Sentence-level scores are averaged (not corpus chrF) so that every answer
weighs the same and bootstrap intervals resample answers. Loaded by path: `evaluate.load("benchmark/metrics/chrf")`.
"""

import datasets
import evaluate

from .score import compute

_DESCRIPTION = "Mean sentence-level chrF (sacrebleu defaults: char order 6, beta 2), in [0, 1]."
_KWARGS = """
Args:
    predictions (list of str): generated answers.
    references (list of str): reference answers.
    per_item (bool): also return every pair's score under "scores".
Returns:
    chrf (float): in [0, 1].
Examples:
    >>> m = evaluate.load("benchmark/metrics/chrf")
    >>> m.compute(predictions=["abc"], references=["abc"])["chrf"]
    1.0
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS)
class Chrf(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="Popović, 2015. chrF: character n-gram F-score for automatic MT evaluation.",
            inputs_description=_KWARGS,
            features=datasets.Features(
                {"predictions": datasets.Value("string"), "references": datasets.Value("string")}
            ),
        )

    def _compute(self, predictions, references, per_item=False):
        return compute(predictions, references, per_item)
