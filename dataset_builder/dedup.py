"""Exact and near-duplicate removal, vectorised with numpy so cost grows near-linearly with rows.

Exact: xxh64 of the normalised text (context, question, options) per language and task; the first item in
priority order is kept. Near: one-permutation MinHash over byte n-gram shingles of the normalised text, then
LSH banding; candidates sharing a band are verified by their estimated Jaccard. Priority order is test,
validation, train, then input order, so a duplicate spanning splits keeps its test copy, and a train or
validation item removed because it matches a test item is counted as decontamination ("test_contamination").

Near-duplicates respect the answer: medical exams are full of minimal pairs ("... deaths of women" / "... of
men") whose texts differ by one word and whose answers differ. Two items are near-duplicates only when their
texts are near-identical AND their answers match (the same normalised answer text; for long-form answers an
estimated Jaccard of the answers >= the same threshold). A near-identical pair with different answers is kept
and reported as a minimal pair.

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


def answer_keys(answers: list[str]) -> np.ndarray:
    """xxh3 of each normalised answer text: equal keys = the same answer."""
    return np.fromiter((xxhash.xxh3_64_intdigest(dedup_key_text(a).encode("utf-8")) for a in answers),
                       dtype=np.uint64, count=len(answers))


@dataclass
class NearDuplicates:
    """What near-dup found among the items of one language and task (indices into its input lists)."""

    removed: np.ndarray  # bool per item: a same-answer near-duplicate of a higher-priority item
    partner: np.ndarray  # int64 per item: that higher-priority item (the best one), -1 if none
    minimal_pairs: np.ndarray  # (k, 2) int64 rows i < j: near-identical texts, different answers, neither removed


def _bucket_pairs(members: np.ndarray, key: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (later, earlier) of members sharing a key: each member with its bucket's first member and with its
    `window` predecessors. `members` is in priority order, so the earlier item of a pair always ranks higher.

    Comparing with the first member alone (the classic LSH representative) can miss a pair when that first
    member is not itself similar; the predecessors close that gap in the small buckets near-duplicates form.
    """
    order = np.argsort(key, kind="stable")  # stable: priority order inside each bucket
    k, m = key[order], members[order]
    starts = np.concatenate(([True], k[1:] != k[:-1]))
    first = np.maximum.accumulate(np.where(starts, np.arange(k.size), 0))
    later, earlier = [m[~starts]], [m[first[~starts]]]
    for d in range(1, min(window, k.size - 1) + 1):
        same = k[d:] == k[:-d]
        later.append(m[d:][same])
        earlier.append(m[:-d][same])
    return np.concatenate(later), np.concatenate(earlier)


def near_duplicates(texts: list[str], splits: list[str], threshold: float, cfg: MinHashConfig,
                    answers: list[str] | None = None, long_answers: bool = False, window: int = 4
                    ) -> NearDuplicates:
    """Near-duplicates (removed, with the partner each one duplicates) and minimal pairs among `texts`.

    `answers`: the answer text of each item, compared normalised (None: answers are not compared). Short
    answers (mcqa option text, NLI label) must be equal: candidates come from buckets keyed by (band, answer), so
    an item always meets the earliest item with its own answer, plus band-only buckets, which also find the
    minimal pairs. `long_answers` (lfqa): answers must be near-identical instead; they are normalised and
    signed only for the items of the candidate pairs whose texts already match.
    """
    n = len(texts)
    removed = np.zeros(n, dtype=bool)
    partner = np.full(n, -1, dtype=np.int64)
    none = np.zeros((0, 2), dtype=np.int64)
    if n < 2:
        return NearDuplicates(removed, partner, none)
    sig = signatures(texts, cfg)
    akey = answer_keys(answers) if answers is not None and not long_answers else None
    order = priority_order(splits)
    pos = np.empty(n, dtype=np.int64)
    pos[order] = np.arange(n)
    cand_a, cand_b = [], []
    for band in range(cfg.bins // cfg.rows):
        chunk = sig[:, band * cfg.rows:(band + 1) * cfg.rows]
        informative = (chunk != _EMPTY).any(axis=1)  # an all-empty band says nothing: do not bucket on it
        band_order = order[informative[order]]
        if band_order.size < 2:
            continue
        key = np.zeros(band_order.size, dtype=np.uint64)
        for col in range(cfg.rows):
            key = _mix(key ^ chunk[band_order, col].astype(np.uint64), band)
        keys = [key] if akey is None else [key, _mix(key ^ akey[band_order], cfg.seed + 1)]
        for bucket_key in keys:
            a, b = _bucket_pairs(band_order, bucket_key, window)
            cand_a.append(a)
            cand_b.append(b)
    pairs = np.unique(np.concatenate(cand_a) * n + np.concatenate(cand_b)) if cand_a else np.zeros(0, np.int64)
    a, b = pairs // n, pairs % n
    near = estimated_jaccard(sig, a, b) >= threshold
    a, b = a[near], b[near]
    if answers is None:
        same = np.ones(a.size, dtype=bool)
    elif long_answers:
        involved = np.unique(np.concatenate((a, b)))
        asig = signatures([dedup_key_text(answers[i]) for i in involved], cfg)
        same = estimated_jaccard(asig, np.searchsorted(involved, a), np.searchsorted(involved, b)) >= threshold
    else:
        same = akey[a] == akey[b]
    # duplicates: the lower-priority item goes; of several partners the highest-priority one is named
    da, db = a[same], b[same]
    best = np.lexsort((pos[db], da))
    da, db = da[best], db[best]
    keep_first = np.concatenate(([True], da[1:] != da[:-1])) if da.size else np.zeros(0, dtype=bool)
    removed[da] = True
    partner[da[keep_first]] = db[keep_first]
    ma, mb = a[~same], b[~same]
    kept = ~removed[ma] & ~removed[mb]
    minimal = np.stack((np.minimum(ma, mb), np.maximum(ma, mb)), axis=1)[kept]
    return NearDuplicates(removed, partner, np.unique(minimal, axis=0) if minimal.size else none)
