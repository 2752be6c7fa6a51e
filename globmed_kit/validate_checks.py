"""The checkers behind `globmed validate`: one function per kind of declarative file.

A checker takes the file's path and its parsed YAML, hands the path to the loader its part uses at run time (so the
rules are never written twice) and returns a short summary, or raises `GlobMedError` naming the key or row. Each
imports its loader inside, so checking a sources YAML never imports TRL, and `--help` imports nothing.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

from globmed.errors import GlobMedError


def package_dir(name: str) -> Path:
    """Folder of a top-level package of the kit, found without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise GlobMedError(f"package {name} is not installed")
    return Path(next(iter(spec.submodule_search_locations))).resolve()


def plural(count: int, noun: str) -> str:
    """`1 file`, `3 files`: summaries read as sentences."""
    return f"{count} {noun}{'' if count == 1 else 'es' if noun.endswith('s') else 's'}"


# -- one checker per kind: (path, parsed YAML) -> summary, raising on the first problem --------------------------


def check_languages(path: Path, data: Any) -> str:
    from globmed.languages import all_languages, known_languages, language_registry

    _shipped_only(path, "globmed", "languages.yaml")
    language_registry.cache_clear()
    langs = all_languages()
    low = sum(lang.low_resource for lang in langs)
    opt_in = [lang.code for lang in known_languages() if lang.opt_in]
    extra = f", opt-in {', '.join(opt_in)}" if opt_in else ""
    return f"{len(langs)} languages, {len(langs) - low} high-resource, {low} low-resource{extra}"


def check_sources(path: Path, data: Any) -> str:
    from dataset_builder.pipeline import plan_files, resolve_config
    from globmed.languages import known_language_codes

    specs, config = resolve_config(path, {"languages": known_language_codes()})  # opt-in languages checked too
    jobs = plan_files(specs, config)  # local source files must exist; Hub files are not downloaded
    problems = _source_field_problems(jobs)
    if problems:
        raise GlobMedError("; ".join(problems))
    tasks = sorted({spec.task for spec in specs})
    langs = {lang for spec in specs if not spec.language for lang in spec.languages}
    columns = sorted({spec.language["field"] for spec in specs if spec.language})
    from_column = f" + per-row language from column {', '.join(columns)}" if columns else ""
    counts = f"{plural(len(langs), 'language')}{from_column}, {plural(len(jobs), 'file')}"
    return f"{plural(len(specs), 'source')} ({', '.join(tasks)}), {counts}"


def _source_field_problems(jobs: list) -> list[str]:
    """The mapped fields missing from the first rows of each source's first file on this machine.

    Local files always; Hub files only when already here (GLOBMED_HUB_MIRROR or the huggingface_hub cache), so
    validate never touches the network. Later files are opened only to look for an optional field (context,
    explanation, ...) that the first one lacks.
    """
    from dataset_builder.field_check import check_files, describe, head_rows
    from dataset_builder.hub import local_copy

    by_source: dict[str, tuple[Any, list]] = {}
    for spec, task in jobs:
        by_source.setdefault(spec.id, (spec, []))[1].append(task)

    def present(spec, tasks):
        for task in tasks:
            local = local_copy(spec, task.relpath) if spec.hub else spec.path / task.relpath
            if local is not None and local.is_file():
                yield task.relpath, local

    problems = []
    for spec, tasks in by_source.values():
        files = list(present(spec, tasks))
        problems += [f"source {spec.id!r} ({label}): no rows" for label, local in files
                     if not head_rows(spec, local, 1)]
        for label, _, missing in check_files(spec, files, every_file=False):
            problems.append(f"source {spec.id!r} ({label}): {describe(missing)}")
    return problems


def check_recipe(path: Path, data: Any) -> str:
    from training.config import load_recipe

    recipe = load_recipe(path)  # every key is checked by TRL's parser (SFTConfig, ModelConfig, ScriptArguments + ours)
    return (f"{recipe.globmed.model_name}, {recipe.method} on {recipe.model.model_name_or_path}, "
            f"{len(recipe.given)} keys")


def check_roster(path: Path, data: Any) -> str:
    from benchmark.roster import load_roster
    from benchmark.runner import RunConfig
    from globmed.results import ModelInfo

    configs = load_roster(path, RunConfig(model=ModelInfo(name="validate")))
    backends = sorted({config.backend for config in configs})
    return f"{len(configs)} models, backends {', '.join(backends)}"


