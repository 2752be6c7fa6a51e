"""The model page, results loading, the CLI and the app factory (built without serving)."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from globmed.errors import GlobMedError
from globmed_kit.cli import main
from space_app import model_page, text
from space_app.results_source import load_runs
from space_app.settings import SpaceSettings


def command_args(command: str) -> list[str]:
    """The arguments a shell would pass: comment lines dropped, `\\` continuations joined."""
    lines = [line for line in command.splitlines() if not line.startswith("#")]
    return shlex.split("\n".join(lines).replace("\\\n", " "))


def test_reproduce_command_rebuilds_the_bench_call_and_quotes_hostile_values(exact):
    run = exact("evil", base_model="Qwen3 8B $(whoami)")
    run.model.name, run.model.path = "evil; rm -rf ~", "release/globmed-llm-8b"  # after: run ids come from names
    run.model.revision = "local"
    run.config.update(limit=30, languages=["en", "sw"], tasks=["mcqa"], backend="vllm")
    run.dataset = {"path": "release/globmed", "manifest_sha256": "0" * 64}
    args = command_args(model_page.reproduce_command(run))
    assert args[:4] == ["globmed", "bench", "--model", "globmed-llm-8b"]
    pairs = dict(zip(args[2::2], args[3::2], strict=True))
    assert pairs == {"--model": "globmed-llm-8b", "--name": "evil; rm -rf ~", "--model-type": "open",
                     "--base-model": "Qwen3 8B $(whoami)", "--backend": "vllm", "--dataset": "globmed",
                     "--tasks": "mcqa", "--languages": "en,sw", "--limit": "30", "--out": "results"}


def test_reproduce_command_is_wrapped_one_flag_per_line_and_says_how_to_rerun(exact):
    run = exact("M")
    run.dataset = {"path": "/srv/rel/globmed", "manifest_sha256": "0" * 64}
    command = model_page.reproduce_command(run)
    comments = [line for line in command.splitlines() if line.startswith("#")]
    body = [line for line in command.splitlines() if not line.startswith("#")]
    assert body[0] == "globmed bench \\" and all(line.startswith("  --") for line in body[1:])
    assert all(line.endswith(" \\") for line in body[:-1]) and not body[-1].endswith("\\")
    assert all(len(line) <= 100 for line in body if not line.startswith("  --languages"))
    assert any("--overwrite" in line for line in comments)
    assert any("relative to the release root" in line for line in comments)
    assert "--out" in command_args(command)


@pytest.mark.parametrize(
    ("path", "revision", "link", "dataset", "model_arg", "dataset_arg", "out", "note"),
    [
        # the demo: everything under one release root, paths written relative to it
        ("/tmp/rel/globmed-llm-tiny", "local", "", {"path": "/tmp/rel/globmed", "manifest_sha256": "a" * 64},
         "globmed-llm-tiny", "globmed", "results", "relative to the release root"),
        ("release/work/train/globmed-llm-tiny/base_model", "local", "",
         {"path": "release/globmed", "manifest_sha256": "a" * 64},
         "work/train/globmed-llm-tiny/base_model", "globmed", "results", "relative to the release root"),
        # a local model without a release root: as recorded, and a comment says whose folders they are
        ("/data/my-model", "local", "", {"path": "/data/sets/mine", "manifest_sha256": "a" * 64},
         "/data/my-model", "/data/sets/mine", "release/results", "folders on the machine that made the run"),
        # published: the model card link names the Hub repo, the dataset is a Hub id
        ("/tmp/rel/globmed-llm-8b", "local", "https://huggingface.co/org/globmed-llm-8b",
         {"path": "org/globmed", "manifest_sha256": None}, "org/globmed-llm-8b", "org/globmed", "release/results",
         None),
    ],
)
def test_reproduce_command_paths(exact, path, revision, link, dataset, model_arg, dataset_arg, out, note):
    run = exact("M")
    run.model.path, run.model.revision, run.model.link, run.dataset = path, revision, link, dataset
    command = model_page.reproduce_command(run)
    pairs = dict(zip(command_args(command)[2::2], command_args(command)[3::2], strict=True))
    assert (pairs["--model"], pairs["--dataset"], pairs["--out"]) == (model_arg, dataset_arg, out)
    comments = " ".join(line for line in command.splitlines() if line.startswith("#"))
    assert (note in comments) if note else ("local run" not in comments)


def test_a_local_model_is_never_linked_to_the_hub(exact):
    from markdown_it import MarkdownIt
    from support.html_tables import read_table

    from space_app.leaderboard import Leaderboard, Query, model_link
    from space_app.views import view_page

    run = exact("globmed-llm-tiny")
    run.model.path, run.model.revision = "release/globmed-llm-tiny", "local"  # looks like a Hub id `org/name`
    assert model_link(run) == ""
    header = MarkdownIt().render(model_page.run_header(run))
    assert "<a " not in header and "huggingface.co" not in header and "local" in header
    table = read_table(view_page(Leaderboard([run]), Query()).html)
    assert not table.links and table.rows[0][1] == "globmed-llm-tiny (local)"
    run.model.revision = "main"  # the same path benchmarked from the Hub is a real Hub id
    assert model_link(run) == "https://huggingface.co/release/globmed-llm-tiny"


def test_source_table_has_a_row_per_language_task_and_source(exact):
    run = exact("M")
    table = model_page.source_table(run)
    n_sources = sum(len(r.by_source) for r in run.results.values())
    assert len(table) == len(run.results) + n_sources
    first = table.iloc[0]
    assert (first["Language"], first["Source"]) == ("en", "(all)") and "±3.1" in first["Score"]
    assert list(table.loc[table["Source"] == "(all)", "Task"][:3]) == ["mcqa", "nli", "lfqa"]  # TASKS order


def test_header_escapes_the_model_name(exact):
    run = exact("bold")
    run.model.name = "<b>bold</b>"  # refused by the results contract; the page must stay inert all the same
    header = model_page.run_header(run)
    assert "<b>" not in header and "&lt;b&gt;" in header


def test_header_names_the_dataset_hash_only_when_there_is_one(exact):
    run = exact("M")
    run.dataset = {"path": "/data/globmed", "manifest_sha256": "0123456789abcdef"}
    assert "dataset 0123456789ab" in model_page.run_header(run)
    run.dataset = {"path": "/data/globmed", "manifest_sha256": None}  # a folder without a MANIFEST.json
    assert "dataset" not in model_page.run_header(run).split("\n")[-1] and "None" not in model_page.run_header(run)


def test_without_a_fine_tuned_pair_the_gains_say_so_instead_of_an_empty_table(tmp_path, run_dict):
    from space_app.app import create_app

    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "one.json").write_text(json.dumps(run_dict(1)))  # no base_model: no pair
    demo = create_app(tmp_path / "results", tmp_path / "data")
    gains = next(block.value for block in demo.blocks.values() if getattr(block, "elem_id", None) == "paired-gains")
    assert gains == f"<p>{text.GAINS_NONE}</p>" and "<table" not in gains


def test_broken_results_files_are_skipped_and_reported(tmp_path, run_dict):
    (tmp_path / "good.json").write_text(json.dumps(run_dict(1)))
    (tmp_path / "bad.json").write_text("{oops")
    (tmp_path / "good.samples.jsonl").write_text("{}\n")
    report = load_runs(tmp_path, "", tmp_path / "approved", tmp_path / "cache")
    assert len(report.runs) == 1 and list(report.rejected) == [str(tmp_path / "bad.json")]


def test_missing_folder_and_offline_hub_repo_fail_clearly(tmp_path, monkeypatch):
    with pytest.raises(GlobMedError, match="does not exist"):
        load_runs(tmp_path / "nope", "", tmp_path / "a", tmp_path / "c")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(GlobMedError, match="results dataset org/results needs the Hugging Face Hub"):
        load_runs(None, "org/results", tmp_path / "a", tmp_path / "c")


def test_settings_merge_defaults_environment_and_flags(monkeypatch, tmp_path):
    monkeypatch.setenv("GLOBMED_RESULTS_REPO", "org/results")
    monkeypatch.setenv("GLOBMED_DATA_DIR", str(tmp_path / "env-data"))
    settings = SpaceSettings.from_env(data_dir=tmp_path / "flag-data", chat_model=None)
    assert settings.results_repo == "org/results" and settings.data_dir == tmp_path / "flag-data"
    assert settings.pending_dir == tmp_path / "flag-data" / "pending"
    with pytest.raises(TypeError, match="no field"):
        SpaceSettings.from_env(colour="blue")


def test_importing_the_app_does_no_work():
    code = "import sys, space_app.app; print('gradio' in sys.modules, 'pandas' in sys.modules)"
    repo_root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=repo_root).stdout
    assert out.split() == ["False", "False"]


def test_create_app_builds_the_blocks(results_dir, tmp_path):
    from space_app.app import create_app

    demo = create_app(results_dir, tmp_path / "data")
    labels = {getattr(block, "label", None) for block in demo.blocks.values()}
    assert {"Model type", "Backend", "Columns shown", text.UPLOAD_LABEL, "Language"} <= labels
    upload = next(block for block in demo.blocks.values() if getattr(block, "elem_id", None) == "upload")
    assert upload.file_types == [".json"] and "not the .samples.jsonl" in upload.label
    assert not [p for p in (tmp_path / "data").rglob("*") if p.is_file()]  # nothing written until someone submits
    notices = [block.value for block in demo.blocks.values() if getattr(block, "elem_id", None) == "no-chat-model"]
    assert notices and "--chat-model PATH" in str(notices[0])


def test_events_keep_their_api_names_and_cross_tab_wiring(results_dir, tmp_path):
    """Gradio names an endpoint after its handler: the tab split must not rename the Space's API."""
    from space_app.app import create_app

    demo = create_app(results_dir, tmp_path / "data")
    config = demo.get_config_file()
    deps = {dep["api_name"]: dep for dep in config["dependencies"]}
    assert list(deps) == ["update_tables", "select_view", "previous_page", "next_page", "sort_on_header",
                          "load_page", "forget_session", "gap_plot", "run_picker", "run_picker_1", "language_plot",
                          "model_details", "handle_submission", "refresh", "update_tables_1", "describe_model",
                          "examples_for", "lambda", "respond"]
    # a newer filter change supersedes a pending one: the table never ends on an older query's answer
    for name in ("update_tables", "update_tables_1", "select_view", "previous_page", "next_page"):
        assert deps[name]["trigger_mode"] == "always_last", name
    # the leaderboard's events and the page load are plain requests: no event stream to open for milliseconds
    assert all(deps[name]["queue"] is False for name in ("update_tables", "select_view", "load_page", "gap_plot"))
    by_id = {component["id"]: component["props"] for component in config["components"]}
    labels = [by_id[i].get("label") for i in deps["refresh"]["outputs"]]
    assert labels == ["Runs to compare", "Run", "Backend"]  # a reload refreshes pickers on three tabs
    assert deps["update_tables_1"]["trigger_after"] == list(deps).index("refresh")
    gap = by_id[deps["gap_plot"]["outputs"][0]]
    assert gap["elem_id"] == "gap-chart" and "High- minus low-resource gap" in gap["value"]  # follows the filters
    # an update fills the one table (and the lines about it), never the other tabs' components
    assert [by_id[i].get("elem_id") for i in deps["update_tables"]["outputs"][:3]] == [
        "leaderboard-table", "table-note", "run-count"]
    # a header's sort button sets the sort controls, whose change refills the table
    assert [by_id[i].get("label") for i in deps["sort_on_header"]["outputs"]] == ["Sort by", "Descending"]
    # the run pickers come with the default runs only; opening their tab gives them every run
    pickers = {name: by_id[deps[name]["outputs"][0]] for name in ("run_picker", "run_picker_1")}
    assert [picker["label"] for picker in pickers.values()] == ["Runs to compare", "Run"]
    assert [len(picker["choices"]) for picker in pickers.values()] == [3, 0]
    assert pickers["run_picker"]["value"] == [value for _, value in pickers["run_picker"]["choices"]]
    every_run = demo.fns[list(deps).index("run_picker")].fn()
    runs = load_runs(results_dir, "", tmp_path / "approved", tmp_path / "cache").runs
    assert sorted(value for _, value in every_run.choices) == sorted(run.run_id for run in runs)


