"""Run GlobMed-Bench on one model: build prompts, score, aggregate, write `<run_id>.json` + `.samples.jsonl`.

The run id is `<name>__<config hash>`: the hash covers everything that changes scores (model and revision,
backend, dtype, chat template, scoring, shots and how they are chosen, limit, tasks and their versions, prompt
version, languages, dataset manifest hash, judge). A results file with the same id and hash means the run is
done, so rosters resume by skipping it. Samples are written first and the JSON last (both atomically), so a
JSON on disk always has its complete samples beside it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from benchmark.aggregate import aggregate, bootstrap_macro_f1, bootstrap_mean
from benchmark.backends import BACKENDS, Request, make_backend
from benchmark.config import RunConfig
from benchmark.extraction import extract_choice
from benchmark.judge import judge_answers, judge_prompt
from benchmark.metrics import compute_metric
from benchmark.prompts import SHOTS_SAMPLER, fewshot_splits, load_prompts, prompt_version, shots_plan
from globmed.atomic import atomic_write_json, atomic_write_text
from globmed.bootstrap import cell_rng, interval
from globmed.errors import GlobMedError
from globmed.llm_local import check_model_folder
from globmed.outputs import claim_dir
from globmed.redact import redact_url
from globmed.results import ModelInfo, RunResult, TaskResult
from globmed.schema import MAX_OPTIONS
from globmed.tasks import TaskConfig, get_task

logger = logging.getLogger(__name__)


def slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "model"


def config_fingerprint(cfg: RunConfig, manifest_sha256: str | None) -> dict[str, Any]:
    """Everything that changes the scores; its hash names the run."""
    bc = cfg.backend_config
    fingerprint = {
        "model": cfg.model.path or cfg.model.name,
        "revision": bc.revision,
        "backend": cfg.backend,
        "dtype": bc.dtype,
        "chat_template": bc.chat_template,
        "scoring": cfg.scoring,
        "shots": cfg.shots,
        "limit": cfg.limit,
        "max_new_tokens": cfg.max_new_tokens,
        "languages": cfg.languages,
        "tasks": {t: get_task(t).version for t in cfg.tasks},
        "prompt_version": prompt_version(cfg.tasks) if cfg.languages else None,
        "dataset": manifest_sha256 or (str(Path(cfg.dataset).resolve()) if Path(cfg.dataset).exists() else cfg.dataset),
        # credentials change no score, and a hash over a password would let a weak one be guessed back
        "judge": {**asdict(cfg.judge), "base_url": redact_url(cfg.judge.base_url)} if cfg.judge else None,
        "seed": cfg.seed,
        "resamples": cfg.resamples,
    }
    if cfg.shots:  # shots were once drawn at random (seeded): a k-shot run of that kind must not pass for this one
        fingerprint["shots_sampler"] = SHOTS_SAMPLER
    return fingerprint


def config_hash(fingerprint: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(fingerprint, sort_keys=True).encode()).hexdigest()


@dataclass
class Item:
    """One test question of one cell, with its prompt and, after scoring, its outcome."""

    doc: dict[str, Any]
    language: str
    task: str
    request: Request
    choice: bool
    shots: tuple[tuple[str, str], ...] = ()  # (split, id) of each few-shot example in its prompt, in order
    logprobs: list[float] | None = None
    output: str | None = None
    prediction: int | None = None


def load_items(cfg: RunConfig) -> tuple[list[Item], list[str]]:
    """Test items with prompts for every language x task; also the names of empty cells (logged, recorded)."""
    rows = CellRows(cfg.dataset)
    cells = [(language, task) for language in cfg.languages for task in cfg.tasks]
    for split in dict.fromkeys(get_task(task).test_split for task in cfg.tasks):
        rows.read(split, [cell for cell in cells if get_task(cell[1]).test_split == split])
    items: list[Item] = []
    empty: list[str] = []
    scoring = cfg.scoring
    for language in cfg.languages:
        prompts = load_prompts(language)
        for task_name in cfg.tasks:
            task = get_task(task_name)
            test = rows(task.test_split, language, task_name)[: cfg.limit]
            if len(test) == 0:
                logger.warning(
                    "%s-%s: no %s items in %s; cell skipped", language, task_name, task.test_split, cfg.dataset
                )
                empty.append(f"{language}-{task_name}")
                continue
            shots = _shots(cfg, language, task_name, task, rows)
            shot_ids = tuple((split, shot["id"]) for split, shot in shots)
            shot_docs = [shot for _, shot in shots]
            max_new = cfg.max_new_tokens or int(task.generation.get("max_new_tokens", 32))
            for doc in test:
                if task.is_choice and not 2 <= len(doc["options"]) <= MAX_OPTIONS:
                    raise GlobMedError(
                        f"{cfg.dataset}: item {doc['id']} has {len(doc['options'])} options; "
                        f"choice tasks need 2 to {MAX_OPTIONS}"
                    )
                prompt = prompts.build(task_name, doc, shot_docs)
                n_choices = len(doc["options"]) if task.is_choice else 0
                choice = task.is_choice and scoring != "generate"
                items.append(
                    Item(
                        doc=doc,
                        language=language,
                        task=task_name,
                        choice=choice,
                        request=Request(prompt=prompt, n_choices=n_choices, max_new_tokens=max_new,
                                        prefix_group=f"{language}-{task_name}"),
                        shots=shot_ids,
                    )
                )
    return items, empty


class CellRows:
    """Rows of (split, language, task) cells, each read once, with pyarrow for a local folder
    (globmed.data.load_cells): the run reads every cell's test split in one call, and a cell's few-shot pool
    when its prompt is first built (so a large train split is read only for the cells that need it)."""

    def __init__(self, dataset: str) -> None:
        self.dataset = dataset
        self._rows: dict[tuple[str, str, str], list[dict[str, Any]]] = {}

    def read(self, split: str, cells: list[tuple[str, str]]) -> None:
        from globmed.data import load_cells

        for (language, task), rows in load_cells(self.dataset, split, cells).items():
            self._rows[(split, language, task)] = rows

    def __call__(self, split: str, language: str, task: str) -> list[dict[str, Any]]:
        if (split, language, task) not in self._rows:
            self.read(split, [(language, task)])
        return self._rows[(split, language, task)]


def _shots(
    cfg: RunConfig, language: str, task_name: str, task: TaskConfig, rows: CellRows
) -> list[tuple[str, dict[str, Any]]]:
    """The cell's k-shot examples with their split: the first k rows of its few-shot pool, in order.

    Validation first, then train (`prompts.fewshot_splits`); train is read only when validation is short.
    """
    if cfg.shots == 0:
        return []
    pools = {}
    for split in fewshot_splits(task):
        pools[split] = rows(split, language, task_name)
        if sum(map(len, pools.values())) >= cfg.shots:
            break
    plan = shots_plan(cfg.shots, [(split, len(pool)) for split, pool in pools.items()], f"{language}-{task_name}")
    return [(split, pools[split][i]) for split, n in plan for i in range(n)]


def score_items(items: list[Item], backend) -> None:
    """Fill in logprobs/outputs and predictions: letter scoring in one batched call, generation in another."""
    choice = [it for it in items if it.choice]
    if choice:
        for it, logprobs in zip(choice, backend.choice_logprobs([it.request for it in choice]), strict=False):
            it.logprobs = logprobs
            it.prediction = int(np.argmax(logprobs))
    generated = [it for it in items if not it.choice]
    if generated:
        for it, text in zip(generated, backend.generate([it.request for it in generated]), strict=False):
            it.output = text
    for it in generated:
        if it.request.n_choices:
            labels = load_prompts(it.language).labels
            aliases = [[labels.get(opt, opt)] for opt in it.doc["options"]]
            it.prediction = extract_choice(it.output or "", it.doc["options"], aliases)


def cell_result(
    cfg: RunConfig, language: str, task_name: str, items: list[Item], judge_scores: list[float | None] | None
) -> tuple[TaskResult, np.ndarray, np.ndarray | None]:
    """Metrics, CIs and per-source scores of one cell; also the per-item primary scores and their draws (None
    without a bootstrap)."""
    task = get_task(task_name)
    metrics: dict[str, float] = {}
    per_item: dict[str, list[float]] = {}
    if task.is_choice:
        preds = [-1 if it.prediction is None else it.prediction for it in items]
        golds = [int(it.doc["answer_index"]) for it in items]
        for name in task.metrics:
            kwargs = {"per_item": True} if name == "accuracy" else {}
            out = compute_metric(name, preds, golds, **kwargs)
            per_item.update({"acc": out.pop("scores")} if "scores" in out else {})
            metrics.update(out)
        if "macro_f1" in metrics and cfg.resamples:
            low, high = interval(
                bootstrap_macro_f1(preds, golds, cfg.resamples, cell_rng(cfg.seed, f"{language}-{task_name}-f1"))
            )
            metrics.update(macro_f1_ci_low=low, macro_f1_ci_high=high)
    else:
        outputs = [it.output or "" for it in items]
        refs = [it.doc["answer"] for it in items]
        for name in task.metrics:
            out = compute_metric(name, outputs, refs, per_item=True)
            scores = out.pop("scores")
            (key,) = out
            per_item[key] = scores
            metrics.update(out)
        if judge_scores is not None:
            per_item["judge"] = [0.0 if s is None else s for s in judge_scores]
            metrics["judge"] = float(np.mean(per_item["judge"]))
    draws = None
    for key, scores in per_item.items() if cfg.resamples else ():  # --resamples 0: no bootstrap, no intervals
        sample = bootstrap_mean(scores, cfg.resamples, cell_rng(cfg.seed, f"{language}-{task_name}-{key}"))
        low, high = interval(sample)
        metrics[f"{key}_ci_low"], metrics[f"{key}_ci_high"] = low, high
        if key == task.primary_metric:
            draws = sample
    primary = np.asarray(per_item[task.primary_metric], dtype=float)
    by_source: dict[str, dict[str, float]] = {}
    for source in sorted({it.doc["source"] for it in items}):
        mask = np.array([it.doc["source"] == source for it in items])
        by_source[source] = {task.primary_metric: float(primary[mask].mean()), "n": int(mask.sum())}
    unparsed = sum(1 for it in items if it.request.n_choices and not it.choice and it.prediction is None)
    judge_unparsed = sum(1 for s in judge_scores if s is None) if judge_scores is not None else 0
    result = TaskResult(
        language=language,
        task=task_name,
        primary_metric=task.primary_metric,
        metrics={k: float(min(max(v, 0.0), 1.0)) for k, v in metrics.items()},
        n=len(items),
        unparsed=unparsed,
        by_source=by_source,
        judge_unparsed=judge_unparsed,
    )
    return result, primary, draws


def sample_record(it: Item, score: float) -> dict[str, Any]:
    return {
        "id": it.doc["id"],
        "language": it.language,
        "task": it.task,
        "source": it.doc["source"],
        "prompt": it.request.prompt,
        "gold": it.doc["answer_index"] if it.request.n_choices else it.doc["answer"],
        "prediction": it.prediction,
        "output": it.output,
        "logprobs": it.logprobs,
        "unparsed": bool(it.request.n_choices and not it.choice and it.prediction is None),
        "score": score,
    }


@dataclass(frozen=True)
class RunIdentity:
    """What names a run and where it goes, computed from the caller's config exactly as given.

    The hash is taken before anything is resolved (scoring "auto" stays "auto"), so the same config always gives the
    same run id, and results written by earlier versions keep resuming.
    """

    fingerprint: dict[str, Any]
    digest: str
    run_id: str
    dataset: dict[str, Any]  # benchmark.provenance.dataset_info: path and MANIFEST.json hash
    out_dir: Path

    @property
    def json_path(self) -> Path:
        return self.out_dir / f"{self.run_id}.json"

    @property
    def samples_path(self) -> Path:
        return self.out_dir / f"{self.run_id}.samples.jsonl"

    def done(self) -> bool:
        """A results file with this run's hash is on disk (a roster resumes by skipping it)."""
        return self.json_path.exists() and RunResult.load(self.json_path).config.get("config_hash") == self.digest


