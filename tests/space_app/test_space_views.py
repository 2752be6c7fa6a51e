"""One leaderboard interaction (space_app/views.py): rank, language groups, task tabs, empty states, headers."""

from __future__ import annotations

import html
import re
from dataclasses import replace

import numpy as np
import pytest
from support.html_tables import read_table

from globmed.languages import high_resource_codes, language_codes, low_resource_codes
from globmed.schema import TASKS
from space_app import display, text, views
from space_app.leaderboard import Leaderboard, Query

N_HIGH, N_LOW = len(high_resource_codes()), len(low_resource_codes())
# (name, high-resource score, low-resource score) of every task; their means are worked out by hand below
PHONE_TABLE_PX = 324  # the table's width on a 390 px wide phone (measured in Chromium)
RUNS = [("Qwen3-8B", 0.8, 0.4), ("Llama-3.1-8B", 0.7, 0.2), ("Meditron-70B", 0.6, 0.5), ("GPT-4o", 0.9, 0.7)]
TYPES = {"Meditron-70B": "medical", "GPT-4o": "proprietary"}  # the others are open


@pytest.fixture
def board(exact):
    return Leaderboard([exact(name, high=high, low=low, index=i, model_type=TYPES.get(name, "open"))
                        for i, (name, high, low) in enumerate(RUNS)])


def every_view(board: Leaderboard, query: Query) -> list[views.ViewPage]:
    """The first page of each view (tab) for one set of filters, in tab order."""
    return [views.view_page(board, replace(query, view=view)) for view in display.view_keys()]


def expected_ranking(score) -> list[tuple[str, int]]:
    """(name, rank) by a score function of (high, low), best first, computed from RUNS alone."""
    ordered = sorted(RUNS, key=lambda run: -score(run[1], run[2]))
    return [(name, i + 1) for i, (name, _, _) in enumerate(ordered)]


def ranking(frame) -> list[tuple[str, int]]:
    return list(zip(frame["model"], frame["rank"].astype(int), strict=True))


def test_rank_orders_the_filtered_board_by_overall_and_survives_a_search(board):
    overall = expected_ranking(lambda h, lo: (N_HIGH * h + N_LOW * lo) / (N_HIGH + N_LOW))
    assert ranking(board.table(Query())) == overall
    assert ranking(board.table(Query(search="meditron"))) == [p for p in overall if p[0] == "Meditron-70B"]
    # a filter makes a smaller board: ranks restart among the runs it keeps
    open_only = board.table(Query(types=["open"]))
    assert ranking(open_only) == [("Qwen3-8B", 1), ("Llama-3.1-8B", 2)]
    # sorting by another column reorders the rows, never the ranks
    by_gap = board.table(Query(sort_by="gap", descending=True))
    assert dict(ranking(by_gap)) == dict(overall) and by_gap["model"].iloc[0] == "Llama-3.1-8B"


@pytest.mark.parametrize(("group", "index"), [("low", 2), ("high", 1)])
def test_choosing_a_language_group_reranks_by_its_mean(board, group, index):
    expected = expected_ranking(lambda h, lo: (h, lo)[index - 1])
    frame = board.table(Query(language_group=group))
    assert ranking(frame) == expected
    by_name = dict(zip(frame["model"], frame["overall"], strict=True))
    assert by_name == pytest.approx({name: (h, lo)[index - 1] for name, h, lo in RUNS})
    _, shown = board.display(Query(language_group=group))
    assert f"Overall ({group})" in shown.columns and "Overall" not in shown.columns
    status = views.view_page(board, Query(language_group=group)).status
    assert f"mean over the {group}-resource languages" in status


def test_low_resource_ranking_differs_from_the_all_language_one(board):
    """The case the issue reported: the group used to hide columns only, keeping the all-language order."""
    assert list(board.table(Query()).model) != list(board.table(Query(language_group="low")).model)


def test_task_tabs_name_the_metric_their_scores_are(board, exact):
    labels = {view: display.view_label(view, sorted(board.metrics.get(view, ()))) for view in display.view_keys()}
    assert labels == {"overall": "Overall", "mcqa": "Multiple choice · accuracy", "nli": "Inference (NLI) · accuracy",
                      "lfqa": "Long-form QA · ROUGE-L"}
    assert display.view_label("nli", ["macro_f1"]) == "Inference (NLI) · macro-F1"


def zero_lfqa(exact, name: str, index: int):
    run = exact(name, index=index)
    for result in run.results.values():
        if result.task == "lfqa":
            result.metrics = {"rougeL": 0.0}
    return run


def test_a_tab_where_every_score_is_zero_says_why(exact, board):
    tiny = Leaderboard([zero_lfqa(exact, "globmed-llm-tiny", 10), zero_lfqa(exact, "globmed-llm-tiny-base", 11)])
    notes = {view: views.view_page(tiny, Query(view=view)).note for view in display.view_keys()}
    assert notes["lfqa"].startswith("Every score in this tab is 0.0.")
    assert "ROUGE-L" in notes["lfqa"] and "tiny demo model generates no usable long answers" in notes["lfqa"]
    assert notes["mcqa"] == notes["nli"] == notes["overall"] == ""
    other = Leaderboard([zero_lfqa(exact, "Some-7B", 12)])
    assert "tiny" not in views.view_page(other, Query(view="lfqa")).note  # no claim about a model not shown
    assert not any(page.note for page in every_view(board, Query()))  # real scores: nothing to explain


