"""The charts' Vega-Lite specs (space_app/plots.py): legends naming every run, y = x, square axes, value labels."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from globmed.languages import language_codes
from space_app import plots
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


def test_the_gap_chart_names_every_run_whole_and_writes_each_value_even_zero(board):
    frame = plots.gap_frame(board.table(Query()))
    spec = plots.gap_chart(frame)
    values = {row["run"]: (row["gap"], row["label"]) for row in spec["data"]["values"]}
    zero_run = next(name for name, (gap, _) in values.items() if gap == 0)
    assert values[zero_run][1] == "0"
    assert values["globmed-llm-8b"] == (pytest.approx(6.0), "6.0")
    y = spec["encoding"]["y"]
    assert y["axis"]["labelLimit"] == 0 and y["field"] == "run"
    assert y["sort"] == sorted(values, key=lambda name: -values[name][0])  # largest gap first
    text = next(layer for layer in layers(spec) if layer["mark"]["type"] == "text")
    assert text["encoding"]["text"]["field"] == "label"


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
    assert plots.gap_chart(plots.gap_frame(board.table(Query(search="nothing"))))["data"]["values"] == []
    spec = plots.finetuned_chart(pd.DataFrame(columns=["pair", "language", "group", "base", "fine-tuned"]))
    assert "no fine-tuned run" in spec["title"]["subtitle"]
