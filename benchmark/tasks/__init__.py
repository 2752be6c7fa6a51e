"""Task definitions: one YAML file per task (mcqa, nli, lfqa), each with a version that results record.

A `TaskConfig` says which split is scored, where few-shot examples come from, how outputs are scored
(`multiple_choice` or `generate_until`) and which metric modules apply. Unknown keys are an error naming
the file and the key, so a typo never silently changes a benchmark.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from functools import lru_cache
from importlib import resources

import yaml

from globmed.errors import GlobMedError
from globmed.registry import Registry
from globmed.schema import TASKS

OUTPUT_TYPES = ("multiple_choice", "generate_until")


@dataclass(frozen=True)
class TaskConfig:
    task: str
    version: int
    test_split: str = "test"
    fewshot_split: str = "validation"
    output_type: str = "multiple_choice"
    metrics: tuple[str, ...] = ()
    primary_metric: str = "acc"
    generation: dict = field(default_factory=dict)

    @property
    def is_choice(self) -> bool:
        return self.output_type == "multiple_choice"


def parse_task(data: dict, origin: str) -> TaskConfig:
    known = {f.name for f in fields(TaskConfig)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise GlobMedError(f"{origin}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    for key in ("task", "version"):
        if key not in data:
            raise GlobMedError(f"{origin}: missing required key {key!r}")
    if data.get("output_type", "multiple_choice") not in OUTPUT_TYPES:
        raise GlobMedError(f"{origin}: output_type {data['output_type']!r} is not one of {', '.join(OUTPUT_TYPES)}")
    data = dict(data)
    data["metrics"] = tuple(data.get("metrics") or ())
    return TaskConfig(**data)


@lru_cache(maxsize=1)
def task_registry() -> Registry[TaskConfig]:
    registry: Registry[TaskConfig] = Registry("task")
    for name in TASKS:
        text = resources.files("benchmark.tasks").joinpath(f"{name}.yaml").read_text(encoding="utf-8")
        registry.register(name, parse_task(yaml.safe_load(text), f"benchmark/tasks/{name}.yaml"))
    return registry


def get_task(name: str) -> TaskConfig:
    return task_registry().get(name)


def parse_tasks(value: str | None) -> list[str]:
    """`mcqa,nli` -> registry order; None or "all" means every task."""
    if value in (None, "all"):
        return list(TASKS)
    names = [v.strip() for v in value.split(",") if v.strip()]
    if not names:
        raise GlobMedError("--tasks is empty; give names such as mcqa,nli or 'all'")
    for name in names:
        get_task(name)
    return [t for t in TASKS if t in names]
