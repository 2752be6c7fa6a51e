"""Select the English items to translate from a built dataset folder (read through globmed.data.load_split)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dataset_builder.translate.units import SourceItem, item_from_row
from globmed.data import load_split
from globmed.errors import GlobMedError
from globmed.schema import SPLITS, TASKS
from globmed.text_io import read_json

logger = logging.getLogger(__name__)


@dataclass
class Selection:
    sources: list[str] | None = None  # source ids; None = all
    tasks: list[str] | None = None
    splits: list[str] | None = None
    limit: int | None = None  # at most this many items per split


def load_items(dataset: str | Path, selection: Selection) -> list[SourceItem]:
    """English items in dataset order (split, then task, then row), filtered by source/task/split, capped by limit."""
    for task in selection.tasks or ():
        if task not in TASKS:
            raise GlobMedError(f"--task {task!r}: expected one of {', '.join(TASKS)}")
    for split in selection.splits or ():
        if split not in SPLITS:
            raise GlobMedError(f"--split {split!r}: expected one of {', '.join(SPLITS)}")
    wanted_sources = set(selection.sources) if selection.sources else None
    seen_sources: set[str] = set()
    items: list[SourceItem] = []
    for split in selection.splits or SPLITS:
        taken = 0
        for task in selection.tasks or TASKS:
            dataset_split = load_split(dataset, split, language="en", task=task)
            for row in dataset_split:
                seen_sources.add(row["source"])
                if wanted_sources is not None and row["source"] not in wanted_sources:
                    continue
                if selection.limit is not None and taken >= selection.limit:
                    break
                items.append(item_from_row(row, split))
                taken += 1
    if wanted_sources is not None:
        missing = sorted(wanted_sources - seen_sources)
        if missing:
            raise GlobMedError(
                f"--source {', '.join(missing)}: not in {dataset} "
                f"(English sources there: {', '.join(sorted(seen_sources)) or 'none'})"
            )
    return items


def source_metadata(dataset: str | Path) -> dict[str, dict[str, Any]]:
    """Source id -> {name, license, citation, homepage} from the dataset's build_report.json, when it has one."""
    report = Path(dataset) / "build_report.json"
    if not report.is_file():
        return {}
    data = read_json(report, "build report", expect=dict)
    return {s["id"]: s for s in data.get("sources", []) if isinstance(s, dict) and "id" in s}
