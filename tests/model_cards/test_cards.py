"""Cards generated from synthetic contract inputs: front matter, numbers, tables, checks, secrets, CLI."""

from __future__ import annotations

import json
import shutil
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from support.cards import make_release_root, synthetic_run, write_space_source, write_training_info

from globmed.errors import GlobMedError
from globmed.results import load_results_dir
from globmed_kit.cli import main
from model_cards.checks import CardCheckError, check_model_card, check_space_card
from model_cards.common import percent, split_front_matter
from model_cards.dataset_card import write_dataset_card
from model_cards.model_card import write_model_card
from model_cards.space_card import write_space_card


@pytest.fixture(scope="module")
def release_root(tmp_path_factory, tiny_model_dir, tiny_dataset_dir) -> Path:
    return make_release_root(tmp_path_factory.mktemp("cards") / "release", tiny_model_dir, tiny_dataset_dir)


@pytest.fixture()
def root(release_root, tmp_path) -> Path:
    """A private copy per test (cards are rewritten in place)."""
    copy = tmp_path / "release"
    shutil.copytree(release_root, copy, ignore=shutil.ignore_patterns("*.safetensors"))
    return copy


def front(path: Path) -> tuple[dict, str]:
    return split_front_matter(path.read_text(encoding="utf-8"), str(path))


def test_dataset_card_keeps_builder_front_matter_and_reports_numbers(root):
    original, _ = front(root / "globmed" / "README.md")
    meta, body = front(write_dataset_card(root / "globmed", "TestOrg"))
    assert meta["configs"] == original["configs"] and meta["dataset_info"] == original["dataset_info"]
    report = json.loads((root / "globmed" / "build_report.json").read_text())
    assert meta["language"] == report["languages"]
    assert meta["license"] == "other"  # three sources, three licences
    assert {"multiple-choice", "text-classification", "text-generation"} == set(meta["task_categories"])
    sw_total = sum(n for splits in report["counts"]["sw"].values() for n in splits.values())
    assert f"| `sw` | Swahili | Kiswahili | low | {sw_total:,} |" in body
    sw_mcqa = report["counts"]["sw"]["mcqa"]
    assert f"| `sw` | mcqa | {sw_mcqa['train']} | {sw_mcqa['validation']} | {sw_mcqa['test']} |" in body
    assert f"{report['rows_read']:,} source rows were read" in body
    assert "PhysioNet-DUA" in body and "@article{jin2021medqa" in body
    assert 'load_dataset("TestOrg/globmed", "sw")' in body
    assert "not** a medical device" in body
    bench = yaml.safe_load((root / "globmed" / "eval.yaml").read_text())
    assert {t["id"] for t in bench["tasks"]} == {f"{lang}-{task}" for lang in report["counts"]
                                                 for task in report["counts"][lang]}


def test_dataset_card_errors_name_the_file(root):
    (root / "globmed" / "build_report.json").unlink()
    with pytest.raises(GlobMedError, match=r"build_report\.json: not found"):
        write_dataset_card(root / "globmed")
    (root / "globmed" / "build_report.json").write_text(json.dumps({"counts": {}}))
    with pytest.raises(GlobMedError, match="missing key"):
        write_dataset_card(root / "globmed")


