"""Prompt templates per language (generated `<lang>.yaml` files) and their rendering.

A prompt is `description` (the task instruction, in the language) + k solved examples from the validation
split + the question rendered by `doc_to_text`, exactly as lm-evaluation-harness composes a few-shot context,
so the exported lm-eval tasks score the very same strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any

import yaml

from globmed.errors import GlobMedError
from globmed.schema import OPTION_LETTERS

FEWSHOT_DELIMITER = "\n\n"
TARGET_DELIMITER = " "


@lru_cache(maxsize=1)
def jinja_env():
    """The Jinja settings lm-eval uses for doc_to_text (StrictUndefined, trailing newlines kept)."""
    import jinja2

    return jinja2.Environment(loader=jinja2.BaseLoader(), undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


@dataclass(frozen=True)
class LanguagePrompts:
    language: str
    prompt_version: str
    answer_words: tuple[str, ...]
    labels: dict[str, str]  # canonical NLI label -> name in this language
    templates: dict[str, dict[str, str]]  # task -> {description, doc_to_text}

    def description(self, task: str) -> str:
        return self.templates[task]["description"]

    def doc_to_text(self, task: str, doc: dict[str, Any]) -> str:
        return _compile(self.templates[task]["doc_to_text"]).render(**doc)

    def target(self, task: str, doc: dict[str, Any]) -> str:
        """What follows the prompt in a solved example: the option letter, or the long answer."""
        if task == "lfqa":
            return doc["answer"]
        return OPTION_LETTERS[int(doc["answer_index"])]

    def build(self, task: str, doc: dict[str, Any], shots: list[dict[str, Any]] = ()) -> str:
        """description + shots + question, with lm-eval's delimiters."""
        examples = "".join(
            self.doc_to_text(task, shot) + TARGET_DELIMITER + self.target(task, shot) + FEWSHOT_DELIMITER
            for shot in shots
        )
        return self.description(task) + examples + self.doc_to_text(task, doc)


@lru_cache(maxsize=64)
def _compile(source: str):
    return jinja_env().from_string(source)


@cache
def load_prompts(language: str) -> LanguagePrompts:
    try:
        text = resources.files("benchmark.prompts").joinpath(f"{language}.yaml").read_text(encoding="utf-8")
    except FileNotFoundError:
        raise GlobMedError(
            f"no prompt file benchmark/prompts/{language}.yaml; add the language to benchmark/prompts/_table.yaml "
            "and run `python -m benchmark.prompts.generate`"
        ) from None
    data = yaml.safe_load(text)
    return LanguagePrompts(
        language=data["language"],
        prompt_version=str(data["prompt_version"]),
        answer_words=tuple(data["answer_words"]),
        labels=dict(data["labels"]),
        templates=data["templates"],
    )


def all_answer_words() -> tuple[str, ...]:
    """The word for "answer" (and variants) in every language with a prompt file, longest first."""
    from globmed.languages import language_codes

    words = {w for code in language_codes() for w in load_prompts(code).answer_words}
    return tuple(sorted(words, key=len, reverse=True))
