"""End to end through the CLI on the tiny model and the tiny dataset: results validate, resume, compare."""

from __future__ import annotations

import json
import re

import pytest

from globmed.results import RunResult
from globmed_kit.cli import main


@pytest.fixture(scope="module")
def first_run(tiny_model_dir, tiny_dataset_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("results")
    code = main(
        [
            "bench",
            "--model",
            str(tiny_model_dir),
            "--name",
            "tiny",
            "--dataset",
            str(tiny_dataset_dir),
            "--out",
            str(out),
            "--max-new-tokens",
            "8",
            "--resamples",
            "200",
        ]
    )
    assert code == 0
    (path,) = out.glob("*.json")
    return out, path


def test_run_writes_valid_results_and_samples(first_run, tiny_dataset_dir):
    _out, path = first_run
    run = RunResult.load(path)
    assert len(run.results) == 36  # 12 languages x 3 tasks
    assert run.config["scoring"] == "loglikelihood" and run.config["chat_template"] is True
    assert run.config["prompt_version"] == "1" and run.config["task_versions"] == {"mcqa": 1, "nli": 1, "lfqa": 1}
    assert run.provenance["git_commit"] and run.provenance["environment"]["libraries"]["torch"]
    nli = run.results["sw-nli"]
    assert {"acc", "macro_f1", "acc_ci_low", "acc_ci_high"} <= set(nli.metrics)
    assert nli.metrics["acc_ci_low"] <= nli.metrics["acc"] <= nli.metrics["acc_ci_high"]
    assert set(run.results["en-lfqa"].metrics) >= {"rougeL", "chrf"}
    samples = [json.loads(line) for line in path.with_suffix(".samples.jsonl").read_text().splitlines()]
    assert len(samples) == 12 * 3 * 8
    mcqa = [s for s in samples if s["language"] == "en" and s["task"] == "mcqa"]
    acc = sum(s["prediction"] == s["gold"] for s in mcqa) / len(mcqa)
    assert acc == pytest.approx(run.results["en-mcqa"].metrics["acc"])
    agg = run.aggregates
    assert agg["gap"] == pytest.approx(agg["high_mean"] - agg["low_mean"])
    assert set(agg["per_language"]) == set(run.config["languages"])


def test_rerun_with_same_config_is_skipped(first_run, tiny_model_dir, tiny_dataset_dir):
    out, path = first_run
    before = path.stat().st_mtime_ns
    code = main(
        [
            "bench",
            "--model",
            str(tiny_model_dir),
            "--name",
            "tiny",
            "--dataset",
            str(tiny_dataset_dir),
            "--out",
            str(out),
            "--max-new-tokens",
            "8",
            "--resamples",
            "200",
        ]
    )
    assert code == 0
    assert path.stat().st_mtime_ns == before
    assert len(list(out.glob("*.json"))) == 1


def test_generation_scoring_counts_unparsed(tiny_model_dir, tiny_dataset_dir, tmp_path):
    """The random tiny model answers with newlines: every choice item is unparsed and scored wrong."""
    args = [
        "bench",
        "--model",
        str(tiny_model_dir),
        "--name",
        "tiny-gen",
        "--dataset",
        str(tiny_dataset_dir),
        "--out",
        str(tmp_path),
        "--scoring",
        "generate",
        "--languages",
        "en,zu",
        "--tasks",
        "mcqa,nli",
        "--max-new-tokens",
        "4",
        "--resamples",
        "50",
    ]
    assert main(args) == 0
    (path,) = tmp_path.glob("*.json")
    run = RunResult.load(path)
    assert run.config["scoring"] == "generate"
    for result in run.results.values():
        assert result.unparsed == result.n == 8 and result.metrics["acc"] == 0.0
    samples = [json.loads(line) for line in path.with_suffix(".samples.jsonl").read_text().splitlines()]
    assert all(s["unparsed"] and s["prediction"] is None and s["output"] is not None for s in samples)


def _shot_questions(prompt: str) -> list[str]:
    """The `<split>-<row>` names of the solved examples in a tiny-dataset prompt, in prompt order."""
    return re.findall(r"question ((?:validation|train|test)-\d+) for", prompt)[:-1]  # the last is the test item


def test_k_shot_prompts_are_the_first_rows_of_validation_then_train(tiny_model_dir, tiny_dataset_dir, tmp_path,
                                                                    capsys):
    """The tiny dataset has 4 validation and 12 train rows per cell (tests/conftest.py): 2 shots are validation
    rows 0 and 1, 5 shots are validation 0-3 then train 0; the results record them; a 17th shot is an error."""
    args = ["bench", "--model", str(tiny_model_dir), "--name", "tiny-kshot", "--dataset", str(tiny_dataset_dir),
            "--languages", "fr", "--tasks", "mcqa", "--limit", "3", "--resamples", "50"]
    expected = {2: ["validation-0", "validation-1"],
                5: ["validation-0", "validation-1", "validation-2", "validation-3", "train-0"]}
    for k, names in expected.items():
        out = tmp_path / f"{k}-shot"
        assert main([*args, "--shots", str(k), "--out", str(out)]) == 0
        (path,) = out.glob("*.json")
        run = RunResult.load(path)
        assert run.config["shots"] == k
        cell = run.config["fewshot"]["cells"]["fr-mcqa"]
        assert run.config["fewshot"]["sampler"] == "first_n"
        assert cell["ids"] == [f"mcqasrc:{name}:fr" for name in names]
        assert cell["splits"] == sorted({name.split("-")[0] for name in names}, key=["validation", "train"].index)
        prompts = [json.loads(line)["prompt"] for line in path.with_suffix(".samples.jsonl").read_text().splitlines()]
        assert len(prompts) == 3
        for prompt in prompts:
            assert _shot_questions(prompt) == names
            assert prompt.count("Réponse:") == k + 1 and prompt.endswith("Réponse:")
    capsys.readouterr()
    assert main([*args, "--shots", "17", "--out", str(tmp_path / "17-shot")]) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if "error" in line]
    assert errors == ["globmed bench: error: fr-mcqa: --shots 17 but its few-shot pool has 16 items "
                      "(validation 4, train 12)"]
