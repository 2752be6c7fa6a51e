"""Export review sheets from a `globmed translate` output folder, and import filled sheets back into it.

The translation folder is read through its sources.yaml (entries with adapter globmed_native), so any folder in
the published layout works. Import is all or nothing: every bad cell is reported, and nothing is written unless all
sheets are valid. Applied rows get `reviewed: true`, the expert scores and comment, and method `machine+expert`
when the expert revised the text.
"""

from __future__ import annotations

import csv
import io
import logging
import statistics
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from dataset_builder.review.sheets import (
    COLUMNS,
    SCORES,
    Candidate,
    RevisionError,
    parse_revision,
    render,
    stratified_sample,
)
from globmed.atomic import atomic_write_json, atomic_write_text
from globmed.errors import GlobMedError
from globmed.text_io import read_json, read_text
from globmed.yaml_io import load_mapping

logger = logging.getLogger(__name__)


def _native_sources(translations: Path) -> list[dict[str, Any]]:
    path = translations / "sources.yaml"
    if not path.is_file():
        raise GlobMedError(f"{path}: no such file; --translations must be a `globmed translate` output folder")
    entries = load_mapping(path, "sources", ("sources", "build"), empty_ok=True).get("sources") or []
    native = [e for e in entries if e.get("adapter") == "globmed_native"]
    if not native:
        raise GlobMedError(f"{path}: no source with adapter globmed_native")
    return native


def _file(translations: Path, entry: dict[str, Any], lang: str, split: str) -> Path:
    return translations / entry["path"] / entry["files"].format(lang=lang, split=entry["splits"][split])


def _read_rows(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    return read_json(path, "translations", expect=list)


def export_sheets(translations: Path, out: Path, languages: list[str] | None, per_language: int, seed: int) -> dict:
    """Write review_<lang>.csv per language with a stratified sample; return {lang: rows written}."""
    candidates: dict[str, list[Candidate]] = defaultdict(list)
    for entry in _native_sources(translations):
        for split in entry["splits"]:
            english = {r["id"]: r for r in _read_rows(_file(translations, entry, "en", split))}
            for lang in entry["languages"]:
                if lang == "en" or (languages and lang not in languages):
                    continue
                for row in _read_rows(_file(translations, entry, lang, split)):
                    if row["id"] in english and (row.get("translation") or {}).get("method", "machine") != "original":
                        candidates[lang].append(
                            Candidate(
                                f"{entry['id']}:{split}:{row['id']}",
                                entry["id"],
                                entry["task"],
                                split,
                                english[row["id"]],
                                row,
                            )
                        )
    if not candidates:
        raise GlobMedError(f"{translations}: no machine-translated rows to review")
    written = {}
    out.mkdir(parents=True, exist_ok=True)
    for lang in sorted(candidates):
        sample = stratified_sample(candidates[lang], per_language, seed)
        rows = []
        for cand in sample:
            rows.append(
                {
                    "Item_ID": cand.item_id,
                    "Language": lang,
                    "Source": cand.source,
                    "Task": cand.task,
                    "Split": cand.split,
                    "English_Source": render(cand.english, cand.task),
                    "Machine_Translation": render(cand.translated, cand.task),
                    **dict.fromkeys(("Accuracy", "Fluency", "Completeness", "Expert_Revised", "Comment"), ""),
                }
            )
        atomic_write_text(out / f"review_{lang}.csv", _to_csv(rows))
        written[lang] = len(rows)
        logger.info("review_%s.csv: %d of %d rows sampled", lang, len(rows), len(candidates[lang]))
    return written


def _to_csv(rows: list[dict[str, str]]) -> str:
    import io

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return "\ufeff" + buffer.getvalue()  # BOM: spreadsheet programs then read UTF-8 correctly


def import_sheets(translations: Path, sheets: list[Path]) -> dict[str, Any]:
    """Validate every cell of every sheet, then apply scores and revisions; return per-language score stats."""
    entries = {e["id"]: e for e in _native_sources(translations)}
    files: dict[Path, list[dict[str, Any]]] = {}
    errors: list[str] = []
    updates: list[tuple[Path, str, dict[str, Any], str]] = []  # (file, row id, review, lang)
    seen: set[tuple[str, str]] = set()
    for sheet in sheets:
        if not sheet.is_file():
            errors.append(f"{sheet}: no such file")
            continue
        with io.StringIO(read_text(sheet, "review sheet"), newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                errors.append(f"{sheet}: missing column(s) {', '.join(missing)}")
                continue
            for rowno, cells in enumerate(reader, start=2):  # spreadsheet numbering: header is row 1
                errors += _check_row(translations, entries, files, sheet, rowno, cells, updates, seen)
    if errors:
        for line in errors:
            logger.error("%s", line)
        raise GlobMedError(
            f"{len(errors)} bad cell(s) in the review sheets (listed above); nothing was applied. First: {errors[0]}"
        )
    touched: set[Path] = set()
    stats: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"reviewed": 0, "revised": 0, **{s: Counter() for s in SCORES}}
    )
    for path, row_id, review, lang in updates:
        row = next(r for r in files[path] if r["id"] == row_id)
        revised = review.pop("revised")
        info = dict(row.get("translation") or {})
        if revised is not None:
            for key in ("context", "question", "options", "answer", "explanation"):
                row[key] = revised.get(key, row.get(key))
            info["method"] = "machine+expert"
            stats[lang]["revised"] += 1
        info["reviewed"] = True
        info["expert"] = review
        row["translation"] = info
        touched.add(path)
        stats[lang]["reviewed"] += 1
        for score in SCORES:
            stats[lang][score][review[score.lower()]] += 1
    for path in sorted(touched):
        atomic_write_json(path, files[path])
    report = {lang: _summary(s) for lang, s in sorted(stats.items())}
    atomic_write_json(translations / "review_report.json", report)
    return report


