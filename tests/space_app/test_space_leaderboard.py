"""The pure leaderboard logic: table building, search, filters, sort, gap, CIs, escaping, columns, plots."""

from __future__ import annotations

import math

import pytest

from globmed.languages import high_resource_codes, language_codes, low_resource_codes
from space_app import display, plots
from space_app.leaderboard import (
    Leaderboard,
    Query,
    format_table,
    html_link,
    markdown_link,
    model_link,
    search_terms,
)


@pytest.mark.parametrize(
    ("text", "terms"),
    [("qwen; llama", ["qwen", "llama"]), ("Qwen,LLAMA", ["qwen", "llama"]), (" ; , ", []), ("", []),
     ("  meditron  ", ["meditron"])],
)
def test_search_terms(text, terms):
    assert search_terms(text) == terms


@pytest.fixture
def board(exact):
    return Leaderboard([
        exact("Qwen3-8B", high=0.8, low=0.4, index=0),
        exact("Llama-3.1-8B", high=0.7, low=0.2, model_type="open", backend="vllm", index=1),
        exact("Meditron-70B", high=0.6, low=0.5, model_type="medical", size_b=70.0, index=2),
        exact("GPT-4o", high=0.9, low=0.7, model_type="proprietary", size_b=None, backend="openai", index=3),
    ])


def names(frame) -> list[str]:
    return list(frame["model"])


def test_several_search_terms_match_any(board):
    assert sorted(names(board.table(Query(search="qwen; llama")))) == ["Llama-3.1-8B", "Qwen3-8B"]
    assert names(board.table(Query(search="nothing-like-this"))) == []
    assert len(board.table(Query(search=""))) == 4
    run_id = board.runs[0].run_id
    assert names(board.table(Query(search=run_id.upper()))) == [board.runs[0].model.name]


def test_type_backend_and_size_filters(board):
    assert names(board.table(Query(types=["medical"]))) == ["Meditron-70B"]
    assert sorted(names(board.table(Query(backends=["vllm", "openai"])))) == ["GPT-4o", "Llama-3.1-8B"]
    assert names(board.table(Query(types=[]))) == []
    in_range = board.table(Query(size_min=10, size_max=100))
    assert names(in_range) == ["GPT-4o", "Meditron-70B"]  # undisclosed size kept by default, sorted by overall
    assert names(board.table(Query(size_min=10, size_max=100, include_unknown_size=False))) == ["Meditron-70B"]
    assert sorted(names(board.table(Query(size_max=8, include_unknown_size=False)))) == ["Llama-3.1-8B", "Qwen3-8B"]


def test_runs_without_a_backend_are_filterable(board, exact):
    run = exact("NoBackend", index=8)
    run.config.pop("backend")
    with_missing = Leaderboard([*board.runs, run])
    present = with_missing.choices("backend")
    assert "unknown" in present
    assert "NoBackend" in names(with_missing.table(Query(backends=present)))


def test_gap_means_and_overall_are_computed_per_view(board):
    frame = board.table(Query(view="mcqa", search="qwen"))
    row = frame.iloc[0]
    assert row["high_mean"] == pytest.approx(0.8) and row["low_mean"] == pytest.approx(0.4)
    assert row["gap"] == pytest.approx(0.4)
    n_high, n_low = len(high_resource_codes()), len(low_resource_codes())
    assert row["overall"] == pytest.approx((n_high * 0.8 + n_low * 0.4) / (n_high + n_low))
    assert row["sw_ci"] == pytest.approx(0.031)


def test_sort_orders_and_missing_last(board, exact):
    by_gap = board.table(Query(sort_by="gap", descending=True))
    assert names(by_gap) == ["Llama-3.1-8B", "Qwen3-8B", "GPT-4o", "Meditron-70B"]
    assert names(board.table(Query(sort_by="gap", descending=False))) == names(by_gap)[::-1]
    assert names(board.table(Query(sort_by="model", descending=False)))[0] == "GPT-4o"
    partial = exact("Partial", index=5)
    # a run without scores (NaN everywhere) goes last whichever way the column is sorted
    with_partial = Leaderboard([*board.runs, _drop_results(partial)])
    assert names(with_partial.table(Query(sort_by="sw", descending=True)))[-1] == "Partial"
    assert names(with_partial.table(Query(sort_by="sw", descending=False)))[-1] == "Partial"