def check_task(path: Path, data: Any) -> str:
    from benchmark.metrics import metric_names
    from globmed.languages import language_codes
    from globmed.tasks import parse_task
    from training.formatting import load_prompts

    task = parse_task(data, str(path))  # the structure, the card block and every language's prompt words
    for name in task.metrics:
        if name not in metric_names():
            raise GlobMedError(f"metrics: unknown metric {name!r}; known: {', '.join(metric_names())}")
    rows = task.prompt.languages
    missing = [code for code in language_codes() if code not in rows]
    if missing:
        raise GlobMedError(f"prompt.languages: no row for {', '.join(missing)} (listed in globmed/languages.yaml)")
    for code, row in rows.items():
        for key in ("description", "doc_to_text"):
            _compiles(getattr(task.prompt, key), row, f"prompt.{key} in {code}")
    for code, prompts in load_prompts().items():  # the training turns in the words of training/prompts.yaml
        for key in ("user", "assistant"):
            _compiles(getattr(task.training, key), prompts.words, f"training.{key} in {code}")
    return (
        f"{task.task} v{task.version}, {task.output_type}, metrics {', '.join(task.metrics) or 'none'}, "
        f"prompt v{task.prompt.version} in {plural(len(rows), 'language')}"
    )


def _compiles(layout: str, words: dict[str, Any], where: str) -> None:
    """The layout filled with one language's words is a Jinja template (the error names the line)."""
    import jinja2

    from globmed.tasks import compile_template, fill_words

    try:
        compile_template(fill_words(layout, words, where))
    except jinja2.TemplateSyntaxError as err:
        raise GlobMedError(f"{where}: Jinja syntax error line {err.lineno}: {err}") from None


def check_translate_prompts(path: Path, data: Any) -> str:
    from dataset_builder.translate.prompts import load_prompts

    prompts = load_prompts(path)
    return f"version {prompts.version}, steps {', '.join(prompts.templates)}"


def check_translate_checks(path: Path, data: Any) -> str:
    from dataset_builder.translate import checks

    _shipped_only(path, "dataset_builder", "translate/checks.yaml")
    checks.check_settings.cache_clear()
    checks._unit_patterns.cache_clear()
    settings = checks.check_settings()
    patterns = checks._unit_patterns()  # compiles every unit alias the checks search for
    return f"version {settings.get('version')}, {len(patterns)} units"


def check_translate_config(path: Path, data: Any) -> str:
    from dataset_builder.translate.config import load_config

    config = load_config(path)
    return f"backend {config.backend.kind}, model {config.backend.model}, {len(config.prices)} prices"


def check_training_prompts(path: Path, data: Any) -> str:
    from globmed.languages import language_codes
    from training.formatting import load_prompts, prompts_for

    load_prompts.cache_clear()
    table = load_prompts(str(path))
    for code in language_codes():
        prompts_for(code, str(path))  # every registry language needs its prompts
    return f"{len(table)} languages"


def check_accelerate(path: Path, data: Any) -> str:
    from accelerate.commands.config.config_args import ClusterConfig

    config = ClusterConfig.from_yaml_file(str(path))  # what `accelerate launch --config_file` reads
    kind = getattr(config.distributed_type, "value", config.distributed_type)
    return f"{kind}, {plural(config.num_processes, 'process')}, mixed precision {config.mixed_precision}"


def _shipped_only(path: Path, package: str, name: str) -> None:
    """Some tables are read from the installed package only: a copy elsewhere would never be used."""
    if path.resolve() != package_dir(package) / name:
        raise GlobMedError(f"the kit reads only {package}/{name}; edit that file and validate it")


def check_judge_prompt(path: Path, data: Any) -> str:
    from benchmark.judge import judge_prompt

    _shipped_only(path, "benchmark", "judge_prompt.yaml")
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


def check_space_examples(path: Path, data: Any) -> str:
    from globmed.languages import language_codes
    from space_app.chat import example_questions

    _shipped_only(path, "space_app", "examples.yaml")
    missing_dir = path.parent / "no-such-sample"  # forces the shipped examples, never the sample's questions
    counts = {code: len(example_questions(code, missing_dir, limit=1000)) for code in language_codes()}
    empty = [code for code, n in counts.items() if not n]
    if empty:
        raise GlobMedError(f"no example questions for {', '.join(empty)} (listed in globmed/languages.yaml)")
    return f"{len(counts)} languages, {sum(counts.values())} questions"


CHECKERS: dict[str, Callable[[Path, Any], str]] = {
    "languages": check_languages,
    "sources": check_sources,
    "translate-prompts": check_translate_prompts,
    "translate-checks": check_translate_checks,
    "translate-config": check_translate_config,
    "training-prompts": check_training_prompts,
    "recipe": check_recipe,
    "accelerate": check_accelerate,
    "roster": check_roster,
    "task": check_task,
    "judge-prompt": check_judge_prompt,
    "space-examples": check_space_examples,
}
