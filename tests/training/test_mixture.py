"""Language-balanced mixture: shares per strategy, low-resource upsampling, exact row totals, sampling."""

from __future__ import annotations

import numpy as np
import pytest
from datasets import Dataset

from globmed.errors import GlobMedError
from training.mixture import build_mixture, count_languages, mixture_weights, plan_mixture, sample_indices

COUNTS = {"en": 900, "fr": 100, "sw": 25, "zu": 0}


def test_temperature_flattens_towards_uniform():
    proportional = mixture_weights(COUNTS, strategy="proportional")
    t1 = mixture_weights(COUNTS, strategy="temperature", temperature=1.0)
    t2 = mixture_weights(COUNTS, strategy="temperature", temperature=2.0)
    assert t1 == pytest.approx(proportional)
    # T=2: p ~ sqrt(n) -> 30 : 10 : 5
    assert t2["en"] == pytest.approx(30 / 45) and t2["fr"] == pytest.approx(10 / 45)
    assert t2["sw"] == pytest.approx(5 / 45)
    assert t2["zu"] == 0.0
    assert t2["sw"] > proportional["sw"]


def test_low_resource_upsample_and_explicit_weights():
    up = mixture_weights(COUNTS, strategy="temperature", temperature=2.0, low_resource_upsample=2.0)
    assert up["sw"] == pytest.approx(10 / 50)  # sw weight 5 doubled to 10, total 30 + 10 + 10
    w = mixture_weights(COUNTS, strategy="weights", weights={"en": 1, "fr": 1, "sw": 2})
    assert w == pytest.approx({"en": 0.25, "fr": 0.25, "sw": 0.5, "zu": 0.0})
    with pytest.raises(GlobMedError, match="not in the training data: xx"):
        mixture_weights(COUNTS, strategy="weights", weights={"xx": 1})
    with pytest.raises(GlobMedError, match="mixture is empty"):
        mixture_weights({"en": 0}, strategy="proportional")


def test_plan_rows_add_up_and_upsample_repeats():
    plan = plan_mixture(COUNTS, total_rows=1000, strategy="weights", weights={"en": 1, "fr": 1, "sw": 2})
    assert plan.total_rows == 1000
    rows = {lang: s.rows for lang, s in plan.shares.items()}
    assert rows == {"en": 250, "fr": 250, "sw": 500, "zu": 0}
    assert plan.shares["sw"].repeat == pytest.approx(20.0)  # 25 rows repeated to 500
    assert plan.as_json()["sw"] == {"rows": 500, "weight": 0.5}
    table = plan.table()
    assert "sw    low" in table and "1000 rows" in table
    # rounding: three equal shares of 100 rows still total exactly 100
    odd = plan_mixture({"en": 10, "fr": 10, "de": 10}, total_rows=100, strategy="proportional")
    assert sorted(s.rows for s in odd.shares.values()) == [33, 33, 34] and odd.total_rows == 100


def test_sample_indices_uses_every_row_before_repeating():
    rng = np.random.default_rng(0)
    idx = sample_indices(10, 25, rng)
    counts = np.bincount(idx, minlength=10)
    assert len(idx) == 25 and counts.min() == 2 and counts.max() == 3
    assert len(set(sample_indices(10, 7, rng))) == 7  # subsample without replacement


def test_build_mixture_selects_planned_rows_per_language():
    rows = [{"language": "en", "i": i} for i in range(60)] + [{"language": "sw", "i": i} for i in range(6)]
    dataset = Dataset.from_list(rows)
    plan = plan_mixture(count_languages(dataset), total_rows=40, strategy="weights")  # equal weights
    mixed = build_mixture(dataset, plan, seed=1)
    assert count_languages(mixed) == {"en": 20, "sw": 20}
    sw_items = [r["i"] for r in mixed if r["language"] == "sw"]
    assert set(sw_items) == set(range(6))  # every Swahili row used, some repeated
    again = build_mixture(dataset, plan, seed=1)
    assert mixed["i"] == again["i"]  # seeded
