"""`globmed validate`: check the kit's declarative files (languages, sources, recipes, rosters, tasks, prompts).

Nothing heavy runs: no model is loaded, nothing touches the network. Each file goes through the loader its own
part uses at run time (`load_sources` + the build's `resolve_config`/`plan_files`, `training.config.load_recipe`,
`benchmark.roster.load_roster`, ...), so a file that validates here is a file the part accepts, and the rules live
in one place only. Loaders are imported only when a file of their kind is checked (a recipe imports TRL, which is
slow), so `--help` stays instant.

With no PATH every shipped file is checked; a PATH (file or folder) is checked as the kind its location or content
says, or as `--kind`. Output is one line per file, `ok  PATH  (kind: summary)` or `ERROR PATH: reason`, then a
summary; the exit status is 0 when every file is valid and 2 otherwise.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from globmed.command import Command
from globmed.errors import GlobMedError

logger = logging.getLogger(__name__)


class UnknownKind(GlobMedError):
    """Neither the location nor the top-level keys say which loader a file belongs to."""


@dataclass(frozen=True)
class Outcome:
    """The verdict on one file: `detail` is the summary when ok, the one-line reason otherwise."""

    path: Path
    kind: str | None
    ok: bool
    detail: str
    undetected: bool = False  # the kind could not be told (a file met in a folder is then skipped, not judged)

    def line(self, shown: str) -> str:
        return f"ok  {shown}  ({self.kind}: {self.detail})" if self.ok else f"ERROR {shown}: {self.detail}"


def package_dir(name: str) -> Path:
    """Folder of a top-level package of the kit, found without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise GlobMedError(f"package {name} is not installed")
    return Path(next(iter(spec.submodule_search_locations))).resolve()


def shipped_files() -> list[tuple[Path, str]]:
    """Every declarative file the kit ships, with its kind, in the order of the data flow."""
    globmed, builder = package_dir("globmed"), package_dir("dataset_builder")
    training, bench = package_dir("training"), package_dir("benchmark")
    prompts = bench / "prompts"
    files = [(globmed / "languages.yaml", "languages")]
    files += [(p, "sources") for p in sorted((builder / "sources").glob("*.yaml"))]
    files += [
        (builder / "translate" / "prompts.yaml", "translate-prompts"),
        (builder / "translate" / "checks.yaml", "translate-checks"),
        (builder / "translate" / "config.example.yaml", "translate-config"),
        (training / "prompts.yaml", "training-prompts"),
    ]
    files += [(p, "recipe") for p in sorted((training / "recipes").glob("*/sft/*.yaml"))]
    files += [(p, "roster") for p in sorted((bench / "rosters").glob("*.yaml"))]
    files += [(p, "task") for p in sorted((bench / "tasks").glob("*.yaml"))]
    files += [(prompts / "_table.yaml", "prompt-table")]
    files += [(p, "bench-prompts") for p in sorted(prompts.glob("*.yaml")) if p.name != "_table.yaml"]
    return files


# -- kind detection ---------------------------------------------------------------------------------------------


def detect_kind(path: Path, data: Any) -> str | None:
    """The kind of a file: where it sits if it is a shipped file, else what its top-level keys say."""
    resolved = path.resolve()
    for shipped, kind in shipped_files():
        if shipped == resolved:
            return kind
    if isinstance(data, list) and data and all(isinstance(e, dict) and "code" in e for e in data):
        return "languages"
    if not isinstance(data, dict) or not data:
        return None
    keys = set(data)
    from dataset_builder.translate.prompts import STEPS
    from training.config import BLOCKS

    if "sources" in keys:
        return "sources"
    if "models" in keys:
        return "roster"
    if {"generated", "templates"} <= keys:
        return "bench-prompts"
    if {"prompt_version", "languages"} <= keys:
        return "prompt-table"
    if {"task", "version"} <= keys:
        return "task"
    if keys & set(STEPS):
        return "translate-prompts"
    if keys & {"backend", "pipeline", "prices"}:
        return "translate-config"
    if keys & {*BLOCKS, "sft"}:
        return "recipe"
    if all(isinstance(v, dict) and "system" in v for v in data.values()):
        return "training-prompts"
    return None


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


# -- one checker per kind: (path, parsed YAML) -> summary, raising on the first problem --------------------------


def check_languages(path: Path, data: Any) -> str:
    from globmed.languages import all_languages, language_registry

    if path.resolve() != package_dir("globmed") / "languages.yaml":
        raise GlobMedError("the kit reads only globmed/languages.yaml; edit that file and validate it")
    language_registry.cache_clear()
    langs = all_languages()
    low = sum(lang.low_resource for lang in langs)
    return f"{len(langs)} languages, {len(langs) - low} high-resource, {low} low-resource"


