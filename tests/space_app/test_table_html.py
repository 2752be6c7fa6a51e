"""The Space's HTML tables (space_app/table_html.py), read back by the standard library's HTML parser."""

from __future__ import annotations

import pandas as pd
from support.html_tables import read_table

from space_app import display, table_html


def test_a_frame_table_escapes_every_header_and_cell():
    hostile = '<img src=x onerror="alert(1)">'
    frame = pd.DataFrame({hostile: ["a & b", hostile], "Gain": ["+1.0 (-0.5 to +2.5)", "–"]})
    markup = table_html.frame_table(frame)
    table = read_table(markup)
    assert table.headers == [hostile, "Gain"]
    assert table.rows == [["a & b", "+1.0 (-0.5 to +2.5)"], [hostile, "–"]]
    assert "img" not in table.tags and "<img" not in markup


def test_headers_sort_only_the_columns_the_sort_control_offers():
    columns = [display.RANK, display.MODEL, display.OVERALL, *display.language_columns()[:1]]
    markup = table_html.render(pd.DataFrame([["1", "M", "50.0", "40.0"]], columns=[c.heading for c in columns]),
                               columns, "Model", descending=False)
    table = read_table(markup)
    assert table.headers == ["Rank", "Model", "Overall", "en"] and table.rows == [["1", "M", "50.0", "40.0"]]
    assert table.sort == {"Model": "ascending"} and table.titles == {"en": "English (en)"}
    assert markup.count("data-sort=") == 3 and 'data-sort="Rank"' not in markup  # the rank follows Overall
    assert f'style="width:{sum(c.width for c in columns)}px"' in markup
