"""GlobMed tasks: one YAML file per task (benchmark/tasks/<task>.yaml), each with a version that results record.

A task file holds everything the kit knows about one task, as an lm-eval task YAML does: which split is scored,
where few-shot examples come from, how outputs are scored (`multiple_choice` or `generate_until`) and which
metric modules apply; its GlobMed-Bench prompt in every language; how the dataset and model cards name and tag
it; and the chat turns the GlobMed-LLMs are trained on. Unknown keys are an error naming the file and the key,
so a typo never silently changes a benchmark. Tasks are discovered by file: adding `benchmark/tasks/x.yaml`
adds task `x` to the benchmark, the cards and training; nothing else lists them.

Why the schema and the loader live in the kernel while the files live in the benchmark: the benchmark is the
files' main reader and the place a contributor looks for a task (lm-eval's layout), but the cards and training
read them too, and parts never import one another. So this module finds the folder through the import
system's record of the `benchmark` package (`importlib.util.find_spec`), which locates it without running any
of its code: no import edge from the kernel to a part, and the layers contract holds. The Space, whose Hub
copy ships the kernel and `space_app` only, never reads task files.

Which tasks can exist is still closed by the record schema: a task scores the rows of one record task family
(`globmed.schema.TASKS`, the set the dataset builder checks a source's `task:` against, stored in the dataset
as `data/<lang>/<task>/`), so a task file must be named after one. They are listed in that family order
(mcqa, nli, lfqa), which the results, cards and Space all show.

Prompts are written once per task as a layout with `$word` slots, filled from each language's row of words
(`fill_words`): the benchmark's rows sit in the task file under `prompt.languages`; the training turns take
their words from training/prompts.yaml (the recipe's `system_prompts` table). The filled text is a Jinja
template rendered with the record's fields, with the settings lm-eval uses (`compile_template`), so the
lm-eval export carries the very same strings.

    >>> fill_words("$question: {{ question }}", {"question": "Swali"}, "example")
    'Swali: {{ question }}'
"""

from __future__ import annotations

import importlib.util
import json
import string
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from typing import Any

from globmed.errors import GlobMedError
from globmed.registry import Registry
from globmed.schema import TASKS
from globmed.yaml_io import check_keys, read_yaml

OUTPUT_TYPES = ("multiple_choice", "generate_until")
ANSWER_VARIANTS = "answer_variants"  # a prompt row's other ways of saying "the answer is", for answer extraction


@dataclass(frozen=True)
class CardText:
    """How the dataset and model cards name, tag and describe the task."""

    name: str  # e.g. "Multiple-choice question answering"
    hub_task_category: str  # dataset card `task_categories`
    model_index_task: str  # model card `model-index` task type
    sources_text: str  # the English sources, as the card lists them
    metric_text: str  # what the benchmark's score measures, in words


@dataclass(frozen=True)
class PromptTable:
    """The GlobMed-Bench prompt: lm-eval's description + doc_to_text, as layouts with `$word` slots.

    `languages` maps a language code to its row: the words of the layouts (a mapping word, such as the NLI
    label names, fills its slot as a Jinja dict literal) and optionally `answer_variants`.
    """

    version: str  # recorded in results as `prompt_version`
    description: str
    doc_to_text: str
    languages: dict[str, dict[str, Any]]

    def words(self) -> set[str]:
        return layout_words(self.description) | layout_words(self.doc_to_text)

    def answer_words(self, language: str) -> list[str]:
        """The language's answer cue (the `answer` word) and its variants, as the extractor looks for them."""
        row = self.languages[language]
        cue = [row["answer"]] if "answer" in row else []
        return [*cue, *(w for w in row.get(ANSWER_VARIANTS, ()) if w not in cue)]


@dataclass(frozen=True)
class TrainingTurns:
    """The user and assistant turns of the training chat; their `$words` come from training/prompts.yaml."""

    user: str
    assistant: str

    def words(self) -> set[str]:
        return layout_words(self.user) | layout_words(self.assistant)


