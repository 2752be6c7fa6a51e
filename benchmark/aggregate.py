"""Aggregation and 95% bootstrap confidence intervals of one run (seeded, vectorised with numpy).

Levels (globmed.bootstrap.summarize, shared with the cards' paired gains): a cell is one language x task (its
`TaskResult`, with per-source scores inside), then per language, per task, high- and low-resource means, their
gap and the overall mean. Scores are each cell's primary metric.

Intervals: every cell's items are resampled with replacement B times (B=1000 by default) with a generator
seeded by (seed, cell name), so one cell's interval does not move when another cell is added. The aggregates
are recomputed on each of the B draws, and the 2.5th and 97.5th percentiles give the interval (percentile
bootstrap). Items are resampled independently per cell. With 0 resamples there is no bootstrap: the results
carry point estimates only (no `*_ci_low` / `*_ci_high` metrics, no "ci" aggregates).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from globmed.bootstrap import interval, resample_indices, summarize


def bootstrap_mean(scores: Sequence[float], resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Means of `resamples` bootstrap draws of `scores`, shape (resamples,)."""
    values = np.asarray(scores, dtype=float)
    if values.size == 0:
        return np.zeros(resamples)
    return values[resample_indices(values.size, resamples, rng)].mean(axis=1)


def bootstrap_macro_f1(
    predictions: Sequence[int], references: Sequence[int], resamples: int, rng: np.random.Generator
) -> np.ndarray:
    """Macro-F1 of each bootstrap draw, vectorised: per-class tp/fp/fn are weighted sums over item counts.

    Labels are those occurring in the references or parsed predictions of the full sample; -1 (unparsed)
    is a miss. A class absent from a draw (tp+fp+fn = 0) scores 0, as in `macro_f1` on that draw's labels
    only when it occurs, so we average over classes with a non-zero denominator.
    """
    pred = np.asarray(predictions)
    gold = np.asarray(references)
    n = pred.size
    if n == 0:
        return np.zeros(resamples)
    labels = sorted(set(gold.tolist()) | {p for p in pred.tolist() if p >= 0})
    p_hot = (pred[:, None] == np.asarray(labels)[None, :]).astype(float)  # (n, C)
    g_hot = (gold[:, None] == np.asarray(labels)[None, :]).astype(float)
    counts = np.zeros((resamples, n))
    rows = np.repeat(np.arange(resamples), n)
    np.add.at(counts, (rows, resample_indices(n, resamples, rng).ravel()), 1.0)
    tp = counts @ (p_hot * g_hot)
    fp = counts @ (p_hot * (1 - g_hot))
    fn = counts @ ((1 - p_hot) * g_hot)
    denominator = 2 * tp + fp + fn
    present = denominator > 0
    f1 = np.divide(2 * tp, denominator, out=np.zeros_like(tp), where=present)
    return f1.sum(axis=1) / np.maximum(present.sum(axis=1), 1)


def aggregate(
    points: Mapping[tuple[str, str], float], draws: Mapping[tuple[str, str], np.ndarray]
) -> dict[str, object]:
    """The `aggregates` block of a results file: point estimates plus a "ci" dict of [low, high] intervals
    (no "ci" without draws: a run with `--resamples 0`)."""
    out: dict[str, object] = {k: _to_float(v) for k, v in summarize(points).items()}
    if not draws:
        return out
    sampled = summarize(draws)
    ci: dict[str, object] = {}
    for key in ("overall", "high_mean", "low_mean", "gap"):
        if sampled[key] is not None:
            ci[key] = list(interval(sampled[key]))
    ci["per_language"] = {lang: list(interval(v)) for lang, v in sampled["per_language"].items()}
    ci["per_task"] = {task: list(interval(v)) for task, v in sampled["per_task"].items()}
    out["ci"] = ci
    return out


def _to_float(value: object) -> object:
    if isinstance(value, dict):
        return {k: _to_float(v) for k, v in value.items()}
    return None if value is None else float(value)  # type: ignore[arg-type]

