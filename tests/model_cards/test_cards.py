"""Cards generated from synthetic contract inputs: front matter, numbers, tables, checks, secrets, CLI."""

from __future__ import annotations

import json
import re
import shutil
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest
import yaml
from support.cards import make_release_root, synthetic_run, write_space_source, write_training_info

from globmed.errors import GlobMedError
from globmed.results import load_results_dir
from globmed_kit.cli import main
from model_cards.checks import CardCheckError, check_model_card, check_space_card
from model_cards.common import split_front_matter
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


def _table_rows(body: str, first: str) -> dict[str, list[str]]:
    """The rows of the card table whose header starts with `| first |`, keyed by their first cell."""
    lines = body.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {first} |"))
    rows = {}
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        rows[cells[0]] = cells[1:]
    return rows


def _ci(text: str) -> tuple[float, float, float]:
    """'41.2 (30.1–52.3)' -> (41.2, 30.1, 52.3); fails when the interval is missing."""
    match = re.fullmatch(r"([\d.]+) \(([\d.]+)–([\d.]+)\)", text)
    assert match, text
    return tuple(float(x) for x in match.groups())


def _gain(text: str) -> tuple[float, float, float]:
    """'+10.0 (+7.5 to +12.5)' -> (10.0, 7.5, 12.5); fails when the paired interval is missing."""
    match = re.fullmatch(r"([+-][\d.]+) \(([+-][\d.]+) to ([+-][\d.]+)\)", text)
    assert match, text
    return tuple(float(x) for x in match.groups())