@dataclass(frozen=True)
class TaskConfig:
    """One task file: benchmark settings at the top level, then the card, prompt and training sections."""

    task: str
    version: int
    card: CardText
    prompt: PromptTable
    training: TrainingTurns
    test_split: str = "test"
    fewshot_split: str = "validation"
    output_type: str = "multiple_choice"
    metrics: tuple[str, ...] = ()
    primary_metric: str = "acc"
    generation: dict = field(default_factory=dict)

    @property
    def is_choice(self) -> bool:
        return self.output_type == "multiple_choice"


# -- $word layouts and their Jinja templates ----------------------------------------------------------------------


def layout_words(layout: str) -> set[str]:
    """The `$word` slots of a layout (`$$` is a literal dollar sign)."""
    found = set()
    for match in string.Template.pattern.finditer(layout):
        name = match.group("named") or match.group("braced")
        if name:
            found.add(name)
    return found


def fill_words(layout: str, words: Mapping[str, Any], where: str) -> str:
    """The layout with each `$word` replaced by the row's word; a mapping word becomes a JSON (= Jinja) dict."""
    values = {key: value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
              for key, value in words.items()}
    try:
        return string.Template(layout).substitute(values)
    except KeyError as err:
        raise GlobMedError(f"{where}: no word for ${err.args[0]}") from None
    except ValueError as err:
        raise GlobMedError(f"{where}: {err}; write $$ for a literal dollar sign") from None


