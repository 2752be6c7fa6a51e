"""The leaderboard's display schema: which columns exist, in which order, derived from the registries.

Language columns come from `globmed.languages` and task tabs from `globmed.schema.TASKS`, so adding a
language or a task to its registry adds its column or tab here without touching this file.
"""

from __future__ import annotations

from dataclasses import dataclass

from globmed.languages import all_languages
from globmed.schema import TASKS

TASK_LABELS = {"mcqa": "Multiple choice", "nli": "Inference (NLI)", "lfqa": "Long-form QA"}
OVERALL_VIEW = "overall"


@dataclass(frozen=True)
class Column:
    """One leaderboard column: `key` in the numeric frame, `label` shown to users."""

    key: str
    label: str
    kind: str  # "meta" (text), "number" (plain number), "score" (a [0,1] score shown as a percentage)
    default: bool = True  # shown before the user touches the column picker
    always: bool = False  # cannot be hidden (the model name)
    group: str = ""  # "high" / "low" for language columns


MODEL = Column("model", "Model", "meta", always=True)
META_COLUMNS = [
    MODEL,
    Column("type", "Type", "meta"),
    Column("size_b", "Size (B)", "number"),
    Column("backend", "Backend", "meta", default=False),
    Column("base_model", "Base model", "meta", default=False),
    Column("run_id", "Run", "meta", default=False),
]
SUMMARY_COLUMNS = [
    Column("overall", "Overall", "score"),
    Column("high_mean", "High-resource mean", "score", group="high"),
    Column("low_mean", "Low-resource mean", "score", group="low"),
    Column("gap", "Gap (high - low)", "score"),
]


def view_keys() -> list[str]:
    """Leaderboard views: the overall one, then one per task."""
    return [OVERALL_VIEW, *TASKS]


def view_label(view: str) -> str:
    return "Overall" if view == OVERALL_VIEW else TASK_LABELS.get(view, view)


def language_columns() -> list[Column]:
    return [
        Column(lang.code, f"{lang.name} ({lang.code})", "score", group=lang.resource) for lang in all_languages()
    ]


def all_columns() -> list[Column]:
    return META_COLUMNS + SUMMARY_COLUMNS + language_columns()


def column_by_label() -> dict[str, Column]:
    return {col.label: col for col in all_columns()}


def pickable_labels() -> list[str]:
    """Labels offered in the column picker (every column the user may hide)."""
    return [col.label for col in all_columns() if not col.always]


def default_labels() -> list[str]:
    return [col.label for col in all_columns() if col.default and not col.always]


def sortable_labels() -> list[str]:
    return [col.label for col in all_columns() if col.kind in {"score", "number"} or col.key == "model"]


LANGUAGE_GROUPS = {"all": "All languages", "high": "High-resource only", "low": "Low-resource only"}