def _summary(stats: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"reviewed": stats["reviewed"], "revised": stats["revised"]}
    for score in SCORES:
        counts: Counter[int] = stats[score]
        values = [v for v, n in counts.items() for _ in range(n)]
        out[score.lower()] = {
            "distribution": {str(v): counts.get(v, 0) for v in range(1, 6)},
            "mean": round(statistics.fmean(values), 3) if values else None,
        }
    return out


def _check_row(translations, entries, files, sheet, rowno, cells, updates, seen) -> list[str]:
    where = f"{sheet.name} row {rowno}"
    errors: list[str] = []
    filled = [c for c in (*SCORES, "Expert_Revised", "Comment") if (cells.get(c) or "").strip()]
    if not filled:
        return []  # not reviewed: left as it is
    item_id, lang = (cells.get("Item_ID") or "").strip(), (cells.get("Language") or "").strip()
    source, _, rest = item_id.partition(":")
    split, _, row_id = rest.partition(":")
    entry = entries.get(source)
    if entry is None or split not in entry.get("splits", {}) or lang not in entry.get("languages", []) or lang == "en":
        return [f"{where} column Item_ID: {item_id!r} ({lang!r}) is not a translated item of {translations}"]
    path = _file(translations, entry, lang, split)
    if path not in files:
        files[path] = _read_rows(path)
    row = next((r for r in files[path] if r["id"] == row_id), None)
    if row is None:
        return [f"{where} column Item_ID: {item_id!r} not found in {path.relative_to(translations)}"]
    if (item_id, lang) in seen:
        return [f"{where} column Item_ID: {item_id!r} appears twice for {lang}"]
    seen.add((item_id, lang))
    review: dict[str, Any] = {}
    for score in SCORES:
        value = (cells.get(score) or "").strip()
        if value not in {"1", "2", "3", "4", "5"}:
            errors.append(f"{where} column {score}: {value or 'empty'!s} is not an integer from 1 to 5")
        else:
            review[score.lower()] = int(value)
    revised = None
    text = (cells.get("Expert_Revised") or "").strip()
    if text:
        try:
            revised = parse_revision(text, row, entry["task"])
        except RevisionError as err:
            errors.append(f"{where} column Expert_Revised: {err}")
        if revised is not None and render(revised, entry["task"]) == render(row, entry["task"]):
            revised = None  # copied unchanged: not a revision
    review["comment"] = (cells.get("Comment") or "").strip()
    review["revised"] = revised
    if not errors:
        updates.append((path, row_id, review, lang))
    return errors
