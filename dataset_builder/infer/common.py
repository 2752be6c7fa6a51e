"""What the parts of `sources infer` share: a guess with its evidence, the word tables, name matching."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any

import yaml


@dataclass(frozen=True)
class Guess:
    """A value for the draft YAML and why it was chosen; `why` becomes the line's comment."""

    value: Any
    why: str = ""


@lru_cache(maxsize=1)
def words() -> dict[str, Any]:
    """The tables of words.yaml (field-name hints, split words, yes/no words, language codes)."""
    text = resources.files(__package__).joinpath("words.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


_NOT_NAME = re.compile(r"[\s_.\-]+")


def norm(name: Any) -> str:
    """A field name as the hints are matched: case-folded, without spaces, "_", "-" and "."."""
    return _NOT_NAME.sub("", str(name)).casefold()


@cache
def hint_rank(role: str) -> dict[str, int]:
    """Normalised hint -> its rank in the role's list (lower is preferred)."""
    ranks: dict[str, int] = {}
    for rank, name in enumerate(words()["roles"][role]):
        ranks.setdefault(norm(name), rank)
    return ranks


def split_of(token: str) -> str | None:
    """train / validation / test for a split word of a file name ("dev" -> validation), else None."""
    folded = token.casefold()
    for split, names in words()["splits"].items():
        if folded in names:
            return split
    return None


def is_blank(value: Any) -> bool:
    """None, NaN or an empty / whitespace string: a cell with nothing in it."""
    if value is None:
        return True
    if isinstance(value, float):
        return value != value
    return isinstance(value, str) and not value.strip()
