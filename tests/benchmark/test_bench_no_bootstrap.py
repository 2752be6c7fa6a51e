"""`--resamples 0`: no bootstrap, and every reader of results copes (issue 14, "less around the loop").

Two real runs (a base and a "tuned" tiny model) are made with `--resamples 0`; their files carry point estimates
only. The results contract accepts them, `bench compare` still draws its paired intervals from the samples
files, the model card renders them without intervals, and the Space loads and shows them.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from support.cards import write_training_info

from benchmark.backends import BackendConfig
from benchmark.compare import compare_files, format_comparison
from benchmark.runner import RunConfig, run
from globmed.errors import GlobMedError
from globmed.paired import HEADLINES
from globmed.results import ModelInfo, RunResult

LANGUAGES, TASKS = ["en", "sw"], ["mcqa", "nli"]


def _config(model: Path, name: str, dataset: Path, out: Path, **model_info) -> RunConfig:
    return RunConfig(
        model=ModelInfo(name=name, path=str(model), **model_info),
        backend_config=BackendConfig(model=str(model), device="cpu"),
        dataset=str(dataset), tasks=TASKS, languages=LANGUAGES, limit=8, resamples=0, out=str(out),
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory, tiny_model_dir, tiny_dataset_dir) -> tuple[Path, Path, Path]:
    """(base run JSON, tuned run JSON, tuned model folder), both runs with --resamples 0."""
    from globmed.tiny_model import build_tiny_model

    root = tmp_path_factory.mktemp("no-ci")
    tuned_model = build_tiny_model(root / "globmed-llm-tiny", seed=1)
    out = root / "results"
    base = run(_config(tiny_model_dir, "globmed-llm-tiny-base", tiny_dataset_dir, out))
    tuned = run(_config(tuned_model, "globmed-llm-tiny", tiny_dataset_dir, out, type="globmed",
                        base_model="globmed-llm-tiny-base"))
    return base, tuned, tuned_model


def test_resamples_must_not_be_negative():
    with pytest.raises(GlobMedError, match=r"--resamples must be >= 0 \(0: no confidence intervals\), got -1"):
        RunConfig(model=ModelInfo(name="m"), resamples=-1)


def test_a_run_without_bootstrap_has_point_estimates_only(runs):
    path = runs[1]
    raw = json.loads(path.read_text())
    result = RunResult.load(path)  # the strict contract accepts it
    assert raw["config"]["bootstrap_resamples"] == 0
    assert "ci" not in raw["aggregates"]
    assert all("_ci_" not in key for cell in raw["results"].values() for key in cell["metrics"])
    samples = [json.loads(line) for line in path.with_suffix("").with_suffix(".samples.jsonl").read_text().splitlines()]
    by_cell = {}
    for sample in samples:
        by_cell.setdefault((sample["language"], sample["task"]), []).append(sample["score"])
    for (lang, task), scores in by_cell.items():  # the point estimates are the samples' means, as with a bootstrap
        assert result.results[f"{lang}-{task}"].score == pytest.approx(np.mean(scores))
    per_language = {lang: np.mean([np.mean(by_cell[(lang, t)]) for t in TASKS]) for lang in LANGUAGES}
    assert raw["aggregates"]["per_language"] == pytest.approx(per_language)
    assert raw["aggregates"]["overall"] == pytest.approx(np.mean(list(per_language.values())))


def test_compare_pairs_the_samples_of_runs_without_intervals(runs):
    base, tuned, _ = runs
    comparison = compare_files(base, tuned, resamples=200)
    assert comparison["bootstrap"]["note"] is None and comparison["bootstrap"]["paired_items"] == 8 * 4
    assert comparison["ci"] and set(comparison["ci"]) == {name for name in HEADLINES if comparison[name] is not None}
    assert all(f["difference_ci"] is not None for f in comparison["per_language"].values())
    assert "paired bootstrap: 200 replicates" in format_comparison(comparison)


def test_model_card_renders_runs_without_intervals(runs, tmp_path):
    from model_cards.common import split_front_matter
    from model_cards.model_card import write_model_card

    base, tuned, model = runs
    folder = tmp_path / "globmed-llm-tiny"
    shutil.copytree(model, folder)
    write_training_info(folder, languages=LANGUAGES)
    readme = write_model_card(folder, [RunResult.load(base), RunResult.load(tuned)], results_dir=base.parent)
    _, body = split_front_matter(readme.read_text(encoding="utf-8"), str(readme))
    own = RunResult.load(tuned)
    rows = [line for line in body.splitlines() if line.startswith("| English (`en`)")]
    assert rows and f"| {100 * own.aggregates['per_language']['en']:.1f} (no CI) |" in rows[0]
    eval_yaml = (folder / ".eval_results" / "globmed-bench.yaml").read_text()
    assert "n=8" in eval_yaml and "95% CI" not in eval_yaml


def test_space_loads_and_shows_runs_without_intervals(runs, tmp_path):
    from space_app.leaderboard import Leaderboard, Query
    from space_app.results_source import load_runs

    base, _, _ = runs
    report = load_runs(base.parent, "", tmp_path / "approved", tmp_path / "cache")
    assert len(report.runs) == 2 and not report.rejected
    board = Leaderboard(report.runs)
    for view in ("overall", "mcqa"):
        _, shown = board.display(Query(view=view, show_ci=True))
        assert len(shown) == 2
        assert not any("±" in str(cell) for cell in shown.to_numpy().ravel())
        assert shown["en"].str.match(r"^\d+\.\d$").all()
