"""Readers: one function per file format, each yielding `(row_number, row_dict_or_Malformed)`.

Row numbers are 0-based positions in the file (data rows, header excluded), so a reject can point at the row.
A row the format cannot parse is yielded as `Malformed` (rejected with reason "malformed_row"), never skipped.
A file may be a member of a zip archive (`Member`, from `open_member`): it is read in place, never extracted.
"""

from __future__ import annotations

import csv
import difflib
import fnmatch
import hashlib
import io
import json
import logging
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path, PurePosixPath
from typing import Any

from dataset_builder.record_paths import records_hint, walk_records
from globmed import parquet_io
from globmed.atomic import sha256_file
from globmed.errors import GlobMedError
from globmed.text_io import decode_utf8

logger = logging.getLogger(__name__)
_DELIMITERS = (",", ";", "\t", "|")  # the separators CSV exports use


@dataclass(frozen=True)
class Malformed:
    """A row the reader could not parse; `detail` says why."""

    detail: str


Row = dict[str, Any] | Malformed
_SHOWN_MEMBERS = 5  # members named in a "no such member" message before "and N more"


@dataclass(frozen=True)
class Member:
    """One file inside a zip archive. It has the few `Path` methods the readers use (`is_file`, `read_bytes`,
    `suffix`), so every reader takes it where it takes a path, and the bytes are read from the archive in place:
    a 132 MB archive of which a source needs three members is never unpacked to disk."""

    archive: Path
    name: str  # the member's full name inside the archive

    def __str__(self) -> str:
        return f"{self.archive}/{self.name}"

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.name).suffix

    def is_file(self) -> bool:
        return self.archive.is_file()

    def read_bytes(self) -> bytes:
        try:
            with zipfile.ZipFile(self.archive) as archive:
                return archive.read(self.name)
        except (zipfile.BadZipFile, OSError, EOFError) as err:
            raise GlobMedError(f"{self}: cannot read this member of the archive: {err}") from None


SourcePath = Path | Member


def open_member(archive: Path, pattern: str) -> Member:
    """The member of `archive` named by `pattern` (glob characters allowed, e.g. `*/mli_{split}_v1.jsonl` when
    the top folder's name varies; the pattern must then match exactly one member). A missing member is one line
    naming the archive and the members it does hold, closest first."""
    try:
        with zipfile.ZipFile(archive) as zipped:
            names = [name for name in zipped.namelist() if not name.endswith("/")]
    except FileNotFoundError:
        raise GlobMedError(f"{archive}: archive not found") from None
    except (zipfile.BadZipFile, OSError) as err:
        raise GlobMedError(f"{archive}: not a readable zip archive ({err})") from None
    if pattern in names:
        return Member(archive, pattern)
    matches = fnmatch.filter(names, pattern) if any(c in pattern for c in "*?[") else []
    if len(matches) == 1:
        return Member(archive, matches[0])
    if matches:
        raise GlobMedError(f"{archive}: {len(matches)} members match {pattern!r} ({_listing(matches)}); "
                           "make the members pattern name one")
    ranked = sorted(names, key=lambda name: -difflib.SequenceMatcher(None, pattern, name).ratio())
    held = _listing(ranked) if names else "it holds no file"
    raise GlobMedError(f"{archive}: no member {pattern!r} in the archive (members, closest first: {held})")


def _listing(names: list[str]) -> str:
    more = f" and {len(names) - _SHOWN_MEMBERS} more" if len(names) > _SHOWN_MEMBERS else ""
    return ", ".join(names[:_SHOWN_MEMBERS]) + more


def file_sha256(path: SourcePath) -> str:
    """Checksum of the bytes a source file gave: a file's, or a member's own (not its whole archive's)."""
    if isinstance(path, Member):
        return hashlib.sha256(path.read_bytes()).hexdigest()
    return sha256_file(path) if path.is_file() else ""


