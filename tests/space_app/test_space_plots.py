"""The charts: the Vega-Lite specs (space_app/plots.py: legends naming every run, y = x, square axes) and the gap
chart's HTML bars (space_app/gap_bars.py, read back by the standard library's HTML parser)."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pandas as pd
import pytest

from globmed.languages import language_codes
from space_app import gap_bars, plots
from space_app.leaderboard import Leaderboard, Query


@pytest.fixture
def board(exact):
    base = exact("Qwen3-8B", high=0.6, low=0.2, index=0)
    tuned = exact("globmed-llm-8b", high=0.66, low=0.6, model_type="globmed", base_model="Qwen3-8B", index=1)
    again = exact("Qwen3-8B", high=0.5, low=0.5, index=2)  # the same model benchmarked twice: a zero gap
    return Leaderboard([base, tuned, again])


def layers(spec: dict) -> list[dict]:
    return spec.get("layer", [spec])


def test_the_language_chart_has_a_legend_entry_for_every_chosen_run(board):
    ids = [run.run_id for run in board.runs]
    spec = plots.language_chart(board, ids)
    color = spec["encoding"]["color"]
    suffix = {run.run_id: run.run_id.rpartition("__")[2] or run.run_id for run in board.runs}
    expected = ["Qwen3-8B · " + suffix[ids[0]], "globmed-llm-8b", "Qwen3-8B · " + suffix[ids[2]]]
    assert color["scale"]["domain"] == expected and len(set(expected)) == 3  # repeated names told apart
    assert color["legend"]["labelLimit"] == 0 and color["legend"]["orient"] == "bottom"  # shown whole, below
    assert {row["run"] for row in spec["data"]["values"]} == set(expected)
    assert spec["encoding"]["x"]["field"] == "code" and spec["encoding"]["x"]["sort"] == language_codes()
    assert max(len(code) for code in language_codes()) <= 3  # short labels: no overlap on a phone
    assert spec["usermeta"]["embedOptions"]["renderer"] == "svg"
    json.dumps(spec)  # what gr.Plot receives


def test_display_names_are_model_names_and_only_repeated_ones_get_the_run_suffix():
    names = plots.display_names([("m__abc", "M"), ("n__def", "N"), ("m__ghi", "M"), ("plain", "M")])
    assert names == {"m__abc": "M · abc", "n__def": "N", "m__ghi": "M · ghi", "plain": "M · plain"}


@pytest.mark.parametrize(("points", "label"), [(0.0, "0"), (-0.0, "0"), (0.04, "0"), (-0.04, "0"), (12.34, "12.3"),
                                               (-3.26, "-3.3")])
def test_value_labels_show_zero_as_zero(points, label):
    assert plots.value_label(points) == label


class GapReader(HTMLParser):
    """(name, bar style, value) per row of the gap chart, and every tag seen."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[dict] = []
        self.tags: set[str] = set()
        self._field: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.add(tag)
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        if tag == "li":
            self.rows.append({"title": attributes.get("title"), "run": "", "value": ""})
        elif "gap-bar" in classes:
            style = dict(re.findall(r"(left|width):(-?[\d.]+)%", attributes["style"]))
            self.rows[-1].update(side=classes[1], left=float(style["left"]), width=float(style["width"]))
        elif "gap-zero" in classes:
            self.rows[-1]["zero"] = float(re.search(r"left:([\d.]+)%", attributes["style"]).group(1))
        elif classes and classes[0] in {"gap-run", "gap-value"}:
            self._field = classes[0].removeprefix("gap-")

    def handle_endtag(self, tag: str) -> None:
        self._field = None

    def handle_data(self, data: str) -> None:
        if self._field:
            self.rows[-1][self._field] += data


def read_gaps(markup: str) -> GapReader:
    reader = GapReader()
    reader.feed(markup)
    return reader


