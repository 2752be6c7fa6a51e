"""Check a source's field mapping against the first rows of its files, before anything is built.

A typo in `fields:` (`qestion`) does not fail a build: every row is rejected as malformed_row and the user reads
rejects.jsonl to learn why. `globmed validate` and `globmed build --sources hub` call this first, so the typo is
named at once with the fields the file has and the closest one:

    question: no field 'qestion' (fields: id, question, opa, opb; did you mean 'question'?)

A mapped field is missing when no sampled row has it. A field every row needs (id, question, options, answer,
the language column, ...) is judged file by file. An optional one (context, explanation, an option column, a flag)
is judged over the source's files together: one mapping often serves files of which only some have it (Apollo's
XMedBench has `context` in its English file only), but a mapped field that appears in none of them is a typo.
"""

from __future__ import annotations

import difflib
import itertools
import re
import string
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from dataset_builder.readers import SourcePath, read_rows
from globmed.errors import GlobMedError

SAMPLE_ROWS = 50  # rows read from the head of a file
_SHOWN_FIELDS = 20  # fields listed in a message before "..."
_ITEMS = "[]."  # `options[].atext`: the key `atext` inside each item of the list `options` (HEAD-QA)
_TEMPLATE_VALUES = {"row", "lang", "split", "file", "part"}  # an id template's values besides vars and row fields
# keys whose field a row may lack: the adapter then reads "", an absent option or "not flagged"
_OPTIONAL_KEYS = ("context", "explanation", "needs_image.field", "reject_when")


@dataclass(frozen=True)
class MissingField:
    """One mapped field absent from every sampled row: which key of the YAML maps it, and what the rows hold."""

    key: str  # where in the source entry, e.g. question, options, select.field, parallel_fields.en.question
    path: str  # the field name (dotted for nested values)
    present: tuple[str, ...]  # top-level fields of the sampled rows, in first-seen order
    suggestion: str | None  # the closest field the rows do have

    @property
    def optional(self) -> bool:
        key = re.sub(r"^parallel_fields\.[^.]+\.", "", self.key)
        return key.startswith(_OPTIONAL_KEYS) or re.fullmatch(r"options\[\d+\]", key) is not None

    def message(self) -> str:
        shown = ", ".join(self.present[:_SHOWN_FIELDS]) + (", ..." if len(self.present) > _SHOWN_FIELDS else "")
        hint = f"; did you mean {self.suggestion!r}?" if self.suggestion else ""
        return f"{self.key}: no field {self.path!r} (fields: {shown or 'none'}{hint})"


def _keyed(key: str, value: Any) -> list[tuple[str, str]]:
    """A field value as (key, field name): one name, or a list of them (`options[2]`: the third option column)."""
    if isinstance(value, str):
        return [(key, value)]
    if isinstance(value, (list, tuple)):
        return [(f"{key}[{i}]", v) for i, v in enumerate(value) if isinstance(v, str)]
    return []


def _mapping_fields(fields: dict[str, Any], prefix: str = "", variables: Iterable[str] = ()) -> list[tuple[str, str]]:
    """(key, path) pairs of one `fields:` mapping (also used for each language of parallel_fields)."""
    pairs: list[tuple[str, str]] = []
    ident = fields.get("id")
    if isinstance(ident, str) and "{" in ident:  # a template: "{exam}-{qid}" reads qid from the row
        given = _TEMPLATE_VALUES | set(variables)
        names = [name for _, name, _, _ in string.Formatter().parse(ident) if name and name not in given]
        pairs += [(f"{prefix}id", name) for name in dict.fromkeys(names)]
    elif isinstance(ident, str):
        pairs.append((f"{prefix}id", ident))
    for key in ("question", "context", "options", "answer", "explanation", "translation"):
        pairs += _keyed(f"{prefix}{key}", fields.get(key))
    for key in ("option_key", "option_id"):  # fields inside each option of a list of objects (HEAD-QA)
        inner = fields.get(key)
        if isinstance(inner, str) and isinstance(fields.get("options"), str):
            pairs.append((f"{prefix}{key}", f"{fields['options']}{_ITEMS}{inner}"))
    image = fields.get("needs_image")
    if isinstance(image, dict) and isinstance(image.get("field"), str):
        pairs.append((f"{prefix}needs_image.field", image["field"]))
    return pairs


def _field_of(entry: Any) -> str | None:
    """The `field` of a select / language / reject_when entry, whether a mapping or an object with `.field`."""
    value = entry.get("field") if isinstance(entry, dict) else getattr(entry, "field", None)
    return value if isinstance(value, str) else None


def mapped_fields(spec: Any) -> list[tuple[str, str]]:
    """Every (key, path) of a source entry that names a row field; a named adapter maps none.

    A new key of the source contract that names a row field belongs here.
    """
    if getattr(spec, "adapter", None):
        return []
    fields = getattr(spec, "fields", None) or {}
    variables = list(getattr(spec, "vars", None) or {})
    pairs = _mapping_fields(fields, variables=variables)
    name = _field_of(getattr(spec, "language", None))
    if name:
        pairs.append(("language.field", name))
    for key in ("select", "reject_when"):
        for index, rule in enumerate(getattr(spec, key, None) or []):
            name = _field_of(rule)
            if name:
                pairs.append((f"{key}[{index}].field", name))
    for lang, overrides in (getattr(spec, "parallel_fields", None) or {}).items():
        if isinstance(overrides, dict):  # the keys it does not override come from `fields:`, checked above
            pairs += _mapping_fields(overrides, f"parallel_fields.{lang}.", variables)
    return pairs


