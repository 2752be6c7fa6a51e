"""`globmed bench --shots 5` on the bundled sample, in all 12 languages and all tasks (issue 14): the sample
has 4 validation rows per cell, so each cell's 5 shots are its 4 validation rows then its first train row."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from globmed.languages import language_codes
from globmed.results import RunResult
from globmed.tasks import task_names
from globmed_kit.cli import main

SAMPLE = Path(__file__).resolve().parents[2] / "dataset_builder" / "sample"


def _first_rows(folder: Path, split: str, count: int) -> list[dict]:
    """The first rows of a split, in file and row order, read with pyarrow (not through the kit)."""
    rows = [row for path in sorted(folder.glob(f"{split}-*.parquet")) for row in pq.read_table(path).to_pylist()]
    return rows[:count]


@pytest.fixture(scope="module")
def sample_5_shot(tiny_model_dir, tmp_path_factory) -> tuple[Path, RunResult, Path]:
    """The built sample, the run's results and its samples file."""
    if not (SAMPLE / "GlobMed_MedQA").is_dir():
        pytest.fail(f"bundled sample missing under {SAMPLE}")
    root = tmp_path_factory.mktemp("sample")
    assert main(["build", "--sources", "sample", "--out", str(root / "release"), "--no-progress"]) == 0
    dataset = root / "release" / "globmed"
    out = root / "results"
    assert main(["bench", "--model", str(tiny_model_dir), "--name", "tiny-5shot", "--dataset", str(dataset),
                 "--shots", "5", "--limit", "2", "--max-new-tokens", "4", "--resamples", "20",
                 "--out", str(out)]) == 0
    (path,) = out.glob("*.json")
    return dataset, RunResult.load(path), path.with_suffix(".samples.jsonl")


def test_every_language_and_task_runs_5_shot(sample_5_shot):
    dataset, run, _samples = sample_5_shot
    cells = {f"{language}-{task}" for language in language_codes() for task in task_names()}
    assert len(cells) == 36 and set(run.results) == cells
    assert run.config["shots"] == 5 and run.config["fewshot"]["sampler"] == "first_n"
    for cell in cells:
        language, task = cell.split("-")
        folder = dataset / "data" / language / task
        validation = _first_rows(folder, "validation", 5)
        assert len(validation) == 4  # the sample's size, which is why train is needed
        expected = validation + _first_rows(folder, "train", 1)
        assert run.config["fewshot"]["cells"][cell] == {"ids": [row["id"] for row in expected],
                                                        "splits": ["validation", "train"]}


def test_each_prompt_holds_the_five_shots_in_order(sample_5_shot):
    dataset, _run, samples = sample_5_shot
    for sample in map(json.loads, samples.read_text(encoding="utf-8").splitlines()):
        folder = dataset / "data" / sample["language"] / sample["task"]
        shots = _first_rows(folder, "validation", 4) + _first_rows(folder, "train", 1)
        positions = [sample["prompt"].find(shot["question"]) for shot in shots]
        assert -1 not in positions and positions == sorted(positions), sample["id"]


def test_the_backend_timings_are_recorded(sample_5_shot):
    _dataset, run, _samples = sample_5_shot
    details = run.config["backend_details"]
    timings = details["timings"]
    assert details["prefix_cache"] is True
    assert 0 < timings["forward_s"] <= timings["scoring_s"] < run.config["wall_time_s"]
    # the mcqa and nli cells (24) scored with their shared start run once each
    assert timings["prefixes"] == 24 and timings["prefix_tokens"] > timings["prefixes"] * 16