def check_sources(path: Path, data: Any) -> str:
    from dataset_builder.pipeline import plan_files, resolve_config

    specs, config = resolve_config(path)
    jobs = plan_files(specs, config)  # local source files must exist; Hub files are not looked up
    tasks = sorted({spec.task for spec in specs})
    langs = {lang for spec in specs for lang in spec.languages}
    return f"{_n(len(specs), 'source')} ({', '.join(tasks)}), {_n(len(langs), 'language')}, {_n(len(jobs), 'file')}"


def check_recipe(path: Path, data: Any) -> str:
    from training.config import load_recipe

    recipe = load_recipe(path)  # the sft block is checked against trl.SFTConfig's fields
    model = recipe.model
    return f"{model.name}, {model.method} on {model.base_model}, {len(recipe.sft)} sft keys"


def check_roster(path: Path, data: Any) -> str:
    from benchmark.results_schema import ModelInfo
    from benchmark.roster import load_roster
    from benchmark.runner import RunConfig

    configs = load_roster(path, RunConfig(model=ModelInfo(name="validate")))
    backends = sorted({config.backend for config in configs})
    return f"{len(configs)} models, backends {', '.join(backends)}"


def check_task(path: Path, data: Any) -> str:
    from benchmark.metrics import metric_names
    from benchmark.tasks import parse_task
    from globmed.schema import TASKS

    if not isinstance(data, dict):
        raise GlobMedError("a task file is a mapping (task, version, output_type, metrics, ...)")
    task = parse_task(data, str(path))
    if task.task not in TASKS:
        raise GlobMedError(f"task {task.task!r} is not one of {', '.join(TASKS)}")
    for name in task.metrics:
        if name not in metric_names():
            raise GlobMedError(f"metrics: unknown metric {name!r}; known: {', '.join(metric_names())}")
    return f"{task.task} v{task.version}, {task.output_type}, metrics {', '.join(task.metrics) or 'none'}"


def _prompt_table(table_path: Path) -> dict[str, Any]:
    table = yaml.safe_load(table_path.read_text(encoding="utf-8"))
    if not isinstance(table, dict) or not isinstance(table.get("languages"), dict) or "prompt_version" not in table:
        raise GlobMedError(f"{table_path}: expected a mapping with prompt_version and a languages table")
    return table


def check_prompt_table(path: Path, data: Any) -> str:
    from benchmark.prompts.generate import render_language
    from globmed.languages import language_codes

    table = _prompt_table(path)
    for code in language_codes():
        if code not in table["languages"]:
            raise GlobMedError(f"languages: no row for {code!r} (listed in globmed/languages.yaml)")
    for code, row in table["languages"].items():
        try:
            render_language(code, row, str(table["prompt_version"]))
        except (KeyError, TypeError) as err:
            raise GlobMedError(f"languages.{code}: missing or malformed key {err}") from None
    return f"{len(table['languages'])} languages, prompt_version {table['prompt_version']}"


def _first_difference(got: Any, want: Any, where: str = "") -> str | None:
    """Dotted key of the first place two parsed YAML documents differ, or None when they are equal."""
    if isinstance(got, dict) and isinstance(want, dict):
        for key in [*want, *(k for k in got if k not in want)]:
            if key not in got or key not in want:
                return f"{where}{key}"
            found = _first_difference(got[key], want[key], f"{where}{key}.")
            if found:
                return found
        return None
    return None if got == want else where.rstrip(".") or "(top level)"


def check_bench_prompts(path: Path, data: Any) -> str:
    from benchmark.prompts import jinja_env, load_prompts
    from benchmark.prompts.generate import render_language

    if not isinstance(data, dict) or "language" not in data:
        raise GlobMedError("a prompt file is a generated mapping with language, templates, ...")
    code = data["language"]
    table_path = path.parent / "_table.yaml"
    if not table_path.is_file():
        table_path = package_dir("benchmark") / "prompts" / "_table.yaml"
    table = _prompt_table(table_path)
    if code not in table["languages"]:
        raise GlobMedError(f"language {code!r} has no row in {table_path}")
    differs = _first_difference(data, render_language(code, table["languages"][code], str(table["prompt_version"])))
    if differs:
        raise GlobMedError(
            f"out of date with {table_path.name} (key {differs}); run `python -m benchmark.prompts.generate --force`"
        )
    import jinja2

    for task, template in data["templates"].items():
        try:
            jinja_env().from_string(template["doc_to_text"])
        except jinja2.TemplateSyntaxError as err:
            raise GlobMedError(f"templates.{task}.doc_to_text: Jinja syntax error line {err.lineno}: {err}") from None
    if path.resolve() == package_dir("benchmark") / "prompts" / f"{code}.yaml":
        load_prompts(code)  # the benchmark's own loader reads the shipped file
    return f"{code}, {len(data['templates'])} tasks, up to date with {table_path.name}"


