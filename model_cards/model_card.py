"""The model card of a GlobMed-LLM, written from `globmed_training.json` and the GlobMed-Bench results.

`write_model_card(model_dir, results)` is what the trainer calls after saving the merged model, and what
`globmed card model` and `globmed release` call: it writes README.md and `.eval_results/globmed-bench.yaml`
beside the weights. The model's own run is the results file whose `model.name` is the trained model's name;
the base model's run is the one named by that run's `model.base_model`, giving the gain over the base.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from globmed.atomic import atomic_write_text
from globmed.bootstrap import LEVEL, in_level
from globmed.errors import GlobMedError
from globmed.languages import get_language, language_codes
from globmed.layout import HUB_REPO_ID, RESULTS_DIRNAME
from globmed.paired import Gain, PairedRuns, figure_text, samples_path
from globmed.results import RunResult, load_results_dir
from globmed.tasks import task_names
from globmed.text_io import read_json
from model_cards.common import (
    DISCLAIMER,
    card_versions,
    dataset_repo_id,
    model_repo_id,
    percent,
    percent_ci,
    relative_percent,
    render_card,
    signed_points_ci,
    yes_no,
)
from model_cards.eval_results import EVAL_RESULTS_FILE, eval_results_yaml, model_index_results

logger = logging.getLogger(__name__)

TRAINING_FILE = "globmed_training.json"
REQUIRED_TRAINING_KEYS = ("model_name", "size", "base_model", "method", "hyperparameters", "languages", "license")
SUMMARY_LEVELS = (("high_mean", "high-resource mean"), ("low_mean", "low-resource mean"),
                  ("gap", "gap (high − low)"), ("overall", "overall"))
HEADLINE_LABELS = (("average_relative_improvement", "average relative improvement"),
                   ("low_resource_fold_change", "low-resource fold change"),
                   ("high_resource_fold_change", "high-resource fold change"))


def read_training_info(model_dir: Path) -> dict[str, Any]:
    path = Path(model_dir) / TRAINING_FILE
    if not path.exists():
        raise GlobMedError(f"{path}: not found; is {model_dir} a model trained with `globmed train`?")
    info = read_json(path, "training info", expect=dict)
    missing = [key for key in REQUIRED_TRAINING_KEYS if key not in info]
    if missing:
        raise GlobMedError(f"{path}: missing key(s) {', '.join(missing)}")
    return info


def is_hub_id(name: str) -> bool:
    """`Qwen/Qwen3-8B` is; a local path (the demo's freshly built base model) is not."""
    return bool(HUB_REPO_ID.match(name)) and not Path(name).exists()


def pick_runs(runs: list[RunResult], model_name: str, model_dir: Path,
              trained: str = "") -> tuple[RunResult | None, RunResult | None]:
    """(the model's latest run, its base model's latest run); either may be None.

    Runs dated before `trained` (the training date, ISO) benchmarked an earlier model of the same name and
    are ignored, so a retrained model never shows its predecessor's scores.
    """
    resolved = str(Path(model_dir).resolve())

    def is_own(run: RunResult) -> bool:
        if run.model.name == model_name:
            return True
        return bool(run.model.path) and str(Path(run.model.path).resolve()) == resolved

    own = [run for run in runs if is_own(run)]
    stale = [run for run in own if trained and str(run.provenance.get("date", "")) < trained]
    if stale:
        logger.warning("ignoring %d run(s) of %s dated before its training (%s)", len(stale), model_name, trained)
        own = [run for run in own if run not in stale]
    if not own:
        return None, None
    run = max(own, key=lambda r: (str(r.provenance.get("date", "")), r.run_id))
    if not run.model.base_model:
        return run, None
    bases = [r for r in runs if r.model.name == run.model.base_model]
    base = max(bases, key=lambda r: (str(r.provenance.get("date", "")), r.run_id)) if bases else None
    if base is None:
        logger.warning("no results for base model %r; the card shows no gain over the base", run.model.base_model)
    return run, base


@dataclass
class Score:
    """One score as the card shows it: the value, its 95% bootstrap interval (None: not computed) and n."""

    value: float | None
    ci: list[float] | None
    n: int


@dataclass
class ScoreRow:
    label: str
    resource: str
    score: Score
    base: Score | None
    gain: Gain | None  # None without a base run


def run_score(run: RunResult, level: str, key: str | None = None) -> Score:
    """A run's score on one aggregate level (`globmed.bootstrap.summarize`, or "cell") with its interval and n."""
    if level == "cell":
        result = run.results.get(key or "")
        if result is None:
            return Score(None, None, 0)
        low = result.metrics.get(f"{result.primary_metric}_ci_low")
        high = result.metrics.get(f"{result.primary_metric}_ci_high")
        return Score(result.score, None if low is None or high is None else [low, high], result.n)
    value, ci = run.aggregates.get(level), (run.aggregates.get("ci") or {}).get(level)
    if key is not None:
        value, ci = (value or {}).get(key), (ci or {}).get(key)
    n = sum(r.n for r in run.results.values() if in_level(r.language, r.task, level, key))
    return Score(value, ci, n)


def score_rows(run: RunResult, base: RunResult | None, paired: PairedRuns | None) -> dict[str, list[ScoreRow]]:
    """The card's tables: per language, summary (high/low means, gap, overall), per task, and per cell."""

    def row(label: str, resource: str, level: str, key: str | None = None) -> ScoreRow:
        return ScoreRow(label, resource, run_score(run, level, key), run_score(base, level, key) if base else None,
                        paired.gain(level, key) if paired else None)

    per_language = run.aggregates.get("per_language") or {}
    per_task = run.aggregates.get("per_task") or {}
    return {
        "languages": [row(f"{get_language(code).name} (`{code}`)", get_language(code).resource, "per_language", code)
                      for code in language_codes() if code in per_language],
        "summary": [row(label, "", key) for key, label in SUMMARY_LEVELS],
        "tasks": [row(task, "", "per_task", task) for task in task_names() if task in per_task],
        "cells": [row(config, "", "cell", config) for config in sorted(run.results)],
    }


def toy_facts(model_dir: Path, info: dict[str, Any]) -> dict[str, str] | None:
    """For a model trained by a `tiny` recipe, its shape and training run as the banner states them (from its own
    config.json and training record); None for any other model."""
    if not info.get("toy", info.get("size") == "tiny"):  # records written before `toy` existed: the tiny size
        return None
    config_path = Path(model_dir) / "config.json"
    config = read_json(config_path, "model config", expect=dict) if config_path.is_file() else {}
    shape = ", ".join(part for part in (
        f"{config['num_hidden_layers']} layers" if "num_hidden_layers" in config else "",
        f"hidden size {config['hidden_size']}" if "hidden_size" in config else "",
    ) if part)
    steps = (info.get("hyperparameters") or {}).get("global_step")
    seconds = info.get("train_runtime_s")
    duration = "" if not isinstance(seconds, (int, float)) else (
        f" in {seconds:.0f} seconds" if seconds < 120 else f" in {seconds / 60:.0f} minutes")
    return {"shape": f" ({shape})" if shape else "",
            "trained": (f"trained for {steps} steps" if steps else "trained") + duration}


def build_model_card(model_dir: Path, runs: list[RunResult], org: str | None = None,
                     results_dir: Path | None = None):
    """(ModelCard, own run or None) for the model folder (not written).

    `results_dir` is where the runs' `<run_id>.samples.jsonl` files are: the gains' paired intervals need them.
    """
    from huggingface_hub import ModelCard, ModelCardData

    info = read_training_info(model_dir)
    name = info["model_name"]
    run, base = pick_runs(runs, name, model_dir, trained=str(info.get("date") or ""))
    dataset_id = dataset_repo_id(org)
    base_model = str(info["base_model"])
    toy = toy_facts(model_dir, info)
    data = ModelCardData(
        model_name=name,
        base_model=base_model if is_hub_id(base_model) else None,
        datasets=[dataset_id],
        language=list(info["languages"]),
        library_name="transformers",
        license=info["license"],
        pipeline_tag="text-generation",
        tags=["medical", "multilingual", "globmed", "trl", "sft", info["method"], *(["toy"] if toy else [])],
        eval_results=model_index_results(run, dataset_id) if run else None,
    )
    if is_hub_id(base_model):
        data.base_model_relation = "finetune"  # merged weights: a full fine-tune as far as loading goes
    paired = None
    if run and base:
        samples = (None, None) if results_dir is None else (
            samples_path(Path(results_dir) / f"{base.run_id}.json", base),
            samples_path(Path(results_dir) / f"{run.run_id}.json", run))
        paired = PairedRuns.build(base, run, *samples)
        if paired.note:
            logger.warning("model card gains: %s", paired.note)
    tables = score_rows(run, base, paired) if run else {}
    figures = paired.headlines() if paired else {}
    hyper = info.get("hyperparameters") or {}
    card = render_card(
        ModelCard, data, "model_card.md.jinja",
        name=name, repo_id=model_repo_id(org, name), dataset_id=dataset_id, info=info, toy=toy,
        # a local base (the tiny demo model) is named by its folder: the card must not carry this machine's paths
        base_model=base_model if is_hub_id(base_model) else "/".join(Path(base_model).parts[-2:]),
        base_is_hub=is_hub_id(base_model), hyperparameters=sorted(hyper.items()),
        mixture=sorted((info.get("mixture") or {}).items(), key=lambda kv: language_codes().index(kv[0])
                       if kv[0] in language_codes() else 99),
        run=run, base=base, paired=paired, tables=tables,
        metrics=sorted({(r.task, r.primary_metric) for r in run.results.values()}) if run else [],
        headlines=[(label, figure_text(key, figures[key])) for key, label in HEADLINE_LABELS if key in figures],
        training_versions=info.get("versions") or {}, versions=card_versions(),
        disclaimer=DISCLAIMER, eval_results_file=EVAL_RESULTS_FILE, level=int(100 * LEVEL),
        pct=percent, pct_ci=percent_ci, signed_ci=signed_points_ci, rel=relative_percent, yes_no=yes_no,
    )
    return card, run


def write_model_card(model_dir: Path, results: list[RunResult] | None = None, org: str | None = None,
                     results_dir: Path | None = None) -> Path:
    """Write README.md and .eval_results/globmed-bench.yaml in `model_dir`; return the README path.

    `results_dir` (default: the release root's results folder, `model_dir/../results`) holds the runs'
    samples files; `results=None` reads every run in it, if any.
    """
    from model_cards.checks import check_model_card

    model_dir = Path(model_dir)
    folder = Path(results_dir) if results_dir is not None else model_dir.parent / RESULTS_DIRNAME
    if results is None:
        results = load_results_dir(folder) if folder.is_dir() else []
    card, run = build_model_card(model_dir, list(results), org, folder)
    text = str(card)
    eval_text = eval_results_yaml(run, dataset_repo_id(org)) if run else None
    check_model_card(text, str(model_dir / "README.md"), run, yaml.safe_load(eval_text) if eval_text else None)
    atomic_write_text(model_dir / "README.md", text)
    eval_path = model_dir / EVAL_RESULTS_FILE
    if eval_text is not None:
        atomic_write_text(eval_path, eval_text)
    elif eval_path.exists():
        eval_path.unlink()  # stale numbers from an earlier run must not outlive the card
    logger.info("wrote model card %s (%s)", model_dir / "README.md", f"run {run.run_id}" if run else "no results")
    return model_dir / "README.md"
