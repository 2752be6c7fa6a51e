"""End to end in real headless Chromium (Debian's /usr/bin/chromium driven by playwright), app served on loopback.

The served results are 30 synthetic runs plus runs shaped like the demo's (tests/support/synthetic_runs.py
`demo_runs`: the tiny model and its base from local folders, long-form QA at 0, a run with a zero gap). What a
test expects is worked out from those JSON files directly, not by the app's own code. Each tab is also saved as
a screenshot at both sizes under tests/space_app/screenshots/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import json
import re
import shutil
from itertools import pairwise
from pathlib import Path

import pytest
from support.needs import need_executable, need_module
from support.space_browser import CHROMIUM, CHROMIUM_ARGS, DESKTOP
from support.synthetic_runs import write_runs

from globmed.languages import high_resource_codes, low_resource_codes

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
TABS = ["Leaderboard", "Plots", "Model page", "Submit", "Chat", "About"]


@pytest.fixture(scope="module")
def browser_tools():
    """Chromium's path and playwright, or fail (CI) / skip; checked before the app and the tiny model are built."""
    executable = need_executable(CHROMIUM, "apt-get install chromium (.ci/run does)")
    return executable, need_module("playwright.sync_api", "pip install -e '.[dev]'")


@pytest.fixture(scope="module")
def runs_dir(browser_tools, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("browser-results")
    write_runs(folder, 30, seed=1, demo=True)
    return folder


@pytest.fixture(scope="module")
def runs(runs_dir) -> list[dict]:
    """The served results as plain JSON, sorted as the Space sorts them by default (published overall, best first)."""
    data = [json.loads(path.read_text()) for path in sorted(runs_dir.glob("*.json"))]
    return sorted(data, key=lambda run: -run["aggregates"]["overall"])


@pytest.fixture(scope="module")
def chat_model(browser_tools, tiny_model_dir, tmp_path_factory) -> Path:
    """The tiny test model, dressed as the demo's: its training record says it is the "tiny" toy."""
    folder = shutil.copytree(tiny_model_dir, tmp_path_factory.mktemp("chat") / "globmed-llm-tiny")
    record = {"model_name": "globmed-llm-tiny", "size": "tiny", "hyperparameters": {"global_step": 120}}
    (folder / "globmed_training.json").write_text(json.dumps(record))
    return folder


@pytest.fixture(scope="module")
def served(runs_dir, chat_model, tmp_path_factory, free_port_factory):
    """The Space on 127.0.0.1 (free port) with those results and the tiny model as chat model."""
    from space_app.app import create_app, launch

    data_dir = tmp_path_factory.mktemp("space-data")
    demo = create_app(runs_dir, data_dir, chat_model=chat_model)
    port = free_port_factory()
    launch(demo, port=port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}", data_dir
    demo.close()


@pytest.fixture(scope="module")
def browser(browser_tools):
    executable, playwright = browser_tools
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def open_page(browser, served):
    """Factory: a page of the Space at a viewport size, its leaderboard filled in; closed after the test."""
    url, _ = served
    pages = []

    def start(viewport: dict | None = None):
        page = browser.new_page(viewport=viewport or DESKTOP)
        page.set_default_timeout(30_000)
        page.goto(url)
        wait_for_count(page, "> 0")
        pages.append(page)
        return page

    yield start
    for page in pages:
        page.close()


@pytest.fixture
def page(open_page):
    return open_page()


# ----- reading the page ------------------------------------------------------------------------------------
def rows(page) -> list[list[str]]:
    """Cell texts of the table's rows (the page in sight)."""
    return page.evaluate(
        "() => Array.from(document.querySelectorAll('#leaderboard-table tbody tr')).map(r =>"
        " Array.from(r.querySelectorAll('td')).map(c => c.textContent.trim()))"
        ".filter(cells => cells.length && cells[1])")


def rendered_models(page) -> list[str]:
    return [cells[1] for cells in rows(page)]


def headers(page) -> list[str]:
    return page.evaluate(
        "() => Array.from(document.querySelectorAll('#leaderboard-table thead th'))"
        ".map(h => h.textContent.trim())")


def shown_count(page) -> int:
    return int(re.search(r"(\d+) of \d+ runs shown", page.locator("#run-count").inner_text()).group(1))


def wait_for_count(page, predicate: str) -> None:
    page.wait_for_function(
        f"() => {{ const e = document.querySelector('#run-count'); if (!e) return false;"
        f" const m = e.innerText.match(/(\\d+) of \\d+ runs shown/); return m && Number(m[1]) {predicate}; }}"
    )


def search(page, text: str) -> None:
    box = page.locator("#search textarea, #search input").first
    box.fill(text)
    box.press("Enter")


def wait_for_command(page) -> None:
    """The Model page's reproduce command has been filled in (a read-only text box)."""
    page.wait_for_function(
        "() => (document.querySelector('#reproduce textarea')?.value || '').includes('globmed bench')")


def open_finetuned(page) -> None:
    """The Plots tab's second view: the fine-tuned vs base chart and the paired gains."""
    page.get_by_role("tab", name="Fine-tuned vs base", exact=True).click()
    page.wait_for_selector("#finetuned-chart svg.marks")


def gap_texts(page, part: str) -> list[str]:
    """The gap chart's run names ("run") or values ("value"), top to bottom."""
    page.wait_for_selector("#gap-chart .gap-list")
    return page.evaluate("p => Array.from(document.querySelectorAll(`#gap-chart .gap-${p}`)).map(e => e.textContent)",
                         part)


def svg_texts(page, chart: str, role: str) -> list[str]:
    """Texts a Vega chart drew (rendered as SVG), by Vega's role class: role-legend-label, role-axis-label, ..."""
    page.wait_for_selector(f"#{chart} svg.marks")
    return page.evaluate(
        "([c, r]) => Array.from(document.querySelectorAll(`#${c} svg.marks .${r} text`)).map(t => t.textContent)",
        [chart, role])


def model_names(runs: list[dict]) -> list[str]:
    return [run["model"]["name"] for run in runs]


def table_names(runs: list[dict]) -> list[str]:
    """Model names as the table shows them: a run of a local folder is marked "(local)" (and not linked)."""
    return [name + (" (local)" if run["model"]["revision"] == "local" else "")
            for name, run in zip(model_names(runs), runs, strict=True)]


# Per header, whether a word of it sits on two lines: characters of one word with different line tops.
BROKEN_WORDS_JS = """
(selector) => {
  const broken = [];
  document.querySelectorAll(selector).forEach((el) => {
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      let top = null;
      for (let i = 0; i < node.textContent.length; i++) {
        const range = document.createRange();
        range.setStart(node, i);
        range.setEnd(node, i + 1);
        const rect = range.getBoundingClientRect();
        if (/\\s/.test(node.textContent[i]) || !rect.height) { top = null; continue; }
        if (top !== null && Math.abs(rect.top - top) > 2) broken.push(el.textContent.trim());
        top = rect.top;
      }
    }
  });
  return broken;
}
"""


def broken_headers(page) -> list[str]:
    return page.evaluate(BROKEN_WORDS_JS, ".globmed-table thead th")


# ----- the leaderboard -------------------------------------------------------------------------------------
def test_page_loads_with_the_leaderboard_and_disclaimer(page, runs):
    assert shown_count(page) == len(runs)
    page.wait_for_selector("#leaderboard-table tbody tr a")
    first = rows(page)[:5]
    assert [cells[0] for cells in first] == ["1", "2", "3", "4", "5"]  # the rank column
    assert [cells[1] for cells in first] == table_names(runs[:5])
    href = page.locator("#leaderboard-table tbody tr a").first.get_attribute("href")
    assert href == f"https://huggingface.co/{runs[0]['model']['path']}"


def test_search_filter_changes_the_table(page, runs):
    search(page, "qwen; meditron")
    expected = [name for name in table_names(runs) if re.search("qwen|meditron", name, re.I)]
    wait_for_count(page, f"== {len(expected)}")
    page.wait_for_function(
        "n => Array.from(document.querySelectorAll('#leaderboard-table tbody tr a')).length == n",
        arg=len(expected))
    assert rendered_models(page) == expected


def test_the_browser_keeps_no_run_history(page, runs):
    """Gradio 6 saves each event's inputs and outputs in localStorage unless run history is off: a leaderboard
    update would rewrite that list, and chat questions would stay in the browser."""
    search(page, "qwen")
    wait_for_count(page, f"< {len(runs)}")
    page.wait_for_timeout(500)
    assert not [key for key in page.evaluate("() => Object.keys(localStorage)") if "run-history" in key]


def test_type_filter_in_more_filters_changes_the_table(page, runs):
    page.get_by_text("More filters").click()
    page.locator("#filter-type").get_by_label("open", exact=True).uncheck()
    expected = [run for run in runs if run["model"]["type"] != "open"]
    wait_for_count(page, f"== {len(expected)}")
    shown = rendered_models(page)
    assert shown and shown == table_names(expected)[:len(shown)]


def test_the_table_comes_first_at_1280x900(open_page):
    page = open_page(DESKTOP)
    page.wait_for_selector("#leaderboard-table tbody tr")
    first_row = page.locator("#leaderboard-table tbody tr").first.bounding_box()
    assert first_row["y"] + first_row["height"] <= DESKTOP["height"], first_row  # a score row above the fold
    tops = [page.locator(sel).bounding_box()["y"] for sel in ("#search", "#language-group", "#tasks")]
    assert max(tops) - min(tops) < 5, tops  # search, language group and tasks share one row
    assert not page.locator("#filter-type").is_visible()  # the other filters wait under "More filters"
    assert headers(page)[:4] == ["Rank", "Model", "Overall", "Gap"]
    assert broken_headers(page) == []
    titles = page.evaluate("() => Object.fromEntries(Array.from(document.querySelectorAll("
                           "'#leaderboard-table thead th')).map(th => [th.textContent.trim(), th.title]))")
    assert titles["sw"] == "Swahili (sw)" and titles["en"] == "English (en)"  # the code's tooltip


def test_a_phone_shows_rank_model_overall_and_gap_and_reaches_every_tab(open_page):
    page = open_page(PHONE)
    page.locator("#leaderboard-table").scroll_into_view_if_needed()
    table = page.locator("#leaderboard-table .globmed-table-scroll").bounding_box()
    boxes = page.evaluate("() => Array.from(document.querySelectorAll('#leaderboard-table thead th'))"
                          ".slice(0, 4).map(th => [th.textContent.trim(), th.getBoundingClientRect().right])")
    assert [name.split()[0] for name, _ in boxes] == ["Rank", "Model", "Overall", "Gap"]
    assert all(right <= table["x"] + table["width"] + 1 for _, right in boxes), (boxes, table)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways page
    assert broken_headers(page) == []
    for tab in TABS:  # in the tab bar, none behind a "More tabs" menu
        button = page.get_by_role("tab", name=tab, exact=True)
        box = button.bounding_box()
        assert button.is_visible() and box and box["x"] + box["width"] <= PHONE["width"], tab
    assert not page.get_by_role("button", name="More tabs").is_visible()


def test_choosing_a_language_group_reranks(page, runs):
    page.locator("#language-group").get_by_label("Low-resource").check()
    page.wait_for_function("() => Array.from(document.querySelectorAll('#leaderboard-table thead th'))"
                           ".some(th => th.textContent.includes('Overall (low)'))")
    by_low = sorted(runs, key=lambda run: -run["aggregates"]["low_mean"])
    page.wait_for_function("names => Array.from(document.querySelectorAll('#leaderboard-table tbody tr'))"
                           ".slice(0, 5).map(r => r.querySelectorAll('td')[1]?.textContent.trim())"
                           ".join('|') === names.join('|')", arg=table_names(by_low[:5]))
    first = rows(page)[0]
    assert first[:3] == ["1", table_names(by_low)[0], f"{100 * by_low[0]['aggregates']['low_mean']:.1f}"]
    assert "mean over the low-resource languages" in page.locator("#run-count").inner_text()
    assert model_names(by_low) != model_names(runs)  # the order really changes


def test_task_tabs_name_their_metric_and_an_all_zero_tab_says_why(page):
    for tab in ("Multiple choice · accuracy", "Inference (NLI) · accuracy", "Long-form QA · ROUGE-L"):
        assert page.get_by_role("tab", name=tab).is_visible()
    search(page, "globmed-llm-tiny")
    wait_for_count(page, "== 2")
    page.get_by_role("tab", name="Long-form QA · ROUGE-L").click()
    note = page.locator("#table-note")
    note.get_by_text("Every score in this tab is 0.0").wait_for()
    assert "tiny demo model generates no usable long answers" in note.inner_text()
    page.get_by_role("tab", name="Multiple choice · accuracy").click()
    note.wait_for(state="hidden")


def test_empty_states_say_why_instead_of_an_empty_table(page):
    search(page, "xyz")
    page.locator("#run-count").get_by_text("No run matches 'xyz'").wait_for()
    page.wait_for_selector("#leaderboard-table", state="hidden")
    search(page, "")
    wait_for_count(page, "> 0")
    for task in ("Multiple choice", "Inference (NLI)", "Long-form QA"):
        page.locator("#tasks").get_by_label(task).uncheck()
    page.locator("#table-note").get_by_text("No task is ticked").wait_for()
    page.wait_for_selector("#leaderboard-table", state="hidden")
    assert "runs shown" in page.locator("#run-count").inner_text()  # the task tabs still show every run


def test_five_fast_filter_changes_end_on_the_last_query(page, runs):
    """Five changes without waiting: the table must end on the last query (Gradio's "always_last")."""
    box = page.locator("#search textarea, #search input").first
    box.fill("qwen")
    box.press("Enter")
    page.locator("#language-group").get_by_label("Low-resource").check()
    page.locator("#tasks").get_by_label("Long-form QA").uncheck()
    box.fill("meditron")
    page.locator("#language-group").get_by_label("High-resource").check()
    # expected, from the JSON: mean over mcqa and nli per language, then over the high-resource languages
    high = set(high_resource_codes())
    expected = []
    for run in runs:
        if "meditron" not in run["model"]["name"].lower():
            continue
        cells = {(r["language"], r["task"]): r["metrics"][r["primary_metric"]] for r in run["results"].values()}
        means = [(cells[(code, "mcqa")] + cells[(code, "nli")]) / 2 for code in high]
        expected.append((run["model"]["name"], f"{100 * sum(means) / len(means):.1f}"))
    expected.sort(key=lambda pair: -float(pair[1]))
    wanted = [f"{name}|{score}" for name, score in expected]
    final = ("want => { const got = Array.from(document.querySelectorAll('#leaderboard-table tbody tr'))"
             ".map(r => Array.from(r.querySelectorAll('td')).map(c => c.textContent.trim()))"
             ".filter(c => c[1]).map(c => c[1] + '|' + c[2]); return got.join(',') === want.join(','); }")
    page.wait_for_function(final, arg=wanted)
    assert headers(page)[2] == "Overall (high)"
    page.wait_for_timeout(2000)  # nothing older arrives afterwards
    assert page.evaluate(final, wanted) and headers(page)[2] == "Overall (high)"


# ----- plots -----------------------------------------------------------------------------------------------
def test_plots_name_every_shown_run_in_a_legend(page, runs):
    page.get_by_role("tab", name="Plots").click()
    page.wait_for_function("() => document.querySelectorAll('#language-chart svg.marks .role-legend-label text')"
                           ".length >= 3")
    assert svg_texts(page, "language-chart", "role-legend-label") == model_names(runs[:3])  # the default pick
    page.locator("#language-chart").scroll_into_view_if_needed()
    # the gap chart: one bar per run of the leaderboard's first 30 rows, each named whole
    assert set(model_names(runs[:30])) <= set(gap_texts(page, "run"))
    # fine-tuned vs base, in its own view: a legend entry per pair (base = the latest run of the base model's name)
    open_finetuned(page)
    by_name = {run["model"]["name"]: run for run in sorted(runs, key=lambda run: run["run_id"])}
    pairs = [f"{run['model']['name']} vs {run['model']['base_model']}"
             for run in sorted(runs, key=lambda run: run["run_id"]) if run["model"]["base_model"] in by_name]
    legend = svg_texts(page, "finetuned-chart", "role-legend-label")
    assert set(pairs) | {"high", "low"} == set(legend) and len(pairs) >= 3


def test_the_finetuned_chart_is_square_with_a_y_equals_x_line(page):
    page.get_by_role("tab", name="Plots").click()
    open_finetuned(page)
    page.wait_for_selector("#finetuned-chart svg.marks .role-mark.mark-line path")
    line = page.locator("#finetuned-chart svg.marks .role-mark.mark-line path").bounding_box()
    # the dashed line runs from (0, 0) to (100, 100): its box is the plot's square, on equal axes
    assert line["width"] > 200 and abs(line["width"] - line["height"]) <= 2, line
    assert "y = x" in svg_texts(page, "finetuned-chart", "role-mark")


def test_a_zero_gap_is_written_as_0(page):
    search(page, "Flat-Model")
    wait_for_count(page, "== 1")
    page.get_by_role("tab", name="Plots").click()
    page.wait_for_function("() => Array.from(document.querySelectorAll('#gap-chart .gap-run'))"
                           ".map(e => e.textContent).join() === 'Flat-Model-7B'")
    assert gap_texts(page, "value") == ["0"]


def test_on_a_phone_chart_labels_do_not_overlap_or_get_cut(open_page):
    page = open_page(PHONE)
    page.get_by_role("tab", name="Plots").click()
    page.wait_for_function("() => document.querySelectorAll('#language-chart svg.marks .role-axis-label text')"
                           ".length >= 12")
    boxes = page.evaluate("() => Array.from(document.querySelectorAll('#language-chart svg.marks .role-axis-label"
                          " text')).map(t => t.getBoundingClientRect().toJSON()).filter(b => b.height < 30)")
    x_labels = sorted((box for box in boxes if abs(box["top"] - max(b["top"] for b in boxes)) < 3),
                      key=lambda box: box["left"])
    assert len(x_labels) == len(high_resource_codes()) + len(low_resource_codes())
    assert all(a["right"] <= b["left"] for a, b in pairwise(x_labels)), x_labels
    names = page.evaluate("() => Array.from(document.querySelectorAll('#gap-chart .gap-run')).map(e =>"
                          " [e.scrollWidth <= e.clientWidth + 1, e.getBoundingClientRect().right <= innerWidth])")
    assert len(names) >= 3 and all(all(fits) for fits in names), names  # wrapped whole, on the screen
    for chart in ("language-chart", "finetuned-chart"):
        if chart == "finetuned-chart":
            open_finetuned(page)
            page.wait_for_selector("#finetuned-chart svg.marks .role-legend-label")
        cut = page.evaluate(
            "c => { const svg = document.querySelector(`#${c} svg.marks`).getBoundingClientRect();"
            " return Array.from(document.querySelectorAll(`#${c} svg.marks text`)).map(t => [t.textContent,"
            " t.getBoundingClientRect()]).filter(([, b]) => b.width && (b.left < svg.left - 1 || b.right > svg.right"
            " + 1 || b.right > innerWidth)).map(([t]) => t); }", chart)
        assert cut == [], (chart, cut)


# ----- model page, submissions, chat -----------------------------------------------------------------------
def test_a_local_run_is_not_linked_and_its_command_is_wrapped(page):
    search(page, "globmed-llm-tiny")
    wait_for_count(page, "== 2")
    page.wait_for_function("() => document.querySelectorAll('#leaderboard-table tbody tr').length >= 2")
    assert sorted(rendered_models(page)) == ["globmed-llm-tiny (local)", "globmed-llm-tiny-base (local)"]
    assert not page.locator("#leaderboard-table a").count()  # no link to follow: nothing of it is on the Hub
    page.get_by_role("tab", name="Model page").click()
    page.locator("#model-choice input").click()
    page.get_by_role("option", name=re.compile(r"^globmed-llm-tiny · ")).click()
    wait_for_command(page)
    header = page.locator("#model-header")
    header.get_by_text("local (a folder on the machine").wait_for()
    assert not header.locator("a").count()
    command = page.locator("#reproduce textarea").input_value()
    lines = command.splitlines()
    assert lines[0].startswith("# local run: paths are relative to the release root")
    assert any("--overwrite" in line for line in lines if line.startswith("#"))
    body = [line for line in lines if not line.startswith("#")]
    assert body[0] == "globmed bench \\" and all(line.rstrip().endswith("\\") for line in body[:-1])
    assert "  --model globmed-llm-tiny \\" in body and body[-1].strip() == "--out results"
    code = page.locator("#reproduce textarea")
    assert code.evaluate("e => e.scrollWidth <= e.clientWidth + 1")  # no line runs off the right edge
    sources = page.locator("#model-sources table")
    assert sources.locator("tbody tr").count() >= 1 and "Score" in sources.locator("thead").inner_text()


def test_bad_submission_shows_an_error_and_stores_nothing(page, served, run_dict, tmp_path):
    _, data_dir = served
    bad = run_dict(3)
    bad["results"]["sw-mcqa"]["metrics"]["acc"] = 1.7
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    page.get_by_role("tab", name="Submit").click()
    page.locator("#upload input[type=file]").set_input_files(str(path))
    page.wait_for_timeout(500)
    page.locator("#submit-button").click()
    result = page.locator("#submit-result")
    result.get_by_text("not accepted").wait_for()
    assert "results.sw-mcqa.metrics.acc: " in result.inner_text() and "(got 1.7)" in result.inner_text()
    assert not list((data_dir / "pending").glob("*.json"))


def test_a_duplicate_is_named_with_plain_quotes_and_a_samples_file_is_turned_away(page, runs_dir, tmp_path):
    page.get_by_role("tab", name="Submit").click()
    assert "not the .samples.jsonl" in page.locator("#upload").inner_text()
    existing = sorted(runs_dir.glob("*.json"))[0]
    page.locator("#upload input[type=file]").set_input_files(str(existing))
    page.wait_for_timeout(500)
    page.locator("#submit-button").click()
    result = page.locator("#submit-result")
    result.get_by_text("already on the leaderboard").wait_for()
    run_id = json.loads(existing.read_text())["run_id"]
    assert f"run '{run_id}' is already" in result.inner_text() and "&#x27;" not in result.inner_text()
    samples = tmp_path / f"{run_id}.samples.jsonl"
    samples.write_text('{"doc": 1}\n')
    page.locator("#upload").get_by_role("button", name="Clear").click()
    page.locator("#upload input[type=file]").set_input_files(str(samples))
    page.get_by_text("Invalid file type").first.wait_for()  # the box accepts only .json, and says so


def test_chat_says_what_it_talks_to_and_streams_an_answer(page):
    page.get_by_role("tab", name="Chat").click()
    assert page.locator("#disclaimer").get_by_text("Not medical advice").is_visible()
    info = page.locator("#chat-model-info").inner_text()
    assert "Talking to: globmed-llm-tiny (local model" in info and "2 layers" in info
    assert "toy model" in info and "answers are not meaningful" in info
    page.locator("#chat-input textarea").fill("Dalili za malaria ni zipi?")
    page.locator("#chat-send").click()
    bot = page.locator("#chatbot .message.bot, #chatbot [data-testid='bot']").last
    bot.wait_for()
    page.wait_for_function(
        "() => { const m = document.querySelectorAll('#chatbot [data-testid=\"bot\"]');"
        " return m.length && m[m.length - 1].innerText.trim().length > 0; }"
    )
    answer = bot.inner_text().strip()
    assert answer
    assert "No chat model" not in answer and "returned no text" not in answer and "could not answer" not in answer


def test_good_submission_is_pending_then_shown_once_approved(page, served, run_dict, tmp_path):
    from space_app.submission import approve

    _, data_dir = served
    good = run_dict(11, name="Submitted-Model-XYZ")
    good["run_id"] = "submitted-model-xyz__2026-11-25"
    path = tmp_path / "good.json"
    path.write_text(json.dumps(good))
    page.get_by_role("tab", name="Submit").click()
    page.locator("#upload input[type=file]").set_input_files(str(path))
    page.wait_for_timeout(500)
    page.locator("#submit-button").click()
    page.locator("#submit-result").get_by_text("is pending review").wait_for()
    submission_id = re.search(r"\d{8}T\d{6}Z-[0-9a-f]{12}", page.locator("#submit-result").inner_text()).group(0)
    assert (data_dir / "pending" / f"{submission_id}.json").is_file()

    page.get_by_role("tab", name="Leaderboard").click()
    search(page, "submitted-model-xyz")
    page.locator("#run-count").get_by_text("No run matches 'submitted-model-xyz'").wait_for()  # pending: not shown
    approve(data_dir, submission_id)
    page.get_by_role("button", name="Reload results").click()
    wait_for_count(page, "== 1")
    page.wait_for_function("() => document.querySelector('#leaderboard-table tbody tr a')?.textContent"
                           " === 'Submitted-Model-XYZ'")


# ----- screenshots -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["1280x900", "390x844"])
def test_screenshots_of_every_tab(open_page, size):
    """Saved for a person to look at (tests/space_app/screenshots/, git-ignored); each tab must render."""
    page = open_page(size)
    SCREENSHOTS.mkdir(exist_ok=True)
    name = f"{size['width']}x{size['height']}"
    for tab in TABS:
        page.get_by_role("tab", name=tab, exact=True).click()
        if tab == "Plots":
            page.wait_for_selector("#language-chart svg.marks .role-legend-label")
            page.wait_for_selector("#gap-chart .gap-list")
        if tab == "Model page":
            page.locator("#model-choice input").click()
            page.get_by_role("option").first.click()
            wait_for_command(page)
        page.wait_for_timeout(500)
        path = SCREENSHOTS / f"{tab.lower().replace(' ', '-')}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 10_000
