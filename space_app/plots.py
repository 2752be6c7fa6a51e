"""The Space's plots: their data as frames, and the Vega-Lite specs the app hands to `gr.Plot` (pure, no Gradio).

- per-language scores of chosen runs (one point per run and language),
- the high- versus low-resource gap of the runs a visitor's filters keep: its data here (`gap_frame`), drawn as
  HTML bars by gap_bars.py (it is redrawn when the filters change, and Vega's layout cost too much for that),
- each fine-tuned run against its base run (ModelInfo.base_model names the base run's model), on square axes
  with the y = x line: a point above it is a language the fine-tune improved.

Gradio's native plots could not draw a reference line or a value label, and clipped their own legends, so the
other charts are Vega-Lite specs (rendered by the Vega bundled with Gradio's frontend, as SVG: the legend and labels
are text a test can read). Every chart names each series in a legend that lists all of them; runs are named
by a short display name (`display_names`), and language axes use the language codes, which fit on a phone.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from globmed.languages import get_language, high_resource_codes
from space_app import text
from space_app.display import OVERALL_VIEW
from space_app.leaderboard import Leaderboard

VEGA_LITE = "https://vega.github.io/schema/vega-lite/v5.json"
# Rendered as SVG, without Vega's action menu (the legend and the labels stay text in the page).
EMBED = {"embedOptions": {"renderer": "svg", "actions": False}}
SQUARE_PX = 280  # the fine-tuned vs base chart: square, and narrow enough for a phone
# Pairs drawn in the fine-tuned vs base chart: the best fine-tuned runs. A legend of more colours can be neither read
# nor told apart (a board of 1,000 runs had 100 pairs); the paired-gains table under it lists every pair.
FINETUNED_PAIRS = 10
BAR_STEP_PX = 22  # height of one run in the gap chart


def display_names(labels: list[tuple[str, str]]) -> dict[str, str]:
    """run id -> short name for charts: the model name, plus the run id's suffix where a name repeats.

    >>> display_names([("a__1", "Qwen3"), ("b__2", "Qwen3"), ("c__3", "Llama")])
    {'a__1': 'Qwen3 · 1', 'b__2': 'Qwen3 · 2', 'c__3': 'Llama'}
    """
    repeated = {name for name, n in Counter(name for _, name in labels).items() if n > 1}
    return {run_id: f"{name} · {run_id.rpartition('__')[2] or run_id}" if name in repeated else name
            for run_id, name in labels}


def value_label(points: float) -> str:
    """A chart's value label in points, one decimal; an exact zero (or one that rounds to it) reads "0"."""
    text = f"{points:.1f}"
    return "0" if text in {"0.0", "-0.0"} else text


def language_scores(board: Leaderboard, run_ids: list[str]) -> pd.DataFrame:
    """Long frame (code, language, score %, run, group) for the chosen runs in the overall view."""
    values, _, _, _ = board.view_scores(OVERALL_VIEW)
    index = {run.run_id: i for i, run in enumerate(board.runs)}
    chosen = [run_id for run_id in dict.fromkeys(run_ids) if run_id in index]
    names = display_names([(run_id, board.runs[index[run_id]].model.name) for run_id in chosen])
    high = set(high_resource_codes())
    rows = []
    for run_id in chosen:
        i = index[run_id]
        for j, code in enumerate(board.languages):
            if not np.isnan(values[i, j]):
                rows.append({
                    "code": code, "language": f"{get_language(code).name} ({code})",
                    "score": round(100 * values[i, j], 2), "run": names[run_id],
                    "group": "high" if code in high else "low",
                })
    return pd.DataFrame(rows, columns=["code", "language", "score", "run", "group"])


def language_chart(board: Leaderboard, run_ids: list[str]) -> dict[str, Any]:
    """Vega-Lite: one coloured series of points per chosen run over the language codes, every run in the legend."""
    frame = language_scores(board, run_ids)
    runs = list(dict.fromkeys(frame["run"]))
    return {
        "$schema": VEGA_LITE, "usermeta": EMBED, "title": text.LANGUAGE_CHART_TITLE, "width": "container",
        "height": 260, "autosize": {"type": "fit-x", "contains": "padding"},
        "data": {"values": frame.to_dict("records")},
        "mark": {"type": "point", "filled": True, "size": 80, "opacity": 0.85},
        "encoding": {
            "x": {"field": "code", "type": "nominal", "sort": list(board.languages), "title": "language",
                  "axis": {"labelAngle": 0}},
            "y": {"field": "score", "type": "quantitative", "scale": {"domain": [0, 100]}, "title": "score (%)"},
            "color": {"field": "run", "type": "nominal", "sort": runs, "scale": {"domain": runs},
                      "legend": legend("run")},
            "tooltip": [{"field": "run"}, {"field": "language"}, {"field": "score", "title": "score (%)"}],
        },
    }