def test_opening_plots_redraws_the_gap_chart_only_when_it_differs_from_the_one_shown(results_dir, tmp_path):
    """The page comes with the default filters' gap chart and its key; opening Plots sends nothing while that is
    the chart of the filters, a new chart (and key) once a filter changed it, and the first one again after."""
    import gradio as gr

    from space_app.app import create_app

    demo = create_app(results_dir, tmp_path / "data")
    config = demo.get_config_file()
    values = {component["id"]: component["props"].get("value") for component in config["components"]}
    dep = next(d for d in config["dependencies"] if d["api_name"] == "gap_plot")
    gap_plot = next(fn for fn in demo.fns.values() if fn.api_name == "gap_plot").fn
    *controls, _ = [values[i] for i in dep["inputs"]]
    shown = demo.blocks[dep["inputs"][-1]].value  # a gr.State's first value stays on the server
    drawn = values[dep["outputs"][0]]
    assert gap_plot(*controls, shown) == (gr.skip(), gr.skip())
    searched = ["no-such-model", *controls[1:]]  # the search box comes first: no run passes
    chart, key = gap_plot(*searched, shown)
    assert key != shown and "<li" in drawn and "<li" not in chart and "No run to show" in chart
    again, first_key = gap_plot(*controls, key)  # back to the default filters: the first chart again
    assert first_key == shown and again == drawn


