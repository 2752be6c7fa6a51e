"""Frames behind the Space's plots (pure pandas; the app hands them to gr.ScatterPlot / gr.BarPlot).

- per-language scores of chosen runs (one point per run and language),
- the high- versus low-resource gap of the runs a visitor's filters keep,
- each fine-tuned run against its base run (ModelInfo.base_model names the base run's model).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from globmed.languages import get_language, high_resource_codes
from space_app.display import OVERALL_VIEW
from space_app.leaderboard import Leaderboard, run_label


def language_scores(board: Leaderboard, run_ids: list[str]) -> pd.DataFrame:
    """Long frame (language, score %, run, group) for the chosen runs in the overall view."""
    values, _, _, _ = board.view_scores(OVERALL_VIEW)
    index = {run.run_id: i for i, run in enumerate(board.runs)}
    high = set(high_resource_codes())
    rows = []
    for run_id in run_ids:
        if run_id not in index:
            continue
        i = index[run_id]
        for j, code in enumerate(board.languages):
            if not np.isnan(values[i, j]):
                rows.append({
                    "language": f"{get_language(code).name} ({code})", "score": round(100 * values[i, j], 2),
                    "run": run_label(board.runs[i]), "group": "high" if code in high else "low",
                })
    return pd.DataFrame(rows, columns=["language", "score", "run", "group"])


def gap_frame(table: pd.DataFrame, limit: int = 30) -> pd.DataFrame:
    """(run, gap, high, low) in % for the first `limit` rows of a leaderboard table (runs without a gap left out)."""
    head = table.head(limit)
    head = head[~head["gap"].isna()]
    return pd.DataFrame({
        "run": [f"{m} · {r}" for m, r in zip(head["model"], head["run_id"], strict=True)],
        "gap": (100 * head["gap"]).round(2).to_numpy(),
        "high": (100 * head["high_mean"]).round(2).to_numpy(),
        "low": (100 * head["low_mean"]).round(2).to_numpy(),
    }, columns=["run", "gap", "high", "low"])


def base_pairs(board: Leaderboard) -> list[tuple[int, int]]:
    """(fine-tuned row, base row) pairs: the base is the latest run whose model name or run id matches."""
    by_name: dict[str, int] = {}
    for i, run in enumerate(board.runs):  # runs are sorted by run_id, so the latest wins
        by_name[run.model.name] = i
        by_name[run.run_id] = i
    pairs = []
    for i, run in enumerate(board.runs):
        base = run.model.base_model
        if base and base in by_name and by_name[base] != i:
            pairs.append((i, by_name[base]))
    return pairs


def base_vs_finetuned(board: Leaderboard) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(points, summary): per-language base vs fine-tuned scores, and per pair the relative gains.

    The summary's relative gains (fine-tuned / base - 1, high- and low-resource means) are the figures the
    GlobMed paper reports ("more than threefold on the low-resource languages").
    """
    values, _, summary, _ = board.view_scores(OVERALL_VIEW)
    high = set(high_resource_codes())
    points, rows = [], []
    for ft, base in base_pairs(board):
        pair = f"{board.runs[ft].model.name} vs {board.runs[base].model.name}"
        for j, code in enumerate(board.languages):
            if not (np.isnan(values[ft, j]) or np.isnan(values[base, j])):
                points.append({"pair": pair, "language": code, "group": "high" if code in high else "low",
                               "base": round(100 * values[base, j], 2),
                               "fine-tuned": round(100 * values[ft, j], 2)})
        row = {"Fine-tuned": board.runs[ft].model.name, "Base": board.runs[base].model.name}
        for key, label in (("overall", "Overall"), ("high_mean", "High-resource"), ("low_mean", "Low-resource")):
            b, f = summary[key][base], summary[key][ft]
            row[f"{label} base"] = "–" if np.isnan(b) else f"{100 * b:.1f}"
            row[f"{label} fine-tuned"] = "–" if np.isnan(f) else f"{100 * f:.1f}"
            row[f"{label} gain"] = "–" if np.isnan(b) or np.isnan(f) or b <= 0 else f"{100 * (f / b - 1):+.0f}%"
        rows.append(row)
    return (pd.DataFrame(points, columns=["pair", "language", "group", "base", "fine-tuned"]),
            pd.DataFrame(rows))


def paired_gains(board: Leaderboard, samples_dir: Path | None) -> pd.DataFrame:
    """Per fine-tuned/base pair: the gain in points on the overall, high- and low-resource means, with its 95%
    paired interval and whether it is significant, by the rule and code of the model card and `bench compare`
    (globmed.paired). The interval needs both runs' `<run_id>.samples.jsonl` in `samples_dir` (the results
    folder); without them the gain is shown with "no interval" and is not called significant."""
    from globmed.errors import GlobMedError
    from globmed.paired import PairedRuns

    rows = []
    for ft, base in base_pairs(board):
        runs = board.runs[base], board.runs[ft]
        samples = [samples_dir / f"{run.run_id}.samples.jsonl" if samples_dir else None for run in runs]
        try:
            paired = PairedRuns.build(*runs, *samples)
        except GlobMedError:  # the two runs share no cell: nothing to compare
            continue
        row = {"Fine-tuned": runs[1].model.name, "Base": runs[0].model.name}
        for key, label in (("overall", "Overall"), ("high_mean", "High-resource"), ("low_mean", "Low-resource")):
            gain = paired.gain(key)
            value, ci = gain.difference.value, gain.difference.ci
            text = "–" if value is None else f"{100 * value:+.1f}"
            if value is not None:
                text += f" ({100 * ci[0]:+.1f} to {100 * ci[1]:+.1f})" if ci else " (no interval)"
            row[f"{label} gain, points (95% CI)"] = text
            row[f"{label} significant"] = "–" if ci is None else ("yes" if gain.significant else "no")
        rows.append(row)
    return pd.DataFrame(rows)
