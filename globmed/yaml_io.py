"""The one way the kit reads its declarative YAML files, so every file's errors are worded the same:

    PATH: <kind>: not UTF-8 text: byte 0xe9 at line L column C; save the file as UTF-8
    PATH: <kind>: malformed YAML at line L column C: <problem>
    PATH: <kind>: expected a mapping, got list
    PATH: <kind>: unknown key 'lr' (did you mean 'lr_scheduler'?); known: ...
    PATH: <kind>: missing required key 'task'

`load_mapping` reads a file that must hold a mapping; `check_keys` is the unknown/missing-key check, also used
for the blocks inside a file (`WHERE` then names the block, e.g. "sources.yaml: source 'medqa'").
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any

import yaml

from globmed.errors import GlobMedError
from globmed.text_io import label, read_text


def read_yaml(path: str | Path, kind: str = "") -> Any:
    """Any YAML document; a file that cannot be read or parsed is one line naming the path, line and column
    (and the kind of file, when the caller knows it)."""
    where = label(path, kind)
    text = read_text(path, kind)
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        at = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise GlobMedError(f"{where}: malformed YAML{at}: {problem}") from None


def load_mapping(path: str | Path, kind: str, allowed_keys: Collection[str] | None = None,
                 required: Iterable[str] = (), empty_ok: bool = False) -> dict[str, Any]:
    """A YAML file holding a mapping, its top-level keys checked (`allowed_keys` None: any key)."""
    data = read_yaml(path, kind)
    if data is None and empty_ok:
        return {}
    if not isinstance(data, dict):
        raise GlobMedError(f"{path}: {kind}: expected a mapping, got {type(data).__name__}")
    check_keys(data, allowed_keys, f"{path}: {kind}", required)
    return data


def check_keys(data: dict[str, Any], allowed: Collection[str] | None, where: str, required: Iterable[str] = ()
               ) -> None:
    """Unknown keys (with the closest known one) and missing required keys, one line each, first problem wins."""
    if allowed is not None:
        for key in data:
            if key not in allowed:
                raise GlobMedError(f"{where}: {unknown_key_message(str(key), allowed)}")
    for key in required:
        if data.get(key) in (None, "", [], {}):
            raise GlobMedError(f"{where}: missing required key {key!r}")


def unknown_key_message(key: str, allowed: Collection[str], list_known: bool = True) -> str:
    """`unknown key 'lr' (did you mean 'lr_scheduler'?); known: a, b, c` (the list left out when it is long)."""
    close = difflib.get_close_matches(key, [str(k) for k in allowed], n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    known = f"; known: {', '.join(sorted(map(str, allowed)))}" if list_known else ""
    return f"unknown key {key!r}{hint}{known}"
