"""End to end in real headless Chromium (Debian's /usr/bin/chromium driven by playwright), app served on loopback."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from support.needs import need_executable, need_module

# Debian's chromium; GLOBMED_CHROMIUM points elsewhere (the test of the CI rule points it at nothing)
CHROMIUM = Path(os.environ.get("GLOBMED_CHROMIUM", "/usr/bin/chromium"))
pytestmark = pytest.mark.browser
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def served(results_dir, tiny_model_dir, tmp_path_factory, free_port_factory):
    """The Space on 127.0.0.1 (free port) with the synthetic results and the tiny model as chat model."""
    from space_app.app import create_app, launch

    data_dir = tmp_path_factory.mktemp("space-data")
    demo = create_app(results_dir, data_dir, chat_model=tiny_model_dir)
    port = free_port_factory()
    launch(demo, port=port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}", data_dir
    demo.close()


@pytest.fixture(scope="session")
def browser_tools():
    """Chromium's path and playwright, or fail (CI) / skip; session scope puts this check before the app and
    the tiny model are built."""
    executable = need_executable(CHROMIUM, "apt-get install chromium (.ci/run does)")
    return executable, need_module("playwright.sync_api", "pip install -e '.[dev]'")


@pytest.fixture(scope="module")
def browser(browser_tools):
    executable, playwright = browser_tools
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, served):
    url, _ = served
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(30_000)
    page.goto(url)
    yield page
    page.close()


def rendered_models(page, view: str = "overall") -> list[str]:
    """Model names of the rows the (virtualised) table has rendered: all of them for a short table."""
    return page.evaluate(
        "v => Array.from(document.querySelectorAll(`#table-${v} .virtual-row`))"
        ".map(r => r.querySelector('[role=gridcell]')).filter(Boolean)"
        ".map(cell => cell.textContent.trim()).filter(Boolean)",
        view,
    )


def shown_count(page) -> int:
    return int(re.search(r"(\d+) of \d+ runs shown", page.locator("#run-count").inner_text()).group(1))


def wait_for_count(page, predicate: str) -> None:
    page.wait_for_function(
        f"() => {{ const e = document.querySelector('#run-count'); if (!e) return false;"
        f" const m = e.innerText.match(/(\\d+) of \\d+ runs shown/); return m && Number(m[1]) {predicate}; }}"
    )


def test_page_loads_with_the_leaderboard_and_disclaimer(page):
    wait_for_count(page, "== 30")
    assert "30 of 30 runs shown" in page.locator("#run-count").inner_text()
    page.wait_for_selector("#table-overall .virtual-row a")
    names = rendered_models(page)
    assert names and all(("-v" in name or name.startswith("globmed-llm")) for name in names)
    href = page.locator("#table-overall .virtual-row a").first.get_attribute("href")
    assert href.startswith("https://huggingface.co/org/")


def test_search_filter_changes_the_table(page):
    wait_for_count(page, "== 30")
    box = page.locator("#search textarea, #search input").first
    box.fill("qwen; meditron")
    box.press("Enter")
    wait_for_count(page, "< 30")
    count = shown_count(page)
    page.wait_for_function(
        "() => { const names = Array.from(document.querySelectorAll('#table-overall .virtual-row a'))"
        ".map(a => a.textContent); const m = document.querySelector('#run-count').innerText.match(/(\\d+) of/);"
        " return m && new Set(names).size == Number(m[1]) && names.every(n => /qwen|meditron/i.test(n)); }"
    )
    names = rendered_models(page)
    assert 0 < count == len(set(names)), (count, names)
    assert all("qwen" in name.lower() or "meditron" in name.lower() for name in names)


def test_type_filter_changes_the_table(page):
    wait_for_count(page, "== 30")
    page.locator("#filter-type").get_by_label("open", exact=True).uncheck()
    wait_for_count(page, "< 30")
    types = page.evaluate(
        "() => Array.from(document.querySelectorAll('#table-overall .virtual-row'))"
        ".map(r => r.querySelectorAll('[role=gridcell]')[1]).filter(Boolean).map(td => td.textContent.trim())"
    )
    assert types and "open" not in types and set(types) <= {"proprietary", "medical", "globmed"}
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
    assert not list(data_dir.rglob("*.json"))


def test_chat_streams_an_answer_from_the_tiny_model(page):
    page.get_by_role("tab", name="Chat").click()
    assert page.locator("#disclaimer").get_by_text("Not medical advice").is_visible()
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
    box = page.locator("#search textarea, #search input").first
    box.fill("submitted-model-xyz")
    box.press("Enter")
    wait_for_count(page, "== 0")  # pending: not on the leaderboard
    approve(data_dir, submission_id)
    page.get_by_role("button", name="Reload results").click()
    wait_for_count(page, "== 1")
    page.wait_for_function("() => document.querySelector('#table-overall .virtual-row a')?.textContent"
                           " === 'Submitted-Model-XYZ'")
