"""Prompt templates per language (each task file's `prompt` table in the language's words) and their rendering.

A prompt is `description` (the task instruction, in the language) + k solved examples + the question rendered
by `doc_to_text`, exactly as lm-evaluation-harness composes a few-shot context, so the exported lm-eval tasks
score the very same strings. The k examples are fixed per language-task: the first k rows of the few-shot pool
(the task's few-shot split, then train, in file and row order), which is lm-eval's `first_n` sampler over the
same rows; a fixed context is also what lets a backend compute it once per cell (a shared KV prefix). The
layouts and the words live in benchmark/tasks/<task>.yaml (read through `globmed.tasks`); nothing per language
is generated on disk.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from globmed.errors import GlobMedError
from globmed.schema import OPTION_LETTERS
from globmed.tasks import TaskConfig, compile_template, fill_words, get_task, task_registry

FEWSHOT_DELIMITER = "\n\n"
TARGET_DELIMITER = " "
SHOTS_SAMPLER = "first_n"  # lm-eval's name for "the first k of the pool, in order"; results record it


def fewshot_splits(task: TaskConfig) -> tuple[str, ...]:
    """The few-shot pool's splits, in order: the task's few-shot split, then train.

    A release has few validation rows per cell (the bundled sample has 4), so `--shots 5` continues with the
    first train rows rather than failing; the test split is never part of the pool.
    """
    return tuple(dict.fromkeys((task.fewshot_split, "train")))


def shots_plan(k: int, sizes: Sequence[tuple[str, int]], cell: str) -> list[tuple[str, int]]:
    """How many of the first k shots come from each pool split: `[(split, n), ...]`, splits with n > 0 only.

    `sizes` are the pool's splits in order with their row counts. Too small a pool is a one-line error naming
    the cell and the counts, shared by `globmed bench` and the lm-eval export.

        >>> shots_plan(5, [("validation", 4), ("train", 24)], "en-mcqa")
        [('validation', 4), ('train', 1)]
    """
    plan, left = [], k
    for split, size in sizes:
        if left and size:
            plan.append((split, min(left, size)))
            left -= plan[-1][1]
    if left:
        counts = ", ".join(f"{split} {size}" for split, size in sizes)
        raise GlobMedError(f"{cell}: --shots {k} but its few-shot pool has {k - left} items ({counts})")
    return plan


@dataclass(frozen=True)
class LanguagePrompts:
    language: str
    answer_words: tuple[str, ...]
    labels: dict[str, str]  # canonical NLI label -> name in this language
    templates: dict[str, dict[str, str]]  # task -> {description, doc_to_text}, the language's words filled in

    def description(self, task: str) -> str:
        return self.templates[task]["description"]

    def doc_to_text(self, task: str, doc: dict[str, Any]) -> str:
        return compile_template(self.templates[task]["doc_to_text"]).render(**doc)

    def target(self, task: str, doc: dict[str, Any]) -> str:
        """What follows the prompt in a solved example: the option letter, or the long answer."""
        if not get_task(task).is_choice:
            return doc["answer"]
        return OPTION_LETTERS[int(doc["answer_index"])]

    def build(self, task: str, doc: dict[str, Any], shots: list[dict[str, Any]] = ()) -> str:
        """description + shots + question, with lm-eval's delimiters."""
        examples = "".join(
            self.doc_to_text(task, shot) + TARGET_DELIMITER + self.target(task, shot) + FEWSHOT_DELIMITER
            for shot in shots
        )
        return self.description(task) + examples + self.doc_to_text(task, doc)


@cache
def load_prompts(language: str) -> LanguagePrompts:
    """Every task's prompt in `language`; a task file without a row for it is an error naming the file."""
    templates: dict[str, dict[str, str]] = {}
    labels: dict[str, str] = {}
    words: list[str] = []
    for name in task_registry():
        table = get_task(name).prompt
        where = f"benchmark/tasks/{name}.yaml: prompt.languages.{language}"
        if language not in table.languages:
            raise GlobMedError(f"{where}: no row for this language; add one in the language's own words")
        row = table.languages[language]
        templates[name] = {
            "description": fill_words(table.description, row, where),
            "doc_to_text": fill_words(table.doc_to_text, row, where),
        }
        labels.update(row.get("labels") or {})
        words += [w for w in table.answer_words(language) if w not in words]
    return LanguagePrompts(language=language, answer_words=tuple(words), labels=labels, templates=templates)


def prompt_version(tasks: list[str]) -> str:
    """The run's prompt version: the tasks' one shared version, else each task's (`mcqa:2,nli:1`)."""
    versions = {task: get_task(task).prompt.version for task in tasks}
    if len(set(versions.values())) <= 1:
        return next(iter(versions.values()), "")
    return ",".join(f"{task}:{version}" for task, version in versions.items())


def all_answer_words() -> tuple[str, ...]:
    """The word for "answer" (and variants) in every language with prompts, longest first."""
    from globmed.languages import language_codes

    words = {w for code in language_codes() for w in load_prompts(code).answer_words}
    return tuple(sorted(words, key=len, reverse=True))