def _drop_results(run):
    run.results = {}
    return run


def test_overall_view_prefers_published_aggregates_and_reaverages_a_task_subset(exact):
    scores = {"mcqa": dict.fromkeys(language_codes(), 0.9), "nli": dict.fromkeys(language_codes(), 0.5),
              "lfqa": dict.fromkeys(language_codes(), 0.1)}
    published = {"per_language": dict.fromkeys(language_codes(), 0.33), "overall": 0.33, "high_mean": 0.33,
                 "low_mean": 0.33, "gap": 0.0, "ci": {"overall": [0.3, 0.36]}}
    board = Leaderboard([exact("M", scores=scores, aggregates=published)])
    full = board.table(Query()).iloc[0]
    assert full["en"] == pytest.approx(0.33) and full["overall"] == pytest.approx(0.33)
    assert full["overall_ci"] == pytest.approx(0.03)
    subset = board.table(Query(tasks=["mcqa", "nli"])).iloc[0]
    assert subset["en"] == pytest.approx(0.7) and subset["overall"] == pytest.approx(0.7)
    assert math.isnan(subset["overall_ci"])
    assert math.isnan(board.table(Query(tasks=[])).iloc[0]["overall"])


def test_format_shows_percentages_cis_and_dashes(board):
    query = Query(view="mcqa", show_ci=True, search="qwen")
    shown = format_table(board.table(query), query)
    assert shown.loc[0, "sw"] == "40.0 ±3.1"
    assert shown.loc[0, "Gap"] == "40.0"  # no CI for a task view's summary columns
    plain = Query(view="mcqa", search="gpt")
    shown = format_table(board.table(plain), plain)
    assert shown.loc[0, "sw"] == "70.0" and shown.loc[0, "Size (B)"] == "–"


def test_hostile_model_names_and_links_are_inert(exact):
    run = exact("M", index=9)
    run.model.name = "<script>alert(1)</script>[x](javascript:alert(2))"  # past the results contract, still inert
    run.model.link = "javascript:alert(3)"
    run.model.path = "./local/model"
    board = Leaderboard([run])
    cell = format_table(board.table(Query()), Query())["Model"].iloc[0]
    assert cell == "&lt;script&gt;alert(1)&lt;/script&gt;[x](javascript:alert(2)) (local)"  # text, no tag, no link
    assert model_link(run) == ""
    assert markdown_link("a", 'https://x.org/"onmouseover=alert(1)') == "[a](https://x.org/%22onmouseover=alert%281%29)"
    assert html_link("<b>", 'https://x.org/"onmouseover=alert(1)') == (
        '<a href="https://x.org/%22onmouseover=alert%281%29" target="_blank" rel="noopener noreferrer">&lt;b&gt;</a>')


def test_model_link_prefers_card_then_hub_id(exact):
    run = exact("M")
    run.model.link, run.model.path = "", "Qwen/Qwen3-8B"
    assert model_link(run) == "https://huggingface.co/Qwen/Qwen3-8B"
    run.model.link = "https://example.org/card"
    assert model_link(run) == "https://example.org/card"
    run.model.link, run.model.path = "", "/abs/path/model"
    assert model_link(run) == ""


def test_links_are_percent_encoded_wherever_they_are_rendered(exact):
    """Read back by independent parsers (a CommonMark renderer for the model page, the standard library's HTML
    parser for the table): the link stays one link, and no image appears."""
    from markdown_it import MarkdownIt
    from support.html_tables import read_table

    from space_app import model_page

    run = exact("M", index=4)
    run.model.link = "https://huggingface.co/x)![t](http://evil/a.png)"  # refused on upload; safe here all the same
    encoded = "https://huggingface.co/x%29%21%5Bt%5D%28http://evil/a.png%29"
    header = MarkdownIt().render(model_page.run_header(run))
    assert "<img" not in header and header.count("<a ") == 1 and f'href="{encoded}"' in header
    cell = read_table("<table><tbody><tr><td>" + format_table(Leaderboard([run]).table(Query()), Query())["Model"]
                      .iloc[0] + "</td></tr></tbody></table>")
    assert cell.links == [encoded] and "img" not in cell.tags and cell.rows == [["M"]]


