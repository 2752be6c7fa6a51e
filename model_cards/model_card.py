"""The model card of a GlobMed-LLM, written from `globmed_training.json` and the GlobMed-Bench results.

`write_model_card(model_dir, results)` is what the trainer calls after saving the merged model, and what
`globmed card model` and `globmed release` call: it writes README.md and `.eval_results/globmed-bench.yaml`
beside the weights. The model's own run is the results file whose `model.name` is the trained model's name;
the base model's run is the one named by that run's `model.base_model`, giving the gain over the base.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from globmed.atomic import atomic_write_text
from globmed.errors import GlobMedError
from globmed.languages import get_language, language_codes
from globmed.layout import RESULTS_DIRNAME
from globmed.results import RunResult, load_results_dir
from globmed.text_io import read_json
from model_cards.common import (
    DISCLAIMER,
    card_versions,
    dataset_repo_id,
    model_repo_id,
    percent,
    relative_percent,
    render_card,
    signed_points,
)
from model_cards.eval_results import EVAL_RESULTS_FILE, eval_results_yaml, model_index_results

logger = logging.getLogger(__name__)

TRAINING_FILE = "globmed_training.json"
REQUIRED_TRAINING_KEYS = ("model_name", "size", "base_model", "method", "hyperparameters", "languages", "license")
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


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
    return bool(_HUB_ID.match(name)) and not Path(name).exists()


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
class ScoreRow:
    label: str
    resource: str
    score: float | None
    base: float | None

    @property
    def gain(self) -> float | None:
        return None if self.score is None or self.base is None else self.score - self.base

    @property
    def relative(self) -> float | None:
        return None if self.gain is None or not self.base else self.gain / self.base


def score_rows(run: RunResult, base: RunResult | None) -> tuple[list[ScoreRow], list[ScoreRow]]:
    """(one row per language, summary rows: high mean, low mean, gap, overall)."""
    own_lang = run.aggregates.get("per_language") or {}
    base_lang = (base.aggregates.get("per_language") or {}) if base else {}
    rows = [
        ScoreRow(f"{get_language(code).name} (`{code}`)", get_language(code).resource, own_lang[code],
                 base_lang.get(code))
        for code in language_codes() if code in own_lang
    ]
    summary = [
        ScoreRow(label, "", run.aggregates.get(key), base.aggregates.get(key) if base else None)
        for key, label in (("high_mean", "high-resource mean"), ("low_mean", "low-resource mean"),
                           ("gap", "gap (high − low)"), ("overall", "overall"))
    ]
    return rows, summary


def build_model_card(model_dir: Path, runs: list[RunResult], org: str | None = None):
    """(ModelCard, own run or None) for the model folder (not written)."""
    from huggingface_hub import ModelCard, ModelCardData

    info = read_training_info(model_dir)
    name = info["model_name"]
    run, base = pick_runs(runs, name, model_dir, trained=str(info.get("date") or ""))
    dataset_id = dataset_repo_id(org)
    base_model = str(info["base_model"])
    data = ModelCardData(
        model_name=name,
        base_model=base_model if is_hub_id(base_model) else None,
        datasets=[dataset_id],
        language=list(info["languages"]),
        library_name="transformers",
        license=info["license"],
        pipeline_tag="text-generation",
        tags=["medical", "multilingual", "globmed", "trl", "sft", info["method"]],
        eval_results=model_index_results(run, dataset_id) if run else None,
    )
    if is_hub_id(base_model):
        data.base_model_relation = "finetune"  # merged weights: a full fine-tune as far as loading goes
    rows, summary = score_rows(run, base) if run else ([], [])
    hyper = info.get("hyperparameters") or {}
    card = render_card(
        ModelCard, data, "model_card.md.jinja",
        name=name, repo_id=model_repo_id(org, name), dataset_id=dataset_id, info=info,
        # a local base (the tiny demo model) is named by its folder: the card must not carry this machine's paths
        base_model=base_model if is_hub_id(base_model) else "/".join(Path(base_model).parts[-2:]),
        base_is_hub=is_hub_id(base_model), hyperparameters=sorted(hyper.items()),
        mixture=sorted((info.get("mixture") or {}).items(), key=lambda kv: language_codes().index(kv[0])
                       if kv[0] in language_codes() else 99),
        run=run, base=base, rows=rows, summary=summary,
        low_rows=[row for row in rows if row.resource == "low"],
        tasks=sorted(run.results.items()) if run else [],
        training_versions=info.get("versions") or {}, versions=card_versions(),
        disclaimer=DISCLAIMER, eval_results_file=EVAL_RESULTS_FILE,
        pct=percent, signed=signed_points, rel=relative_percent,
    )
    return card, run


def write_model_card(model_dir: Path, results: list[RunResult] | None = None, org: str | None = None) -> Path:
    """Write README.md and .eval_results/globmed-bench.yaml in `model_dir`; return the README path.

    `results=None` reads every run in the release root's results folder (`model_dir/../results`), if any.
    """
    from model_cards.checks import check_model_card

    model_dir = Path(model_dir)
    if results is None:
        folder = model_dir.parent / RESULTS_DIRNAME
        results = load_results_dir(folder) if folder.is_dir() else []
    card, run = build_model_card(model_dir, list(results), org)
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