@dataclass
class Cells:
    """Per-cell results and what the run-level aggregate and the samples file need from them."""

    results: dict[str, TaskResult] = field(default_factory=dict)
    points: dict[tuple[str, str], float] = field(default_factory=dict)
    draws: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)
    samples: list[str] = field(default_factory=list)  # one JSON line per item
    fewshot: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # cell -> shot ids and their splits


def identify(cfg: RunConfig) -> RunIdentity:
    """Fingerprint, hash and run id of the config as the caller gave it."""
    from benchmark.provenance import dataset_info

    if not cfg.languages:
        raise GlobMedError("no languages selected")
    data = dataset_info(cfg.dataset)
    fingerprint = config_fingerprint(cfg, data["manifest_sha256"])
    digest = config_hash(fingerprint)
    return RunIdentity(fingerprint, digest, f"{slug(cfg.model.name)}__{digest[:10]}", data, Path(cfg.out))


def resolve(cfg: RunConfig, out_dir: Path) -> RunConfig:
    """A copy with the defaults that depend on the backend filled in; the caller's config is left as it was.

    Scoring "auto" becomes loglikelihood where the backend supports it, else generate; the openai backend gets a
    response cache under `<out>/.cache` unless it was given one.
    """
    backend_config = cfg.backend_config
    if backend_config.cache_path is None and cfg.backend == "openai":
        backend_config = replace(backend_config, cache_path=str(out_dir / ".cache" / "responses.sqlite"))
    scoring = cfg.scoring
    if scoring == "auto":
        scoring = "loglikelihood" if BACKENDS.get(cfg.backend).supports_loglikelihood else "generate"
    return replace(cfg, scoring=scoring, backend_config=backend_config)


