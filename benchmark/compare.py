"""Paired comparison of two runs on the same cells: GlobMed's two headline figures.

Given run A (e.g. the base Qwen3 model) and run B (its GlobMed fine-tune), over the language x task cells
present in both (primary metric of each cell):

- average relative improvement (ARI) = mean over cells c with A_c > 0 of (B_c - A_c) / A_c.
  Cells where A scored 0 have no relative change; they are left out and counted (`cells_skipped`).
- low-resource fold change = (mean of B over the low-resource cells) / (mean of A over the same cells),
  i.e. B's low-resource mean as a multiple of A's ("more than threefold" means > 3.0). None if A's mean is 0.

Also reported: the same two figures per language, the high-resource fold change, and both runs' means.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from benchmark.results_schema import RunResult
from globmed.errors import GlobMedError
from globmed.languages import get_language


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


def format_comparison(c: dict[str, Any]) -> str:
    def pct(v: float | None) -> str:
        return "n/a" if v is None else f"{v * 100:+.1f}%"

    def fold(v: float | None) -> str:
        return "n/a" if v is None else f"{v:.2f}x"

    lines = [
        f"{c['model_b']} vs {c['model_a']} on {c['cells']} language-task cells",
        f"average relative improvement: {pct(c['average_relative_improvement'])}"
        + (f" ({c['cells_skipped']} cells with a zero base score left out)" if c["cells_skipped"] else ""),
        f"low-resource fold change:     {fold(c['low_resource_fold_change'])}",
        f"high-resource fold change:    {fold(c['high_resource_fold_change'])}",
        "language  base    tuned   rel.",
    ]
    for lang, f in c["per_language"].items():
        lines.append(f"{lang:<9} {f['mean_a']:.4f}  {f['mean_b']:.4f}  {pct(f['relative_improvement'])}")
    return "\n".join(lines)
