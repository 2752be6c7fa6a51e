"""A build in which every row was rejected: keep the evidence, say what went wrong, leave ROOT/globmed alone.

"no rows kept" alone sends the user hunting; the evidence is the same report and rejects file a good build
writes, so they go to ROOT/globmed.rejected (atomically, like the dataset folder) and the error names the top
reasons, each with one example row (file:row and the reject's detail, or the head of the row itself).
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from pathlib import Path
from typing import Any

from dataset_builder.writer import REJECTS_FILE, REPORT_FILE, write_rejects
from globmed.atomic import atomic_dir, dumps_json
from globmed.errors import GlobMedError
from globmed.layout import dataset_dir

REJECTED_SUFFIX = ".rejected"
TOP_REASONS = 3
_SNIPPET = 100  # characters of an example's detail or row


def rejected_dir(out_root: str | Path) -> Path:
    """ROOT/globmed.rejected: beside the dataset folder, never inside it."""
    target = dataset_dir(out_root)
    return target.with_name(target.name + REJECTED_SUFFIX)


def write_rejected(out_root: str | Path, report: dict[str, Any], rejects: list[dict[str, Any]]) -> Path:
    """build_report.json and rejects.jsonl into ROOT/globmed.rejected (replaced as a whole); returns the folder."""
    folder = rejected_dir(out_root)
    with atomic_dir(folder) as tmp:
        (tmp / REPORT_FILE).write_text(dumps_json(report), encoding="utf-8")
        write_rejects(tmp / REJECTS_FILE, rejects)
    return folder


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _SNIPPET else text[:_SNIPPET - 3] + "..."


def _row_text(jobs: list[tuple[Any, Any]], reject: dict[str, Any]) -> str:
    """The head of the rejected row as the reader gave it, when its file is on this machine; else ""."""
    from dataset_builder.readers import read_rows

    for spec, task in jobs:
        if spec.id != reject["source"] or not (task.label == reject["file"] or task.member):
            continue
        path = spec.file_here(task)
        if path is None or task.opened(path).label != reject["file"]:  # a member pattern names its member
            continue
        rows = read_rows(path, spec.format, spec.csv, spec.records)
        for _, row in itertools.islice(rows, int(reject["row"]), int(reject["row"]) + 1):
            return json.dumps(row, ensure_ascii=False, default=str) if isinstance(row, dict) else str(row)
    return ""


def example_line(reject: dict[str, Any], jobs: list[tuple[Any, Any]]) -> str:
    """`source file:row: detail` for one reject (the row's own text when the reject has no detail)."""
    what = reject.get("detail") or _row_text(jobs, reject)
    return f"{reject['source']} {reject['file']}:{reject['row']}" + (f": {_short(what)}" if what else "")


def all_rejected_error(out_root: str | Path, report: dict[str, Any], rejects: list[dict[str, Any]],
                       jobs: list[tuple[Any, Any]]) -> GlobMedError:
    """Write the evidence and return the one-line error naming the top reasons with an example each."""
    folder = write_rejected(out_root, report, rejects)
    counts = Counter(r["reason"] for r in rejects)
    first = {}
    for rej in rejects:
        first.setdefault(rej["reason"], rej)
    reasons = "; ".join(
        f"{reason} {n} (e.g. {example_line(first[reason], jobs)})" for reason, n in counts.most_common(TOP_REASONS)
    )
    more = f"; {len(counts) - TOP_REASONS} more reason(s)" if len(counts) > TOP_REASONS else ""
    if not reasons:
        empty = report.get("empty_files") or []
        reasons = f"no input rows: {len(empty)} empty file(s): {', '.join(empty[:5])}" if empty else "no input rows"
    return GlobMedError(
        f"no rows kept ({report['rows_read']} read, all rejected: {reasons}{more}); "
        f"build_report.json and rejects.jsonl written to {folder}; nothing written to {dataset_dir(out_root)}"
    )
