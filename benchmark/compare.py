"""`globmed bench compare`: GlobMed's headline figures for a base run A and a tuned run B, with paired 95%
bootstrap intervals, as a table and as JSON for the cards and the Space.

The figures, the paired bootstrap and the significance rule live in the kernel (globmed.paired,
globmed.bootstrap), because the model card and the Space report the same numbers; this module reads the two
files, lays the figures out and prints them. Each language row prints A's and B's mean over that language's
cells and the relative change of exactly those two numbers (B / A - 1), with the paired interval of B - A
and whether it excludes 0.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from globmed.bootstrap import DEFAULT_RESAMPLES, LEVEL
from globmed.languages import known_language_codes
from globmed.paired import DEFAULT_SEED, HEADLINES, Estimate, PairedRuns, figure_text, samples_path
from globmed.results import RunResult

logger = logging.getLogger(__name__)


def compare_runs(a: RunResult, b: RunResult) -> dict[str, Any]:
    """The figures of A vs B as point estimates (no samples read)."""
    return comparison_dict(PairedRuns.build(a, b, resamples=0))


def compare_files(
    path_a: str | Path, path_b: str | Path, resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED
) -> dict[str, Any]:
    """The figures of two results files, with paired intervals from the samples files beside them.

    The result has "ci" ({figure: [low, high]}, empty when there are none), "significant" ({figure: bool})
    and "bootstrap" (replicates, seed, level, paired items, undefined replicates per figure, and `note`: why
    there are no intervals, or None).
    """
    a, b = RunResult.load(path_a), RunResult.load(path_b)
    paired = PairedRuns.build(a, b, samples_path(path_a, a), samples_path(path_b, b), resamples, seed)
    logger.debug("paired bootstrap: %d replicates over %d cells, seed %d", resamples, len(paired.cells), seed)
    return comparison_dict(paired)


def comparison_dict(paired: PairedRuns) -> dict[str, Any]:
    """The JSON form: run names, headline figures with intervals, group means and one entry per language."""
    headlines = paired.headlines()
    low, high = paired.gain("low_mean"), paired.gain("high_mean")
    out: dict[str, Any] = {
        "run_a": paired.run_a.run_id,
        "run_b": paired.run_b.run_id,
        "model_a": paired.run_a.model.name,
        "model_b": paired.run_b.model.name,
        "cells": len(paired.cells),
        "cells_skipped": paired.cells_skipped,
        **{name: figure.value for name, figure in headlines.items()},
        "low_mean_a": low.base, "low_mean_b": low.tuned, "high_mean_a": high.base, "high_mean_b": high.tuned,
        "per_language": {},
        "ci": {name: figure.ci for name, figure in headlines.items() if figure.ci is not None},
        "significant": {name: figure.significant for name, figure in headlines.items()},
        "bootstrap": {"replicates": paired.resamples, "seed": paired.seed, "level": LEVEL, "note": paired.note},
    }
    shared = {paired.run_a.results[c].language for c in paired.cells}
    for lang in [code for code in known_language_codes() if code in shared]:  # registry order
        gain = paired.gain("per_language", lang)
        out["per_language"][lang] = {
            "mean_a": gain.base, "mean_b": gain.tuned, "relative_change": gain.relative,
            "difference": gain.difference.value, "difference_ci": gain.difference.ci,
            "significant": gain.significant, "items": gain.items,
        }
    if paired.has_intervals:
        out["bootstrap"]["paired_items"] = paired.paired_items
        out["bootstrap"]["undefined_replicates"] = dict(paired.undefined)
    return out


def format_comparison(c: dict[str, Any]) -> str:
    def pct(v: float | None) -> str:
        return "n/a" if v is None else f"{v * 100:+.1f}%"

    def figure(name: str) -> str:
        return figure_text(name, Estimate(c[name], c["ci"].get(name), HEADLINES[name]))

    lines = [
        f"{c['model_b']} vs {c['model_a']} on {c['cells']} language-task cells",
        f"average relative improvement: {figure('average_relative_improvement')}"
        + (f" ({c['cells_skipped']} cells with a zero base score left out)" if c["cells_skipped"] else ""),
        f"low-resource fold change:     {figure('low_resource_fold_change')}",
        f"high-resource fold change:    {figure('high_resource_fold_change')}",
    ]
    boot = c["bootstrap"]
    if boot.get("note"):
        lines.append(boot["note"])
    else:
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
    lines.append("per language: mean of the language's cells; rel. = tuned / base - 1 of the two means shown")
    header = f"{'language':<9} {'base':>6}  {'tuned':>6}  {'rel.':>7}"
    intervals = any(f["difference_ci"] is not None for f in c["per_language"].values())
    if intervals:
        header += f"  {'tuned - base (95% CI)':<29} significant"
    lines.append(header)
    for lang, f in c["per_language"].items():
        row = f"{lang:<9} {f['mean_a']:.4f}  {f['mean_b']:.4f}  {pct(f['relative_change']):>7}"
        if intervals:
            ci = f["difference_ci"]
            spread = "n/a" if ci is None else f"({ci[0]:+.4f} to {ci[1]:+.4f})"
            row += f"  {f['difference']:+.4f} {spread:<21} {'yes' if f['significant'] else 'no'}"
        lines.append(row)
    return "\n".join(lines)