@lru_cache(maxsize=1)
def jinja_env():
    """The Jinja settings lm-eval uses for doc_to_text (StrictUndefined, trailing newlines kept)."""
    import jinja2

    return jinja2.Environment(loader=jinja2.BaseLoader(), undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


@lru_cache(maxsize=256)
def compile_template(source: str):
    return jinja_env().from_string(source)


# -- reading task files ---------------------------------------------------------------------------------------


def _strict(data: Any, cls: type, where: str, optional: frozenset[str] = frozenset()) -> dict[str, Any]:
    """`data` as keyword arguments of `cls`: a mapping with every non-optional field and no unknown key."""
    known = [f.name for f in fields(cls)]
    if not isinstance(data, Mapping):
        raise GlobMedError(f"{where}: expected a mapping with {', '.join(known)}")
    check_keys(dict(data), known, where)
    for key in known:
        if key not in data and key not in optional:
            raise GlobMedError(f"{where}: missing required key {key!r}")
    return dict(data)


def _shape(key: str, value: Any) -> str:
    """What a row's entry is, in words: each language's entry for one key must be the same kind."""
    if key == ANSWER_VARIANTS:
        return "a list of words" if isinstance(value, list) and all(isinstance(v, str) for v in value) else "bad"
    if isinstance(value, Mapping) and all(isinstance(v, str) for v in value.values()):
        return f"words for {', '.join(sorted(map(str, value)))}"  # e.g. the NLI label names
    return "a word" if isinstance(value, str) else "bad"


def _check_row(row: Any, first: Mapping[str, Any], used: set[str], at: str, first_at: str) -> None:
    """One language's words: every `$word` of the layout, nothing else, and the same keys as the first row."""
    if not isinstance(row, Mapping):
        raise GlobMedError(f"{at}: expected a mapping of words ({', '.join(sorted(used))})")
    missing = sorted(used - set(row))
    if missing:
        raise GlobMedError(f"{at}: no word for {', '.join('$' + m for m in missing)} (used by the layout)")
    unknown = sorted(set(row) - used - {ANSWER_VARIANTS})
    if unknown:
        raise GlobMedError(f"{at}: unknown key(s) {', '.join(unknown)}; the layout uses {', '.join(sorted(used))}")
    if set(row) != set(first):
        raise GlobMedError(f"{at}: keys differ from {first_at} ({', '.join(sorted(set(row) ^ set(first)))})")
    for key, value in row.items():
        shape, want = _shape(key, value), _shape(key, first[key])
        if shape == "bad":
            raise GlobMedError(f"{at}.{key}: expected a word, a mapping of words or (answer_variants) a list of words")
        if shape != want:
            raise GlobMedError(f"{at}.{key}: {shape}, but {first_at}.{key} has {want}")


def _prompt_table(data: Any, where: str) -> PromptTable:
    values = _strict(data, PromptTable, where)
    values["version"] = str(values["version"])
    table = PromptTable(**values)
    if not isinstance(table.languages, Mapping) or not table.languages:
        raise GlobMedError(f"{where}.languages: expected one row of words per language code")
    first_code, first = next(iter(table.languages.items()))
    for code, row in table.languages.items():
        _check_row(row, first, table.words(), f"{where}.languages.{code}", f"languages.{first_code}")
    return table


REQUIRED = frozenset({"task", "version", "card", "prompt", "training"})


def parse_task(data: Any, origin: str) -> TaskConfig:
    """A task file's content as a `TaskConfig`; every problem is one line naming `origin` and the key."""
    values = _strict(data, TaskConfig, origin, optional=frozenset(f.name for f in fields(TaskConfig)) - REQUIRED)
    if values["task"] not in TASKS:
        raise GlobMedError(
            f"{origin}: task {values['task']!r} is not a record task family ({', '.join(TASKS)}); "
            "a task scores the dataset's data/<lang>/<task> rows"
        )
    if values.get("output_type", "multiple_choice") not in OUTPUT_TYPES:
        raise GlobMedError(f"{origin}: output_type {values['output_type']!r} is not one of {', '.join(OUTPUT_TYPES)}")
    values["metrics"] = tuple(values.get("metrics") or ())
    values["card"] = CardText(**_strict(values["card"], CardText, f"{origin}: card"))
    values["training"] = TrainingTurns(**_strict(values["training"], TrainingTurns, f"{origin}: training"))
    values["prompt"] = _prompt_table(values["prompt"], f"{origin}: prompt")
    return TaskConfig(**values)


def tasks_dir() -> Path:
    """benchmark/tasks, found without importing (running) the benchmark package: see the module docstring."""
    spec = importlib.util.find_spec("benchmark")
    if spec is None or not spec.submodule_search_locations:
        raise GlobMedError("the task files (benchmark/tasks/*.yaml) are not installed: install the globmed kit")
    return Path(next(iter(spec.submodule_search_locations))).resolve() / "tasks"


def read_task_file(path: Path, origin: str | None = None) -> TaskConfig:
    origin = origin or str(path)
    return parse_task(read_yaml(path, "task"), origin)


@lru_cache(maxsize=1)
def task_registry() -> Registry[TaskConfig]:
    """Every benchmark/tasks/*.yaml, in the record schema's family order; a file is named after its task."""
    found: dict[str, TaskConfig] = {}
    for path in tasks_dir().glob("*.yaml"):
        task = read_task_file(path, f"benchmark/tasks/{path.name}")
        if task.task != path.stem:
            raise GlobMedError(f"benchmark/tasks/{path.name}: task {task.task!r} must be the file's name")
        found[task.task] = task
    registry: Registry[TaskConfig] = Registry("task")
    for name in sorted(found, key=TASKS.index):
        registry.register(name, found[name])
    return registry


def task_names() -> list[str]:
    """The tasks there are files for, in family order: the default of every `--tasks`."""
    return task_registry().names()


def get_task(name: str) -> TaskConfig:
    return task_registry().get(name)


def parse_tasks(value: str | list[str] | None) -> list[str]:
    """`mcqa,nli` (or a list) -> registry order; None or "all" means every task."""
    if value is None or value == "all" or value == ["all"]:
        return task_names()
    names = [v.strip() for v in (value.split(",") if isinstance(value, str) else value) if v.strip()]
    if not names:
        raise GlobMedError("--tasks is empty; give names such as mcqa,nli or 'all'")
    for name in names:
        get_task(name)
    return [t for t in task_names() if t in names]


def compiles(layout: str, words: dict[str, Any], where: str) -> None:
    """The layout filled with one language's words is a Jinja template (the error names the line)."""
    import jinja2

    try:
        compile_template(fill_words(layout, words, where))
    except jinja2.TemplateSyntaxError as err:
        raise GlobMedError(f"{where}: Jinja syntax error line {err.lineno}: {err}") from None