def run_backend(cfg: RunConfig, items: list[Item]) -> dict[str, Any]:
    """Load the model, score every item, close it; returns the backend's description (dtype, revision, ...)."""
    backend = make_backend(cfg.backend, cfg.backend_config)
    try:
        score_items(items, backend)
        return backend.describe()
    finally:
        backend.close()


def score_cells(cfg: RunConfig, items: list[Item], judged: dict[int, float | None] | None) -> Cells:
    """Metrics of every language x task cell with items, in config order, and the samples' lines."""
    cells = Cells()
    for language in cfg.languages:
        for task_name in cfg.tasks:
            cell = [it for it in items if it.language == language and it.task == task_name]
            if not cell:
                continue
            scores = [judged[id(it)] for it in cell] if judged is not None and task_name == "lfqa" else None
            result, primary, sample = cell_result(cfg, language, task_name, cell, scores)
            cells.results[f"{language}-{task_name}"] = result
            cells.points[(language, task_name)] = result.score
            if sample is not None:
                cells.draws[(language, task_name)] = sample
            if cell[0].shots:
                cells.fewshot[f"{language}-{task_name}"] = {
                    "ids": [shot_id for _, shot_id in cell[0].shots],
                    "splits": list(dict.fromkeys(split for split, _ in cell[0].shots)),
                }
            cells.samples.extend(
                json.dumps(sample_record(it, float(s)), ensure_ascii=False)
                for it, s in zip(cell, primary, strict=False)
            )
    return cells


