"""Paired comparison of two runs on the same cells: GlobMed's two headline figures, with 95% bootstrap CIs.

Given run A (e.g. the base Qwen3 model) and run B (its GlobMed fine-tune), over the language x task cells
present in both (primary metric of each cell):

- average relative improvement (ARI) = mean over cells c with A_c > 0 of (B_c - A_c) / A_c.
  Cells where A scored 0 have no relative change; they are left out and counted (`cells_skipped`).
- low-resource fold change = (mean of B over the low-resource cells) / (mean of A over the same cells),
  i.e. B's low-resource mean as a multiple of A's ("more than threefold" means > 3.0). None if A's mean is 0.

Also reported: the same two figures per language, the high-resource fold change, and both runs' means.

Intervals (`bootstrap_intervals`): a paired percentile bootstrap over test items. Both runs answered the same
items, so A's and B's scores on an item are correlated; resampling them together (the same indices for A and
B) keeps that correlation, which makes the interval on B - A much tighter than two independent intervals
would. Items are paired by sample id from each run's `<run_id>.samples.jsonl` (whose `score` is the item's
primary-metric score: 0/1 accuracy for mcqa/nli, per-answer ROUGE-L for lfqa; every primary metric is the
mean of these), resampled within each language x task cell with a generator seeded by (seed, cell), and the
headline figures are recomputed on each replicate. On a replicate where a cell's A mean is 0 that cell drops
out of the ARI, as in the point estimate; a figure that is undefined on a replicate (no cell with A > 0, or
A's group mean 0) leaves that replicate out, and the count is reported.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from benchmark.aggregate import DEFAULT_RESAMPLES, cell_rng, interval, resample_indices
from globmed.errors import GlobMedError
from globmed.languages import get_language
from globmed.results import RunResult

logger = logging.getLogger(__name__)

DEFAULT_SEED = 1234
LEVEL = 0.95
HEADLINES = ("average_relative_improvement", "low_resource_fold_change", "high_resource_fold_change")
# A cell's primary score in the results JSON is the mean of its samples' scores, up to float rounding.
_SCORE_TOLERANCE = 1e-6


class SamplesUnusable(Exception):
    """Why per-sample predictions cannot give intervals; shown as one line, point estimates still printed."""


def compare_runs(a: RunResult, b: RunResult) -> dict[str, Any]:
    common = sorted(set(a.results) & set(b.results))
    if not common:
        raise GlobMedError(f"runs {a.run_id} and {b.run_id} share no language-task results to compare")
    pairs = [(a.results[k], b.results[k]) for k in common]
    relative = [(rb.score - ra.score) / ra.score for ra, rb in pairs if ra.score > 0]
    per_language: dict[str, dict[str, float | None]] = {}
    for lang in dict.fromkeys(ra.language for ra, _ in pairs):
        cells = [(ra.score, rb.score) for ra, rb in pairs if ra.language == lang]
        per_language[lang] = _figures(cells)

    def group(low: bool) -> list[tuple[float, float]]:
        return [(ra.score, rb.score) for ra, rb in pairs if get_language(ra.language).low_resource == low]

    low, high = _figures(group(True)), _figures(group(False))
    return {
        "run_a": a.run_id,
        "run_b": b.run_id,
        "model_a": a.model.name,
        "model_b": b.model.name,
        "cells": len(common),
        "cells_skipped": len(pairs) - len(relative),
        "average_relative_improvement": float(np.mean(relative)) if relative else None,
        "low_resource_fold_change": low["fold_change"],
        "high_resource_fold_change": high["fold_change"],
        "low_mean_a": low["mean_a"],
        "low_mean_b": low["mean_b"],
        "high_mean_a": high["mean_a"],
        "high_mean_b": high["mean_b"],
        "per_language": per_language,
    }


def _figures(cells: list[tuple[float, float]]) -> dict[str, float | None]:
    if not cells:
        return {"mean_a": None, "mean_b": None, "fold_change": None, "relative_improvement": None}
    a = float(np.mean([x for x, _ in cells]))
    b = float(np.mean([y for _, y in cells]))
    rel = [(y - x) / x for x, y in cells if x > 0]
    return {
        "mean_a": a,
        "mean_b": b,
        "fold_change": b / a if a > 0 else None,
        "relative_improvement": float(np.mean(rel)) if rel else None,
    }


def compare_files(
    path_a: str | Path, path_b: str | Path, resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED
) -> dict[str, Any]:
    """`compare_runs` on two results files, plus paired bootstrap intervals from the samples files beside them.

    The result has "ci" ({figure: [low, high]}, empty when skipped) and "bootstrap" (replicates, seed, level,
    paired items, undefined replicates per figure, and `note`: why there are no intervals, or None).
    """
    a, b = RunResult.load(path_a), RunResult.load(path_b)
    comparison = compare_runs(a, b)
    comparison["ci"] = {}
    comparison["bootstrap"] = {"replicates": resamples, "seed": seed, "level": LEVEL, "note": None}
    if resamples <= 0:
        comparison["bootstrap"]["note"] = "bootstrap skipped (--bootstrap 0); point estimates only"
        return comparison
    try:
        cells = sorted(set(a.results) & set(b.results))
        scores_a = paired_scores(load_samples(samples_path(path_a, a)), a, cells)
        scores_b = paired_scores(load_samples(samples_path(path_b, b)), b, cells)
        for cell in cells:
            if scores_a[cell][0] != scores_b[cell][0]:
                only_a = len(set(scores_a[cell][0]) - set(scores_b[cell][0]))
                only_b = len(set(scores_b[cell][0]) - set(scores_a[cell][0]))
                raise SamplesUnusable(
                    f"cell {cell} was not run on the same items ({only_a} sample ids only in A, {only_b} only in B); "
                    "items cannot be paired"
                )
    except SamplesUnusable as why:
        comparison["bootstrap"]["note"] = f"no confidence intervals: {why}; point estimates only"
        return comparison
    low = np.array([get_language(a.results[c].language).low_resource for c in cells])
    logger.debug("paired bootstrap: %d replicates over %d cells, seed %d", resamples, len(cells), seed)
    draws = bootstrap_headlines(
        [scores_a[c][1] for c in cells], [scores_b[c][1] for c in cells], cells, low, resamples, seed
    )
    undefined: dict[str, int] = {}
    for name in HEADLINES:
        values = draws[name]
        finite = values[np.isfinite(values)]
        undefined[name] = int(values.size - finite.size)
        if comparison[name] is not None and finite.size:
            comparison["ci"][name] = list(interval(finite, LEVEL))
    comparison["bootstrap"]["paired_items"] = int(sum(len(scores_a[c][0]) for c in cells))
    comparison["bootstrap"]["undefined_replicates"] = undefined
    return comparison


def samples_path(results_json: str | Path, run: RunResult) -> Path:
    """`<run_id>.samples.jsonl` beside the results JSON (named after the file, else after the run id)."""
    results_json = Path(results_json)
    by_file = results_json.with_name(f"{results_json.stem}.samples.jsonl")
    by_id = results_json.with_name(f"{run.run_id}.samples.jsonl")
    return by_file if by_file.exists() or not by_id.exists() else by_id


def load_samples(path: Path) -> dict[str, dict[str, float]]:
    """{"<lang>-<task>": {sample id: primary score}} from a samples JSONL; problems raise `SamplesUnusable`."""
    if not path.exists():
        raise SamplesUnusable(f"per-sample predictions {path} not found")
    cells: dict[str, dict[str, float]] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise SamplesUnusable(f"cannot read {path} ({err})") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            row = json.loads(line)
            cell, sample_id, score = f"{row['language']}-{row['task']}", str(row["id"]), row["score"]
        except json.JSONDecodeError as err:
            raise SamplesUnusable(f"{where}: not JSON ({err.msg})") from None
        except (KeyError, TypeError) as err:
            raise SamplesUnusable(f"{where}: a sample needs id, language, task and score (missing {err})") from None
        if isinstance(score, bool) or not isinstance(score, (int, float)) or not 0.0 <= score <= 1.0:
            raise SamplesUnusable(f"{where}: score {score!r} is not a number in [0, 1]")
        if sample_id in cells.setdefault(cell, {}):
            raise SamplesUnusable(f"{where}: sample id {sample_id!r} appears twice in cell {cell}")
        cells[cell][sample_id] = float(score)
    return cells


def paired_scores(
    samples: dict[str, dict[str, float]], run: RunResult, cells: list[str]
) -> dict[str, tuple[list[str], np.ndarray]]:
    """Per cell, the sorted sample ids and their scores (sorting by id is what pairs A's items with B's).

    The samples must be the ones the results were computed from: same count and same mean per cell.
    """
    out: dict[str, tuple[list[str], np.ndarray]] = {}
    for cell in cells:
        result = run.results[cell]
        items = samples.get(cell, {})
        ids = sorted(items)
        scores = np.array([items[i] for i in ids], dtype=float)
        mean = float(scores.mean()) if ids else 0.0
        if len(ids) != result.n or (ids and not math.isclose(mean, result.score, abs_tol=_SCORE_TOLERANCE)):
            raise SamplesUnusable(
                f"the samples of run {run.run_id} do not match its results in cell {cell} "
                f"({len(ids)} samples with mean {mean:.6f}; results say n={result.n}, "
                f"{result.primary_metric}={result.score:.6f})"
            )
        out[cell] = (ids, scores)
    return out


def bootstrap_headlines(
    scores_a: list[np.ndarray],
    scores_b: list[np.ndarray],
    cells: list[str],
    low: np.ndarray,
    resamples: int,
    seed: int,
) -> dict[str, np.ndarray]:
    """(resamples,) draws of each headline figure; NaN where a figure is undefined on a replicate.

    Per cell one (resamples, n) index matrix is drawn and applied to both runs' item scores, then the
    per-cell means form (cells, resamples) matrices on which the figures are computed column-wise.
    """
    means_a = np.empty((len(cells), resamples))
    means_b = np.empty((len(cells), resamples))
    for row, (cell, xa, xb) in enumerate(zip(cells, scores_a, scores_b, strict=True)):
        if xa.size == 0:
            means_a[row] = means_b[row] = 0.0
            continue
        indices = resample_indices(xa.size, resamples, cell_rng(seed, f"compare-{cell}"))
        means_a[row] = xa[indices].mean(axis=1)
        means_b[row] = xb[indices].mean(axis=1)
    return headline_matrix(means_a, means_b, low)


def headline_matrix(means_a: np.ndarray, means_b: np.ndarray, low: np.ndarray) -> dict[str, np.ndarray]:
    """The headline figures of each column of (cells, replicates) matrices of cell scores."""
    positive = means_a > 0
    relative = np.divide(means_b - means_a, means_a, out=np.zeros_like(means_a), where=positive)
    counted = positive.sum(axis=0)
    ari = np.where(counted > 0, relative.sum(axis=0) / np.maximum(counted, 1), np.nan)

    def fold(mask: np.ndarray) -> np.ndarray:
        if not mask.any():
            return np.full(means_a.shape[1], np.nan)
        mean_a, mean_b = means_a[mask].mean(axis=0), means_b[mask].mean(axis=0)
        return np.divide(mean_b, mean_a, out=np.full_like(mean_a, np.nan), where=mean_a > 0)

    return {
        "average_relative_improvement": ari,
        "low_resource_fold_change": fold(low),
        "high_resource_fold_change": fold(~low),
    }


def format_comparison(c: dict[str, Any]) -> str:
    def pct(v: float | None) -> str:
        return "n/a" if v is None else f"{v * 100:+.1f}%"

    def fold(v: float | None) -> str:
        return "n/a" if v is None else f"{v:.2f}x"

    ci = c.get("ci", {})

    def with_ci(name: str, fmt: Callable[[float | None], str]) -> str:
        if name not in ci:
            return fmt(c[name])
        low, high = ci[name]
        return f"{fmt(c[name])}  (95% CI {fmt(low)} to {fmt(high)})"

    lines = [
        f"{c['model_b']} vs {c['model_a']} on {c['cells']} language-task cells",
        f"average relative improvement: {with_ci('average_relative_improvement', pct)}"
        + (f" ({c['cells_skipped']} cells with a zero base score left out)" if c["cells_skipped"] else ""),
        f"low-resource fold change:     {with_ci('low_resource_fold_change', fold)}",
        f"high-resource fold change:    {with_ci('high_resource_fold_change', fold)}",
    ]
    boot = c.get("bootstrap")
    if boot and boot.get("note"):
        lines.append(boot["note"])
    elif boot:
        undefined = [
            f"{count} for the {name.replace('_', ' ')}"
            for name, count in boot.get("undefined_replicates", {}).items()
            if count
        ]
        lines.append(
            f"paired bootstrap: {boot['replicates']} replicates over {boot['paired_items']} items "
            f"resampled within each cell, seed {boot['seed']}"
            + (f"; replicates left out as undefined: {', '.join(undefined)}" if undefined else "")
        )
    lines.append("language  base    tuned   rel.")
    for lang, f in c["per_language"].items():
        lines.append(f"{lang:<9} {f['mean_a']:.4f}  {f['mean_b']:.4f}  {pct(f['relative_improvement'])}")
    return "\n".join(lines)
