"""Parquet files handed to the kit (a source's data file, the shards of a dataset folder): a 0-byte, truncated
or non-parquet file is one line naming it, `PATH: not a readable parquet file (<pyarrow's reason>)`, instead of
pyarrow's traceback (or `datasets`' DatasetGenerationError, which names no file).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from globmed.errors import GlobMedError


def unreadable(path: str | Path, err: BaseException) -> GlobMedError:
    reason = (str(err).strip().splitlines() or [type(err).__name__])[0]
    reason = "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in reason).strip()  # it may quote bytes
    return GlobMedError(f"{path}: not a readable parquet file ({reason})")


def _errors() -> tuple[type[BaseException], ...]:
    import pyarrow as pa

    return pa.ArrowException, OSError  # ArrowInvalid for a bad footer, OSError for a corrupt page


def open_file(source: Any, name: str | Path) -> Any:
    """A `pyarrow.parquet.ParquetFile` over a path or a buffer (a zip member's bytes); `name` is what errors show."""
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(source)
    except _errors() as err:
        raise unreadable(name, err) from None


def iter_rows(source: Any, name: str | Path | None = None, batch_size: int = 65_536) -> Iterator[dict[str, Any]]:
    """The rows of a parquet path or buffer as dicts, read batch by batch."""
    name = source if name is None else name
    try:
        for batch in open_file(source, name).iter_batches(batch_size=batch_size):
            yield from batch.to_pylist()
    except _errors() as err:
        raise unreadable(name, err) from None


def check_footers(paths: Iterable[str | Path]) -> None:
    """Each file has a parquet footer (reads a few bytes per file): catches empty and non-parquet files early."""
    import pyarrow.parquet as pq

    for path in paths:
        try:
            pq.read_metadata(path)
        except _errors() as err:
            raise unreadable(path, err) from None


def first_unreadable(paths: Iterable[str | Path]) -> GlobMedError | None:
    """Read every file whole; the error for the first that fails (a corrupt page behind a valid footer), if any."""
    import pyarrow.parquet as pq

    for path in paths:
        try:
            pq.read_table(path)
        except _errors() as err:
            return unreadable(path, err)
    return None


def read_rows(path: str | Path, schema: Any) -> list[dict[str, Any]]:
    """Every row of one parquet file as a dict, checked against `schema` (a `pyarrow.Schema`).

    The file must have exactly the schema's columns (in any order) with types that cast to it, as
    `datasets.load_dataset(..., features=...)` demands; rows come back in file order with the schema's types
    (an int64 answer index becomes int32, a missing value None). A mismatch is one line naming the file.
    """
    import pyarrow as pa

    try:
        table = open_file(path, path).read()
    except _errors() as err:
        raise unreadable(path, err) from None
    missing = [name for name in schema.names if name not in table.column_names]
    extra = [name for name in table.column_names if name not in schema.names]
    if missing or extra:
        found = [f"missing {', '.join(missing)}"] * bool(missing) + [f"unexpected {', '.join(extra)}"] * bool(extra)
        raise GlobMedError(f"{path}: its columns do not match the dataset schema ({'; '.join(found)})")
    try:
        table = table.select(schema.names).cast(schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError) as err:
        reason = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise GlobMedError(f"{path}: does not match the dataset schema ({reason})") from None
    return table.to_pylist()
