"""Metrics as `evaluate` modules in this folder, loaded by path (Hub metric names would need a network).

`load_metric("rouge_l")` returns the `evaluate.EvaluationModule` of benchmark/metrics/rouge_l/rouge_l.py.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from globmed.errors import GlobMedError

METRICS_DIR = Path(__file__).resolve().parent


def metric_names() -> list[str]:
    return sorted(p.name for p in METRICS_DIR.iterdir() if (p / f"{p.name}.py").is_file())


@cache
def load_metric(name: str):
    if name not in metric_names():
        raise GlobMedError(f"unknown metric {name!r}; known: {', '.join(metric_names())}")
    import evaluate

    return evaluate.load(str(METRICS_DIR / name))
