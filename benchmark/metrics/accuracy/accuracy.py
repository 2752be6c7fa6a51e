"""GlobMed-Bench accuracy: share of items whose predicted option index equals the gold index.

A prediction of -1 (no answer could be extracted) is simply wrong. Loaded by path:
`evaluate.load("benchmark/metrics/accuracy")`.
"""

import datasets
import evaluate

from .score import compute

_DESCRIPTION = "Accuracy over option indices; -1 (unparsed) counts as wrong."
_KWARGS = """
Args:
    predictions (list of int): predicted option index, -1 when no answer was found.
    references (list of int): gold option index.
    per_item (bool): also return the 0/1 score of every item under "scores".
Returns:
    acc (float): in [0, 1].
Examples:
    >>> m = evaluate.load("benchmark/metrics/accuracy")
    >>> m.compute(predictions=[0, 2, -1], references=[0, 1, 1])
    {'acc': 0.3333333333333333}
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS)
class Accuracy(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS,
            features=datasets.Features({"predictions": datasets.Value("int32"), "references": datasets.Value("int32")}),
        )

    def _compute(self, predictions, references, per_item=False):
        return compute(predictions, references, per_item)