def read_rows(path: SourcePath, fmt: str, csv_options: dict[str, Any] | None = None, records: str | None = None
              ) -> Iterator[tuple[int, Row]]:
    """Rows of one file. A missing or undecodable file is a one-line `GlobMedError` naming it.

    `records` (json only) is the dotted path to the record list inside a top-level JSON object; see `walk_records`.
    """
    if not path.is_file():
        raise GlobMedError(f"{path}: source file not found")
    if fmt in ("json", "jsonl"):
        yield from _read_json(path, fmt, records)
    elif fmt in ("csv", "tsv"):
        yield from _read_csv(path, dict(csv_options or {}), "\t" if fmt == "tsv" else ",")
    elif fmt == "parquet":
        yield from _read_parquet(path)
    else:  # checked when the YAML is loaded
        raise GlobMedError(f"{path}: unknown format {fmt!r}")


COMPRESSED = {".gz": "gzip", ".bz2": "bz2", ".xz": "lzma"}  # suffix -> stdlib module that opens it
SUFFIX_FORMATS = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".tsv": "tsv",
                  ".parquet": "parquet", ".pq": "parquet"}


def format_of(name: str) -> str | None:
    """The format a file name says (`train.jsonl.gz` -> jsonl), or None when its suffix says none."""
    path = PurePosixPath(name)
    suffix = PurePosixPath(path.stem).suffix if path.suffix.lower() in COMPRESSED else path.suffix
    return SUFFIX_FORMATS.get(suffix.lower())


def decode_text(path: SourcePath) -> str:
    """The file's text: gzip/bz2/xz files (`train.jsonl.gz`) are decompressed, a BOM is dropped, and UTF-16
    with a BOM (what spreadsheet programs write as "Unicode text") is read as such; anything else must be UTF-8."""
    raw = path.read_bytes()
    module = COMPRESSED.get(path.suffix.lower())
    if module is not None:
        import importlib

        try:
            raw = importlib.import_module(module).decompress(raw)
        except (OSError, EOFError, ValueError) as err:
            raise GlobMedError(f"{path}: not a valid {module} file: {err}") from None
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return raw.decode("utf-16")
    return decode_utf8(raw, str(path))  # drops a leading BOM


def _as_row(index: int, row: Any) -> tuple[int, Row]:
    return index, row if isinstance(row, dict) else Malformed(f"expected an object, got {type(row).__name__}")


