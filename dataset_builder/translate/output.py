"""Write translations in the published layout that `globmed build --sources OUT/sources.yaml` ingests.

OUT/GlobMed_<source>/<lang>/<split>.json   native GlobMed records (adapter globmed_native), English included
OUT/sources.yaml                            one entry per source
OUT/flagged.json                            every flagged row with its reason, rounds, issues and last translation
OUT/translate_report.json                   counts, reasons, requests, tokens, cost, resolved config

Flagged rows are kept out of the published files unless `pipeline.include_flagged` is set (they then carry
verdict "flagged" in their provenance); they are always in flagged.json, so none is silently dropped. Every file is
written atomically, rows in dataset order, so a resumed run writes byte-identical files.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import yaml

from dataset_builder.translate.agent import ACCEPTED, Outcome
from dataset_builder.translate.units import SourceItem
from globmed.atomic import atomic_write_json, atomic_write_text
from globmed.schema import SPLITS


def source_folder(source: str) -> str:
    return f"GlobMed_{source}"


def english_row(item: SourceItem) -> dict[str, Any]:
    unit = item.unit
    return {
        "id": item.source_id,
        "context": unit.get("context", ""),
        "question": unit["question"],
        "options": list(item.options),
        "answer_index": item.answer_index,
        "answer": item.answer,
        "explanation": unit.get("explanation", ""),
        "translation": {"method": "original", "model": "", "qc_score": -1.0, "reviewed": False},
    }


def translated_row(item: SourceItem, outcome: Outcome, provenance: dict[str, Any]) -> dict[str, Any]:
    """A native record from a translated unit; mcqa answer taken from the translated option so they cannot drift."""
    unit = outcome.unit or {}
    if item.task == "mcqa":
        options = list(unit.get("options", []))
        answer = options[item.answer_index] if 0 <= item.answer_index < len(options) else unit.get("answer", "")
    elif item.task == "nli":
        options, answer = list(item.options), item.answer
    else:
        options, answer = [], unit.get("answer", "")
    return {
        "id": item.source_id,
        "context": unit.get("context", ""),
        "question": unit.get("question", ""),
        "options": options,
        "answer_index": item.answer_index,
        "answer": answer,
        "explanation": unit.get("explanation", ""),
        "translation": {
            "method": "machine",
            "model": provenance["model"],
            "qc_score": outcome.qc_score,
            "reviewed": False,
            "verdict": outcome.verdict,
            "rounds": outcome.rounds,
            "issues": outcome.issues,
            "checks": outcome.checks,
            "review_score": outcome.review_score,
            "chrf": outcome.chrf,
            "reviewer_model": provenance["reviewer_model"],
            "prompt_version": provenance["prompt_version"],
        },
    }


def write_outputs(
    out: Path,
    items: list[SourceItem],
    languages: list[str],
    outcomes: dict[tuple[int, str], Outcome],
    provenance: dict[str, Any],
    metadata: dict[str, dict[str, Any]],
    include_flagged: bool,
) -> dict[str, Any]:
    """Write data files, sources.yaml and flagged.json; return counts for the report."""
    files: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    splits_of: dict[str, set[str]] = defaultdict(set)
    task_of: dict[str, str] = {}
    license_of: dict[str, str] = {}
    flagged: list[dict[str, Any]] = []
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    reasons: dict[str, Counter[str]] = defaultdict(Counter)
    for index, item in enumerate(items):
        splits_of[item.source].add(item.split)
        task_of.setdefault(item.source, item.task)
        license_of.setdefault(item.source, item.license)
        files[(item.source, "en", item.split)].append(english_row(item))
        for lang in languages:
            outcome = outcomes[(index, lang)]
            counts[lang][outcome.verdict] += 1
            row = translated_row(item, outcome, provenance) if outcome.unit is not None else None
            if outcome.verdict == ACCEPTED:
                files[(item.source, lang, item.split)].append(row)
                continue
            for issue in outcome.issues or [{"code": "unknown"}]:
                reasons[lang][issue["code"]] += 1
            if include_flagged and row is not None:
                files[(item.source, lang, item.split)].append(row)
            flagged.append(
                {
                    "source": item.source,
                    "id": item.source_id,
                    "language": lang,
                    "split": item.split,
                    "task": item.task,
                    "verdict": outcome.verdict,
                    "reason": outcome.reason,
                    "rounds": outcome.rounds,
                    "issues": outcome.issues,
                    "row": row,
                    "in_published_files": bool(include_flagged and row is not None),
                }
            )
    all_langs = ["en", *languages]
    entries = []
    for source in sorted(splits_of):
        for lang in all_langs:
            for split in sorted(splits_of[source], key=SPLITS.index):
                path = out / source_folder(source) / lang / f"{split}.json"
                atomic_write_json(path, files.get((source, lang, split), []))
        meta = metadata.get(source, {})
        entries.append(
            {
                "id": source,
                "name": meta.get("name", source),
                "task": task_of[source],
                "license": meta.get("license") or license_of[source],
                "citation": meta.get("citation", ""),
                "homepage": meta.get("homepage", ""),
                "format": "json",
                "path": source_folder(source),
                "files": "{lang}/{split}.json",
                "languages": all_langs,
                "splits": {s: s for s in sorted(splits_of[source], key=SPLITS.index)},
                "adapter": "globmed_native",
                "translation": {"method": "machine", "model": provenance["model"]},
            }
        )
    header = "# Written by `globmed translate`; build with: globmed build --sources THIS_FILE\n"
    atomic_write_text(
        out / "sources.yaml", header + yaml.safe_dump({"sources": entries}, allow_unicode=True, sort_keys=False)
    )
    atomic_write_json(out / "flagged.json", flagged)
    return {
        "counts": {lang: dict(sorted(c.items())) for lang, c in counts.items()},
        "flag_reasons": {lang: dict(sorted(c.items())) for lang, c in reasons.items()},
        "flagged": len(flagged),
        "sources": sorted(splits_of),
    }
