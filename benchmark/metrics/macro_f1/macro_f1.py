"""GlobMed-Bench macro-F1 for NLI: unweighted mean of the per-label F1.

Labels are those that occur in the references or the (parsed) predictions. A prediction of -1 (unparsed)
belongs to no label: it is a false negative for the gold label and a false positive for none.
Loaded by path: `evaluate.load("benchmark/metrics/macro_f1")`.
"""

import datasets
import evaluate

from .score import compute

_DESCRIPTION = "Macro-averaged F1 over labels; -1 (unparsed) is a miss."
_KWARGS = """
Args:
    predictions (list of int): predicted label index, -1 when no answer was found.
    references (list of int): gold label index.
Returns:
    macro_f1 (float): in [0, 1].
Examples:
    >>> m = evaluate.load("benchmark/metrics/macro_f1")
    >>> m.compute(predictions=[0, 0, 1, -1], references=[0, 1, 1, 2])["macro_f1"]
    0.4444444444444444
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS)
class MacroF1(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS,
            features=datasets.Features({"predictions": datasets.Value("int32"), "references": datasets.Value("int32")}),
        )

    def _compute(self, predictions, references):
        return compute(predictions, references)