def test_model_card_every_score_has_its_interval_and_n(root):
    """Every per-language, summary, per-task and per-cell score shows its 95% interval and n, as the results say."""
    runs = load_results_dir(root / "results")
    own = next(r for r in runs if r.model.name == "globmed-llm-tiny")
    base = next(r for r in runs if r.model.name == "globmed-llm-tiny-base")
    _, body = front(write_model_card(root / "globmed-llm-tiny", runs))
    expected: dict[str, tuple[float, list[float], int, float]] = {}  # label -> (score, ci, n, base score)
    for config, result in own.results.items():
        ci = [result.metrics["acc_ci_low"], result.metrics["acc_ci_high"]]
        expected[config] = (result.score, ci, result.n, base.results[config].score)
    names = {"en": "English", "fr": "French", "sw": "Swahili", "yo": "Yoruba"}
    for code, name in names.items():
        n = sum(r.n for r in own.results.values() if r.language == code)
        label = f"{name} (`{code}`) · {'low' if code in ('sw', 'yo') else 'high'}"
        expected[label] = (own.aggregates["per_language"][code], own.aggregates["ci"]["per_language"][code], n,
                           base.aggregates["per_language"][code])
    for task in ("mcqa", "nli"):
        n = sum(r.n for r in own.results.values() if r.task == task)
        expected[task] = (own.aggregates["per_task"][task], own.aggregates["ci"]["per_task"][task], n,
                          base.aggregates["per_task"][task])
    everything = sum(r.n for r in own.results.values())
    for key, label, n in (("overall", "**overall**", everything), ("gap", "**gap (high − low)**", everything),
                          ("low_mean", "**low-resource mean**", everything // 2)):
        expected[label] = (own.aggregates[key], own.aggregates["ci"][key], n, base.aggregates[key])
    shown = {**_table_rows(body, "language"), **_table_rows(body, "task"), **_table_rows(body, "language-task")}
    assert set(expected) <= set(shown)
    for label, (score, ci, n, base_score) in expected.items():
        cells = shown[label]
        assert int(cells[0]) == n, label
        if label == "**gap (high − low)**":  # may be negative: compare the text
            assert cells[1] == f"{100 * score:.1f} ({100 * ci[0]:.1f}–{100 * ci[1]:.1f})", label
        else:
            assert _ci(cells[1]) == pytest.approx((100 * score, 100 * ci[0], 100 * ci[1]), abs=0.051), label
        point, low, high = _gain(cells[3])
        assert point == pytest.approx(100 * (score - base_score), abs=0.051), label
        assert low <= point <= high, label
        assert cells[5] == ("**yes**" if low > 0 or high < 0 else "no"), label
    assert body.index("English (`en`)") < body.index("Swahili (`sw`)") < body.index("Yoruba (`yo`)")
    assert "average relative improvement: +" in body and "(95% CI " in body
    eval_yaml = yaml.safe_load((root / "globmed-llm-tiny" / ".eval_results" / "globmed-bench.yaml").read_text())
    for entry in eval_yaml:
        result = own.results[entry["dataset"]["task_id"]]
        low, high = result.metrics["acc_ci_low"], result.metrics["acc_ci_high"]
        assert f"n={result.n}" in entry["notes"] and f"95% CI {low:.4f}-{high:.4f}" in entry["notes"]


def test_model_card_marks_a_gain_significant_only_when_its_paired_interval_excludes_zero(root):
    """Two cells with the same mean gain (+0.1): one where every item gains (significant), one where the tuned model
    wins and loses items at random (the same +0.1 on average, an interval across 0)."""
    from support.cards import write_run, write_samples

    results = root / "results"
    for path in results.iterdir():
        path.unlink()
    base = synthetic_run("globmed-llm-tiny-base", {"en": 0.5, "sw": 0.5}, tasks=("mcqa",))
    tuned = synthetic_run("globmed-llm-tiny", {"en": 0.6, "sw": 0.6}, tasks=("mcqa",),
                          base_model="globmed-llm-tiny-base", model_type="globmed")
    rng = np.random.default_rng(0)
    noisy = rng.choice([-0.4, 0.4], size=40)
    noisy -= noisy.mean()  # a sum of 0: the cell mean stays 0.6
    for run in (base, tuned):
        write_run(results, run)
    write_samples(results, base, {"en-mcqa": [0.0] * 40, "sw-mcqa": [0.0] * 40})
    write_samples(results, tuned, {"en-mcqa": [0.0] * 40, "sw-mcqa": noisy.tolist()})
    _, body = front(write_model_card(root / "globmed-llm-tiny"))
    cells = _table_rows(body, "language-task")
    en, sw = _gain(cells["en-mcqa"][3]), _gain(cells["sw-mcqa"][3])
    assert en == pytest.approx((10.0, 10.0, 10.0)) and cells["en-mcqa"][5] == "**yes**"
    assert sw[0] == pytest.approx(10.0) and sw[1] < 0 < sw[2] and cells["sw-mcqa"][5] == "no"


def test_model_card_without_samples_claims_no_significance(root, caplog):
    for path in (root / "results").glob("*.samples.jsonl"):
        path.unlink()
    _, body = front(write_model_card(root / "globmed-llm-tiny"))
    rows = _table_rows(body, "language")
    assert rows and all(cells[3].endswith("(no CI)") and cells[5] == "–" for cells in rows.values())
    assert "This card's gains have no intervals" in body and str(root) not in body  # no local paths
    headlines = [line for line in body.splitlines() if line.startswith("- average relative improvement")]
    assert headlines == [headlines[0]] and headlines[0].endswith("(no interval, so not claimed)")


def test_toy_banner_only_on_toy_models(root):
    model = root / "globmed-llm-tiny"
    config = json.loads((model / "config.json").read_text())
    meta, body = front(write_model_card(model, []))
    first_block = body.split("\n\n")[1]
    assert first_block.startswith("> **Toy model.**") and "toy" in meta["tags"]
    assert f"{config['num_hidden_layers']} layers" in first_block and "not medical knowledge" in first_block
    assert "does not answer medical questions" in body and "to answer medical questions" not in body
    info = json.loads((model / "globmed_training.json").read_text())
    (model / "globmed_training.json").write_text(json.dumps({**info, "size": "8b", "toy": False}))
    meta, body = front(write_model_card(model, []))
    assert "Toy model" not in body and "toy" not in meta["tags"] and "to answer medical questions" in body


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
