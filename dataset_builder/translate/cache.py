"""Persistent result cache: one sqlite row per finished (item, language), committed as soon as it is done.

Keyed by item content hash + target language + model(s) + prompt version (with the other settings that change an
outcome: rounds, review, checks, glossary), so a rerun after a crash or a kill -9
redoes no finished item, while a changed item, prompt or model is translated afresh. sqlite in WAL mode with
one commit per item, made before the item counts as done, and a half-written transaction is rolled
back on the next open, never read.

Durability: `sync="normal"` (default) commits to the WAL without an fsync per item: a killed or crashed process
loses nothing (the OS has the pages), a power cut may lose the last commits (redone on the next run, never
corrupt). `sync="full"` fsyncs every commit: safe against power loss too, at a few ms per item on most disks.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any


def cache_key(content_hash: str, language: str, model: str, pipeline: str) -> str:
    """`pipeline` is the prompt version plus the outcome-changing settings, hashed (runner.pipeline_fingerprint)."""
    return hashlib.sha256(f"{content_hash}\0{language}\0{model}\0{pipeline}".encode()).hexdigest()


class ResultCache:
    def __init__(self, path: str | Path, sync: str = "normal") -> None:
        if sync not in ("normal", "full"):
            raise ValueError(f"cache sync must be normal or full, got {sync!r}")
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(self.path), isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={sync.upper()}")
        self._db.execute("CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, value TEXT NOT NULL)")

    def get_many(self, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        keys = list(keys)
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for key, value in self._db.execute(f"SELECT key, value FROM results WHERE key IN ({marks})", chunk):
                found[key] = json.loads(value)
        return found

    def put(self, key: str, value: dict[str, Any]) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO results (key, value) VALUES (?, ?)",
            (key, json.dumps(value, ensure_ascii=False, sort_keys=True)),
        )

    def __len__(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM results").fetchone()[0]

    def close(self) -> None:
        self._db.close()