def run_result(
    cfg: RunConfig,
    identity: RunIdentity,
    cells: Cells,
    described: dict[str, Any],
    empty: list[str],
    elapsed: float,
    n_items: int,
) -> RunResult:
    """The results record: the resolved settings, what the backend reported, per-cell results and aggregates."""
    from benchmark.provenance import provenance

    config = {
        "backend": cfg.backend,
        "dtype": described.get("dtype"),
        "chat_template": described.get("chat_template"),
        "chat_template_sha256": described.get("chat_template_sha256"),
        "shots": cfg.shots,
        # which examples: the first k of each cell's pool (lm-eval's first_n), so a rerun and the export agree
        "fewshot": {"sampler": SHOTS_SAMPLER, "cells": cells.fewshot} if cfg.shots else None,
        "scoring": cfg.scoring,
        "prompt_version": identity.fingerprint["prompt_version"],
        "task_versions": identity.fingerprint["tasks"],
        "tasks": cfg.tasks,
        "languages": cfg.languages,
        "limit": cfg.limit,
        "max_new_tokens": cfg.max_new_tokens,
        "seed": cfg.seed,
        "bootstrap_resamples": cfg.resamples,
        "config_hash": identity.digest,
        "empty_cells": empty,
        "backend_details": {k: v for k, v in described.items() if k not in {"dtype", "chat_template"}},
        "judge": _judge_record(cfg),
        "wall_time_s": round(elapsed, 3),
        "n_items": n_items,
    }
    model = ModelInfo(**{**asdict(cfg.model), "revision": cfg.model.revision or str(described.get("revision", ""))})
    return RunResult(
        model=model,
        config=config,
        dataset=identity.dataset,
        provenance=provenance(),
        results=cells.results,
        aggregates=aggregate(cells.points, cells.draws),
        run_id=identity.run_id,
    )


