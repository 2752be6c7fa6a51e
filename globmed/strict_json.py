"""Strict JSON documents for declared pydantic schemas: parse, check every value, explain a failure in one line.

A document someone else wrote (a results file, an upload) goes through `parse_document`, then a schema built
with `STRICT`. Every failure is one line that names the JSON path, so a caller can show it as is:

    >>> from pydantic import TypeAdapter
    >>> adapter = TypeAdapter(dict[str, int], config=STRICT)
    >>> try:
    ...     validate_document(adapter, b'{"a": 1, "b": "2"}')
    ... except DocumentError as err:
    ...     print(err)
    b: Input should be a valid integer (got string)

Why a parse step before the schema: pydantic's JSON parser rejects a lone surrogate or deep nesting with a line
and column only, and lets `NaN`, `1e999` (infinity) and 400-digit integers through to fields typed `Any`.
`parse_document` reads with Python's json, then walks the tree once, without recursion, and refuses what JSON
cannot round-trip or the Space cannot show: non-finite numbers, integers beyond 2**53, lone surrogates, and
nesting deeper than `MAX_DEPTH`, each with its path.
"""

from __future__ import annotations

import codecs
import json
import math
import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from pydantic import ConfigDict, TypeAdapter, ValidationError
from pydantic_core import PydanticCustomError

from globmed.text_io import not_utf8

# Strict types (no "8" for 8), unknown keys refused, NaN and infinity refused in float fields.
STRICT = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False)
MAX_DEPTH = 32  # a results file nests 5 deep; anything far deeper is not a results file
MAX_INT = 2**53  # the largest integer every JSON reader keeps exactly
MAX_MESSAGE = 300
_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_HIDDEN = {"Cc", "Cf", "Cs", "Co"}  # control, format (bidi overrides, zero-width), surrogate, private use
_SURROGATE = re.compile("[\ud800-\udfff]")


class DocumentError(ValueError):
    """A document that is not strict JSON; the message is one line."""


def parse_document(raw: bytes | str) -> Any:
    """JSON text (UTF-8 bytes, a BOM dropped, or str) to Python values that pass `check_tree`; else `DocumentError`.

    The messages word a bad file as globmed.text_io does for every other file the kit reads.
    """
    if isinstance(raw, bytes):
        body = raw.removeprefix(codecs.BOM_UTF8)
        try:
            raw = body.decode("utf-8")
        except UnicodeDecodeError as err:
            raise DocumentError(not_utf8(body, err.start)) from None
    try:
        data = json.loads(raw)  # NaN and Infinity are read, then refused with their path by check_tree
    except RecursionError:
        raise DocumentError("not valid JSON: nested too deep") from None
    except json.JSONDecodeError as err:
        raise DocumentError(f"not valid JSON: {err.msg} at line {err.lineno} column {err.colno}") from None
    except ValueError as err:  # an integer longer than Python reads
        raise DocumentError(f"not valid JSON: {one_line(str(err))}") from None
    check_tree(data)
    return data


def check_tree(data: Any) -> None:
    """Raise `DocumentError` at the first value JSON cannot round-trip (see the module docstring).

    Iterative; a path is built only for containers and for the value at fault, which keeps a results file's
    check near a millisecond.
    """
    if type(data) not in (dict, list):
        _check_scalar(data, ())
        return
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(data, ())]
    while stack:
        container, path = stack.pop()
        if len(path) > MAX_DEPTH:
            raise DocumentError(f"{json_path(path)}: nested deeper than {MAX_DEPTH} levels")
        for key, item in container.items() if type(container) is dict else enumerate(container):
            if type(key) is str and _has_surrogate(key):
                where = json_path(path) or "the document"
                raise DocumentError(f"{where}: a key holds a lone surrogate (not Unicode text)")
            if type(item) in (dict, list):
                stack.append((item, (*path, key)))
            else:
                _check_scalar(item, (*path, key))


def _check_scalar(value: Any, path: tuple[str | int, ...]) -> None:
    kind, problem = type(value), None
    if kind is str:
        problem = "holds a lone surrogate (not Unicode text)" if _has_surrogate(value) else None
    elif kind is float:
        problem = None if math.isfinite(value) else f"{value} is not a finite number (JSON has no NaN or Infinity)"
    elif kind is int:
        problem = None if abs(value) <= MAX_INT else f"an integer of {len(str(abs(value)))} digits is out of range"
    elif kind is not bool and value is not None:
        problem = f"a {kind.__name__} is not a JSON value"
    if problem:
        raise DocumentError(f"{json_path(path)}: {problem}" if path else problem)


def validate_document(adapter: TypeAdapter, raw: bytes | str, context: dict[str, Any] | None = None) -> Any:
    """Parse `raw` and validate it against `adapter` (strict JSON mode); `DocumentError` names what and where."""
    data = parse_document(raw)
    try:
        return adapter.validate_json(json.dumps(data), context=context)
    except ValidationError as err:
        raise DocumentError(describe(err)) from None


def describe(err: ValidationError) -> str:
    """The first error of a pydantic validation as `path: what is wrong`, on one line."""
    first = err.errors(include_url=False)[0]
    path = json_path((*first["loc"], *first.get("ctx", {}).get("subpath", ())))
    message, value = first["msg"], first.get("input")
    if first["type"].endswith("_type"):
        message += f" (got {_json_type(value)})"
    elif type(value) in (int, float) or (type(value) is str and len(value) <= 40):
        message += f" (got {value!r})"
    return one_line(f"{path}: {message}" if path else message)


def invalid(reason: str, *subpath: str | int) -> PydanticCustomError:
    """An error a validator raises; `subpath` extends the JSON path below the value being validated."""
    return PydanticCustomError("invalid", "{reason}", {"reason": reason, "subpath": subpath})


def json_path(parts: Sequence[str | int]) -> str:
    """`results.sw-mcqa.metrics.acc`, `ci.overall[0]`; odd keys quoted, long paths shortened in the middle."""
    shown = [f"[{p}]" if isinstance(p, int) else p if _PLAIN_KEY.match(p) else json.dumps(p[:40]) for p in parts]
    if len(shown) > 12:
        shown = [*shown[:6], f"…({len(shown) - 8} more)…", *shown[-2:]]
    text = ""
    for part in shown:
        text += part if part.startswith("[") or not text else "." + part
    return text


def one_line(text: str) -> str:
    """Whitespace collapsed, at most MAX_MESSAGE characters: safe to show in a status line."""
    text = " ".join(text.split())
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def hidden_characters(text: str) -> bool:
    """True if the text holds control, invisible-format, surrogate or private-use characters."""
    return not text.isprintable() and any(unicodedata.category(ch) in _HIDDEN for ch in text)  # fast path first


def _has_surrogate(text: str) -> bool:
    return _SURROGATE.search(text) is not None


def _json_type(value: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer", float: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)
