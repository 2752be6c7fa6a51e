"""The dataset builder's declarative files for `globmed validate`: sources YAMLs (their files' first rows too)
and the translation prompts, checks and config. Loaders are imported inside each checker (see globmed.validation).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from globmed.errors import GlobMedError
from globmed.validation import FileKind, keys_of, package_dir, plural, shipped_only


def check_sources(path: Path, data: Any) -> str:
    from dataset_builder.pipeline import plan_files, resolve_config
    from globmed.languages import known_language_codes

    specs, config = resolve_config(path, {"languages": known_language_codes()})  # opt-in languages checked too
    given_later = [spec.id for spec in specs if spec.local]  # their files are given at build time (--local)
    jobs = plan_files([spec for spec in specs if not spec.local], config)  # local files must exist; Hub files
    problems = _source_field_problems(jobs)  # are read only when already on this machine
    if problems:
        raise GlobMedError("; ".join(problems))
    tasks = sorted({spec.task for spec in specs})
    langs = {lang for spec in specs if not spec.language for lang in spec.languages}
    columns = sorted({spec.language["field"] for spec in specs if spec.language})
    from_column = f" + per-row language from column {', '.join(columns)}" if columns else ""
    counts = f"{plural(len(langs), 'language')}{from_column}, {plural(len(jobs), 'file')}"
    later = f"; files of {', '.join(given_later)} given at build time (--local)" if given_later else ""
    return f"{plural(len(specs), 'source')} ({', '.join(tasks)}), {counts}{later}"


def _source_field_problems(jobs: list) -> list[str]:
    """The mapped fields missing from the first rows of each source's first file on this machine.

    Local files always; Hub files only when already here (GLOBMED_HUB_MIRROR or the huggingface_hub cache), so
    validate never touches the network. Later files are opened only to look for an optional field (context,
    explanation, ...) that the first one lacks.
    """
    from dataset_builder.field_check import by_source, check_files, describe, head_rows

    def present(spec, tasks):
        for task in tasks:
            local = spec.file_here(task)
            if local is not None:
                yield task.label, local

    problems = []
    for spec, tasks in by_source(jobs).values():
        files = list(present(spec, tasks))
        problems += [f"source {spec.id!r} ({label}): no rows" for label, local in files
                     if not head_rows(spec, local, 1)]
        for label, _, missing in check_files(spec, files, every_file=False):
            problems.append(f"source {spec.id!r} ({label}): {describe(missing)}")
    return problems


def check_translate_prompts(path: Path, data: Any) -> str:
    from dataset_builder.translate.prompts import load_prompts

    prompts = load_prompts(path)
    return f"version {prompts.version}, steps {', '.join(prompts.templates)}"


def check_translate_checks(path: Path, data: Any) -> str:
    from dataset_builder.translate import checks

    shipped_only(path, "dataset_builder", "translate/checks.yaml")
    checks.check_settings.cache_clear()
    checks._unit_patterns.cache_clear()
    settings = checks.check_settings()
    patterns = checks._unit_patterns()  # compiles every unit alias the checks search for
    return f"version {settings.get('version')}, {len(patterns)} units"


def check_translate_config(path: Path, data: Any) -> str:
    from dataset_builder.translate.config import load_config

    config = load_config(path)
    return f"backend {config.backend.kind}, model {config.backend.model}, {len(config.prices)} prices"


INFER_TABLES = ("roles", "image_fields", "flag_values", "true_values", "option_column_prefixes", "splits",
                "absent_by_default", "absent_markers", "yes_no", "language_aliases", "language_names", "iso_codes",
                "generic_folders")


def check_infer_words(path: Path, data: Any) -> str:
    """The word tables `globmed sources infer` reads: every table present, nothing unknown."""
    from globmed.yaml_io import check_keys

    shipped_only(path, "dataset_builder", "infer/words.yaml")
    if not isinstance(data, dict):
        raise GlobMedError("expected a mapping of word tables")
    check_keys(data, INFER_TABLES, "infer words", required=INFER_TABLES)
    return f"{len(data)} tables, yes/no words in {plural(len(data['yes_no']), 'language')}"


def _translate_steps(data: Any) -> bool:
    from dataset_builder.translate.prompts import STEPS

    return bool(keys_of(data) & set(STEPS))


def _builder_files(*parts: str) -> list[Path]:
    return [package_dir("dataset_builder").joinpath(*parts)]


FILE_KINDS = [
    FileKind("sources", check_sources, lambda: sorted((package_dir("dataset_builder") / "sources").glob("*.yaml")),
             lambda data: "sources" in keys_of(data)),
    FileKind("infer-words", check_infer_words, lambda: _builder_files("infer", "words.yaml")),
    FileKind("translate-prompts", check_translate_prompts, lambda: _builder_files("translate", "prompts.yaml"),
             _translate_steps),
    FileKind("translate-checks", check_translate_checks, lambda: _builder_files("translate", "checks.yaml")),
    FileKind("translate-config", check_translate_config,
             lambda: _builder_files("translate", "config.example.yaml"),
             lambda data: bool(keys_of(data) & {"backend", "pipeline", "prices"})),
]