def write_run(result: RunResult, identity: RunIdentity, samples: list[str]) -> None:
    """Validate, then write the samples and the JSON last (both atomic): a JSON on disk has its samples beside it."""
    result.validate(str(identity.json_path))
    atomic_write_text(identity.samples_path, "\n".join(samples) + ("\n" if samples else ""))
    atomic_write_json(identity.json_path, result.to_dict())


def run(cfg: RunConfig) -> Path:
    """Evaluate one model; returns the results JSON path (existing one when the run is already done).

    `cfg` is not changed: the run works on a resolved copy (see `resolve`), and is named by `cfg` as given.
    The results folder is checked and marked first (globmed.outputs.claim_dir), before the data is read.
    """
    claim_dir(cfg.out, "bench", cfg.overwrite)
    identity = identify(cfg)
    if not cfg.overwrite and identity.done():
        logger.info("%s: done already (same config hash); skipping (--overwrite runs it again)", identity.json_path)
        return identity.json_path
    if identity.json_path.exists():
        logger.info("%s exists: running again and replacing it (--overwrite)", identity.json_path)
    logger.info(
        "run %s: model=%s backend=%s tasks=%s languages=%s limit=%s shots=%d scoring=%s",
        identity.run_id,
        cfg.model.path or cfg.model.name,
        cfg.backend,
        ",".join(cfg.tasks),
        ",".join(cfg.languages),
        cfg.limit,
        cfg.shots,
        cfg.scoring,
    )
    resolved = resolve(cfg, identity.out_dir)
    _check_dataset(resolved.dataset)
    if resolved.backend != "openai":  # a local model: an empty or half-saved folder fails before any work
        check_model_folder(resolved.backend_config.model)
    items, empty = load_items(resolved)  # data errors surface before a model is loaded
    started = time.perf_counter()
    described = run_backend(resolved, items)
    judged = _judge(resolved, items, identity.out_dir)
    cells = score_cells(resolved, items, judged)
    elapsed = time.perf_counter() - started
    result = run_result(resolved, identity, cells, described, empty, elapsed, len(items))
    write_run(result, identity, cells.samples)
    logger.info(
        "%s: overall %.4f (high %s, low %s) in %.1fs",
        identity.json_path,
        result.aggregates["overall"] or 0.0,
        _fmt(result.aggregates["high_mean"]),
        _fmt(result.aggregates["low_mean"]),
        elapsed,
    )
    return identity.json_path


def _check_dataset(dataset: str) -> None:
    """A path that cannot be a Hub id (absolute, relative with ./, or deeper than ORG/NAME) must exist."""
    path = Path(dataset)
    if not path.exists() and (path.is_absolute() or dataset.startswith(".") or dataset.count("/") != 1):
        raise GlobMedError(f"dataset {dataset}: no such folder; build it with `globmed build --out ROOT`")


def _judge(cfg: RunConfig, items: list[Item], out_dir: Path) -> dict[int, float | None] | None:
    if cfg.judge is None:
        return None
    lfqa = [it for it in items if it.task == "lfqa"]
    payload = [
        {
            "language": it.language,
            "question": it.doc["question"],
            "reference": it.doc["answer"],
            "answer": it.output or "",
        }
        for it in lfqa
    ]
    ratings = judge_answers(cfg.judge, payload, str(out_dir / ".cache" / "judge.sqlite"))
    return {id(it): rating for it, rating in zip(lfqa, ratings, strict=False)}


def _judge_record(cfg: RunConfig) -> dict[str, Any] | None:
    if cfg.judge is None:
        return None
    prompt = judge_prompt()
    return {
        "model": cfg.judge.model,
        "base_url": redact_url(cfg.judge.base_url),
        "prompt_version": prompt["version"],
        "prompt": prompt["template"],
    }


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"
