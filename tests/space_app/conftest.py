"""Fixtures of the Space tests: synthetic results folders, hostile uploads, a served app."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from support.synthetic_runs import make_run, write_runs

from globmed.languages import low_resource_codes
from globmed.results import RunResult

LOW = set(low_resource_codes())


@pytest.fixture(scope="session")
def results_dir(tmp_path_factory) -> Path:
    """30 synthetic runs (every tenth a GlobMed fine-tune of the run before it)."""
    folder = tmp_path_factory.mktemp("results")
    write_runs(folder, 30, seed=1)
    return folder


def exact_run(name: str, scores: dict[str, dict[str, float]] | None = None, *, high: float = 0.8, low: float = 0.4,
              model_type: str = "open", size_b: float | None = 8.0, backend: str = "transformers",
              base_model: str | None = None, aggregates: dict | None = None, index: int = 0) -> RunResult:
    """A run with known scores: `scores[task][lang]`, else `high`/`low` for every task of a high/low language."""
    data = make_run(index, random.Random(index), name=name, model_type=model_type, size_b=size_b,
                    backend=backend, base_model=base_model)
    for result in data["results"].values():
        value = (scores or {}).get(result["task"], {}).get(result["language"])
        if value is None:
            value = low if result["language"] in LOW else high
        metric = result["primary_metric"]
        result["metrics"] = {metric: value, f"{metric}_ci_low": max(0.0, value - 0.031),
                             f"{metric}_ci_high": min(1.0, value + 0.031)}
    data["aggregates"] = aggregates if aggregates is not None else {}
    return RunResult.from_dict(data)


@pytest.fixture
def run_dict():
    """A factory of valid results dicts with chosen fields."""
    rng = random.Random(7)

    def make(index: int = 0, **kwargs):
        return make_run(index, rng, **kwargs)

    return make


@pytest.fixture
def exact():
    """The `exact_run` factory: runs with known scores."""
    return exact_run
