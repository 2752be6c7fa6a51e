"""End to end through the CLI on the tiny model and the tiny dataset: results validate, resume, compare."""

from __future__ import annotations

import json

import pytest

from benchmark.results_schema import RunResult
from globmed.cli import main


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