def test_a_search_without_a_match_says_so_and_shows_no_table(board):
    shown = every_view(board, Query(search="xyz'<b>"))
    assert all(page.hidden for page in shown)
    assert shown[0].status == "No run matches 'xyz'&lt;b&gt;'. Clear the search, or separate several names with `;`."
    filtered = views.view_page(board, Query(search="qwen", types=["medical"]))
    assert filtered.status.startswith("No run matches 'qwen' with the filters")
    nothing = every_view(board, Query(types=[]))
    assert nothing[0].status == text.NO_RUN_PASSES and all(page.hidden for page in nothing)


def test_unticking_every_task_shows_a_message_not_a_table_of_dashes(board):
    overall, *task_tabs = every_view(board, Query(tasks=[]))
    assert overall.hidden and overall.note == text.NO_TASKS and text.NO_TASKS in overall.status
    assert not any(page.hidden for page in task_tabs)  # the task tabs do not depend on the ticked tasks
    assert "<li" not in views.gap_chart(board, Query(tasks=[]))  # no task ticked: no gap, no bar


def test_columns_put_rank_model_overall_and_gap_first(board):
    _, shown = board.display(Query())
    assert list(shown.columns[:4]) == ["Rank", "Model", "Overall", "Gap"] == [
        display.column_by_label()[label].heading for label in ("Rank", "Model", "Overall", "Gap (high - low)")]
    assert display.PHONE_COLUMNS == ["rank", "model", "overall", "gap"]
    table = views.view_page(board, Query())
    assert [col.heading for col in table.columns] == list(table.shown.columns)
    assert sum(col.width for col in table.columns[:4]) <= PHONE_TABLE_PX


MONO_PX_PER_CHAR, CELL_PADDING_PX = 8.5, 8  # the table's monospace font at 14 px, and a cell's padding (app.CSS)


def fits(word: str, width: int) -> bool:
    return len(word) * MONO_PX_PER_CHAR + CELL_PADDING_PX <= width


@pytest.mark.parametrize("col", display.all_columns(), ids=lambda c: c.key)
def test_every_header_word_and_score_fits_its_column(col):
    """The layout side of "no header breaks mid-word" (the browser test measures the rendered headers); a score
    such as 100.0 or a gap of -30.5 must not break either."""
    headings = [col.heading] + ([f"{col.heading} (high)", f"{col.heading} (low)"] if col.key == "overall" else [])
    for heading in headings:
        assert all(fits(word, col.width) for word in re.split(r"\s+", heading)), (heading, col.width)
    values = {"score": ["100.0", "-30.5", "±10.2"], "rank": ["1000"], "number": ["1000", "70.5"]}
    assert all(fits(value, col.width) for value in values.get(col.kind, [])), col.width


def test_language_headers_are_codes_with_the_full_name_as_tooltip(board):
    table = read_table(views.view_page(board, Query()).html)
    assert {code: table.titles[code] for code in ("en", "sw")} == {"en": "English (en)", "sw": "Swahili (sw)"}
    assert set(language_codes()) <= set(table.titles) and table.titles["Gap"] == "Gap (high - low)"
    assert "Overall" not in table.titles and table.sort == {"Overall": "descending"}


def test_the_html_table_holds_the_page_and_marks_its_sort(board):
    """The page's table read back by the standard library's parser: the headings, every row's cells as the
    displayed frame has them (names unescaped), and the header the rows are sorted by."""
    query = Query(search="qwen; gpt; llama", sort_by="gap", descending=False, show_ci=True)
    page = views.view_page(board, query)
    table = read_table(page.html)
    assert table.headers == list(page.shown.columns)
    assert [row[1] for row in table.rows] == ["GPT-4o", "Qwen3-8B", "Llama-3.1-8B"]  # gaps 20, 40, 50 points
    assert [row[3] for row in table.rows] == ["20.0", "40.0", "50.0"]
    assert table.sort == {"Gap": "ascending"}


def test_the_tables_match_the_query_of_every_view(board):
    query = Query(search="qwen; gpt", language_group="low", show_ci=True)
    shown = every_view(board, query)
    assert [page.view for page in shown] == ["overall", *TASKS]
    for page in shown:
        _, direct = board.display(replace(query, view=page.view))
        assert page.shown.equals(direct)
        as_text = [[html.unescape(re.sub("<[^>]*>", "", cell)) for cell in row] for row in direct.to_numpy().tolist()]
        assert read_table(page.html).rows == as_text
    assert np.array_equal(board.table(query)["rank"], [1, 3])  # GPT-4o first, Qwen third of four (by low)


def test_a_page_holds_the_rows_of_its_rank_range(exact):
    """120 runs of known scores (run i scores 0.9 - i/200 in every cell, so it ranks i + 1): an update sends one
    page of display.PAGE_ROWS rows; page 2 is ranks 51-100, and a page past the end is the last one."""
    board = Leaderboard([exact(f"M{i:03d}", high=0.9 - i / 200, low=0.9 - i / 200, index=i) for i in range(120)])
    assert display.PAGE_ROWS == 50
    first, second, beyond = (views.view_page(board, Query(), page=page) for page in (1, 2, 9))
    assert list(first.shown["Rank"]) == [str(rank) for rank in range(1, 51)]
    assert [row[1] for row in read_table(second.html).rows] == [f"M{i:03d}" for i in range(50, 100)]
    assert list(second.shown["Rank"]) == [str(rank) for rank in range(51, 101)]
    assert (beyond.page, beyond.pages, len(beyond.shown)) == (3, 3, 20)
    assert beyond.pager == "Rows 101–120 of 120 · page 3 of 3" and first.pager == "Rows 1–50 of 120 · page 1 of 3"
    assert first.status.startswith("**120** of 120 runs shown")
    empty = views.view_page(board, Query(search="nothing-matches"))
    assert empty.hidden and empty.pager == "Rows 0–0 of 0 · page 1 of 1"
