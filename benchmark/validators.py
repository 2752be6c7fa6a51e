"""The benchmark's declarative files for `globmed validate`: rosters, task files (structure, metrics, every
language's prompt) and the judge prompt.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from globmed.errors import GlobMedError
from globmed.validation import FileKind, keys_of, package_dir, plural, shipped_only


def check_roster(path: Path, data: Any) -> str:
    from benchmark.config import RunConfig
    from benchmark.roster import load_roster
    from globmed.results import ModelInfo

    configs = load_roster(path, RunConfig(model=ModelInfo(name="validate")))
    backends = sorted({config.backend for config in configs})
    return f"{len(configs)} models, backends {', '.join(backends)}"


def check_task(path: Path, data: Any) -> str:
    from benchmark.metrics import metric_names
    from globmed.languages import language_codes
    from globmed.tasks import compiles, parse_task

    task = parse_task(data, str(path))  # the structure, the card block and every language's prompt words
    # (its training turns are training's to check: training/validators.py)
    for name in task.metrics:
        if name not in metric_names():
            raise GlobMedError(f"metrics: unknown metric {name!r}; known: {', '.join(metric_names())}")
    rows = task.prompt.languages
    missing = [code for code in language_codes() if code not in rows]
    if missing:
        raise GlobMedError(f"prompt.languages: no row for {', '.join(missing)} (listed in globmed/languages.yaml)")
    for code, row in rows.items():
        for key in ("description", "doc_to_text"):
            compiles(getattr(task.prompt, key), row, f"prompt.{key} in {code}")
    return (
        f"{task.task} v{task.version}, {task.output_type}, metrics {', '.join(task.metrics) or 'none'}, "
        f"prompt v{task.prompt.version} in {plural(len(rows), 'language')}"
    )


def check_judge_prompt(path: Path, data: Any) -> str:
    from benchmark.judge import judge_prompt

    shipped_only(path, "benchmark", "judge_prompt.yaml")
    judge_prompt.cache_clear()
    prompt = judge_prompt()
    if not isinstance(prompt, dict) or not isinstance(prompt.get("template"), str):
        raise GlobMedError("expected a mapping with a `template:` string")
    fields = {"language": "sw", "question": "q", "reference": "r", "answer": "a"}  # what the runner passes
    try:
        prompt["template"].format(**fields)
    except (KeyError, IndexError, ValueError) as err:
        raise GlobMedError(f"template: bad placeholder {err}; available: {', '.join(fields)}") from None
    return f"version {prompt.get('version')}, placeholders {', '.join(fields)}"


def _benchmark(*parts: str) -> Path:
    return package_dir("benchmark").joinpath(*parts)


FILE_KINDS = [
    FileKind("roster", check_roster, lambda: sorted(_benchmark("rosters").glob("*.yaml")),
             lambda data: "models" in keys_of(data)),
    FileKind("task", check_task, lambda: sorted(_benchmark("tasks").glob("*.yaml")),
             lambda data: {"task", "version"} <= keys_of(data)),
    FileKind("judge-prompt", check_judge_prompt, lambda: [_benchmark("judge_prompt.yaml")]),
]
