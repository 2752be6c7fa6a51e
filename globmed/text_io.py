"""The one way the kit reads a user's text and JSON files, so a file that cannot be used is one line naming it:

    PATH: <kind>: not UTF-8 text: byte 0xe9 at line 3 column 7; save the file as UTF-8
    PATH: <kind>: not valid JSON: Expecting ',' delimiter at line 2 column 5
    PATH: <kind>: expected a JSON object, got list
    PATH: <kind>: cannot read: Permission denied

YAML files go through `globmed.yaml_io`, and CSV/TSV sheets are parsed from `read_text`'s result, so every
reader of the kit words a bad file the same way. A leading BOM (what spreadsheet programs and Notepad write)
is dropped.
"""

from __future__ import annotations

import codecs
import json
from pathlib import Path
from typing import Any

from globmed.errors import GlobMedError

_JSON_TYPES = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number", float: "number"}


def label(path: str | Path, kind: str = "") -> str:
    """`PATH: kind`, the start of every message about a file (`PATH` alone when the kind is not known)."""
    return f"{path}: {kind}" if kind else str(path)


def not_utf8(raw: bytes, start: int) -> str:
    """Where the first undecodable byte is, as a person finds it in an editor (line and character column)."""
    line_start = raw.rfind(b"\n", 0, start) + 1
    line = raw.count(b"\n", 0, start) + 1
    column = len(raw[line_start:start].decode("utf-8", "replace")) + 1
    return f"not UTF-8 text: byte 0x{raw[start]:02x} at line {line} column {column}; save the file as UTF-8"


def decode_utf8(raw: bytes, where: str) -> str:
    """`raw` as UTF-8 text (a BOM dropped), or a one-line error starting with `where`."""
    body = raw.removeprefix(codecs.BOM_UTF8)  # positions are then those an editor shows
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise GlobMedError(f"{where}: {not_utf8(body, err.start)}") from None


def read_text(path: str | Path, kind: str = "") -> str:
    """The file's UTF-8 text; a missing, unreadable or non-UTF-8 file is a one-line `GlobMedError`."""
    where = label(path, kind)
    try:
        raw = Path(path).read_bytes()
    except OSError as err:
        raise GlobMedError(f"{where}: cannot read: {err.strerror or err}") from None
    return decode_utf8(raw, where)


def read_json(path: str | Path, kind: str = "", expect: type | None = None) -> Any:
    """A JSON document, checked to be an `expect` (dict: an object, list: an array) when that is given."""
    text = read_text(path, kind)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise GlobMedError(
            f"{label(path, kind)}: not valid JSON: {err.msg} at line {err.lineno} column {err.colno}"
        ) from None
    if expect is not None and not isinstance(data, expect):
        got = "null" if data is None else _JSON_TYPES.get(type(data), type(data).__name__)
        raise GlobMedError(f"{label(path, kind)}: expected a JSON {_JSON_TYPES[expect]}, got {got}")
    return data
