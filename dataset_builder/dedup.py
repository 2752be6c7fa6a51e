"""Exact and near-duplicate removal, vectorised with numpy so cost grows near-linearly with rows.

Exact: xxh64 of the normalised text (context, question, options) per language and task; the first item in
priority order is kept. Near: one-permutation MinHash over byte n-gram shingles of the normalised text, then
LSH banding; candidates sharing a band are verified by their estimated Jaccard. Priority order is test,
validation, train, then input order, so a duplicate spanning splits keeps its test copy, and a train or
validation item removed because it matches a test item is counted as decontamination ("test_contamination").

Why one-permutation hashing: one hash per shingle and one `np.minimum.at` fill the whole signature, instead of
one pass per permutation, which keeps 500k items well under a second per language.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xxhash

from dataset_builder.normalise import dedup_key_text

SPLIT_RANK = {"test": 0, "validation": 1, "train": 2}
_MIX1 = np.uint64(0x9E3779B97F4A7C15)
_MIX2 = np.uint64(0xBF58476D1CE4E5B9)
_EMPTY = np.uint32(0xFFFFFFFF)


def item_text(rec: dict) -> str:
    """What two items must share to be duplicates: context, question and mcqa options (not answers, and not
    the NLI label set, which every NLI item shares and would inflate the similarity of short pairs)."""
    parts = [rec["context"], rec["question"], *(rec["options"] if rec["task"] == "mcqa" else ())]
    return dedup_key_text("\n".join(p for p in parts if p))


def priority_order(splits: list[str]) -> np.ndarray:
    """Indices sorted by split rank (test first), stable in input order."""
    ranks = np.fromiter((SPLIT_RANK[s] for s in splits), dtype=np.int8, count=len(splits))
    return np.argsort(ranks, kind="stable")


def exact_duplicates(texts: list[str], splits: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(dup_mask, kept_index_of_each): dup_mask[i] when an earlier-priority item has the same text."""
    n = len(texts)
    hashes = np.fromiter((xxhash.xxh3_64_intdigest(t.encode("utf-8")) for t in texts), dtype=np.uint64, count=n)
    order = priority_order(splits)
    _, first, inverse = np.unique(hashes[order], return_index=True, return_inverse=True)
    keeper = np.empty(n, dtype=np.int64)
    keeper[order] = order[first[inverse]]
    dup = keeper != np.arange(n)
    return dup, keeper


@dataclass
class MinHashConfig:
    bins: int = 64
    rows: int = 4
    shingle: int = 8
    max_bytes: int = 4096
    seed: int = 42
    sample: int = 4  # keep 1 shingle in `sample` (chosen by hash, so the same shingles in every item)


def _mix(x: np.ndarray, seed: int) -> np.ndarray:
    """splitmix64-style finaliser, in place: spreads n-gram values over 64 bits (wrapping uint64 arithmetic)."""
    x ^= np.uint64(seed * 0x9E3779B9 & 0xFFFFFFFFFFFFFFFF)
    np.multiply(x, _MIX1, out=x)
    x ^= x >> np.uint64(31)
    np.multiply(x, _MIX2, out=x)
    x ^= x >> np.uint64(29)
    return x


def signatures(texts: list[str], cfg: MinHashConfig, chunk_bytes: int = 1 << 23) -> np.ndarray:
    """Signatures computed over chunks of about `chunk_bytes` of text, so temporaries stay small and
    cache-friendly and the cost per item stays constant as the number of items grows."""
    sig = np.empty((len(texts), cfg.bins), dtype=np.uint32)
    start, size = 0, 0
    for i, text in enumerate(texts):
        size += min(len(text) * 3, cfg.max_bytes)  # upper bound of the UTF-8 length, no encoding needed
        if size >= chunk_bytes:
            sig[start:i + 1] = _signatures(texts[start:i + 1], cfg)
            start, size = i + 1, 0
    if start < len(texts):
        sig[start:] = _signatures(texts[start:], cfg)
    return sig


