"""Metrics as `evaluate` modules in this folder, loaded by path (Hub metric names would need a network).

`load_metric("rouge_l")` returns the `evaluate.EvaluationModule` of benchmark/metrics/rouge_l/rouge_l.py. Each
module computes through the `compute` function of the `score.py` beside it, and the runner calls that function
directly (`compute_metric`): importing `evaluate` imports `transformers.pipelines`, seconds on a small CPU
machine, and each `EvaluationModule.compute` writes its inputs to an arrow cache file first.
"""

from __future__ import annotations

import importlib
from functools import cache
from pathlib import Path
from typing import Any

from globmed.errors import GlobMedError

METRICS_DIR = Path(__file__).resolve().parent


def metric_names() -> list[str]:
    """Folders holding a metric: its evaluate module `<name>.py` and the `score.py` both compute through."""
    return sorted(p.name for p in METRICS_DIR.iterdir() if all((p / f).is_file() for f in (f"{p.name}.py", "score.py")))


def _check(name: str) -> None:
    if name not in metric_names():
        raise GlobMedError(f"unknown metric {name!r}; known: {', '.join(metric_names())}")


@cache
def load_metric(name: str):
    _check(name)
    import evaluate

    return evaluate.load(str(METRICS_DIR / name))


def compute_metric(name: str, predictions: list, references: list, **kwargs: Any) -> dict[str, Any]:
    """What `load_metric(name).compute(...)` returns, from the same scoring function, without `evaluate`."""
    _check(name)
    return importlib.import_module(f"{__name__}.{name}.score").compute(predictions, references, **kwargs)
