"""The leaderboard's page of rows as one HTML table, which the browser draws in a few milliseconds.

Why not `gr.Dataframe`: its virtualised, editable grid took 60-100 ms of the page's main thread to redraw 50 rows
on every update (bench/bench_space.py), more than a whole update may take, and its own sorting and search only
ever saw the page in sight. Filtering, sorting and paging happen on the server, so a plain table loses nothing: a
header is a button that sorts the whole board (app.SORT_ON_HEADER_JS sends it), and each column has the width
display.py gives it, so no header breaks inside a word.

The cells arrive HTML-safe (`leaderboard.format_table` escapes names and builds the links); the headers, their
tooltips and the sort keys are escaped here. `frame_table` lays out any small frame of plain text (the Plots tab's
paired gains), escaping every cell, with the same look.
"""

from __future__ import annotations

import html

import pandas as pd

from space_app.display import Column

TABLE_CLASS = "globmed-table"


def table(head: str, body: str, width: int | None = None, colgroup: str = "") -> str:
    """The scroll box and table around a header row and body rows (app.CSS styles both by TABLE_CLASS): `width`
    pixels wide with fixed columns, or sized by its cells without one."""
    layout = f'class="{TABLE_CLASS}" style="width:{width}px"' if width else f'class="{TABLE_CLASS} {TABLE_CLASS}-auto"'
    return (f'<div class="{TABLE_CLASS}-scroll"><table {layout}>{colgroup}'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>")


def header(col: Column, sort_label: str, descending: bool) -> str:
    """One header cell: the short heading, the full label as its tooltip when it abbreviates, and a sort button
    for the columns the "Sort by" control offers (`data-sort` is that control's label)."""
    heading = html.escape(col.heading)
    attributes = ' scope="col"' + ("" if is_numeric(col) else ' class="text"')
    if col.label != col.heading:
        attributes += f' title="{html.escape(col.label)}"'
    if not col.sortable:
        return f"<th{attributes}>{heading}</th>"
    if col.label == sort_label:
        attributes += f' aria-sort="{"descending" if descending else "ascending"}"'
    return f'<th{attributes}><button type="button" data-sort="{html.escape(col.label)}">{heading}</button></th>'


def is_numeric(col: Column) -> bool:
    """Right-aligned in a monospace font (app.CSS), so that digits line up down the column. Text cells are the
    ones marked (`class="text"`): most cells are numbers, and an update's size is mostly its cells."""
    return col.kind in {"score", "number", "rank"}


def render(shown: pd.DataFrame, columns: list[Column], sort_label: str, descending: bool) -> str:
    """The table of `shown` (one column per entry of `columns`, in order, cells already HTML-safe).

    `sort_label` and `descending` mark the header the rows are sorted by. Score and number cells are numeric
    (right-aligned in app.CSS); the width of every column is fixed by a `<col>`, and the table by their sum.
    """
    cols = "".join(f'<col style="width:{col.width}px">' for col in columns)
    head = "".join(header(col, sort_label, descending) for col in columns)
    numeric = [is_numeric(col) for col in columns]
    body = "".join(
        "<tr>" + "".join(f"<td>{cell}</td>" if is_num else f'<td class="text">{cell}</td>'
                         for cell, is_num in zip(row, numeric, strict=True)) + "</tr>"
        for row in shown.itertuples(index=False, name=None)
    )
    return table(head, body, sum(col.width for col in columns), f"<colgroup>{cols}</colgroup>")


def frame_table(frame: pd.DataFrame) -> str:
    """A small frame of plain text as a table sized by its cells, every header and cell escaped here."""
    head = "".join(f'<th scope="col" class="text">{html.escape(str(name))}</th>' for name in frame.columns)
    body = "".join("<tr>" + "".join(f'<td class="text">{html.escape(str(cell))}</td>' for cell in row) + "</tr>"
                   for row in frame.itertuples(index=False, name=None))
    return table(head, body)
