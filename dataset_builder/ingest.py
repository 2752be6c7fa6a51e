"""Read one source file into records: reader -> row language and rules -> adapter -> quality filters, every
row kept or rejected.

`ingest_file` is a pure function of (spec, file) so files can be read in parallel processes; it returns the
kept records as plain dicts (cheaper than dataclasses at 500k rows) and one reject entry per dropped row.
A row with `parallel_fields` gives one unit per language (its own and each parallel one); each unit counts as
one row read and ends kept or rejected, so rows read = kept + rejected still holds.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from dataset_builder.adapters import FieldMapping, MissingField, RowContext, make_adapter
from dataset_builder.dedup import item_text
from dataset_builder.provenance import expert_scores
from dataset_builder.quality import apply_filters, default_filters
from dataset_builder.readers import Malformed, file_sha256, read_rows
from dataset_builder.row_rules import LanguageColumn, RowRules
from dataset_builder.sources import ROW_LANGUAGE, FileTask, SourceSpec
from globmed.errors import GlobMedError
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
    normalisation: Counter[str] = field(default_factory=Counter)  # what the adapters changed, by kind


def _translation(spec: SourceSpec, language: str, provenance: dict[str, Any] | None, parallel_unit: bool = False
                 ) -> dict[str, Any]:
    """Provenance of one language version: a `parallel_fields` unit is a translation of its row; the row's own
    language is an original when `original_language` lists it (or, for rows that carry their language, says *)."""
    original = not parallel_unit and (language in spec.original_language or ROW_LANGUAGE in spec.original_language)
    if original:
        return {"method": "original", "model": "", "qc_score": -1.0, "reviewed": False}
    info = dict(spec.translation)
    if provenance:
        info.update({k: provenance[k] for k in ("method", "model", "qc_score", "reviewed") if k in provenance})
    method = str(info.get("method") or "machine")
    score = info.get("qc_score")
    result = {
        "method": method if method in TRANSLATION_METHODS else "machine",
        "model": str(info.get("model") or ""),
        "qc_score": float(score) if isinstance(score, (int, float)) else -1.0,
        "reviewed": bool(info.get("reviewed", False)),
    }
    expert = expert_scores(provenance)
    if expert:
        result["expert"] = expert  # counted in build_report.json's provenance; the writer keeps only the schema
    return result


def ingest_file(spec: SourceSpec, task: FileTask, known_languages: frozenset[str],
                selected_languages: frozenset[str] | None = None) -> FileResult:
    """Every row of one file, kept as a record or rejected with (source, file, row, reason, detail).

    `known_languages` are the registry's codes; `selected_languages` (default: all known) those the build wants.
    """
    path = spec.source_file(task)
    task = task.opened(path)  # rejects and the manifest name the member read, not the pattern that found it
    result = FileResult(task=task, sha256=file_sha256(path))
    file_label = task.label
    rejects = result.rejects
    selected = known_languages if selected_languages is None else selected_languages

    def reject(row: int, reason: str, detail: str = "", language: str = "") -> None:
        rejects.append({"source": spec.id, "file": file_label, "row": row, "reason": reason, "detail": detail,
                        "language": language})  # "" when the row's language could not be read

    rows = read_rows(path, spec.format, spec.csv, spec.records)
    if task.language != ROW_LANGUAGE and task.language not in known_languages:
        for row_no, _ in rows:
            result.rows_read += 1
            reject(row_no, "language_not_in_registry", f"language {task.language!r} is not in globmed/languages.yaml",
                   task.language)
        return result
    row_language = LanguageColumn(spec.language) if spec.language else None
    rules = RowRules(spec.select, spec.reject_when)
    adapter = make_adapter(spec)
    parallel = [(lang, make_adapter(spec, lang)) for lang in spec.parallel_fields]
    filters = default_filters()
    warned = False
    src, lic, tname = spec.id, spec.license, spec.task
    translations: dict[tuple[str, bool], dict[str, Any]] = {}
    ctx = RowContext(task.language, task.split, 0, task.vars)
    records = result.records
    file_units = [(task.language, adapter), *parallel]
    tag = bool(parallel)  # rejects of a row giving several languages say which language they are about
    gates: dict[str, tuple[str, str] | None] = {}

    def gate(lang: str) -> tuple[str, str] | None:
        """Why a row in this language cannot be used, decided once per language."""
        if lang not in gates:
            if lang not in known_languages:
                gates[lang] = ("language_not_in_registry", f"language {lang!r} is not in globmed/languages.yaml")
            elif lang not in selected:
                gates[lang] = ("language_not_selected", f"language {lang!r} not in --languages")
            else:
                gates[lang] = None
        return gates[lang]

    def reject_malformed(row_no: int, detail: str) -> None:
        """A row that cannot be read is one reject per language it would have given."""
        result.rows_read += len(file_units)
        for unit_lang, _ in file_units:
            reject(row_no, "malformed_row", detail, "" if unit_lang == ROW_LANGUAGE else unit_lang)

    for row_no, row in rows:
        if isinstance(row, Malformed):
            reject_malformed(row_no, row.detail)
            continue
        units = file_units
        if row_language is not None:
            try:
                lang = row_language(row)
            except MissingField as err:  # no language column: the row (all its units) is malformed
                reject_malformed(row_no, str(err))
                continue
            # a row already in a parallel language is that language's original: it gives no second unit
            units = [(lang, adapter), *((pl, a) for pl, a in parallel if pl != lang)]
        result.rows_read += len(units)
        ctx.row = row_no
        ruled = rules.check(row) if rules else None
        source_id = None
        for unit_lang, unit_adapter in units:
            stop = gate(unit_lang) or ruled
            if stop is not None:
                reject(row_no, stop[0], f"[{unit_lang}] {stop[1]}" if tag else stop[1], unit_lang)
                continue
            ctx.language = unit_lang
            try:
                draft = unit_adapter(row, ctx)
            except MissingField as err:
                if not warned:
                    logger.warning("%s %s row %d: %s", src, file_label, row_no, err)
                    warned = True
                reject(row_no, "malformed_row", f"[{unit_lang}] {err}" if tag else str(err), unit_lang)
                continue
            draft.language = unit_lang
            reason = apply_filters(filters, draft, tname)
            if reason is not None:
                reject(row_no, reason, f"[{unit_lang}] {draft.detail}" if tag and draft.detail else draft.detail,
                       unit_lang)
                continue
            source_id = source_id or draft.source_id  # parallel units share the row's own id
            pid = f"{src}:{source_id}"
            answer = draft.long_answer if tname == "lfqa" else draft.options[draft.index]
            unit = (unit_lang, unit_adapter is not adapter)  # (language, is a parallel unit)
            if unit not in translations:
                translations[unit] = _translation(spec, unit_lang, None, unit[1])
            records.append({
                "id": f"{pid}:{unit_lang}", "parallel_id": pid, "language": unit_lang, "task": tname, "source": src,
                "context": draft.context, "question": draft.question, "options": draft.options,
                "answer_index": draft.index, "answer": answer, "explanation": draft.explanation, "license": lic,
                "translation": _translation(spec, unit_lang, draft.translation, unit[1]) if draft.translation
                else translations[unit],
                "split": task.split,
                "_file": file_label, "_row": row_no,
            })
            records[-1]["_text"] = item_text(records[-1])  # dedup key text, computed here so it runs in parallel
    result.filter_counts = {
        f.name: {"seen": f.seen, "kept": f.kept, "dropped": dict(f.dropped)} for f in filters
    }
    for unit_adapter in [adapter, *(a for _, a in parallel)]:
        if isinstance(unit_adapter, FieldMapping):
            result.normalisation.update(unit_adapter.counts)
            problem = unit_adapter.answer_base_problem()
            if problem:
                raise GlobMedError(f"{path}: {problem} (source {spec.id!r} in {spec.yaml_file})")
    return result

