"""What a part declares so `globmed validate` can check its declarative files, without the command knowing the
part's rules: one `FileKind` per kind of file, with the part's own checker (which hands the file to the loader the
part uses at run time), the files of that kind the part ships, and how to recognise a user's file of that kind.

Each part lists its kinds in `<part>/validators.py` (`FILE_KINDS`); the command on top (globmed_kit/validate.py)
only collects them. Two parts may register the same kind: every checker of a kind runs (a task file's training
turns are checked by training, the rest of it by the benchmark).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from globmed.errors import GlobMedError


def _nothing() -> list[Path]:
    return []


@dataclass(frozen=True)
class FileKind:
    """One kind of declarative file: `check(path, parsed_yaml)` returns a short summary ("" adds none) or raises
    GlobMedError naming the key or row; `shipped()` lists the kit's own files of this kind; `detect(parsed)` says
    whether a user's file is of this kind."""

    name: str
    check: Callable[[Path, Any], str]
    shipped: Callable[[], list[Path]] = field(default=_nothing)
    detect: Callable[[Any], bool] | None = None


def package_dir(name: str) -> Path:
    """Folder of a top-level package of the kit, found without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise GlobMedError(f"package {name} is not installed")
    return Path(next(iter(spec.submodule_search_locations))).resolve()


def plural(count: int, noun: str) -> str:
    """`1 file`, `3 files`: summaries read as sentences."""
    return f"{count} {noun}{'' if count == 1 else 'es' if noun.endswith('s') else 's'}"


def shipped_only(path: Path, package: str, name: str) -> None:
    """Some tables are read from the installed package only: a copy elsewhere would never be used."""
    if path.resolve() != package_dir(package) / name:
        raise GlobMedError(f"the kit reads only {package}/{name}; edit that file and validate it")


def keys_of(data: Any) -> set[str]:
    """The top-level keys of a parsed YAML mapping (empty for anything else), for `detect` functions."""
    return {str(k) for k in data} if isinstance(data, dict) else set()
