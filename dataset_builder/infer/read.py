"""Read the first rows of a data file for `sources infer`: its format, where its records are, its CSV header.

Reading only what a guess needs keeps infer fast on large files: JSON Lines, CSV and Parquet stop after the
sample (the remaining rows are only counted); a JSON document is parsed whole, since its records may be
anywhere inside it. A CSV's delimiter is found by parsing with , ; TAB and |. A top-level JSON object is
searched for its record list (`exams.{exam}.data`) or is itself a mapping of ids to records (`"{id}"`); one
without records is an error that names its keys, and so is a file with no rows (a CSV header alone).
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from dataset_builder.infer.common import Guess
from dataset_builder.readers import (
    SUFFIX_FORMATS,
    Member,
    SourcePath,
    decode_text,
    format_of,
    open_member,
    parquet_file,
    read_rows,
    sniff_delimiter,
)
from dataset_builder.record_paths import find_record_lists, walk_records
from globmed.errors import GlobMedError

_LETTER = re.compile(r"\(?[A-Ja-j][.)]?")
_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


@dataclass
class FileSample:
    """The first rows of one file and what reading them showed."""

    path: Path
    format: str
    rows: list[dict[str, Any]]
    total: int  # rows in the whole file
    how: str  # evidence for the `format` line
    records: Guess | None = None  # the record path inside a JSON object
    csv: Guess | None = None  # {delimiter: ";"} and/or {header: false, columns: [...]}
    top: dict[str, Any] = field(default_factory=dict)  # scalar keys of a top-level JSON object (language: en)


def archive_of(path: Path) -> Path | None:
    """The zip archive a path runs through (`data.zip/US/test.jsonl`), or is; None for a plain path."""
    return next((p for p in (path, *path.parents) if p.suffix.lower() == ".zip" and p.is_file()), None)


def expand_archive(path: Path) -> list[Path]:
    """A zip archive stands for its data members, each as a path through it (`data.zip/US/test.jsonl`): their
    names make the layout, and the draft turns that pattern into `archive:` + `members:`. Other paths as given."""
    if path.suffix.lower() != ".zip" or not path.is_file():
        return [path]
    try:
        with zipfile.ZipFile(path) as archive:
            names = [name for name in archive.namelist() if not name.endswith("/") and format_of(name)]
    except (zipfile.BadZipFile, OSError) as err:
        raise GlobMedError(f"{path}: not a readable zip archive ({err})") from None
    if not names:
        raise GlobMedError(f"{path}: no {', '.join(sorted(SUFFIX_FORMATS))} member in this archive")
    return [path / name for name in names]


def _source(path: Path) -> SourcePath:
    """The file to read: `path`, or the member of the zip archive the path runs through."""
    archive = archive_of(path)
    if archive is None or archive == path:
        if not path.is_file():
            raise GlobMedError(f"{path}: no such file")
        return path
    return open_member(archive, path.relative_to(archive).as_posix())


def _head(source: SourcePath) -> bytes:
    if isinstance(source, Member):
        return source.read_bytes()[:4]
    with source.open("rb") as handle:
        return handle.read(4)


def sample_file(path: Path, limit: int) -> FileSample:
    """The first `limit` rows of `path` (or of the zip member it names); unreadable files and unknown formats
    are one-line errors."""
    source = _source(path)
    fmt = format_of(path.name)  # train.jsonl.gz: jsonl
    try:
        if fmt is None:
            fmt = "parquet" if _head(source) == b"PAR1" else None
        if fmt == "parquet":
            return _sample_parquet(path, source, limit)
        text = decode_text(source)
    except OSError as err:
        raise GlobMedError(f"{path}: cannot read: {err.strerror}") from None
    if fmt is None:
        start = text.lstrip()[:1]
        if start not in ("[", "{"):
            raise GlobMedError(f"{path}: unknown format (suffix {path.suffix or 'none'!r}); infer reads "
                               f"{', '.join(sorted(SUFFIX_FORMATS))} files")
        fmt = "json"
    sample = (_sample_json(path, source, text, fmt, limit) if fmt in ("json", "jsonl")
              else _sample_csv(path, text, fmt, limit))
    if not sample.rows:
        raise GlobMedError(f"{path}: {sample.how}, none of them a record (an object of fields): nothing to infer from")
    return sample


# -- JSON ------------------------------------------------------------------------------------------------------


def _sample_json(path: Path, source: SourcePath, text: str, fmt: str, limit: int) -> FileSample:
    if fmt == "json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            if not _first_line_is_object(text):
                raise GlobMedError(f"{path}: malformed JSON at line {err.lineno} column {err.colno}: {err.msg}"
                                   ) from None
        else:
            if isinstance(data, list):
                rows = [r for r in data if isinstance(r, dict)]
                return FileSample(path, "json", rows[:limit], len(data), f"JSON array of {len(data)} records")
            if isinstance(data, dict):
                return _sample_object(path, data, limit)
            raise GlobMedError(f"{path}: a JSON {type(data).__name__}, not records")
    lines = [line for line in text.splitlines() if line.strip()]
    rows = [r for _, r in islice(read_rows(source, "jsonl"), limit) if isinstance(r, dict)]
    if not rows:
        raise GlobMedError(f"{path}: no JSON object on its first {min(limit, len(lines))} lines")
    how = "JSON Lines" + (" (despite the .json name)" if path.suffix.lower() == ".json" else "")
    return FileSample(path, "jsonl", rows, len(lines), f"{how}, {len(lines)} lines")


def _first_line_is_object(text: str) -> bool:
    first = next((line for line in text.splitlines() if line.strip()), "")
    try:
        return isinstance(json.loads(first), dict)
    except json.JSONDecodeError:
        return False


def _sample_object(path: Path, data: dict[str, Any], limit: int) -> FileSample:
    candidates = sorted(find_record_lists(data), key=lambda c: -len(c[1]))
    if not candidates:
        keys = ", ".join(map(str, list(data)[:12])) + (", ..." if len(data) > 12 else "")
        raise GlobMedError(f"{path}: a JSON object with no list of records (keys: {keys}); give a file of "
                           "records, or one whose records sit in a list inside it")
    segments, records = candidates[0]
    dotted = ".".join(segments)
    others = "; other lists: " + ", ".join(".".join(s) for s, _ in candidates[1:3]) if len(candidates) > 1 else ""
    if segments[-1].startswith("{"):
        why = f"the object maps {len(records)} keys to records; {segments[-1]} is each record's key{others}"
    else:
        why = f"{len(records)} records at {dotted}{others}"
    top = {k: v for k, v in data.items() if isinstance(v, (str, int, float, bool))}
    # read as the builder will: each `{name}` key is copied into its records as field `name`
    rows = [r for r in islice(walk_records(data, dotted, path), limit) if isinstance(r, dict)]
    return FileSample(path, "json", rows, len(records), "a JSON object holding the records",
                      records=Guess(dotted, why), top=top)


# -- CSV / TSV ---------------------------------------------------------------------------------------------------


def _sample_csv(path: Path, text: str, fmt: str, limit: int) -> FileSample:
    default = "\t" if fmt == "tsv" else ","
    delimiter, delimiter_why = sniff_delimiter(text, default)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[list[str]] = []
    total = 0
    for record in reader:
        if not record or record == [""]:
            continue
        total += 1
        if len(records) <= limit:
            records.append(record)
    if not records:
        raise GlobMedError(f"{path}: an empty {fmt.upper()} file")
    header, why = has_header(records)
    name = "TSV" if fmt == "tsv" else "CSV"
    options: dict[str, Any] = {"delimiter": delimiter} if delimiter != default else {}
    if header:
        if total == 1:
            raise GlobMedError(f"{path}: a header row ({', '.join(records[0][:8])}) and no data rows: nothing to "
                               "infer from")
        columns = records[0]  # as the builder reads them
        body = records[1 : limit + 1]
        sample = FileSample(path, fmt, [], total - 1, f"{name} with a header row, {total - 1} rows")
    else:
        columns = headerless_columns(records)
        body = records[:limit]
        sample = FileSample(path, fmt, [], total, f"{name} without a header, {total} rows")
        options |= {"header": False, "columns": columns}
    if options:
        sample.csv = Guess(options, "; ".join(w for w in (delimiter_why if delimiter != default else "", why) if w))
    sample.rows = [dict(zip(columns, r, strict=True)) for r in body if len(r) == len(columns)]
    if not sample.rows:
        raise GlobMedError(f"{path}: no row has the {len(columns)} columns of the first row; check the delimiter")
    return sample



def _kind(cell: str) -> str:
    cell = cell.strip()
    if not cell:
        return "empty"
    if _LETTER.fullmatch(cell):
        return "letter"
    if _NUMBER.fullmatch(cell):
        return "number"
    return "text"


def has_header(records: list[list[str]]) -> tuple[bool, str]:
    """Whether the first record is a header, and the evidence when it is not.

    A column whose cells are letters or numbers in 90% of the other rows decides: a first cell of the same kind
    means the first row is data (e.g. its last cell is "A", like the answers below it). Without such a column
    the first row is taken as a header, as most CSV files have one.
    """
    first, rest = records[0], [r for r in records[1:] if len(r) == len(records[0])]
    for col in reversed(range(len(first))):
        kinds = [_kind(r[col]) for r in rest]
        for kind in ("letter", "number"):
            n = kinds.count(kind)
            if rest and n >= 0.9 * len(rest):
                if _kind(first[col]) == kind:
                    return False, (f"the first row is data: its column {col + 1} {first[col]!r} is a {kind} like "
                                   f"{n}/{len(rest)} other rows")
                return True, ""
    return True, ""


def headerless_columns(records: list[list[str]]) -> list[str]:
    """Names for the columns of a headerless CSV: question, A..J, answer when the last column holds letters."""
    width = len(records[0])
    last = [_kind(r[-1]) for r in records if len(r) == width]
    if width >= 4 and last.count("letter") >= 0.9 * len(last):
        return ["question", *"ABCDEFGHIJ"[: width - 2], "answer"]
    return [f"col{i + 1}" for i in range(width)]


# -- Parquet -----------------------------------------------------------------------------------------------------


def _sample_parquet(path: Path, source: SourcePath, limit: int) -> FileSample:
    try:
        total = parquet_file(source).metadata.num_rows
        rows = [r for _, r in islice(read_rows(source, "parquet"), limit) if isinstance(r, dict)]
    except (OSError, ValueError) as err:
        raise GlobMedError(f"{path}: not a readable Parquet file: {str(err).splitlines()[0]}") from None
    return FileSample(path, "parquet", rows, total, f"Parquet, {total} rows")
