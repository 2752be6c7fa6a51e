"""The leaderboard's display schema: which columns exist, in which order, how wide, derived from the registries.

Language columns come from `globmed.languages` and task tabs from `globmed.schema.TASKS`, so adding a
language or a task to its registry adds its column or tab here without touching this file.

Headers are short so that none has to break inside a word: a language column is headed by its code (`sw`),
and the table shows the full name (the column's label) as the header's tooltip (table_html.py). Column widths
are fixed here (a table otherwise sizes a column by its cells, and a long header then breaks mid-word), for cells
padded 4 px a side (app.CSS); on a phone the first four columns (Rank, Model, Overall, Gap) fit the screen.
"""

from __future__ import annotations

from dataclasses import dataclass

from globmed.languages import all_languages
from globmed.schema import TASKS

TASK_LABELS = {"mcqa": "Multiple choice", "nli": "Inference (NLI)", "lfqa": "Long-form QA"}
# The results' metric keys (TaskResult.primary_metric) as visitors read them.
METRIC_LABELS = {"acc": "accuracy", "macro_f1": "macro-F1", "rougeL": "ROUGE-L", "chrf": "chrF",
                 "judge": "judge score"}
OVERALL_VIEW = "overall"
# Rows sent per update: the page a visitor sees first (about 15 rows fit the table's 600 px, the rest scroll), so
# an update's size and the browser's rendering stay the same at 100 or 10,000 runs.
PAGE_ROWS = 50


@dataclass(frozen=True)
class Column:
    """One leaderboard column: `key` in the numeric frame, `label` in the pickers, `header` in the table."""

    key: str
    label: str
    kind: str  # "meta" (text), "number" (plain number), "score" (a [0,1] score shown as a percentage), "rank"
    default: bool = True  # shown before the user touches the column picker
    always: bool = False  # cannot be hidden (the rank and the model name)
    group: str = ""  # "high" / "low" for language columns
    header: str = ""  # the table's header when it differs from `label` (short: no header breaks mid-word)
    width: int = 52  # pixels: a word of the header, or a score like "100.0", in the table's 14 px monospace

    @property
    def heading(self) -> str:
        return self.header or self.label

    @property
    def sortable(self) -> bool:
        """Offered by the "Sort by" control, and a sort button in the table's header."""
        return self.kind in {"score", "number"} or self.key == "model"


RANK = Column("rank", "Rank", "rank", always=True, width=44)
MODEL = Column("model", "Model", "meta", always=True, width=160)
OVERALL = Column("overall", "Overall", "score", width=68)
GAP = Column("gap", "Gap (high - low)", "score", header="Gap", width=52)
SUMMARY_COLUMNS = [
    OVERALL,
    GAP,
    Column("high_mean", "High-resource mean", "score", group="high", header="High mean", width=52),
    Column("low_mean", "Low-resource mean", "score", group="low", header="Low mean", width=52),
]
META_COLUMNS = [
    Column("size_b", "Size (B)", "number", width=52),
    Column("type", "Type", "meta", default=False, width=104),
    Column("backend", "Backend", "meta", default=False, width=104),
    Column("base_model", "Base model", "meta", default=False, width=150),
    Column("run_id", "Run", "meta", default=False, width=220),
]
# The first columns a phone shows without scrolling sideways (a browser test holds them to it).
PHONE_COLUMNS = ["rank", "model", "overall", "gap"]


def view_keys() -> list[str]:
    """Leaderboard views: the overall one, then one per task."""
    return [OVERALL_VIEW, *TASKS]


def view_label(view: str, metrics: list[str] | tuple[str, ...] = ()) -> str:
    """The tab's name, with the metric its scores are (`Multiple choice · accuracy`) when known."""
    if view == OVERALL_VIEW:
        return "Overall"
    named = " / ".join(METRIC_LABELS.get(metric, metric) for metric in metrics)
    return f"{TASK_LABELS.get(view, view)} · {named}" if named else TASK_LABELS.get(view, view)


def language_columns() -> list[Column]:
    return [
        Column(lang.code, f"{lang.name} ({lang.code})", "score", group=lang.resource, header=lang.code, width=52)
        for lang in all_languages()
    ]


def all_columns() -> list[Column]:
    """Every column in table order: rank, model, summaries (Overall and Gap first), model facts, languages."""
    return [RANK, MODEL, *SUMMARY_COLUMNS, *META_COLUMNS, *language_columns()]


def column_by_label() -> dict[str, Column]:
    return {col.label: col for col in all_columns()}


def pickable_labels() -> list[str]:
    """Labels offered in the column picker (every column the user may hide)."""
    return [col.label for col in all_columns() if not col.always]


def default_labels() -> list[str]:
    return [col.label for col in all_columns() if col.default and not col.always]


def sortable_labels() -> list[str]:
    return [col.label for col in all_columns() if col.sortable]


LANGUAGE_GROUPS = {"all": "All", "high": "High-resource", "low": "Low-resource"}
