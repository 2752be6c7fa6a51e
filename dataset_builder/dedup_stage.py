"""The leakage stages of a build: repeated ids, exact dedup, near-dup and decontamination, as rejects.

Each removed row becomes a reject (source, file, row, reason, detail naming the item it duplicates), so the
invariant rows read = kept + rejected holds. Near-dup runs per language and task, in forked workers with
--num-proc. A near-identical pair whose answers differ is a minimal pair: both are kept and reported.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from dataset_builder import dedup as dd
from dataset_builder.config import BuildConfig
from dataset_builder.normalise import dedup_key_text
from dataset_builder.stats import Stage, StageStats

# Inputs of jobs run in forked workers: set just before forking, read by the children through copy-on-write
# memory (no pickling of 500k records), cleared right after.
_SHARED: dict[str, Any] = {}


def _map(func, items: list, num_proc: int, progress=None) -> list:
    """func over items, in forked worker processes when num_proc > 1; results in input order (deterministic)."""
    if num_proc <= 1 or len(items) <= 1:
        out = []
        for item in items:
            out.append(func(item))
            if progress is not None:
                progress(out[-1])
        return out
    import multiprocessing as mp

    with mp.get_context("fork").Pool(min(num_proc, len(items))) as pool:
        out = []
        for res in pool.imap(func, items, chunksize=1):
            out.append(res)
            if progress is not None:
                progress(res)
        return out


def _near_job(group: tuple[str, str]) -> dd.NearDuplicates:
    texts, splits, answers, threshold, mh = _SHARED["near"][group]
    return dd.near_duplicates(texts, splits, threshold, mh, answers, long_answers=group[1] == "lfqa")


def _answer_conflict(rec: dict[str, Any], kept: dict[str, Any]) -> str:
    """The reject detail's note when an exact copy's answer differs (a conflicting label), else "".

    Long answers are left out: two free-text answers to one question are rarely word-for-word equal."""
    if rec["task"] == "lfqa" or dedup_key_text(rec["answer"]) == dedup_key_text(kept["answer"]):
        return ""
    return f"; answer differs: {rec['answer'][:60]!r} here, {kept['answer'][:60]!r} there"


def _reject(rec: dict[str, Any], reason: str, detail: str) -> dict[str, Any]:
    return {"source": rec["source"], "file": rec["_file"], "row": rec["_row"], "reason": reason, "detail": detail,
            "language": rec["language"]}


def drop_repeated_ids(records: list[dict[str, Any]], rejects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[str] = set()
    kept = []
    for rec in records:
        if rec["id"] in seen:
            rejects.append(_reject(rec, "duplicate_id", f"id {rec['id']} already used"))
        else:
            seen.add(rec["id"])
            kept.append(rec)
    return kept


def remove_duplicates(records: list[dict[str, Any]], config: BuildConfig, rejects: list[dict[str, Any]],
                      counters: Counter[str], stats: list[StageStats],
                      minimal_pairs: list[list[str]] | None = None) -> list[dict[str, Any]]:
    """Exact dedup, then near-dup/decontamination, per (language, task); with `parallel_dedup` an item removed in
    one language is removed in every language, so the dataset stays parallel.

    An exact copy whose answer differs is a conflicting label: still removed, counted as
    `exact_conflicting_answers` and said in the detail. Near-identical items with different answers are kept;
    `minimal_pairs` receives their [id, id] pairs (both kept in the end), sorted so rebuilds are identical."""
    import numpy as np

    drop = np.zeros(len(records), dtype=bool)
    first_drop: dict[str, tuple[str, str]] = {}  # parallel_id -> (reason, id of the first row removed)
    pairs: list[tuple[int, int]] = []  # minimal pairs, as record indices
    with Stage(stats, "exact_dedup") as st:
        texts = [r["_text"] for r in records]
        st.rows = len(records)
        by_group: dict[tuple[str, str], list[int]] = {}
        for i, rec in enumerate(records):
            by_group.setdefault((rec["language"], rec["task"]), []).append(i)
        if config.exact_dedup or config.decontaminate:
            for key in sorted(by_group):
                idx = np.asarray(by_group[key])
                dup, keeper = dd.exact_duplicates([texts[i] for i in idx], [records[i]["split"] for i in idx])
                for local in np.flatnonzero(dup):
                    i, k = idx[local], idx[keeper[local]]
                    rec, kept = records[i], records[k]
                    contaminated = kept["split"] == "test" and rec["split"] != "test"
                    if contaminated and config.decontaminate:
                        reason = "test_contamination"
                    elif config.exact_dedup:
                        reason = "exact_duplicate"
                    else:
                        continue
                    drop[i] = True
                    counters[reason] += 1
                    conflict = _answer_conflict(rec, kept)
                    counters["exact_conflicting_answers"] += bool(conflict)
                    rejects.append(_reject(rec, reason, f"same text as {kept['id']} ({kept['split']}){conflict}"))
                    first_drop.setdefault(rec["parallel_id"], (reason, rec["id"]))
    if config.near_dedup or config.decontaminate:
        with Stage(stats, "near_dedup") as st:
            mh = dd.MinHashConfig(config.minhash_bins, config.lsh_rows, config.shingle_bytes,
                                  config.max_near_dup_bytes, config.seed, config.minhash_sample)
            left: dict[tuple[str, str], list[int]] = {}
            for i, rec in enumerate(records):
                if not drop[i]:
                    left.setdefault((rec["language"], rec["task"]), []).append(i)
            groups = sorted(left)
            _SHARED["near"] = {g: ([texts[i] for i in left[g]], [records[i]["split"] for i in left[g]],
                                   [records[i]["answer"] for i in left[g]], config.near_threshold, mh)
                               for g in groups}
            try:
                outcomes = _map(_near_job, groups, config.num_proc)
            finally:
                _SHARED.clear()
            for group, found in zip(groups, outcomes, strict=True):
                idx = np.asarray(left[group])
                st.rows += len(idx)
                pairs += [(int(idx[x]), int(idx[y])) for x, y in found.minimal_pairs]
                for local in np.flatnonzero(found.removed):
                    i = idx[local]
                    rec = records[i]
                    kept = records[idx[found.partner[local]]] if found.partner[local] >= 0 else None
                    contaminated = kept is not None and kept["split"] == "test" and rec["split"] != "test"
                    if contaminated and config.decontaminate:
                        reason = "test_contamination"
                    elif config.near_dedup:
                        reason = "near_duplicate"
                    else:
                        continue
                    drop[i] = True
                    counters[reason] += 1
                    near = kept["id"] if kept is not None else "?"
                    rejects.append(_reject(rec, reason, f"near-duplicate of {near} (same answer)"))
                    first_drop.setdefault(rec["parallel_id"], (reason, rec["id"]))
    if config.parallel_dedup and first_drop:
        for i, rec in enumerate(records):
            if not drop[i] and rec["parallel_id"] in first_drop:
                reason, first = first_drop[rec["parallel_id"]]
                drop[i] = True
                counters[reason] += 1
                rejects.append(_reject(rec, reason, f"parallel item {first} was removed ({reason})"))
    if minimal_pairs is not None:
        # only pairs still both in the dataset: a later parallel removal can take one side away
        minimal_pairs += sorted(sorted([records[i]["id"], records[j]["id"]]) for i, j in pairs
                                if not drop[i] and not drop[j])
    return [rec for i, rec in enumerate(records) if not drop[i]]