def test_the_gap_chart_names_every_run_whole_and_writes_each_value_even_zero(board):
    chart = read_gaps(gap_bars.gap_bars(plots.gap_frame(board.table(Query()))))
    values = {row["run"]: row["value"] for row in chart.rows}
    assert len(values) == 3 and values["globmed-llm-8b"] == "6.0" and sorted(values.values()) == ["0", "40.0", "6.0"]
    assert [row["value"] for row in chart.rows] == ["40.0", "6.0", "0"]  # largest gap first
    widths = [row["width"] for row in chart.rows]
    assert widths == pytest.approx([100.0, 15.0, 0.0])  # one scale: 40 points fill the track
    assert all(row["left"] == 0 and row["side"] == "positive" and "zero" not in row for row in chart.rows)
    assert chart.rows[1]["title"] == "globmed-llm-8b: gap 6.0 points (high 66.0, low 60.0)"


def test_negative_gaps_end_at_zero_and_names_are_escaped():
    frame = pd.DataFrame({"run": ["<b>up</b>", "down"], "gap": [30.0, -10.0], "high": [80.0, 40.0],
                          "low": [50.0, 50.0], "label": ["30.0", "-10.0"]})
    markup = gap_bars.gap_bars(frame)
    chart = read_gaps(markup)
    up, down = chart.rows
    assert up["run"] == "<b>up</b>" and "b" not in chart.tags and "<b>" not in markup  # text, not markup
    assert up["zero"] == down["zero"] == pytest.approx(25.0)  # the track runs from -10 to 30 points
    assert (up["left"], up["width"]) == pytest.approx((25.0, 75.0))
    assert (down["side"], down["left"], down["width"]) == ("negative", pytest.approx(0.0), pytest.approx(25.0))


def test_the_finetuned_chart_is_square_with_the_y_equals_x_line(board):
    points = plots.finetuned_points(board)
    spec = plots.finetuned_chart(points)
    assert spec["width"] == spec["height"]
    x, y = spec["encoding"]["x"], spec["encoding"]["y"]
    assert x["scale"]["domain"] == y["scale"]["domain"] == [0, 100]
    line = next(layer for layer in layers(spec) if layer["mark"]["type"] == "line")
    assert all(point["base"] == point["fine-tuned"] for point in line["data"]["values"])
    assert [p["base"] for p in line["data"]["values"]] == [0, 100]
    dots = next(layer for layer in layers(spec) if layer["mark"]["type"] == "point")
    assert dots["encoding"]["color"]["scale"]["domain"] == list(dict.fromkeys(points["pair"]))
    assert dots["encoding"]["color"]["legend"]["labelLimit"] == 0 and dots["encoding"]["shape"]["legend"]
    assert set(points["pair"]) == {"globmed-llm-8b vs Qwen3-8B"}


def test_the_finetuned_chart_draws_the_best_pairs_and_says_how_many_there_are(exact):
    """15 fine-tuned runs of one base, fine-tune i scoring 0.50 + i/100 everywhere: the chart draws the pairs of
    the FINETUNED_PAIRS best (i = 14 down to 5), best first, and its subtitle names how many pairs exist."""
    runs = [exact("Base-8B", high=0.4, low=0.4, index=0)]
    runs += [exact(f"FT-{i:02d}", high=0.50 + i / 100, low=0.50 + i / 100, base_model="Base-8B", index=i + 1)
             for i in range(15)]
    board = Leaderboard(runs)
    assert plots.FINETUNED_PAIRS == 10
    points = plots.finetuned_points(board, plots.FINETUNED_PAIRS)
    assert list(dict.fromkeys(points["pair"])) == [f"FT-{i:02d} vs Base-8B" for i in range(14, 4, -1)]
    assert len(plots.finetuned_points(board)) == 15 * len(language_codes())  # no limit: every pair
    spec = plots.finetuned_chart(points, of=15)
    assert spec["title"]["subtitle"].startswith("one point per language; the 10 best fine-tuned runs of 15")
    assert "best" not in plots.finetuned_chart(points, of=10)["title"]["subtitle"]


def test_empty_charts_are_still_valid_specs(board):
    assert plots.language_chart(board, [])["data"]["values"] == []
    empty = gap_bars.gap_bars(plots.gap_frame(board.table(Query(search="nothing"))))
    assert not read_gaps(empty).rows and "No run to show" in empty
    spec = plots.finetuned_chart(pd.DataFrame(columns=["pair", "language", "group", "base", "fine-tuned"]))
    assert "no fine-tuned run" in spec["title"]["subtitle"]
