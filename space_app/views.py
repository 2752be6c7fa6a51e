"""What one leaderboard update shows, computed without Gradio: the active tab's page of rows, the note above it,
the line above the tabs (the count, or why nothing is shown) and the pager; and the gap chart the Plots tab shows.

An update answers for the tab a visitor is looking at, and only its first rows (`display.PAGE_ROWS`): the other
tabs are filled when chosen, the gap chart when the Plots tab opens (callbacks.py wires them). bench/bench_space.py
times these functions, so the benchmark's second table measures what one update computes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from globmed.languages import high_resource_codes, low_resource_codes
from globmed.layout import model_dirname
from space_app import display, gap_bars, plots, table_html, text
from space_app.display import Column
from space_app.leaderboard import (
    GROUP_MEAN,
    Leaderboard,
    Query,
    escape_markdown,
    page_bounds,
    page_count,
    visible_columns,
)

GROUP_CODES = {"high": high_resource_codes, "low": low_resource_codes}
TINY_PREFIX = model_dirname("tiny")  # the demo's toy model and its base run (`globmed-llm-tiny-base`)


@dataclass
class ViewPage:
    """One tab's page: the displayed rows, their columns and the HTML table the page shows, the note above the
    table, the status line, and where the page lies among the rows that pass the filters."""

    view: str
    shown: pd.DataFrame
    columns: list[Column]
    html: str  # the table (table_html.render)
    note: str  # Markdown above the table ("" for none)
    hidden: bool  # nothing to show: the note or the status line says why
    status: str  # Markdown: "**3** of 30 runs shown", or the empty state
    page: int  # 1-based, within [1, pages]
    pages: int
    rows: int  # rows on every page together

    @property
    def pager(self) -> str:
        """The line under the table: which rows these are and how many pages there are."""
        first, last = page_bounds(self.page, self.rows)
        return text.PAGE.format(first=first + 1 if self.rows else 0, last=last, rows=f"{self.rows:,}",
                                page=self.page, pages=self.pages)


def view_page(board: Leaderboard, query: Query, page: int = 1) -> ViewPage:
    """The page `page` (clamped to the pages there are) of `query.view` with its note, and the status line."""
    frame, shown = board.display(query, page)
    columns = visible_columns(query)
    sort_label = next((col.label for col in display.all_columns() if col.key == query.sort_by), "")
    no_rows = frame.empty
    no_tasks = not query.tasks
    note = ""
    if no_tasks and not no_rows and query.view == display.OVERALL_VIEW:
        note = text.NO_TASKS
    elif not no_rows and query.view != display.OVERALL_VIEW:
        note = zero_note(board, query.view, frame)
    pages = page_count(len(frame))
    return ViewPage(query.view, shown, columns, table_html.render(shown, columns, sort_label, query.descending), note,
                    hidden=no_rows or (no_tasks and query.view == display.OVERALL_VIEW),
                    status=status_line(board, query, len(frame)), page=min(max(1, page), pages), pages=pages,
                    rows=len(frame))


def gap_chart(board: Leaderboard, query: Query) -> str:
    """The Plots tab's gap chart (HTML, gap_bars.py): the first rows of the overall view under the leaderboard's
    filters (no task ticked: no gap, no bar)."""
    return gap_bars.gap_bars(plots.gap_frame(board.table(replace(query, view=display.OVERALL_VIEW))))


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


def zero_note(board: Leaderboard, view: str, frame: pd.DataFrame) -> str:
    """Why a task tab shows only 0.0, when every score of the runs shown there (`frame`: all pages) is 0 (else "")."""
    codes = [code for code in board.languages if code in frame.columns]
    values = frame[codes].to_numpy(dtype=float)
    present = values[~np.isnan(values)]
    if not present.size or np.any(present != 0):
        return ""
    metrics = sorted(board.metrics.get(view, ()))
    why = " ".join(text.ZERO_WHY.get(metric, "") for metric in metrics).strip() or text.ZERO_WHY_DEFAULT
    if any(str(name).startswith(TINY_PREFIX) for name in frame["model"]):
        why += text.ZERO_TINY
    return text.ALL_ZERO.format(why=why)