def _signatures(texts: list[str], cfg: MinHashConfig) -> np.ndarray:
    """One-permutation MinHash signatures, shape (n, bins), uint32; empty bins hold 0xFFFFFFFF.

    Shingles are byte n-grams (n = cfg.shingle <= 8) read as one uint64 each, so no Python loop touches them.
    Consistent sampling (hash mod `sample` == 0) keeps the Jaccard estimate unbiased at a quarter of the work.
    """
    n = len(texts)
    k = cfg.shingle
    encoded = [t.encode("utf-8")[: cfg.max_bytes].ljust(k) for t in texts]
    lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=n)
    total = int(lengths.sum())
    raw = b"".join(encoded) + b"\0" * 8
    # n-gram value at every byte position: the little-endian uint64 of the 8 bytes starting there, read as
    # eight zero-copy strided views (one per offset modulo 8)
    grams = np.empty(total, dtype=np.uint64)
    for offset in range(8):
        target = grams[offset::8]
        words = np.frombuffer(raw, dtype="<u8", count=(len(raw) - offset) // 8, offset=offset)
        target[:] = words[: len(target)]
    if k < 8:
        grams &= np.uint64((1 << (8 * k)) - 1)
    # multiplicative hashing, in place (one multiply per shingle): the top bits are well mixed. Shingles whose
    # hash is below 2**64 / sample are kept (consistent sampling); big temporaries are avoided on purpose,
    # page-faulting fresh memory costs more than the arithmetic here.
    hashed = np.multiply(grams, _MIX1, out=grams)
    if cfg.seed:
        hashed ^= np.uint64(cfg.seed * 0xBF58476D1CE4E5B9 & 0xFFFFFFFFFFFFFFFF)
        np.multiply(hashed, _MIX2, out=hashed)
    ends = np.cumsum(lengths)
    sample_bits = max(int(np.log2(cfg.sample)), 0)
    keep = hashed < np.uint64(1 << (64 - sample_bits)) if sample_bits else np.ones(total, dtype=bool)
    # a shingle is valid when it lies inside its item: the last k-1 start positions of each item are not
    if k > 1:
        keep[(ends[:, None] - np.arange(1, k)[None, :]).ravel()] = False
    pos = np.flatnonzero(keep)
    doc = np.searchsorted(ends, pos, side="right")
    picked = hashed[pos]
    picked ^= picked >> np.uint64(29)  # fold high bits into the low ones (the value half)
    top = picked.view(np.uint8)[7::8] if np.little_endian else (picked >> np.uint64(56)).astype(np.uint8)
    np.multiply(doc, cfg.bins, out=doc)
    doc += top & np.uint8(cfg.bins - 1)
    index = doc
    values = picked.view(np.uint32)[0::2] if np.little_endian else picked.astype(np.uint32)
    sig = np.full(n * cfg.bins, _EMPTY, dtype=np.uint32)
    np.minimum.at(sig, index, values)
    return sig.reshape(n, cfg.bins)


def estimated_jaccard(sig: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """OPH estimate: equal bins among bins non-empty in either signature."""
    sa, sb = sig[a], sig[b]
    both_empty = (sa == _EMPTY) & (sb == _EMPTY)
    equal = (sa == sb) & ~both_empty
    denom = np.maximum((~both_empty).sum(axis=1), 1)
    return equal.sum(axis=1) / denom


def near_duplicates(texts: list[str], splits: list[str], threshold: float, cfg: MinHashConfig
                    ) -> tuple[np.ndarray, np.ndarray]:
    """(removed_mask, partner): items whose banded signature meets an earlier-priority item's at >= threshold.

    In each band the first item (priority order) of a bucket is its representative; other members are
    candidates against it. A candidate whose estimated Jaccard with its representative is >= threshold is
    removed; `partner[i]` is that representative (for the decontamination count).
    """
    n = len(texts)
    removed = np.zeros(n, dtype=bool)
    partner = np.full(n, -1, dtype=np.int64)
    if n < 2:
        return removed, partner
    sig = signatures(texts, cfg)
    order = priority_order(splits)
    pos = np.empty(n, dtype=np.int64)
    pos[order] = np.arange(n)
    bands = cfg.bins // cfg.rows
    cand_a, cand_b = [], []
    for band in range(bands):
        chunk = sig[:, band * cfg.rows:(band + 1) * cfg.rows]
        informative = (chunk != _EMPTY).any(axis=1)  # an all-empty band says nothing: do not bucket on it
        band_order = order[informative[order]]
        if band_order.size < 2:
            continue
        key = np.zeros(band_order.size, dtype=np.uint64)
        for col in range(cfg.rows):
            key = _mix(key ^ chunk[band_order, col].astype(np.uint64), band)
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        rep = band_order[first[inverse]]
        differs = rep != band_order
        cand_a.append(band_order[differs])
        cand_b.append(rep[differs])
    if not cand_a:
        return removed, partner
    a = np.concatenate(cand_a)
    b = np.concatenate(cand_b)
    if a.size == 0:
        return removed, partner
    ok = estimated_jaccard(sig, a, b) >= threshold
    a, b = a[ok], b[ok]
    # several partners: keep the highest-priority one (smallest position) for the contamination decision
    best = np.lexsort((pos[b], a))
    a, b = a[best], b[best]
    keep_first = np.concatenate(([True], a[1:] != a[:-1])) if a.size else np.zeros(0, dtype=bool)
    removed[a] = True
    partner[a[keep_first]] = b[keep_first]
    return removed, partner
