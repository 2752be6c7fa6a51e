"""Read one source file into records: reader -> adapter -> quality filters, every row kept or rejected.

`ingest_file` is a pure function of (spec, file) so files can be read in parallel processes; it returns the
kept records as plain dicts (cheaper than dataclasses at 500k rows) and one reject entry per dropped row.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dataset_builder.adapters import MissingField, RowContext, get_path, make_adapter
from dataset_builder.dedup import item_text
from dataset_builder.quality import apply_filters, default_filters
from dataset_builder.readers import Malformed, read_rows
from dataset_builder.sources import FileTask, SourceSpec
from globmed.atomic import sha256_file
from globmed.schema import TRANSLATION_METHODS

logger = logging.getLogger(__name__)


@dataclass
class FileResult:
    """What one file gave: kept records, rejects, counters and the input's checksum."""

    task: FileTask
    records: list[dict[str, Any]] = field(default_factory=list)
    rejects: list[dict[str, Any]] = field(default_factory=list)
    rows_read: int = 0
    sha256: str = ""
    filter_counts: dict[str, dict[str, Any]] = field(default_factory=dict)


def local_path(spec: SourceSpec, task: FileTask) -> Path:
    if spec.hub:
        from dataset_builder.hub import fetch

        return fetch(spec, task.relpath)
    return spec.path / task.relpath


def _translation(spec: SourceSpec, language: str, provenance: dict[str, Any] | None) -> dict[str, Any]:
    if language in spec.original_language:
        return {"method": "original", "model": "", "qc_score": -1.0, "reviewed": False}
    info = dict(spec.translation)
    if provenance:
        info.update({k: provenance[k] for k in ("method", "model", "qc_score", "reviewed") if k in provenance})
    method = str(info.get("method") or "machine")
    score = info.get("qc_score")
    return {
        "method": method if method in TRANSLATION_METHODS else "machine",
        "model": str(info.get("model") or ""),
        "qc_score": float(score) if isinstance(score, (int, float)) else -1.0,
        "reviewed": bool(info.get("reviewed", False)),
    }


def ingest_file(spec: SourceSpec, task: FileTask, known_languages: frozenset[str]) -> FileResult:
    """Every row of one file, kept as a record or rejected with (source, file, row, reason, detail)."""
    path = local_path(spec, task)
    result = FileResult(task=task, sha256=sha256_file(path) if path.is_file() else "")
    file_label = task.relpath
    rejects = result.rejects

    def reject(row: int, reason: str, detail: str = "") -> None:
        rejects.append({"source": spec.id, "file": file_label, "row": row, "reason": reason, "detail": detail})

    rows = read_rows(path, spec.format, spec.csv)
    if task.language not in known_languages:
        for row_no, _ in rows:
            result.rows_read += 1
            reject(row_no, "language_not_in_registry", f"language {task.language!r} is not in globmed/languages.yaml")
        return result
    adapter = make_adapter(spec)
    filters = default_filters()
    select_field = spec.select.get("field") if spec.select else None
    select_values = {str(v) for v in spec.select.get("values", [])} if spec.select else set()
    warned = False
    lang, src, lic, tname = task.language, spec.id, spec.license, spec.task
    default_translation = _translation(spec, lang, None)
    ctx = RowContext(lang, task.split, 0, task.vars)
    records = result.records
    for row_no, row in rows:
        result.rows_read += 1
        if isinstance(row, Malformed):
            reject(row_no, "malformed_row", row.detail)
            continue
        if select_field is not None:
            try:
                selected = get_path(row, select_field)
            except MissingField:
                selected = None
            if str(selected) not in select_values:
                reject(row_no, "not_selected", f"{select_field}={selected!r}")
                continue
        try:
            ctx.row = row_no
            draft = adapter(row, ctx)
        except MissingField as err:
            if not warned:
                logger.warning("%s %s row %d: %s", src, file_label, row_no, err)
                warned = True
            reject(row_no, "malformed_row", str(err))
            continue
        reason = apply_filters(filters, draft, tname)
        if reason is not None:
            reject(row_no, reason)
            continue
        pid = f"{src}:{draft.source_id}"
        answer = draft.long_answer if tname == "lfqa" else draft.options[draft.index]
        records.append({
            "id": f"{pid}:{lang}", "parallel_id": pid, "language": lang, "task": tname, "source": src,
            "context": draft.context, "question": draft.question, "options": draft.options,
            "answer_index": draft.index, "answer": answer, "explanation": draft.explanation, "license": lic,
            "translation": _translation(spec, lang, draft.translation) if draft.translation else default_translation,
            "split": task.split,
            "_file": file_label, "_row": row_no,
        })
        records[-1]["_text"] = item_text(records[-1])  # dedup key text, computed here so it runs in parallel
    result.filter_counts = {
        f.name: {"seen": f.seen, "kept": f.kept, "dropped": dict(f.dropped)} for f in filters
    }
    return result


def summarise_rejects(rejects: list[dict[str, Any]]) -> Counter[str]:
    return Counter(r["reason"] for r in rejects)
