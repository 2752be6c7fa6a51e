"""Translation units: one English item as one JSON object, in and out.

The whole item (context, question, options, answer, explanation) is translated in one request so the options stay
aligned with the answer. Fields that are empty in English are left out of the unit. NLI labels are canonical
English in every language (dataset contract), so an NLI unit carries no options and no answer.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

TEXT_FIELDS = ("context", "question", "options", "answer", "explanation")


@dataclass(frozen=True)
class SourceItem:
    """An English record to translate, with what the output row needs besides the translated text."""

    source: str
    source_id: str
    task: str
    split: str
    license: str
    answer_index: int
    options: tuple[str, ...]  # English options (kept for NLI, whose labels are not translated)
    answer: str
    unit: dict[str, Any]  # the translatable fields

    @property
    def parallel_id(self) -> str:
        return f"{self.source}:{self.source_id}"

    @property
    def content_hash(self) -> str:
        """Hash of everything that decides the translation: reused items with the same text share a cache entry."""
        payload = json.dumps(
            {"task": self.task, "unit": self.unit, "answer_index": self.answer_index},
            sort_keys=True,
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def make_unit(task: str, context: str, question: str, options: list[str], answer: str, explanation: str) -> dict:
    unit: dict[str, Any] = {}
    if context.strip():
        unit["context"] = context
    unit["question"] = question
    if task == "mcqa":
        unit["options"] = list(options)
        unit["answer"] = answer
    elif task == "lfqa":
        unit["answer"] = answer
    if explanation.strip():
        unit["explanation"] = explanation
    return unit


def item_from_row(row: dict[str, Any], split: str) -> SourceItem:
    """A SourceItem from an English dataset row (globmed.schema record layout)."""
    source, _, source_id = row["parallel_id"].partition(":")
    return SourceItem(
        source=row["source"] or source,
        source_id=source_id,
        task=row["task"],
        split=split,
        license=row.get("license") or "",
        answer_index=int(row["answer_index"]),
        options=tuple(row["options"] or ()),
        answer=row["answer"],
        unit=make_unit(
            row["task"],
            row["context"] or "",
            row["question"],
            list(row["options"] or []),
            row["answer"],
            row.get("explanation") or "",
        ),
    )


def unit_texts(unit: dict[str, Any]) -> list[str]:
    """Every string of a unit, options expanded, in field order."""
    texts: list[str] = []
    for name in TEXT_FIELDS:
        value = unit.get(name)
        if isinstance(value, list):
            texts.extend(str(v) for v in value)
        elif value is not None:
            texts.append(str(value))
    return texts


class UnitParseError(ValueError):
    """The model's reply is not a JSON object with the unit's fields."""


_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)


def parse_json_object(text: str) -> dict[str, Any]:
    """The first JSON object in a model reply (code fences and chatter around it are tolerated)."""
    candidates = [m.group(1) for m in _FENCE.finditer(text)] + [text]
    for candidate in candidates:
        start = candidate.find("{")
        while start != -1:
            try:
                obj, _ = json.JSONDecoder().raw_decode(candidate[start:])
            except json.JSONDecodeError:
                start = candidate.find("{", start + 1)
                continue
            if isinstance(obj, dict):
                return obj
            start = candidate.find("{", start + 1)
    snippet = " ".join(text.split())[:80]
    raise UnitParseError(f"reply is not a JSON object: {snippet!r}")


def parse_unit(text: str, expected: dict[str, Any]) -> dict[str, Any]:
    """Parse a translated unit; keys are those of the reply (checks compare them with `expected`), types enforced."""
    obj = parse_json_object(text)
    unit: dict[str, Any] = {}
    for key, value in obj.items():
        if key not in TEXT_FIELDS:
            continue
        if key == "options":
            if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) for v in value):
                raise UnitParseError("'options' is not a list of strings")
            unit[key] = [str(v) for v in value]
        elif isinstance(value, (str, int, float)):
            unit[key] = str(value)
        else:
            raise UnitParseError(f"{key!r} is not a string")
    if not unit:
        raise UnitParseError(f"reply has none of the fields {', '.join(expected)}")
    return unit