def test_model_card_numbers_equal_results(root):
    from huggingface_hub import parse_eval_result_entries
    from huggingface_hub.repocard_data import model_index_to_eval_results

    runs = load_results_dir(root / "results")
    own = next(r for r in runs if r.model.name == "globmed-llm-tiny")
    meta, body = front(write_model_card(root / "globmed-llm-tiny", runs, org="TestOrg"))
    for key, value in {"base_model": "Qwen/Qwen3-1.7B", "base_model_relation": "finetune",
                       "datasets": ["TestOrg/globmed"], "library_name": "transformers", "license": "apache-2.0",
                       "pipeline_tag": "text-generation", "language": ["en", "fr", "sw", "yo"]}.items():
        assert meta[key] == value, key
    name, entries = model_index_to_eval_results(meta["model-index"])
    assert name == "globmed-llm-tiny"
    per_task = {e.dataset_config: e.metric_value for e in entries if e.dataset_config != "all"}
    assert per_task == {config: result.score for config, result in own.results.items()}
    aggregates = {e.metric_type: e.metric_value for e in entries if e.dataset_config == "all"}
    assert aggregates["overall"] == own.aggregates["overall"]
    assert aggregates["low_resource_mean"] == own.aggregates["low_mean"]
    eval_yaml = yaml.safe_load((root / "globmed-llm-tiny" / ".eval_results" / "globmed-bench.yaml").read_text())
    parsed = parse_eval_result_entries(eval_yaml)
    assert {e.task_id: e.value for e in parsed} == per_task
    assert {e.dataset_id for e in parsed} == {"TestOrg/globmed"}
    assert "learning_rate" in body and "config_lora.yaml" in body and "transformers 5.24.0" in body


def test_model_card_language_table_gap_and_gain(root):
    runs = load_results_dir(root / "results")
    own = next(r for r in runs if r.model.name == "globmed-llm-tiny")
    base = next(r for r in runs if r.model.name == "globmed-llm-tiny-base")
    _, body = front(write_model_card(root / "globmed-llm-tiny", runs))
    sw, sw_base = own.aggregates["per_language"]["sw"], base.aggregates["per_language"]["sw"]
    gain = 100 * (sw - sw_base)
    assert f"| Swahili (`sw`) | low | {percent(sw)} | {percent(sw_base)} | {gain:+.1f} |" in body
    gap, base_gap = own.aggregates["gap"], base.aggregates["gap"]
    gap_gain = 100 * (gap - base_gap)
    assert f"| **gap (high − low)** | | **{percent(gap)}** | {percent(base_gap)} | {gap_gain:+.1f} |" in body
    low_rel = (own.aggregates["low_mean"] - base.aggregates["low_mean"]) / base.aggregates["low_mean"]
    assert f"{100 * low_rel:+.0f}%" in body
    assert body.index("English (`en`)") < body.index("Swahili (`sw`)") < body.index("Yoruba (`yo`)")


def test_model_card_picks_latest_own_run_and_reads_results_folder(root):
    older = synthetic_run("globmed-llm-tiny", {"en": 0.1, "sw": 0.1}, base_model="globmed-llm-tiny-base",
                          run_id="globmed-llm-tiny__2020-01-01T00-00-00")
    older.provenance["date"] = "2020-01-01T00:00:00Z"
    (root / "results" / f"{older.run_id}.json").write_text(json.dumps(older.to_dict()))
    meta, _ = front(write_model_card(root / "globmed-llm-tiny"))  # results=None: reads release/results
    from huggingface_hub.repocard_data import model_index_to_eval_results

    _, entries = model_index_to_eval_results(meta["model-index"])
    assert {e.dataset_config for e in entries} >= {"fr-mcqa", "yo-nli"}  # the newer run, not the 2020 one


def test_model_card_ignores_runs_older_than_the_training(root):
    runs = load_results_dir(root / "results")
    write_training_info(root / "globmed-llm-tiny", base_model="Qwen/Qwen3-1.7B")
    info = json.loads((root / "globmed-llm-tiny" / "globmed_training.json").read_text())
    info["date"] = "2027-01-01T00:00:00+00:00"  # retrained after every run in results/
    (root / "globmed-llm-tiny" / "globmed_training.json").write_text(json.dumps(info))
    meta, body = front(write_model_card(root / "globmed-llm-tiny", runs))
    assert "model-index" not in meta and "Not benchmarked yet" in body


def test_model_card_without_results_and_with_local_base(root):
    model = root / "globmed-llm-tiny"
    (model / ".eval_results").mkdir(exist_ok=True)
    (model / ".eval_results" / "globmed-bench.yaml").write_text("stale")
    write_training_info(model, base_model=str(root / "work" / "base_model"))
    (root / "work" / "base_model").mkdir(parents=True)
    meta, body = front(write_model_card(model, []))
    assert "model-index" not in meta and "base_model" not in meta and "base_model_relation" not in meta
    assert "Not benchmarked yet" in body
    assert not (model / ".eval_results" / "globmed-bench.yaml").exists()


