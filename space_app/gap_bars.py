"""The Plots tab's gap chart as HTML bars: one row per run, its whole name, a bar from zero and the value written.

Why not a Vega-Lite chart like the other two: this chart follows the leaderboard's filters, so it is drawn again
whenever a visitor comes back to Plots after a change, and Vega's layout of 30 labelled bars cost the page
100-200 ms of its main thread each time (bench/bench_space.py). A bar per run with its value is a list with a bar
in each row: as HTML it is drawn in a few milliseconds, wraps long names on a phone instead of cutting them, and
stays text a screen reader reads. Every name and value is escaped here.
"""

from __future__ import annotations

import html

import pandas as pd

from space_app import text


def bar_row(row: dict, below_zero: float, span: float) -> str:
    """One run: its name, its bar and its value; the high- and low-resource means are the row's tooltip. The
    track runs from -`below_zero` to `span - below_zero` points, so every bar starts (or ends) at zero, which is
    drawn as a line when some gap is negative."""
    gap = float(row["gap"])
    zero = 100 * below_zero / span if span else 0.0
    width = 100 * abs(gap) / span if span else 0.0
    left = zero - width if gap < 0 else zero
    side = "negative" if gap < 0 else "positive"
    axis = f'<span class="gap-zero" style="left:{zero:.2f}%"></span>' if below_zero else ""
    tooltip = f"{row['run']}: gap {row['label']} points (high {row['high']:.1f}, low {row['low']:.1f})"
    return (f'<li title="{html.escape(tooltip)}"><span class="gap-run">{html.escape(str(row["run"]))}</span>'
            f'<span class="gap-track"><span class="gap-bar {side}" style="left:{left:.2f}%;width:{width:.2f}%">'
            f'</span>{axis}</span><span class="gap-value">{html.escape(str(row["label"]))}</span></li>')


def gap_bars(frame: pd.DataFrame) -> str:
    """The chart of `plots.gap_frame` rows: largest gap first (ties keep the leaderboard's order), on one scale
    from the most negative gap (or zero) to the largest (or zero)."""
    rows = frame.sort_values("gap", ascending=False, kind="stable").to_dict("records")
    gaps = [float(row["gap"]) for row in rows]
    below_zero = max([0.0, *(-gap for gap in gaps)])
    span = below_zero + max([0.0, *gaps])
    title = text.GAP_CHART_TITLE
    items = "".join(bar_row(row, below_zero, span) for row in rows)
    body = f'<ol class="gap-list">{items}</ol>' if rows else f'<p class="gap-empty">{html.escape(text.GAP_NONE)}</p>'
    return (f'<figure class="gap-chart"><figcaption><strong>{html.escape(title["text"])}</strong> '
            f'<span>{html.escape(title["subtitle"])}</span></figcaption>{body}</figure>')