def _read_json(path: SourcePath, fmt: str, records: str | None) -> Iterator[tuple[int, Row]]:
    """A JSON array, a JSON object holding the records (`records:` says where), or JSON Lines.

    `json` decides by content, not by extension: real files named .json are often JSON Lines, and a
    one-line JSON object (HEAD-QA) is not one record per line. A top-level object that holds record lists but
    has no `records:` path is an error naming its keys, never parsed line by line.
    """
    text = decode_text(path)
    start = text.lstrip()[:1]
    if records is not None or (fmt == "json" and start == "["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise GlobMedError(f"{path}: malformed JSON at line {err.lineno} column {err.colno}: {err.msg}") from None
        if records is not None:
            for index, row in enumerate(walk_records(data, records, path)):
                yield _as_row(index, row)
            return
        if isinstance(data, list):
            for index, row in enumerate(data):
                yield _as_row(index, row)
            return
    if fmt == "jsonl" and start == "[" and isinstance(_whole(text), list):
        raise GlobMedError(f"{path}: a JSON array, not JSON Lines; use format: json for this source")
    if start == "{":
        whole = _whole_object(text)
        hint = records_hint(whole) if whole is not None else None
        if whole is not None and ((fmt == "jsonl" and "\n" in text.strip()) or (fmt == "json" and hint)):
            keys = ", ".join(map(str, list(whole)[:12])) + (", ..." if len(whole) > 12 else "")
            example = f" (e.g. records: {hint})" if hint else ""
            raise GlobMedError(
                f"{path}: one JSON object (keys: {keys}), not a list of records; say where the records are with "
                f"`records:` in the source entry{example}, or run `globmed sources infer {path}`")
    index = 0
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            yield index, Malformed(f"invalid JSON: {err.msg}")
        else:
            yield _as_row(index, row)
        index += 1


def _whole(text: str) -> Any:
    """The file parsed as one JSON value, or None when it is not one (JSON Lines with several values)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def _whole_object(text: str) -> dict[str, Any] | None:
    data = _whole(text)
    return data if isinstance(data, dict) else None


def _read_csv(path: SourcePath, options: dict[str, Any], default: str) -> Iterator[tuple[int, Row]]:
    """CSV with or without a header. `newline=""` semantics: CRLF ends a record, a bare LF inside quotes does not.

    Without `csv: {delimiter}`, a file that `default` does not split into regular columns but semicolons
    (European spreadsheet exports), tabs or pipes do is read with that separator, and the log says so.
    """
    text = decode_text(path)
    delimiter = options.get("delimiter") or sniff_delimiter(text, default)[0]
    if delimiter != (options.get("delimiter") or default):
        logger.info("%s: no %r in its first line, read with delimiter %r (set csv: {delimiter: ...} to choose)",
                    path, default, delimiter)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    columns = options.get("columns")
    if options.get("header", True):
        header = next(reader, None)
        if header is None:
            return
        columns = columns or header
    if not columns:
        raise GlobMedError(f"{path}: headerless CSV needs `csv: {{columns: [...]}}` in its source entry")
    index = 0
    for record in reader:
        if not record or record == [""]:
            continue  # a blank line is not a row
        if len(record) != len(columns):
            yield index, Malformed(f"expected {len(columns)} columns, got {len(record)}")
        else:
            yield index, dict(zip(columns, record, strict=True))
        index += 1


def sniff_delimiter(text: str, default: str) -> tuple[str, str]:
    """The delimiter of a CSV text and the evidence: `default` when it splits 90% of the first records into the
    first record's width of at least 2 columns, else the candidate (; TAB |) that does with the most columns.
    Each candidate is parsed with the csv module (quoted cells stay whole), so the evidence is a column count."""
    head = text[:65_536]
    widths = {}
    for sep in _DELIMITERS:
        records = [r for r in islice(csv.reader(io.StringIO(head, newline=""), delimiter=sep), 50) if r and r != [""]]
        if len(records) > 2 and len(head) == 65_536:
            records = records[:-1]  # the last record may be cut in the middle
        if records:  # the first record's width, and how many records have it
            width = len(records[0])
            widths[sep] = (width, sum(len(r) == width for r in records), len(records))

    def regular(sep: str) -> bool:
        width, n, total = widths.get(sep, (0, 0, 0))
        return width >= 2 and n >= 0.9 * total
    if regular(default):
        return default, ""
    found = [sep for sep in _DELIMITERS if sep != default and regular(sep)]
    if not found:
        return default, ""
    best = max(found, key=lambda sep: widths[sep][0])
    width, n, total = widths[best]
    return best, f"delimiter {best!r}: {width} columns in {n}/{total} of the first records ({default!r} gives " \
                 f"{widths[default][0] if default in widths else 0})"


def _parquet_source(path: SourcePath) -> Any:
    """What pyarrow opens: the path, or a member's bytes in memory (parquet needs seeks)."""
    import pyarrow as pa

    return pa.BufferReader(path.read_bytes()) if isinstance(path, Member) else path


def parquet_file(path: SourcePath) -> Any:
    """A `pyarrow.parquet.ParquetFile`; an unreadable file is one line naming it."""
    return parquet_io.open_file(_parquet_source(path), name=str(path))


def _read_parquet(path: SourcePath) -> Iterator[tuple[int, Row]]:
    yield from enumerate(parquet_io.iter_rows(_parquet_source(path), name=str(path)))