def test_check_catches_wrong_missing_and_absent(root):
    runs = load_results_dir(root / "results")
    own = next(r for r in runs if r.model.name == "globmed-llm-tiny")
    path = write_model_card(root / "globmed-llm-tiny", runs)
    text = path.read_text()
    eval_items = yaml.safe_load((path.parent / ".eval_results" / "globmed-bench.yaml").read_text())
    check_model_card(text, "ok", own, eval_items)
    wrong = own.results["sw-mcqa"].score
    tampered = text.replace(f"value: {wrong}\n", "value: 0.99\n", 1)
    assert tampered != text
    with pytest.raises(CardCheckError, match=r"model-index sw-mcqa/acc = 0\.99, results say"):
        check_model_card(tampered, "card", own, eval_items)
    with pytest.raises(CardCheckError, match=r"\.eval_results lacks yo-nli"):
        check_model_card(text, "card", own, [e for e in eval_items if e["dataset"]["task_id"] != "yo-nli"])
    with pytest.raises(CardCheckError, match="missing `pipeline_tag`"):
        check_model_card(text.replace("pipeline_tag: text-generation\n", ""), "card", own, eval_items)
    with pytest.raises(GlobMedError, match="no YAML front matter"):
        check_model_card("# no front matter", "card")
    with pytest.raises(GlobMedError, match="not valid YAML"):
        check_model_card("---\nlicense: [unclosed\n---\nbody", "card")


def test_space_card(root, tmp_path):
    space = write_space_source(tmp_path / "space")
    runs = load_results_dir(root / "results")
    meta, body = front(write_space_card(space, ["TestOrg/globmed-llm-tiny"], "TestOrg", runs))
    assert meta["sdk"] == "gradio" and meta["sdk_version"] == metadata.version("gradio")
    assert meta["app_file"] == "space_app/app.py" and meta["license"] == "apache-2.0"
    assert meta["models"] == ["TestOrg/globmed-llm-tiny"] and meta["datasets"] == ["TestOrg/globmed"]
    assert meta["emoji"] == "🩺"  # author's keys kept
    assert "| globmed-llm-tiny | globmed |" in body
    with pytest.raises(CardCheckError, match="expected 'gradio'"):
        check_space_card((space / "README.md").read_text().replace("sdk: gradio", "sdk: streamlit"), "space")


def test_no_secret_in_any_card(root, tmp_path, monkeypatch):
    secret = "hf_DoNotLeakThisTokenValue1234567890"
    monkeypatch.setenv("HF_TOKEN", secret)
    monkeypatch.setenv("OPENAI_API_KEY", secret + "x")
    runs = load_results_dir(root / "results")
    space = write_space_source(tmp_path / "space")
    written = [write_dataset_card(root / "globmed"), write_model_card(root / "globmed-llm-tiny", runs),
               write_space_card(space, ["o/m"], None, runs)]
    written += [root / "globmed" / "eval.yaml", root / "globmed-llm-tiny" / ".eval_results" / "globmed-bench.yaml"]
    for path in written:
        assert secret not in path.read_text(encoding="utf-8"), path


def test_card_cli(root, capsys):
    assert main(["card", "dataset", str(root / "globmed"), "--org", "CliOrg"]) == 0
    assert "CliOrg/globmed" in (root / "globmed" / "README.md").read_text()
    assert main(["card", "model", str(root / "globmed-llm-tiny")]) == 0
    assert (root / "globmed-llm-tiny" / ".eval_results" / "globmed-bench.yaml").is_file()
    assert main(["card", "dataset", str(root / "nope")]) == 2
    assert "nope: no such folder" in capsys.readouterr().err
    assert main(["card", "model", str(root / "globmed"), "--org", "bad org"]) == 2


@pytest.mark.parametrize("argv", [["card", "--help"], ["card", "model", "--help"], ["release", "--help"],
                                  ["demo", "--help"]])
def test_help(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 0 and "usage: globmed" in capsys.readouterr().out
