"""Turn GlobMed records into chat conversations for SFT.

Each record becomes system / user / assistant messages in the record's own language (training/prompts.yaml).
The assistant turn is what the model learns to say, and the only part that carries loss:
mcqa and nli answer with the letter and the option text (the rationale follows when the source has one);
lfqa answers with the long answer. The benchmark's answer extraction looks for the same `B. text` shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from globmed.errors import GlobMedError
from globmed.schema import OPTION_LETTERS, TASKS

PROMPT_KEYS = ("system", "context", "question", "options", "premise", "hypothesis", "nli", "explanation")
DEFAULT_PROMPTS = Path(__file__).with_name("prompts.yaml")


@dataclass(frozen=True)
class LanguagePrompts:
    """The labels and system prompt of one language (one entry of prompts.yaml)."""

    system: str
    context: str
    question: str
    options: str
    premise: str
    hypothesis: str
    nli: str
    explanation: str


@lru_cache(maxsize=8)
def load_prompts(path: str | None = None) -> dict[str, LanguagePrompts]:
    """Read the per-language prompt table; a missing key names the language and the key."""
    source = Path(path) if path else DEFAULT_PROMPTS
    try:
        table = yaml.safe_load(source.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise GlobMedError(f"{source}: cannot read the prompt table: {err}") from None
    prompts = {}
    for lang, entry in (table or {}).items():
        missing = [k for k in PROMPT_KEYS if not isinstance(entry, Mapping) or not entry.get(k)]
        if missing:
            raise GlobMedError(f"{source}: language {lang!r} lacks {', '.join(missing)}")
        extra = sorted(set(entry) - set(PROMPT_KEYS))
        if extra:
            raise GlobMedError(f"{source}: language {lang!r} has unknown keys {', '.join(extra)}")
        prompts[str(lang)] = LanguagePrompts(**{k: str(entry[k]) for k in PROMPT_KEYS})
    return prompts


def prompts_for(language: str, path: str | None = None) -> LanguagePrompts:
    table = load_prompts(path)
    if language not in table:
        raise GlobMedError(f"no system prompt for language {language!r} in {path or DEFAULT_PROMPTS}; add an entry")
    return table[language]


def _lettered(options: list[str]) -> str:
    return "\n".join(f"{OPTION_LETTERS[i]}. {text}" for i, text in enumerate(options))


def user_turn(record: Mapping[str, Any], prompts: LanguagePrompts) -> str:
    """The user message: context (or premise), question (or hypothesis), lettered options."""
    task = record["task"]
    parts = []
    if task == "nli":
        parts.append(f"{prompts.premise}: {record['context']}")
        parts.append(f"{prompts.hypothesis}: {record['question']}")
        parts.append(prompts.nli)
        parts.append(f"{prompts.options}:\n{_lettered(record['options'])}")
    else:
        if record.get("context"):
            parts.append(f"{prompts.context}: {record['context']}")
        parts.append(f"{prompts.question}: {record['question']}")
        if task == "mcqa":
            parts.append(f"{prompts.options}:\n{_lettered(record['options'])}")
    return "\n\n".join(parts)


def assistant_turn(record: Mapping[str, Any], prompts: LanguagePrompts) -> str:
    """The target: `B. option text` (+ explanation) for mcqa/nli, the long answer for lfqa."""
    task = record["task"]
    if task == "lfqa":
        return record["answer"]
    index = record["answer_index"]
    options = record["options"]
    if not 0 <= index < len(options) or index >= len(OPTION_LETTERS):
        raise GlobMedError(f"record {record['id']}: answer_index {index} is outside its {len(options)} options")
    text = f"{OPTION_LETTERS[index]}. {options[index]}"
    if record.get("explanation"):
        text += f"\n\n{prompts.explanation}: {record['explanation']}"
    return text


def to_messages(record: Mapping[str, Any], prompts_path: str | None = None) -> list[dict[str, str]]:
    """One record as a conversation; a record of an unknown task or language is an error naming its id."""
    if record["task"] not in TASKS:
        raise GlobMedError(f"record {record['id']}: unknown task {record['task']!r}")
    prompts = prompts_for(record["language"], prompts_path)
    return [
        {"role": "system", "content": prompts.system},
        {"role": "user", "content": user_turn(record, prompts)},
        {"role": "assistant", "content": assistant_turn(record, prompts)},
    ]


def to_conversations(dataset, prompts_path: str | None = None, num_proc: int | None = None):
    """Map a GlobMed `datasets.Dataset` to one with `messages` (plus `language` and `task` kept for reports)."""
    keep = {"language", "task"}
    return dataset.map(
        lambda row: {"messages": to_messages(row, prompts_path)},
        remove_columns=[c for c in dataset.column_names if c not in keep],
        num_proc=num_proc,
        desc="Formatting chat messages",
    )
