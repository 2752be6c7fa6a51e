"""`globmed validate`: check the kit's declarative files (languages, sources, recipes, rosters, tasks, prompts).

Nothing heavy runs: no model is loaded, nothing touches the network. Each file goes through the loader its own
part uses at run time (`load_sources` + the build's `resolve_config`/`plan_files`, `training.config.load_recipe`,
`benchmark.roster.load_roster`, accelerate's `ClusterConfig.from_yaml_file`, ...; each part's validators.py), so
a file that validates here is a file the part accepts, and the rules live in one place only. Loaders are imported
only when a file of their kind is checked (a recipe imports TRL, which is slow), so `--help` stays instant.

With no PATH every shipped file is checked; a PATH (file or folder) is checked as the kind its location or content
says, or as `--kind`. Output is one line per file, `ok  PATH  (kind: summary)` or `ERROR PATH: reason`, then a
summary; the exit status is 0 when every file is valid and 2 otherwise.
"""

from __future__ import annotations

import argparse
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from globmed.command import Command
from globmed.errors import GlobMedError
from globmed.validation import plural
from globmed.yaml_io import read_yaml
from globmed_kit.validate_checks import checkers, file_kinds, run_checks

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


def shipped_files() -> list[tuple[Path, str]]:
    """Every declarative file the kit ships, with its kind, in the order of the data flow."""
    return [(path, kind.name) for kind in file_kinds() for path in kind.shipped()]


# -- kind detection ---------------------------------------------------------------------------------------------


def detect_kind(path: Path, data: Any) -> str | None:
    """The kind of a file: where it sits if it is a shipped file, else the first part whose `detect` claims it."""
    resolved = path.resolve()
    for shipped, kind in shipped_files():
        if shipped == resolved:
            return kind
    return next((kind.name for kind in file_kinds() if kind.detect is not None and kind.detect(data)), None)


# -- running ----------------------------------------------------------------------------------------------------


def _one_line(message: str, path: Path) -> str:
    """The loader's message on one line, without the path it may already start with (the output line names it)."""
    text = " ".join(str(message).split())
    for prefix in (str(path.resolve()), str(path)):
        for sep in (": ", ":"):
            if text.startswith(prefix + sep):
                text = text[len(prefix) + len(sep):].strip()
    return text or "invalid"


def validate_file(path: Path, kind: str | None = None) -> Outcome:
    """Check one file; every failure, expected or not, becomes an ERROR outcome rather than a crash."""
    try:
        data = read_yaml(path)
        kind = kind or detect_kind(path, data)
        if kind is None and data is None:
            raise UnknownKind("empty file: nothing to check")
        if kind is None:
            raise UnknownKind(
                "cannot tell what kind of file this is (a sources YAML has `sources:`, a recipe "
                "`model_name_or_path:`, a roster `models:`, a task `task:` and `version:`); pass --kind"
            )
        return Outcome(path, kind, True, run_checks(kind, path, data))
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
        "uses (sources, recipes with their TRL SFT block, rosters, task YAMLs with their prompts, "
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
        parser.add_argument("--kind", choices=sorted(checkers()),
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
        print(f"{plural(len(outcomes), 'file')} checked: {len(outcomes) - errors} ok, {errors} with errors{tail}")
        return 2 if errors or not outcomes else 0