def _has(row: Any, path: str) -> bool:
    """Whether a row holds `path`: a top-level column first (it may contain dots), then nested keys."""
    if not isinstance(row, dict):
        return False
    if path in row:
        return True
    if _ITEMS in path:
        outer, inner = path.split(_ITEMS, 1)
        items = row.get(outer) if outer in row else None
        return isinstance(items, list) and any(_has(item, inner) for item in items)
    head, _, rest = path.partition(".")
    return bool(rest) and head in row and _has(row[head], rest)


def _field_names(rows: list[dict[str, Any]]) -> tuple[tuple[str, ...], list[str]]:
    """Top-level fields in first-seen order, and every dotted path (two levels deep) for close matches."""
    top: dict[str, None] = {}
    nested: dict[str, None] = {}
    for row in rows:
        for key, value in row.items():
            top.setdefault(str(key), None)
            if isinstance(value, dict):
                for sub in value:
                    nested.setdefault(f"{key}.{sub}", None)
            elif isinstance(value, list) and value and isinstance(value[0], dict):
                for sub in value[0]:
                    nested.setdefault(f"{key}{_ITEMS}{sub}", None)
    return tuple(top), [*top, *nested]


def missing_fields(spec: Any, rows: list[dict[str, Any]]) -> list[MissingField]:
    """The mapped fields that no row of `rows` holds (nothing is judged from zero rows)."""
    rows = [row for row in rows if isinstance(row, dict)]
    if not rows:
        return []
    present, candidates = _field_names(rows)
    missing = []
    for key, path in mapped_fields(spec):
        if any(_has(row, path) for row in rows):
            continue
        close = difflib.get_close_matches(path, candidates, n=1, cutoff=0.6)
        missing.append(MissingField(key, path, present, close[0] if close else None))
    return missing


def check_files(spec: Any, files: Iterable[tuple[str, SourcePath]], every_file: bool = True,
                limit: int = SAMPLE_ROWS) -> list[tuple[str, SourcePath, list[MissingField]]]:
    """(label, path, missing) for each file of a source with a missing field, files in the order given.

    Required fields are judged per file (with `every_file=False`, on the first file only: later files are then
    opened only while an optional field is still unseen). Optional fields missing from every file are reported
    against the first file. Files with no parsable row are not judged.
    """
    found: list[tuple[str, SourcePath, list[MissingField]]] = []
    unseen: dict[str, MissingField] | None = None  # optional keys not met in any file so far
    first: tuple[str, SourcePath] | None = None
    for label, path in files:
        if first is not None and not every_file and not unseen:
            break
        rows = head_rows(spec, path, limit)
        if not rows:
            continue
        missing = missing_fields(spec, rows)
        optional = {m.key: m for m in missing if m.optional}
        if first is None:
            first, unseen = (label, path), optional
            required = [m for m in missing if not m.optional]
        else:
            unseen = {key: m for key, m in (unseen or {}).items() if key in optional}
            required = [m for m in missing if not m.optional] if every_file else []
        if required:
            found.append((label, path, required))
    if first is not None and unseen:
        head = next((entry for entry in found if entry[0] == first[0]), None)
        if head is None:
            found.insert(0, (*first, []))
            head = found[0]
        head[2].extend(unseen.values())
    return found


def head_rows(spec: Any, path: SourcePath, limit: int = SAMPLE_ROWS) -> list[dict[str, Any]]:
    """The first parsable rows of a file, read with the builder's own reader (malformed rows skipped)."""
    rows: Iterable = read_rows(path, spec.format, getattr(spec, "csv", None), getattr(spec, "records", None))
    return [row for _, row in itertools.islice(rows, limit) if isinstance(row, dict)]


def describe(missing: list[MissingField]) -> str:
    """Several missing fields on one line."""
    return "; ".join(m.message() for m in missing)


def by_source(jobs: list) -> dict[str, tuple[Any, list]]:
    """The build's (spec, file task) jobs grouped per source, in order: source id -> (spec, tasks)."""
    grouped: dict[str, tuple[Any, list]] = {}
    for spec, task in jobs:
        grouped.setdefault(spec.id, (spec, []))[1].append(task)
    return grouped


def check_source_fields(jobs: list) -> None:
    """Before any work: every source's mapped fields checked against its files; one line per source, exit 2.

    Hub files are fetched now and each is checked (the download is paid for anyway); local sources are judged on
    their first file (later files only while an optional field is still unseen), so a typo in `fields:`,
    `reject_when:` or `language:` stops the build instead of emptying a column or keeping flagged rows. Each
    line names the file, the missing field, the fields present and the `globmed sources infer` command.
    """
    sources = by_source(jobs)
    lines = []
    for spec, tasks in sources.values():
        files: Iterable[tuple[str, SourcePath]] = ((t.label, spec.source_file(t)) for t in tasks)
        if spec.hub:
            files = list(files)  # every Hub file fetched (and each archive member opened) now
        bad = check_files(spec, files, every_file=bool(spec.hub))
        if bad:
            label, path, missing = bad[0]
            more = f" and {len(bad) - 1} more file(s)" if len(bad) > 1 else ""
            where = f"{spec.hub['repo']}/{label}" if spec.hub else label
            lines.append(f"source {spec.id} ({where}{more}): {describe(missing)}; "
                         f"draft a mapping from the file: globmed sources infer {path}")
    if lines:
        kind = "Hub source(s)" if all(spec.hub for spec, _ in sources.values()) else "source(s)"
        head = (f"{len(lines)} {kind} in {jobs[0][0].yaml_file} map fields their files do not have; nothing "
                "was built. Fix the sources YAML (the infer draft shows the file's own names):")
        raise GlobMedError("\n".join([head, *lines]))