def gap_frame(table: pd.DataFrame, limit: int = 30) -> pd.DataFrame:
    """(run, gap, high, low, label) in % for the first `limit` rows of a leaderboard table (runs without a gap
    left out); `run` is the short display name and `label` the value printed at the bar's end."""
    head = table.head(limit)
    head = head[~head["gap"].isna()]
    names = display_names(list(zip(head["run_id"], head["model"], strict=True)))
    gap = (100 * head["gap"]).round(2).to_numpy()
    return pd.DataFrame({
        "run": [names[run_id] for run_id in head["run_id"]],
        "gap": gap,
        "high": (100 * head["high_mean"]).round(2).to_numpy(),
        "low": (100 * head["low_mean"]).round(2).to_numpy(),
        "label": [value_label(value) for value in gap],
    }, columns=["run", "gap", "high", "low", "label"])


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


def finetuned_points(board: Leaderboard, limit: int | None = None) -> pd.DataFrame:
    """Per fine-tuned/base pair and language, both scores (%): the points of the fine-tuned vs base chart; with
    `limit`, only the pairs of the `limit` best fine-tuned runs (by their overall score). The gains themselves are
    shown by `paired_gains`, with their intervals, as everywhere a gain is shown."""
    values, _, summary, _ = board.view_scores(OVERALL_VIEW)
    high = set(high_resource_codes())
    points = []
    pairs = base_pairs(board)
    if limit is not None:
        overall = np.nan_to_num(summary["overall"], nan=-1.0)
        pairs = sorted(pairs, key=lambda pair: -overall[pair[0]])[:limit]
    for ft, base in pairs:
        pair = f"{board.runs[ft].model.name} vs {board.runs[base].model.name}"
        for j, code in enumerate(board.languages):
            if not (np.isnan(values[ft, j]) or np.isnan(values[base, j])):
                points.append({"pair": pair, "language": code, "group": "high" if code in high else "low",
                               "base": round(100 * values[base, j], 2),
                               "fine-tuned": round(100 * values[ft, j], 2)})
    return pd.DataFrame(points, columns=["pair", "language", "group", "base", "fine-tuned"])


def finetuned_chart(points: pd.DataFrame, of: int | None = None) -> dict[str, Any]:
    """Vega-Lite: base score (x) against fine-tuned score (y) per language, on square 0-100 axes with the y = x
    line; colour names the pair (its models), the shape the language group. `of`: how many pairs there are, when
    `points` holds only the best of them (the subtitle says so)."""
    pairs = list(dict.fromkeys(points["pair"]))
    title = text.FINETUNED_CHART_TITLE if pairs else text.FINETUNED_NONE
    if of is not None and of > len(pairs):
        title = {**title, "subtitle": text.FINETUNED_SOME.format(shown=len(pairs), pairs=of)}
    scale = {"domain": [0, 100]}
    diagonal = [{"base": 0, "fine-tuned": 0}, {"base": 100, "fine-tuned": 100}]
    return {
        "$schema": VEGA_LITE, "usermeta": EMBED, "width": SQUARE_PX, "height": SQUARE_PX,
        "title": title,
        "autosize": {"type": "pad"},
        "encoding": {
            "x": {"field": "base", "type": "quantitative", "scale": scale, "title": "base model (%)"},
            "y": {"field": "fine-tuned", "type": "quantitative", "scale": scale, "title": "fine-tuned model (%)"},
        },
        "layer": [
            {"data": {"values": diagonal}, "mark": {"type": "line", "color": "#888", "strokeDash": [5, 4]}},
            {"data": {"values": [{"base": 97, "fine-tuned": 100, "note": "y = x"}]},
             "mark": {"type": "text", "align": "right", "baseline": "top", "color": "#666"},
             "encoding": {"text": {"field": "note"}}},
            {"data": {"values": points.to_dict("records")},
             "mark": {"type": "point", "filled": True, "size": 70, "opacity": 0.85},
             "encoding": {
                 "color": {"field": "pair", "type": "nominal", "sort": pairs, "scale": {"domain": pairs},
                           "legend": legend("fine-tuned vs base")},
                 "shape": {"field": "group", "type": "nominal", "scale": {"domain": ["high", "low"]},
                           "legend": legend("language group")},
                 "tooltip": [{"field": "pair"}, {"field": "language"}, {"field": "base"},
                             {"field": "fine-tuned"}],
             }},
        ],
    }


def legend(title: str) -> dict[str, Any]:
    """A legend under the chart, one entry per line, labels never cut (Vega's default cuts them at 160 px)."""
    return {"title": title, "orient": "bottom", "direction": "vertical", "labelLimit": 0, "symbolLimit": 0}


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
