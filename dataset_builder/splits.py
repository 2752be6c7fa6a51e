"""Split assignment keyed by parallel_id, so every translation of an item lands in the same split.

A source's official split (the file it came from) is kept. Items without one get a stable hash split:
xxh64(seed, parallel_id) mapped to [0, 1) and cut by the configured ratios, the same in every language and
every run. If the same parallel_id arrives with different official splits (a source inconsistent across
languages), the first one read wins for all its languages, and the number of moved rows is reported.
"""

from __future__ import annotations

import logging
from typing import Any

import xxhash

from globmed.schema import SPLITS

logger = logging.getLogger(__name__)


def hash_split(parallel_id: str, ratios: dict[str, float], seed: int) -> str:
    """The split of an item without an official one; stable across runs, machines and languages."""
    value = xxhash.xxh64_intdigest(parallel_id.encode("utf-8"), seed=seed) / 2**64
    edge = 0.0
    for split in SPLITS:
        edge += ratios.get(split, 0.0)
        if value < edge:
            return split
    return SPLITS[-1]


def assign_splits(records: list[dict[str, Any]], ratios_by_source: dict[str, dict[str, float]], seed: int) -> int:
    """Set record["split"] in place; returns how many rows were moved to agree with their parallel_id."""
    chosen: dict[str, str] = {}
    moved = 0
    for rec in records:
        pid = rec["parallel_id"]
        split = chosen.get(pid)
        if split is None:
            split = rec["split"] or hash_split(pid, ratios_by_source[rec["source"]], seed)
            chosen[pid] = split
        elif rec["split"] and rec["split"] != split:
            moved += 1
        rec["split"] = split
    if moved:
        logger.warning("%d rows had an official split different from their parallel items; aligned them", moved)
    return moved
