"""A small name -> object registry whose lookup errors list close matches and the known names.

Used for languages, sources, backends and commands. Values may be "module:attr" strings, imported the
first time they are looked up, so optional heavy dependencies stay lazy.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Iterator
from typing import Generic, TypeVar

from globmed.errors import GlobMedError

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps names to objects; `get` raises a `GlobMedError` that suggests the closest names."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T | str] = {}

    def register(self, name: str, value: T | str) -> None:
        if name in self._items:
            raise ValueError(f"{self.kind} {name!r} is registered twice")
        self._items[name] = value

    def get(self, name: str) -> T:
        if name not in self._items:
            raise GlobMedError(self.unknown_message(name))
        value = self._items[name]
        if isinstance(value, str) and ":" in value:
            module, attr = value.split(":", 1)
            value = getattr(importlib.import_module(module), attr)
            self._items[name] = value
        return value  # type: ignore[return-value]

    def unknown_message(self, name: str) -> str:
        close = difflib.get_close_matches(name, list(self._items), n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        return f"unknown {self.kind} {name!r}.{hint} Known: {', '.join(sorted(self._items))}"

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def names(self) -> list[str]:
        return list(self._items)
