"""The model-access layer's persistent cache: JSON values by key in sqlite, each committed as soon as it is put.

What callers keep in it: the benchmark, API responses keyed by `request_key` (so a rerun, or a resumed roster,
sends nothing; greedy decoding makes that sound); translation, each finished (item, language) outcome keyed by
item content, language, model(s) and pipeline, so a rerun after a crash or a kill -9 redoes no finished item.
Each caller names its table, and rows are read and written by position (key, value), so the files written
before the two shared this module (the benchmark's `responses (key, response)`, translation's
`results (key, value)`) stay readable.

sqlite in WAL mode with one commit per put (autocommit), made before the caller counts the work as done, and a
half-written transaction is rolled back on the next open, never read.

Durability: `sync="normal"` (default) commits to the WAL without an fsync per put: a killed or crashed process
loses nothing (the OS has the pages), a power cut may lose the last commits (redone on the next run, never
corrupt). `sync="full"` fsyncs every commit: safe against power loss too, at a few ms per put on most disks.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

SYNC_MODES = ("normal", "full")


def request_key(path: str, body: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of the endpoint path and request body (model, messages, sampling), never the key."""
    canonical = json.dumps({"path": path, "body": body}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class ResponseCache:
    def __init__(self, path: str | Path, table: str = "responses", sync: str = "normal") -> None:
        if sync not in SYNC_MODES:
            raise ValueError(f"cache sync must be normal or full, got {sync!r}")
        if not re.fullmatch(r"[a-z_]+", table):
            raise ValueError(f"cache table name must be lowercase letters and _, got {table!r}")
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._table = table
        self._db = sqlite3.connect(str(self.path), isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={sync.upper()}")
        self._db.execute(f"CREATE TABLE IF NOT EXISTS {table} (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> Any | None:
        row = self._db.execute(f"SELECT * FROM {self._table} WHERE key = ?", (key,)).fetchone()
        if row is None:
            self.misses += 1
            return None
        self.hits += 1
        return json.loads(row[1])

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        """The cached values among `keys`, in chunks of 500 (sqlite's bound-parameter limit is near)."""
        keys = list(keys)
        found: dict[str, Any] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for key, value in self._db.execute(f"SELECT * FROM {self._table} WHERE key IN ({marks})", chunk):
                found[key] = json.loads(value)
        self.hits += len(found)
        self.misses += len(keys) - len(found)
        return found

    def put(self, key: str, value: Any) -> None:
        self._db.execute(
            f"INSERT OR REPLACE INTO {self._table} VALUES (?, ?)",
            (key, json.dumps(value, ensure_ascii=False, sort_keys=True)),
        )

    def __len__(self) -> int:
        return self._db.execute(f"SELECT COUNT(*) FROM {self._table}").fetchone()[0]

    def close(self) -> None:
        self._db.close()
