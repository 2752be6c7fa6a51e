"""The model page: every score of one run by language x task x source, and the command that reproduces it."""

from __future__ import annotations

import html
import math
import shlex
from pathlib import PurePosixPath

import pandas as pd

from globmed.languages import language_codes
from globmed.layout import DATASET_DIRNAME, DEFAULT_RELEASE_ROOT, RESULTS_DIRNAME, results_dir
from globmed.results import RunResult
from globmed.schema import TASKS
from space_app import text
from space_app.leaderboard import (
    as_float,
    ci_half_width,
    escape_markdown,
    hub_id,
    is_local,
    markdown_link,
    model_link,
    score_text,
)

SOURCE_COLUMNS = ["Language", "Task", "Source", "Metric", "Score", "n", "Unparsed"]


def source_table(run: RunResult) -> pd.DataFrame:
    """One row per language x task (all sources, with its CI) followed by one row per source; scores in %."""
    order = {code: i for i, code in enumerate(language_codes())}
    task_order = {task: i for i, task in enumerate(TASKS)}
    rows = []
    by_position = sorted(run.results.values(), key=lambda r: (order.get(r.language, len(order)),
                                                              task_order.get(r.task, len(task_order)), r.task))
    for result in by_position:
        half = ci_half_width(result.metrics, result.primary_metric)
        rows.append([html.escape(result.language), html.escape(result.task), "(all)",
                     html.escape(result.primary_metric), score_text(result.score, half, True),
                     result.n, result.unparsed])
        for source, metrics in sorted(result.by_source.items()):
            value = as_float(metrics.get(result.primary_metric))
            count = as_float(metrics.get("n"))
            rows.append([html.escape(result.language), html.escape(result.task), html.escape(source),
                         html.escape(result.primary_metric), score_text(value, math.nan, False),
                         "" if math.isnan(count) else int(count), ""])
    return pd.DataFrame(rows, columns=SOURCE_COLUMNS)


def local_dataset(run: RunResult) -> str:
    """The dataset folder a run read, or "" when it read a Hub dataset (only a folder has a MANIFEST.json hash)."""
    path = str(run.dataset.get("path") or "")
    return path if run.dataset.get("manifest_sha256") and not run.dataset.get("repo_id") else ""


def release_root(run: RunResult) -> PurePosixPath | None:
    """The release root of a local run, when its dataset folder sits where `--out ROOT` puts it (ROOT/globmed)."""
    dataset = PurePosixPath(local_dataset(run))
    return dataset.parent if dataset.name == DATASET_DIRNAME else None


def _relative(path: str, root: PurePosixPath | None) -> str:
    """`path` relative to the release root when it lies inside it, else as recorded."""
    if root is None:
        return path
    try:
        return str(PurePosixPath(path).relative_to(root))
    except ValueError:
        return path


def reproduce_command(run: RunResult) -> str:
    """The `globmed bench` call that produced this run, one flag per line, rebuilt from its model, config and
    dataset, with the results folder (`--out`) and comment lines saying where to run it and how to rerun it.

    A published model or dataset is named by its Hub id. A local run's paths are given relative to its
    release root (where `globmed demo --out ROOT` put them), so the command works from that folder on any
    machine; without a release root they are given as recorded, and a comment says they are that machine's.
    Every value is shell-quoted, so a hostile model name cannot turn the copied command into another one.
    """
    config = run.config
    root = release_root(run)
    repo = hub_id(run)
    local = bool(local_dataset(run)) or (not repo and is_local(run))
    dataset = str(run.dataset.get("repo_id") or _relative(str(run.dataset.get("path") or ""), root))
    flags = [("--model", repo or _relative(run.model.path or run.model.name, root)), ("--name", run.model.name),
             ("--model-type", run.model.type)]
    if run.model.base_model:
        flags.append(("--base-model", run.model.base_model))
    if config.get("backend"):
        flags.append(("--backend", str(config["backend"])))
    if dataset:
        flags.append(("--dataset", dataset))
    for flag, key in (("--tasks", "tasks"), ("--languages", "languages")):
        value = config.get(key)
        if isinstance(value, (list, tuple)) and value:
            flags.append((flag, ",".join(str(v) for v in value)))
        elif isinstance(value, str) and value:
            flags.append((flag, value))
    if config.get("limit") not in (None, "", 0):
        flags.append(("--limit", str(config["limit"])))
    flags.append(("--out", RESULTS_DIRNAME if root is not None else str(results_dir(DEFAULT_RELEASE_ROOT))))
    comments = [text.REPRODUCE_LOCAL if root is not None else text.REPRODUCE_LOCAL_ABSOLUTE] if local else []
    command = " \\\n".join(["globmed bench", *(f"  {flag} {shlex.quote(value)}" for flag, value in flags)])
    return "\n".join([*comments, text.REPRODUCE_RERUN, command])


def run_header(run: RunResult) -> str:
    """Markdown header of the model page; every value from the file is escaped. A local model is not linked:
    it says "local" instead."""
    link = model_link(run)
    title = "## " + markdown_link(run.model.name, link)
    size = "undisclosed" if run.model.size_b is None else f"{run.model.size_b:g}B"
    facts = [f"model **{text.LOCAL_MODEL}**"] if not link and is_local(run) else []
    facts += [
        f"type **{escape_markdown(run.model.type)}**", f"size **{size}**",
        f"backend **{escape_markdown(str(run.config.get('backend', '?')))}**",
        f"run {escape_markdown(run.run_id)}",
    ]
    if run.model.base_model:
        facts.append(f"fine-tuned from **{escape_markdown(run.model.base_model)}**")
    sha = str(run.dataset.get("manifest_sha256") or "")[:12]  # a folder without a MANIFEST.json records None
    if sha:
        facts.append(f"dataset {escape_markdown(sha)}")
    return title + "\n\n" + " · ".join(facts)

