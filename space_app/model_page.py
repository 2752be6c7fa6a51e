"""The model page: every score of one run by language x task x source, and the command that reproduces it."""

from __future__ import annotations

import html
import math
import shlex

import pandas as pd

from globmed.languages import language_codes
from globmed.results import RunResult
from globmed.schema import TASKS
from space_app.leaderboard import as_float, ci_half_width, escape_markdown, markdown_link, model_link, score_text

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


def reproduce_command(run: RunResult) -> str:
    """The exact `globmed bench` call that produced this run, rebuilt from its model, config and dataset.

    Every value is shell-quoted, so a hostile model name cannot turn the copied command into another one.
    """
    config = run.config
    args = ["globmed", "bench", "--model", run.model.path or run.model.name, "--name", run.model.name,
            "--model-type", run.model.type]
    if run.model.base_model:
        args += ["--base-model", run.model.base_model]
    if config.get("backend"):
        args += ["--backend", str(config["backend"])]
    dataset = run.dataset.get("path") or run.dataset.get("repo_id")
    if dataset:
        args += ["--dataset", str(dataset)]
    for flag, key in (("--tasks", "tasks"), ("--languages", "languages")):
        value = config.get(key)
        if isinstance(value, (list, tuple)) and value:
            args += [flag, ",".join(str(v) for v in value)]
        elif isinstance(value, str) and value:
            args += [flag, value]
    if config.get("limit") not in (None, "", 0):
        args += ["--limit", str(config["limit"])]
    return " ".join(shlex.quote(str(arg)) for arg in args)


def run_header(run: RunResult) -> str:
    """Markdown header of the model page; every value from the file is escaped."""
    title = "## " + markdown_link(run.model.name, model_link(run))
    size = "undisclosed" if run.model.size_b is None else f"{run.model.size_b:g}B"
    facts = [
        f"type **{escape_markdown(run.model.type)}**", f"size **{size}**",
        f"backend **{escape_markdown(str(run.config.get('backend', '?')))}**",
        f"run {escape_markdown(run.run_id)}",
    ]
    if run.model.base_model:
        facts.append(f"fine-tuned from **{escape_markdown(run.model.base_model)}**")
    sha = str(run.dataset.get("manifest_sha256", ""))[:12]
    if sha:
        facts.append(f"dataset {escape_markdown(sha)}")
    return title + "\n\n" + " · ".join(facts)

