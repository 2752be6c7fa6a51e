"""Parse the many shapes options and answers come in, as pure functions (table-tested).

Options: a list of strings, a list of dicts (text under `option_key`), a dict keyed by letters (any case) or
numbers, one "(A) ...\\n(B) ..." string, one string holding a JSON or Python-literal dict or list (parsed with
json, then ast.literal_eval: never eval), or the values of columns A..J. `option_keys` gives a dict's keys in
the same order, so an answer given as a key ("2" of "1".."4") resolves to that key's option, not to index 2.
Answers: a letter ("C", "c", "(C)", "C."), an index (0- or 1-based), a one-item list of any of these, or the
option text. Several letters ("(ACE)", "a or d", ["a", "c"]) mean several correct answers; "", "NA", None or
[] mean no answer. The result is an `Answer` whose `kind` tells the quality filters what to do.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from globmed.schema import OPTION_LETTERS

NO_ANSWER_STRINGS = {"", "na", "n/a", "none", "null", "nan", "-", "?"}
_PAREN_LETTERS = re.compile(r"[\(\[（]\s*([A-Ja-j]+)\s*[\)\]）]\.?")
_ONE_LETTER = re.compile(r"([A-Ja-j])[.)]?")
_LETTER_LIST = re.compile(r"[A-Ja-j](?:\s*(?:,|/|&|、|\bor\b|\band\b|\+)\s*[A-Ja-j])+")
_INTEGER = re.compile(r"[+-]?\d+(?:\.0+)?")  # "2.0": pandas writes whole numbers of a float column so
_OPTION_STRING = re.compile(r"(?:^|\n)\s*[\(（]([A-J])[\)）]\s*")
_OPTION_STRING_ALT = re.compile(r"(?:^|\n)\s*([A-J])[.)]\s+")


@dataclass(frozen=True)
class Answer:
    """What a raw answer says: kind is none | multi | letter | index | text."""

    kind: str
    value: Any = None

    def resolve(self, options: list[str]) -> int | None:
        """Index into `options`, or None when the answer is not among them."""
        if self.kind == "letter":
            index = OPTION_LETTERS.index(self.value)
        elif self.kind == "index":
            index = self.value
        elif self.kind == "text":
            try:
                return options.index(self.value)
            except ValueError:
                folded = self.value.casefold()
                matches = [i for i, opt in enumerate(options) if opt.casefold() == folded]
                return matches[0] if len(matches) == 1 else None
        else:
            return None
        return index if 0 <= index < len(options) else None


NONE = Answer("none")


def parse_answer(raw: Any, fmt: str = "auto", base: int = 0, options: list[str] | None = None) -> Answer:
    """Classify a raw answer value. `options` (already cleaned) lets "auto" recognise option text."""
    if raw is None:
        return NONE
    if isinstance(raw, (list, tuple)):
        items = [x for x in raw if x is not None and str(x).strip() != ""]
        if not items:
            return NONE
        if len({str(x).strip().upper() for x in items}) > 1:
            return Answer("multi", len(items))
        raw = items[0]
    if isinstance(raw, bool):
        return Answer("text", str(raw).lower())
    if isinstance(raw, (int, float)) and fmt != "text":
        if isinstance(raw, float) and not raw.is_integer():
            return Answer("text", str(raw))
        return Answer("index", int(raw) - base) if int(raw) >= 0 else NONE
    text = str(raw).strip()
    if text.casefold() in NO_ANSWER_STRINGS:
        return NONE
    if fmt == "text":
        return Answer("text", text)
    if fmt in ("auto", "letter"):
        if options and fmt == "auto" and text in options and not _ONE_LETTER.fullmatch(text):
            return Answer("text", text)
        match = _PAREN_LETTERS.fullmatch(text) or _ONE_LETTER.fullmatch(text)
        if match:
            letters = match.group(1).upper()
            return Answer("letter", letters) if len(set(letters)) == 1 else Answer("multi", len(set(letters)))
        if _LETTER_LIST.fullmatch(text):
            return Answer("multi", len(set(re.findall(r"[A-Ja-j]", text))))
    if fmt in ("auto", "index") and _INTEGER.fullmatch(text):
        value = int(float(text))
        return Answer("index", value - base) if value >= 0 else NONE
    if fmt in ("letter", "index"):
        return Answer("text", text)  # not a letter/index: cannot be resolved unless it is an option's text
    return Answer("text", text)


def parse_options(raw: Any, option_key: str | None = None) -> list[Any] | None:
    """Options as a list of raw values in letter order; None when the value has no recognisable shape."""
    if raw is None:
        return []
    if isinstance(raw, str):
        literal = literal_container(raw)
        return parse_options(literal, option_key) if literal is not None else split_option_string(raw)
    if isinstance(raw, dict):
        return [raw[k] for k in _ordered_keys(list(raw))]
    if isinstance(raw, (list, tuple)):
        if option_key and raw and all(isinstance(x, dict) for x in raw):
            return [x.get(option_key) for x in raw]
        return list(raw)
    if hasattr(raw, "tolist"):  # numpy arrays from parquet
        return parse_options(raw.tolist(), option_key)
    return None


def option_keys(raw: Any) -> list[str] | None:
    """The keys of dict-shaped options in option order (as strings), or None for other shapes."""
    if isinstance(raw, str):
        raw = literal_container(raw)
    if isinstance(raw, dict):
        return [str(k).strip() for k in _ordered_keys(list(raw))]
    return None


def literal_container(text: str) -> dict | list | None:
    """A string that holds a dict or list literal ('{"A": "x"}', "{'A': 'x'}", '["x", "y"]') parsed safely."""
    stripped = text.strip()
    if not stripped or stripped[0] not in "{[" or stripped[-1] not in "}]":
        return None
    try:
        value = json.loads(stripped)
    except ValueError:
        try:
            value = ast.literal_eval(stripped)  # Python literals only: never eval
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return None
    return value if isinstance(value, (dict, list)) else None


def split_option_string(text: str) -> list[str]:
    """Split one "(A) ...\\n(B) ..." (or "A. ...\\nB. ...") string into its options, in order."""
    for pattern in (_OPTION_STRING, _OPTION_STRING_ALT):
        parts = pattern.split(text)
        letters = parts[1::2]
        if letters and letters == list(OPTION_LETTERS[: len(letters)]) and not parts[0].strip():
            return [part.strip() for part in parts[2::2]]
    return [text] if text.strip() else []


def _ordered_keys(keys: list[str]) -> list[str]:
    """Letter keys in letter order (any case), numeric keys in numeric order, other keys as given."""
    return list(_ordered_key_tuple(tuple(keys)))


@lru_cache(maxsize=1024)
def _ordered_key_tuple(keys: tuple) -> tuple:
    return tuple(_order(list(keys)))


def _order(keys: list[str]) -> list[str]:
    upper = [str(k).upper() for k in keys]
    if all(len(k) == 1 and k in OPTION_LETTERS for k in upper):
        return [k for _, k in sorted(zip(upper, keys, strict=True))]
    if all(str(k).isdigit() for k in keys):
        return sorted(keys, key=lambda k: int(k))
    return keys
