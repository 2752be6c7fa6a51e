"""The exported lm-eval tasks run in real lm-evaluation-harness and agree with `globmed bench` item by item,
0-shot and 5-shot (the same prompts, byte for byte, and the same picks).

The dataset here has a test split only (as a benchmark-only release does): an export that names a split the
folder lacks makes lm-eval fail (`Instruction "validation" corresponds to no data`), so this runs lm-eval's
own `simple_evaluate` on the tiny model rather than only parsing the YAMLs. lm-eval is a test dependency
(the `dev` extra); in CI its absence fails the test.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from support.needs import need_module

from benchmark.prompts import FEWSHOT_DELIMITER
from globmed_kit.cli import main

LANGUAGE = "sw"
TASKS = ("mcqa", "nli")  # the choice tasks: log-likelihood of the option letter in both harnesses


@pytest.fixture(scope="module")
def test_only_dataset(tiny_dataset_dir, tmp_path_factory) -> Path:
    """The tiny dataset with its validation and train files left out."""
    root = tmp_path_factory.mktemp("test-only") / "globmed"
    root.mkdir()
    shutil.copy(tiny_dataset_dir / "README.md", root / "README.md")
    for path in tiny_dataset_dir.glob("data/*/*/test-*.parquet"):
        target = root / path.relative_to(tiny_dataset_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    assert not list(root.glob("data/*/*/validation-*")) and list(root.glob("data/*/*/test-*"))
    return root


def _export(dataset: Path, out: Path, tasks: str = ",".join(TASKS), shots: int = 0) -> None:
    assert main(["bench", "export-lmeval", "--dataset", str(dataset), "--out", str(out), "--languages", LANGUAGE,
                 "--tasks", tasks, "--shots", str(shots)]) == 0


def _task(out: Path, task: str) -> dict:
    return yaml.safe_load((out / LANGUAGE / f"globmed_{LANGUAGE}_{task}.yaml").read_text(encoding="utf-8"))


def test_export_names_only_the_splits_the_folder_has(test_only_dataset, tiny_dataset_dir, tmp_path):
    _export(test_only_dataset, tmp_path / "only-test", "mcqa,nli,lfqa")
    _export(tiny_dataset_dir, tmp_path / "both", "mcqa,nli,lfqa")
    for task in ("mcqa", "nli", "lfqa"):
        only_test, both = _task(tmp_path / "only-test", task), _task(tmp_path / "both", task)
        assert set(only_test["dataset_kwargs"]["data_files"]) == {"test"} and "fewshot_split" not in only_test
        assert "validation" not in (tmp_path / "only-test" / LANGUAGE / f"globmed_{LANGUAGE}_{task}.yaml").read_text()
        assert set(both["dataset_kwargs"]["data_files"]) == {"test", "validation"}
        assert both["test_split"] == "test" and both["fewshot_split"] == "validation"


def test_export_without_a_test_split_fails_with_one_line(test_only_dataset, tmp_path, capsys):
    empty = tmp_path / "no-test" / "globmed"
    (empty / "data" / LANGUAGE / "mcqa").mkdir(parents=True)
    shutil.copy(test_only_dataset / "README.md", empty / "README.md")
    assert main(["bench", "export-lmeval", "--dataset", str(empty), "--out", str(tmp_path / "tasks"),
                 "--languages", LANGUAGE, "--tasks", "mcqa"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no test split" in err[0] and f"{LANGUAGE}-mcqa" in err[0]
    assert not (tmp_path / "tasks").exists()


def test_export_runs_without_importing_lm_eval(test_only_dataset, tmp_path):
    """The kit writes the YAMLs without lm-eval (also a forbidden contract in pyproject.toml)."""
    code = ("import sys; from globmed_kit.cli import main; "
            f"code = main(['bench', 'export-lmeval', '--dataset', {str(test_only_dataset)!r}, "
            f"'--out', {str(tmp_path / 'tasks')!r}]); print(code, 'lm_eval' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    assert proc.stdout.split()[-2:] == ["0", "False"], proc.stdout + proc.stderr


def _parity(dataset: Path, model: Path, tmp_path: Path, shots: int) -> None:
    """Export with `--shots`, run lm-eval's `simple_evaluate` on the tasks, run `globmed bench --shots` on the
    same data: every item's prompt is byte-identical, its letter log-likelihoods agree and so does its pick."""
    lm_eval = need_module("lm_eval", "pip install -e '.[dev]' (lm-eval is a test dependency)")
    from lm_eval.tasks import TaskManager

    from benchmark.backends import BackendConfig
    from benchmark.runner import RunConfig, run
    from globmed.results import ModelInfo

    out = tmp_path / "tasks"
    _export(dataset, out, shots=shots)
    names = [f"globmed_{LANGUAGE}_{task}" for task in TASKS]
    theirs_out = lm_eval.simple_evaluate(
        model="hf", model_args=f"pretrained={model},dtype=float32", tasks=names,
        task_manager=TaskManager(include_path=str(out)), device="cpu", batch_size=8, log_samples=True,
    )
    samples = [sample for task_samples in theirs_out["samples"].values() for sample in task_samples]
    # lm-eval's log-likelihood of each option letter after the prompt, and the prompt, per item
    theirs = {sample["doc"]["id"]: [resp[0] for resp in sample["filtered_resps"]] for sample in samples}
    their_prompts = {sample["doc"]["id"]: {args[0] for args in sample["arguments"]} for sample in samples}
    rows = sum(pq.read_metadata(p).num_rows for p in dataset.glob(f"data/{LANGUAGE}/*/test-*.parquet")
               if p.parent.name in TASKS)
    assert len(theirs) == rows > 0  # every test row, counted from the parquet files

    path = run(RunConfig(
        model=ModelInfo(name="tiny", path=str(model)), dataset=str(dataset), tasks=list(TASKS),
        languages=[LANGUAGE], out=str(tmp_path / "results"), resamples=50, shots=shots,
        backend_config=BackendConfig(model=str(model), chat_template="off", device="cpu", dtype="float32"),
    ))
    ours = {s["id"]: s for s in map(json.loads, path.with_suffix(".samples.jsonl").read_text().splitlines())}
    assert ours.keys() == theirs.keys()
    for item_id, sample in ours.items():
        assert their_prompts[item_id] == {sample["prompt"]}, item_id
        assert sample["prompt"].count(FEWSHOT_DELIMITER) >= shots
        assert sample["logprobs"] == pytest.approx(theirs[item_id], abs=1e-4), item_id
        assert sample["prediction"] == max(range(len(theirs[item_id])), key=theirs[item_id].__getitem__)


def test_lm_eval_runs_the_export_of_a_test_only_dataset_like_globmed_bench(test_only_dataset, tiny_model_dir,
                                                                         tmp_path):
    _parity(test_only_dataset, tiny_model_dir, tmp_path, shots=0)


def test_lm_eval_5_shot_export_gives_the_prompts_and_predictions_of_globmed_bench(tiny_dataset_dir, tiny_model_dir,
                                                                                 tmp_path):
    """5 shots from 4 validation rows then the first train row: the exported few-shot split lists the validation
    files, then the train files, and lm-eval's first_n sampler takes the same 5 rows in the same order."""
    _export(tiny_dataset_dir, tmp_path / "check", shots=5)
    for task in TASKS:
        doc = _task(tmp_path / "check", task)
        assert doc["num_fewshot"] == 5 and doc["fewshot_config"] == {"sampler": "first_n"}
        files = doc["dataset_kwargs"]["data_files"][doc["fewshot_split"]]
        assert [Path(f).name for f in files] == ["validation-*.parquet", "train-*.parquet"]
    _parity(tiny_dataset_dir, tiny_model_dir, tmp_path, shots=5)