def test_columns_follow_the_registry_and_the_picker(board):
    labels = [col.key for col in display.language_columns()]
    assert labels == language_codes()
    low_only = Query(language_group="low")
    shown = format_table(board.table(low_only), low_only)
    assert "sw" in shown.columns and "en" not in shown.columns
    assert {"Gap", "High mean", "Low mean"}.isdisjoint(shown.columns) and "Overall (low)" in shown.columns
    picked = Query(columns=["overall", "sw"])
    shown = format_table(board.table(picked), picked)
    assert list(shown.columns) == ["Rank", "Model", "Overall", "sw"]


def test_unknown_view_is_an_error(board):
    with pytest.raises(KeyError, match="unknown leaderboard view"):
        board.table(Query(view="summarisation"))


def test_plot_frames(exact):
    base = exact("Qwen3-8B", high=0.6, low=0.2, index=0)
    tuned = exact("globmed-llm-8b", high=0.66, low=0.6, model_type="globmed", base_model="Qwen3-8B", index=1)
    lonely = exact("Other", base_model="not-on-the-board", index=2)
    board = Leaderboard([base, tuned, lonely])
    bars = plots.language_scores(board, [tuned.run_id, "no-such-run"])
    assert len(bars) == len(language_codes()) and set(bars["run"]) == {"globmed-llm-8b"}
    assert bars.loc[bars["language"] == "Swahili (sw)", "score"].item() == pytest.approx(60.0)
    points = plots.finetuned_points(board)
    assert len(points) == len(language_codes()) and set(points["pair"]) == {"globmed-llm-8b vs Qwen3-8B"}
    low = points[points["group"] == "low"]
    assert (low["base"] == 20.0).all() and (low["fine-tuned"] == 60.0).all()
    gaps = plots.gap_frame(board.table(Query()))
    assert gaps.set_index("run").loc["Qwen3-8B", "gap"] == pytest.approx(40.0)


def test_an_empty_leaderboard_still_answers():
    board = Leaderboard([])
    frame, shown = board.display(Query(show_ci=True))
    assert len(frame) == 0 and list(shown.columns[:2]) == ["Rank", "Model"]
    assert len(plots.gap_frame(frame)) == 0
    assert len(plots.finetuned_points(board)) == 0
    assert len(plots.language_scores(board, ["x"])) == 0


def test_cached_display_matches_direct_formatting(board):
    for query in (Query(show_ci=True), Query(view="nli", search="qwen; gpt"), Query(tasks=["lfqa"], show_ci=True),
                  Query(language_group="low", show_ci=True), Query(view="mcqa", language_group="high")):
        _, shown = board.display(query)
        direct = format_table(board.table(query), query)
        assert shown.equals(direct)


def test_runs_benchmarked_without_the_bootstrap_show_point_estimates(run_dict):
    """`globmed bench --resamples 0` writes no `<metric>_ci_low/_high` and no aggregate CI: every place that shows
    an interval shows the score alone, even with intervals asked for."""
    from globmed.results import RunResult
    from space_app import model_page

    data = run_dict(1)
    for result in data["results"].values():
        metric = result["primary_metric"]
        result["metrics"] = {metric: result["metrics"][metric]}
    data["aggregates"].pop("ci")
    run = RunResult.from_dict(data)
    board = Leaderboard([run])
    for view in display.view_keys():
        _, shown = board.display(Query(view=view, show_ci=True))
        cells = shown.drop(columns=["Rank", "Model", "Size (B)"]).to_numpy().ravel()
        assert len(cells) and not any("±" in cell for cell in cells), view
    en = data["results"]["en-mcqa"]["metrics"]["acc"]
    assert board.display(Query(view="mcqa", show_ci=True))[1]["en"].iloc[0] == f"{100 * en:.1f}"
    assert not model_page.source_table(run)["Score"].str.contains("±").any()
    assert len(plots.language_scores(board, [run.run_id])) == len(language_codes())


def test_the_shared_table_cannot_be_changed_by_a_visitor(board):
    """One leaderboard serves every visitor: its arrays are read-only, so no query can alter another's answer."""
    with pytest.raises(ValueError, match="read-only"):
        board.scores["mcqa"][0, 0] = 1.0
    with pytest.raises(ValueError, match="read-only"):
        board.file_summary["overall"][0] = 1.0