def test_a_header_click_sorts_by_its_column_and_a_second_click_turns_the_order(results_dir, tmp_path):
    import gradio as gr

    from space_app.app import create_app

    demo = create_app(results_dir, tmp_path / "data")
    sort = next(fn for fn in demo.fns.values() if fn.api_name == "sort_on_header").fn

    def click(label, current, descending):
        return sort(gr.EventData(None, {"sort": label}), current, descending)

    assert click("Gap (high - low)", "Overall", False) == ("Gap (high - low)", True)  # a new column: best first
    assert click("Model", "Overall", True) == ("Model", False)  # names from A
    assert click("Overall", "Overall", True) == (gr.skip(), False)  # the same column: the other way round
    assert click("Overall", "Overall", False) == (gr.skip(), True)
    for label in ("Rank", "no such column", None):  # not a sortable column: nothing changes
        assert click(label, "Overall", True) == (gr.skip(), gr.skip())
    assert sort(gr.EventData(None, None), "Overall", True) == (gr.skip(), gr.skip())


def test_cli_help_lists_the_admin_flags(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["space", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for flag in ("--results", "--data-dir", "--chat-model", "--chat-endpoint", "--approve", "--list-pending"):
        assert flag in out


def test_cli_admin_flow(tmp_path, run_dict, capsys):
    from globmed.results import RunResult
    from space_app.submission import store_pending

    data_dir = tmp_path / "data"
    assert main(["space", "--data-dir", str(data_dir), "--list-pending"]) == 0
    assert "no pending submissions" in capsys.readouterr().out
    submission_id = store_pending(RunResult.from_dict(run_dict(3)), data_dir)
    assert main(["space", "--data-dir", str(data_dir), "--list-pending"]) == 0
    assert submission_id in capsys.readouterr().out
    assert main(["space", "--data-dir", str(data_dir), "--approve", submission_id]) == 0
    assert (data_dir / "approved" / f"{submission_id}.json").is_file()
    assert main(["space", "--data-dir", str(data_dir), "--approve", "../../etc/passwd"]) == 2
    assert "not a submission id" in capsys.readouterr().err


def test_cli_without_results_fails_in_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GLOBMED_RESULTS_DIR", raising=False)
    monkeypatch.delenv("GLOBMED_RESULTS_REPO", raising=False)
    assert main(["space"]) == 2
    assert "no results: release/results does not exist" in capsys.readouterr().err
    assert main(["space", "--results", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_create_app_on_an_empty_results_folder(tmp_path):
    from space_app.app import create_app

    (tmp_path / "results").mkdir()
    demo = create_app(tmp_path / "results", tmp_path / "data")
    notices = [block.value for block in demo.blocks.values() if getattr(block, "elem_id", None) == "no-results"]
    assert notices and "globmed bench" in str(notices[0])


def test_the_first_page_comes_with_the_page_and_loading_sends_nothing_until_a_reload(tmp_path):
    """The first rows are in the page itself (no round trip before a visitor sees them); the load event answers
    with nothing unless the results were reloaded since the page was built, then with the new first page."""
    import gradio as gr
    from support.html_tables import read_table
    from support.synthetic_runs import write_runs

    from space_app.app import create_app

    results = tmp_path / "results"
    write_runs(results, 60, seed=3)
    runs = sorted((json.loads(path.read_text()) for path in results.glob("*.json")),
                  key=lambda run: -run["aggregates"]["overall"])
    demo = create_app(results, tmp_path / "data")
    config = demo.get_config_file()
    props = {c["id"]: c["props"] for c in config["components"]}
    table = read_table(next(p for p in props.values() if p.get("elem_id") == "leaderboard-table")["value"])
    assert len(table.rows) == 50 and table.rows[0][:2] == ["1", runs[0]["model"]["name"]]
    load = next(fn for fn in demo.fns.values() if fn.api_name == "load_page")
    inputs = [props[block._id].get("value") for block in load.inputs]
    assert load.fn(*inputs) == gr.skip()
    newcomer = dict(runs[-1], run_id="newcomer__1")
    newcomer["model"] = dict(newcomer["model"], name="Newcomer-1B")
    newcomer["aggregates"] = dict(newcomer["aggregates"], overall=0.999)  # ranks first
    (results / "newcomer__1.json").write_text(json.dumps(newcomer))
    load.fn.__self__.state.refresh()  # what the Reload button does
    table_update, _, count, pager, page = load.fn(*inputs)
    rows = read_table(table_update.value).rows
    assert rows[0][1] == "Newcomer-1B" and len(rows) == 50
    assert count.startswith("**61** of 61") and pager == "Rows 1–50 of 61 · page 1 of 2" and page == 1
