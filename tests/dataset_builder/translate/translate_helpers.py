"""Helpers for reading a `globmed translate` output folder in tests (independent of the dataset fixture's content)."""

from __future__ import annotations

import json
from pathlib import Path

from dataset_builder.translate.items import Selection, load_items


def published_rows(out: Path, lang: str) -> dict[tuple[str, str], dict]:
    """(source, id) -> row, over every GlobMed_<source>/<lang>/<split>.json."""
    rows = {}
    for path in sorted(out.glob(f"GlobMed_*/{lang}/*.json")):
        source = path.parent.parent.name.removeprefix("GlobMed_")
        for row in json.loads(path.read_text(encoding="utf-8")):
            rows[(source, row["id"])] = row
    return rows


def flagged_rows(out: Path) -> dict[tuple[str, str], dict]:
    return {(f["source"], f["id"]): f for f in json.loads((out / "flagged.json").read_text(encoding="utf-8"))}


def english_items(dataset: Path, **selection):
    return load_items(dataset, Selection(**selection))