def check_translate_prompts(path: Path, data: Any) -> str:
    from dataset_builder.translate.prompts import load_prompts

    prompts = load_prompts(path)
    return f"version {prompts.version}, steps {', '.join(prompts.templates)}"


def check_translate_checks(path: Path, data: Any) -> str:
    from dataset_builder.translate import checks

    if path.resolve() != package_dir("dataset_builder") / "translate" / "checks.yaml":
        raise GlobMedError("the kit reads only dataset_builder/translate/checks.yaml; edit that file")
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


CHECKERS: dict[str, Callable[[Path, Any], str]] = {
    "languages": check_languages,
    "sources": check_sources,
    "translate-prompts": check_translate_prompts,
    "translate-checks": check_translate_checks,
    "translate-config": check_translate_config,
    "training-prompts": check_training_prompts,
    "recipe": check_recipe,
    "roster": check_roster,
    "task": check_task,
    "prompt-table": check_prompt_table,
    "bench-prompts": check_bench_prompts,
}


# -- running ----------------------------------------------------------------------------------------------------


def _one_line(message: str, path: Path) -> str:
    """The loader's message on one line, without the path it may already start with (the output line names it)."""
    text = " ".join(str(message).split())
    for prefix in (str(path.resolve()), str(path)):
        for sep in (": ", ":"):
            if text.startswith(prefix + sep):
                text = text[len(prefix) + len(sep):].strip()
    return text or "invalid"


def _parse_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        at = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise GlobMedError(f"malformed YAML{at}: {problem}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise GlobMedError(f"cannot read: {err}") from None


def validate_file(path: Path, kind: str | None = None) -> Outcome:
    """Check one file; every failure, expected or not, becomes an ERROR outcome rather than a crash."""
    try:
        data = _parse_yaml(path)
        kind = kind or detect_kind(path, data)
        if kind is None:
            raise UnknownKind(
                "cannot tell what kind of file this is (a sources YAML has `sources:`, a recipe `model:`/`sft:` "
                "blocks, a roster `models:`, a task `task:` and `version:`); pass --kind"
            )
        return Outcome(path, kind, True, CHECKERS[kind](path, data))
    except GlobMedError as err:
        return Outcome(path, kind, False, _one_line(str(err), path), undetected=isinstance(err, UnknownKind))
    except Exception as err:  # a loader's bug or an unforeseen shape: report it on this file, keep going
        logger.debug("validating %s", path, exc_info=True)
        return Outcome(path, kind, False, _one_line(f"{type(err).__name__}: {err}", path))


def expand(paths: list[str]) -> list[tuple[Path, bool]]:
    """Files to check, each with whether the user named it (folders expand to their YAML files)."""
    out: list[tuple[Path, bool]] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
            if not found:
                raise GlobMedError(f"{path}: folder holds no .yaml files")
            out += [(p, False) for p in found]
        elif path.is_file():
            out.append((path, True))
        else:
            raise GlobMedError(f"{path}: no such file or folder")
    return out


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


class ValidateCommand(Command):
    name = "validate"
    help = (
        "Check the kit's declarative files without running anything: every file goes through the loader its part "
        "uses (sources, recipes with their TRL SFT block, rosters, task YAMLs, prompt files and their table, "
        "translation prompts/config, languages). No model loads, no network. Exit 0 when all are valid, 2 otherwise."
    )
    examples = """  globmed validate                                   every shipped file
  globmed validate my_sources.yaml                   a sources YAML of your own, before `globmed build`
  globmed validate training/recipes/globmed-llm-8b   every recipe in a folder
  globmed validate --kind recipe my_recipe.yaml      force the kind when the content is ambiguous
"""

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("paths", nargs="*", metavar="PATH",
                            help="files or folders to check (default: every shipped declarative file)")
        parser.add_argument("--kind", choices=sorted(CHECKERS),
                            help="check every PATH as this kind instead of detecting it")

    def run(self, args: argparse.Namespace) -> int:
        if args.paths:
            targets = [(path, args.kind, named) for path, named in expand(args.paths)]
        else:
            targets = [(path, kind, True) for path, kind in shipped_files()]
        outcomes, skipped = [], 0
        for path, kind, named in targets:
            outcome = validate_file(path, kind)
            if outcome.undetected and not named:
                print(f"skip {_shown(path)}  (not a kit file)")  # found in a folder, not named: listed, not judged
                skipped += 1
                continue
            outcomes.append(outcome)
            print(outcome.line(_shown(path)), flush=True)
        errors = sum(not o.ok for o in outcomes)
        tail = f", {skipped} skipped" if skipped else ""
        print(f"{_n(len(outcomes), 'file')} checked: {len(outcomes) - errors} ok, {errors} with errors{tail}")
        return 2 if errors or not outcomes else 0
