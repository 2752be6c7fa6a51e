"""Where the records are inside a JSON document: `walk_records` follows a source's `records:` path, and
`find_record_lists` finds the candidate paths (for `sources infer` and for the reader's error message).

A path is dotted; a segment `{name}` (or `*`) stands for every key of a mapping (or item of a list) at that
level. Shared by the reader and by `sources infer`, so the path infer drafts is the path the reader follows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from globmed.errors import GlobMedError

_MAX_DEPTH = 6


def walk_records(data: Any, path: str, where: Path | str) -> Iterator[dict[str, Any] | Any]:
    """The records at a dotted `path` inside parsed JSON.

    A segment `{name}` (or `*`) stands for every key of the mapping (or item of the list) at that level, in file
    order; with `{name}`, the key is copied into each record below as field `name` (unless the record has that
    field), so id templates can use it: `exams.{exam}.data` gives HEAD-QA's questions with their exam name,
    `{pmid}` gives PubMedQA's records keyed by PMID. The path must end at a list of records, or at records.
    """
    parts = [p for p in path.split(".") if p]

    def walk(node: Any, depth: int, bound: dict[str, Any]) -> Iterator[Any]:
        if depth == len(parts):
            items = node if isinstance(node, list) else [node]
            for item in items:
                yield {**bound, **item} if bound and isinstance(item, dict) else item
            return
        part = parts[depth]
        if part == "*" or (part.startswith("{") and part.endswith("}")):
            name = part[1:-1] if part != "*" else None
            pairs = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else None
            if pairs is None:
                raise GlobMedError(f"{where}: records: {path!r}: {'.'.join(parts[:depth]) or 'the top level'} is a "
                                   f"{type(node).__name__}, not a mapping or list")
            for key, child in pairs:
                yield from walk(child, depth + 1, {**bound, name: key} if name else bound)
            return
        if isinstance(node, dict) and part in node:
            yield from walk(node[part], depth + 1, bound)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            yield from walk(node[int(part)], depth + 1, bound)
        else:
            held = ", ".join(map(str, list(node)[:12])) if isinstance(node, dict) else type(node).__name__
            raise GlobMedError(f"{where}: records: {path!r}: no key {part!r} at "
                               f"{'.'.join(parts[:depth]) or 'the top level'} (holds: {held})")

    yield from walk(data, 0, {})


def find_record_lists(node: Any, segments: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], list[dict]]]:
    """Every list of records inside a JSON value, as (path segments, records), merged over `{var}` levels.

    A mapping whose values are all objects with the same keys is a level of named entries: `{exam}` binds each
    key (merging the lists found under every entry), or, when the entries hold no list of records themselves,
    the entries are the records and the level is their key (`{id}`, PubMedQA's PMIDs).
    """
    if len(segments) > _MAX_DEPTH:
        return []
    if isinstance(node, list):
        dicts = [x for x in node if isinstance(x, dict)]
        return [(segments, dicts)] if dicts and len(dicts) >= 0.9 * len(node) else []
    if not isinstance(node, dict):
        return []
    if _is_keyed_level(node):
        var = "{" + _variable_name(segments, node) + "}"
        merged: dict[tuple[str, ...], list[dict]] = {}
        for value in node.values():
            for sub, records in find_record_lists(value, (*segments, var)):
                merged.setdefault(sub, []).extend(records)
        if merged:
            return list(merged.items())
        return [((*segments, var), list(node.values()))]
    found = []
    for key, value in node.items():
        found += find_record_lists(value, (*segments, str(key)))
    return found


def _is_keyed_level(node: dict[str, Any]) -> bool:
    values = list(node.values())
    if len(values) < 2 or not all(isinstance(v, dict) and v for v in values):
        return False
    keys = [set(v) for v in values[:200]]
    common, union = set.intersection(*keys), set.union(*keys)
    return len(common) >= 0.5 * len(union)


def _variable_name(segments: tuple[str, ...], node: dict[str, Any]) -> str:
    """`exams` -> exam, `categories` -> category; a top-level mapping of ids -> id."""
    parent = next((s for s in reversed(segments) if not s.startswith("{")), "")
    if not parent or all(str(k).isdigit() for k in node):
        name = "id"
    elif parent.endswith("ies"):
        name = parent[:-3] + "y"
    elif parent.endswith("s") and len(parent) > 3:
        name = parent[:-1]
    else:
        name = parent + "_key"
    name = re.sub(r"\W", "_", name).lower()
    used = {s.strip("{}") for s in segments if s.startswith("{")} | {"row", "split", "lang"}
    return name if name not in used else f"{name}_key"


def records_hint(data: Any) -> str | None:
    """The `records:` path of the largest list of records inside a JSON value, or None when it holds none."""
    candidates = sorted(find_record_lists(data), key=lambda c: -len(c[1]))
    return ".".join(candidates[0][0]) if candidates else None
