"""What is decided about a raw row before it is adapted: its language (from a column) and whether the source
asks for it (`select:`) or flags it as unusable (`reject_when:`).

These are data decisions of the source, not quality judgements, so they run before the adapter and each has
its own reject reason: `language_not_in_registry` / `language_not_selected` (the row's language is known only
once its column is read), `not_selected` and `source_flagged` (with the flag's field named in the detail).
"""

from __future__ import annotations

import math
import re
from typing import Any

from dataset_builder.adapters import get_optional, get_path
from globmed.languages import language_registry

_FALSY = {"", "false", "0", "no", "none", "null", "nan", "n", "f"}
_REGION = re.compile(r"[-_]")


def canonical(value: Any) -> str:
    """One comparable string for a cell: booleans as true/false, 1.0 as 1, NaN as "", text stripped and folded."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer():
            return str(int(value))
    return str(value).strip().casefold()


class LanguageColumn:
    """Maps the language cell of a row to our code: the source's `codes` map first (case-insensitive), then
    registry codes and English or native names ("Japanese", "日本語"), then the primary subtag ("pt-BR" -> "pt").
    A value none of these knows is returned folded, so the reject names what the file says."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.field = spec["field"]
        self.codes = {canonical(k): v for k, v in spec.get("codes", {}).items()}
        registry = language_registry()
        for code in registry:
            lang = registry.get(code)
            for name in (code, lang.name, lang.native):
                self.codes.setdefault(canonical(name), code)
        self._cache: dict[Any, str] = {}

    def __call__(self, row: dict[str, Any]) -> str:
        raw = get_path(row, self.field)  # MissingField: the row is malformed
        key = raw if isinstance(raw, (str, int, float, bool)) or raw is None else str(raw)
        code = self._cache.get(key)
        if code is None:
            folded = canonical(raw)
            code = self.codes.get(folded) or self.codes.get(_REGION.split(folded)[0]) or folded or "(empty)"
            self._cache[key] = code
        return code


class RowRules:
    """`select: [{field, values}]` keeps only rows whose fields have the listed values (every rule);
    `reject_when: [{field, values?}]` rejects rows whose field has one of the values (or, without values, any
    truthy value)."""

    def __init__(self, select: list[dict[str, Any]], reject_when: list[dict[str, Any]]) -> None:
        self.selects = [(rule["field"], {canonical(v) for v in rule["values"]}) for rule in select]
        self.flags = [(rule["field"], {canonical(v) for v in rule["values"]} if "values" in rule else None)
                      for rule in reject_when]

    def __bool__(self) -> bool:
        return bool(self.selects or self.flags)

    def check(self, row: dict[str, Any]) -> tuple[str, str] | None:
        """None to go on, else (reason, detail)."""
        for field, values in self.selects:
            value = get_optional(row, field)
            if canonical(value) not in values:
                return "not_selected", f"{field}={value!r}"
        for field, values in self.flags:
            value = get_optional(row, field)
            folded = canonical(value)
            if (folded in values) if values is not None else folded not in _FALSY:
                return "source_flagged", f"{field}={value!r}"
        return None

