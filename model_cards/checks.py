"""Checks run on every generated card before it is written, and by the tests on the written files.

A card passes when its front matter parses, the fields the Hub needs for its kind are present, and (model
cards) every number in `model-index` and `.eval_results` equals the results JSON it came from, with no result
left out. Problems are collected and raised together as one `GlobMedError` line naming the card.
"""

from __future__ import annotations

import math
from typing import Any

from globmed.errors import GlobMedError
from globmed.results import RunResult
from model_cards.common import split_front_matter
from model_cards.eval_results import AGGREGATE_METRICS

REQUIRED = {
    "dataset": ("language", "license", "pretty_name", "task_categories", "configs"),
    "model": ("language", "license", "library_name", "pipeline_tag", "datasets", "tags"),
    "space": ("title", "sdk", "sdk_version", "app_file", "license", "datasets"),
}
DISCLAIMER_MARK = "not** a medical device"


class CardCheckError(GlobMedError):
    """A generated card failed its checks; the message lists every problem."""


def _required(meta: dict[str, Any], kind: str) -> list[str]:
    return [f"missing `{key}`" for key in REQUIRED[kind] if meta.get(key) in (None, "", [], {})]


def _raise(origin: str, problems: list[str]) -> None:
    if problems:
        raise CardCheckError(f"{origin}: card check failed: " + "; ".join(problems))


def check_dataset_card(text: str, origin: str, original: dict[str, Any] | None = None) -> dict[str, Any]:
    """The builder's `configs` and `dataset_info` must come through unchanged."""
    meta, body = split_front_matter(text, origin)
    problems = _required(meta, "dataset")
    for key in ("configs", "dataset_info"):
        if original and key in original and meta.get(key) != original[key]:
            problems.append(f"`{key}` differs from the builder's front matter")
    if DISCLAIMER_MARK not in body:
        problems.append("no medical disclaimer in the body")
    _raise(origin, problems)
    return meta


def check_space_card(text: str, origin: str) -> dict[str, Any]:
    meta, _ = split_front_matter(text, origin)
    problems = _required(meta, "space")
    if meta.get("sdk") != "gradio":
        problems.append(f"`sdk` is {meta.get('sdk')!r}, expected 'gradio'")
    _raise(origin, problems)
    return meta


def check_model_card(text: str, origin: str, run: RunResult | None = None,
                     eval_results: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Model card: required fields, and model-index / .eval_results numbers equal to `run`, none missing."""
    from huggingface_hub.repocard_data import model_index_to_eval_results

    meta, body = split_front_matter(text, origin)
    problems = _required(meta, "model")
    if meta.get("base_model") and meta.get("base_model_relation") not in {"adapter", "merge", "quantized", "finetune"}:
        problems.append("`base_model` without a valid `base_model_relation`")
    if DISCLAIMER_MARK not in body:
        problems.append("no medical disclaimer in the body")
    if run is not None:
        if not meta.get("model-index"):
            problems.append("missing `model-index` although results exist")
        else:
            try:
                _, entries = model_index_to_eval_results(meta["model-index"])
            except (KeyError, TypeError, ValueError) as err:
                problems.append(f"`model-index` does not parse ({err})")
            else:
                problems += _compare_model_index(entries, run)
        if eval_results is None:
            problems.append("no .eval_results entries although results exist")
        else:
            problems += _compare_eval_results(eval_results, run)
    _raise(origin, problems)
    return meta


def _same(a: Any, b: Any) -> bool:
    return isinstance(a, (int, float)) and isinstance(b, (int, float)) and math.isclose(a, b, rel_tol=0, abs_tol=0)


def _compare_model_index(entries: list[Any], run: RunResult) -> list[str]:
    problems, seen = [], set()
    for entry in entries:
        config = entry.dataset_config
        if config == "all":
            key = next((k for k, m in AGGREGATE_METRICS.items() if m == entry.metric_type), None)
            expected = run.aggregates.get(key) if key else None
        else:
            result = run.results.get(config)
            expected = None if result is None else result.metrics.get(entry.metric_type)
            seen.add(config)
        if not _same(entry.metric_value, expected):
            where = f"{config}/{entry.metric_type}"
            problems.append(f"model-index {where} = {entry.metric_value!r}, results say {expected!r}")
    missing = sorted(set(run.results) - seen)
    if missing:
        problems.append(f"model-index lacks {', '.join(missing)}")
    return problems


def _compare_eval_results(items: list[dict[str, Any]], run: RunResult) -> list[str]:
    from huggingface_hub import parse_eval_result_entries

    problems, seen = [], set()
    try:
        entries = parse_eval_result_entries(items)
    except (KeyError, TypeError, ValueError) as err:
        return [f".eval_results does not parse ({err})"]
    for entry in entries:
        result = run.results.get(entry.task_id)
        expected = None if result is None else result.score
        seen.add(entry.task_id)
        if not _same(entry.value, expected):
            problems.append(f".eval_results {entry.task_id} = {entry.value!r}, results say {expected!r}")
    missing = sorted(set(run.results) - seen)
    if missing:
        problems.append(f".eval_results lacks {', '.join(missing)}")
    return problems
