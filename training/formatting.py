"""Turn GlobMed records into chat conversations for SFT.

Each record becomes system / user / assistant messages in the record's own language. The turns are the task
file's `training` layouts (benchmark/tasks/<task>.yaml, read through `globmed.tasks`), whose `$words` are filled
from the language's entry of the prompt table (training/prompts.yaml, or the recipe's `system_prompts`), which
also holds the system prompt. The assistant turn is what the model learns to say, and the only part that
carries loss: mcqa and nli answer with the letter and the option text (the rationale follows when the source
has one); lfqa answers with the long answer. The benchmark's answer extraction looks for the same `B. text` shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from globmed.errors import GlobMedError
from globmed.schema import OPTION_LETTERS
from globmed.tasks import compile_template, fill_words, get_task, task_names, task_registry

DEFAULT_PROMPTS = Path(__file__).with_name("prompts.yaml")


@dataclass(frozen=True)
class LanguagePrompts:
    """The system prompt and the chat labels of one language (one entry of prompts.yaml)."""

    system: str
    words: dict[str, str]  # $word -> label, for the task files' training turns


def prompt_keys() -> tuple[str, ...]:
    """What every language's entry holds: the system prompt and each word the task files' training turns use."""
    words = set().union(*(get_task(name).training.words() for name in task_registry()))
    return ("system", *sorted(words))


@lru_cache(maxsize=8)
def load_prompts(path: str | None = None) -> dict[str, LanguagePrompts]:
    """Read the per-language prompt table; a missing key names the language and the key."""
    source = Path(path) if path else DEFAULT_PROMPTS
    try:
        table = yaml.safe_load(source.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise GlobMedError(f"{source}: cannot read the prompt table: {err}") from None
    keys = prompt_keys()
    prompts = {}
    for lang, entry in (table or {}).items():
        missing = [k for k in keys if not isinstance(entry, Mapping) or not entry.get(k)]
        if missing:
            raise GlobMedError(f"{source}: language {lang!r} lacks {', '.join(missing)}")
        extra = sorted(set(entry) - set(keys))
        if extra:
            raise GlobMedError(f"{source}: language {lang!r} has unknown keys {', '.join(extra)}")
        words = {k: str(entry[k]) for k in keys if k != "system"}
        prompts[str(lang)] = LanguagePrompts(system=str(entry["system"]), words=words)
    return prompts


def prompts_for(language: str, path: str | None = None) -> LanguagePrompts:
    table = load_prompts(path)
    if language not in table:
        raise GlobMedError(f"no system prompt for language {language!r} in {path or DEFAULT_PROMPTS}; add an entry")
    return table[language]


@lru_cache(maxsize=256)
def _turns(task: str, language: str, path: str | None):
    """The task's user and assistant templates in the language's words, compiled once per table."""
    turns, words = get_task(task).training, prompts_for(language, path).words
    where = f"benchmark/tasks/{task}.yaml: training ({language} words from {path or DEFAULT_PROMPTS})"
    return tuple(compile_template(fill_words(turn, words, where)) for turn in (turns.user, turns.assistant))


def to_messages(record: Mapping[str, Any], prompts_path: str | None = None) -> list[dict[str, str]]:
    """One record as a conversation; a record of an unknown task or language is an error naming its id."""
    task, language = record["task"], record["language"]
    if task not in task_names():
        raise GlobMedError(f"record {record['id']}: unknown task {task!r}")
    user, assistant = _turns(task, language, prompts_path)
    if get_task(task).is_choice:
        index, options = record["answer_index"], record["options"]
        if not 0 <= index < len(options) or index >= len(OPTION_LETTERS):
            raise GlobMedError(f"record {record['id']}: answer_index {index} is outside its {len(options)} options")
    return [
        {"role": "system", "content": prompts_for(language, prompts_path).system},
        {"role": "user", "content": user.render(**record)},
        {"role": "assistant", "content": assistant.render(**record)},
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
