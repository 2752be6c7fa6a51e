"""Aggregation, bootstrap CIs and the paired comparison's headline figures on constructed runs."""

from __future__ import annotations

import numpy as np
import pytest
from bench_macro_f1_ref import macro_f1_reference

from benchmark.aggregate import aggregate, bootstrap_macro_f1, bootstrap_mean
from benchmark.compare import compare_runs
from globmed.bootstrap import cell_rng, interval
from globmed.results import ModelInfo, RunResult, TaskResult


def test_bootstrap_mean_is_seeded_and_brackets_the_mean():
    scores = np.array([1, 0, 1, 1, 0, 1, 0, 1, 1, 1], dtype=float)
    a = bootstrap_mean(scores, 500, cell_rng(7, "sw-mcqa"))
    b = bootstrap_mean(scores, 500, cell_rng(7, "sw-mcqa"))
    assert np.array_equal(a, b)
    low, high = interval(a)
    assert low < scores.mean() < high and low >= 0.0 and high <= 1.0
    assert not np.array_equal(a, bootstrap_mean(scores, 500, cell_rng(7, "yo-mcqa")))


def test_constant_scores_have_a_zero_width_interval():
    assert interval(bootstrap_mean([1.0] * 20, 200, cell_rng(0, "x"))) == (1.0, 1.0)


def test_vectorised_macro_f1_matches_the_reference_on_each_draw():
    rng = np.random.default_rng(3)
    preds = rng.integers(-1, 3, size=40)
    golds = rng.integers(0, 3, size=40)
    draws = bootstrap_macro_f1(preds, golds, 50, cell_rng(1, "f1"))
    indices = cell_rng(1, "f1").integers(0, 40, size=(50, 40))
    expected = [macro_f1_reference(preds[i], golds[i]) for i in indices]
    assert np.allclose(draws, expected)


def test_aggregate_levels():
    points = {("en", "mcqa"): 0.8, ("en", "nli"): 0.6, ("fr", "mcqa"): 0.5, ("sw", "mcqa"): 0.3, ("yo", "mcqa"): 0.1}
    agg = aggregate(points, {})
    assert agg["per_language"] == pytest.approx({"en": 0.7, "fr": 0.5, "sw": 0.3, "yo": 0.1})
    assert agg["high_mean"] == pytest.approx(0.6) and agg["low_mean"] == pytest.approx(0.2)
    assert agg["gap"] == pytest.approx(0.4)
    assert agg["overall"] == pytest.approx((0.7 + 0.5 + 0.3 + 0.1) / 4)
    assert agg["per_task"]["mcqa"] == pytest.approx((0.8 + 0.5 + 0.3 + 0.1) / 4)


def _run(name: str, scores: dict[str, float]) -> RunResult:
    results = {
        key: TaskResult(
            language=key.split("-")[0], task=key.split("-")[1], primary_metric="acc", metrics={"acc": value}, n=10
        )
        for key, value in scores.items()
    }
    return RunResult(
        model=ModelInfo(name=name), config={}, dataset={}, provenance={}, results=results, aggregates={}, run_id=name
    )


def test_compare_headline_figures():
    base = _run("base", {"en-mcqa": 0.5, "fr-mcqa": 0.4, "sw-mcqa": 0.1, "zu-mcqa": 0.2, "yo-mcqa": 0.0})
    tuned = _run("tuned", {"en-mcqa": 0.6, "fr-mcqa": 0.6, "sw-mcqa": 0.4, "zu-mcqa": 0.5, "yo-mcqa": 0.3})
    c = compare_runs(base, tuned)
    # relative: en +0.2, fr +0.5, sw +3.0, zu +1.5; yo has a zero base and is left out
    assert c["average_relative_improvement"] == pytest.approx((0.2 + 0.5 + 3.0 + 1.5) / 4)
    assert c["cells_skipped"] == 1
    # low-resource means: base (0.1+0.2+0)/3 = 0.1, tuned (0.4+0.5+0.3)/3 = 0.4 -> 4x
    assert c["low_resource_fold_change"] == pytest.approx(4.0)
    assert c["high_resource_fold_change"] == pytest.approx(0.6 / 0.45)


def test_compare_needs_common_cells():
    from globmed.errors import GlobMedError

    with pytest.raises(GlobMedError, match="share no"):
        compare_runs(_run("a", {"en-mcqa": 0.5}), _run("b", {"sw-mcqa": 0.5}))
