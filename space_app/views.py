"""What one leaderboard interaction shows, computed without Gradio: every view's table, the note above each,
the line above the tabs (the count, or why nothing is shown), and the gap chart.

A filter change recomputes all of it at once (callbacks.update_tables wraps it in Gradio updates), and
bench/bench_space.py times this function, so the benchmark measures what a visitor waits for.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from globmed.languages import high_resource_codes, low_resource_codes
from globmed.layout import model_dirname
from space_app import display, plots, text
from space_app.leaderboard import GROUP_MEAN, Leaderboard, Query, escape_markdown, visible_columns

GROUP_CODES = {"high": high_resource_codes, "low": low_resource_codes}
TINY_PREFIX = model_dirname("tiny")  # the demo's toy model and its base run (`globmed-llm-tiny-base`)


@dataclass
class ViewTable:
    """One tab: the numeric frame, the displayed one, its Gradio datatypes and column widths, and a note."""

    view: str
    frame: pd.DataFrame
    shown: pd.DataFrame
    datatypes: list[str]
    widths: list[int]
    note: str = ""  # Markdown above the table ("" for none)
    hidden: bool = False  # nothing to show: the note or the status line says why


@dataclass
class BoardView:
    tables: list[ViewTable]
    status: str  # Markdown: "**3** of 30 runs shown", or the empty state
    gap_chart: dict[str, Any]


def board_view(board: Leaderboard, query: Query) -> BoardView:
    """Every view of `query` (its `view` is ignored): tables, notes, the status line and the gap chart."""
    tables = []
    for view in display.view_keys():
        view_query = replace(query, view=view)
        frame, shown, datatypes = board.display(view_query)
        widths = [col.width for col in visible_columns(view_query)]
        tables.append(ViewTable(view, frame, shown, datatypes, widths))
    overall = tables[0]
    status = status_line(board, query, len(overall.frame))
    no_rows = overall.frame.empty
    no_tasks = not query.tasks
    for table in tables:
        table.hidden = no_rows or (no_tasks and table.view == display.OVERALL_VIEW)
        if not no_rows and table.view != display.OVERALL_VIEW:
            table.note = zero_note(board, table)
    if no_tasks and not no_rows:
        overall.note = text.NO_TASKS
    return BoardView(tables, status, plots.gap_chart(plots.gap_frame(overall.frame)))  # no task: no gap, no bar


def status_line(board: Leaderboard, query: Query, shown: int) -> str:
    """The count of runs shown and what Overall means; or, when none is shown, which filter hides them all."""
    if not shown:
        search = query.search.strip()
        if not search:
            return text.NO_RUN_PASSES
        shown_search = escape_markdown(search)
        if not board.search_mask(search).any():
            return text.NO_MATCH.format(search=shown_search)
        return text.NO_MATCH_FILTERED.format(search=shown_search)
    if not query.tasks:
        return f"{text.COUNT.format(shown=shown, total=len(board.runs))} · {text.NO_TASKS}"
    line = text.COUNT.format(shown=shown, total=len(board.runs))
    if query.language_group in GROUP_MEAN:
        codes = ", ".join(GROUP_CODES[query.language_group]())
        line += " · " + text.GROUP_RANKED.format(group=query.language_group, codes=codes)
    return line


def zero_note(board: Leaderboard, table: ViewTable) -> str:
    """Why a task tab shows only 0.0, when every score of the runs shown there is 0 (else "")."""
    frame = table.frame
    codes = [code for code in board.languages if code in frame.columns]
    values = frame[codes].to_numpy(dtype=float)
    present = values[~np.isnan(values)]
    if not present.size or np.any(present != 0):
        return ""
    metrics = sorted(board.metrics.get(table.view, ()))
    why = " ".join(text.ZERO_WHY.get(metric, "") for metric in metrics).strip() or text.ZERO_WHY_DEFAULT
    if any(str(name).startswith(TINY_PREFIX) for name in frame["model"]):
        why += text.ZERO_TINY
    return text.ALL_ZERO.format(why=why)
