"""The leakage stages of a build: repeated ids, exact dedup, near-dup and decontamination, as rejects.

Each removed row becomes a reject (source, file, row, reason, detail naming the item it duplicates), so the
invariant rows read = kept + rejected holds. Near-dup runs per language, in forked workers with --num-proc.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from dataset_builder import dedup as dd
from dataset_builder.config import BuildConfig
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


def _near_job(lang: str):
    texts, splits, threshold, mh = _SHARED["near"][lang]
    return dd.near_duplicates(texts, splits, threshold, mh)


def _reject(rec: dict[str, Any], reason: str, detail: str) -> dict[str, Any]:
    return {"source": rec["source"], "file": rec["_file"], "row": rec["_row"], "reason": reason, "detail": detail}


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
                      counters: Counter[str], stats: list[StageStats]) -> list[dict[str, Any]]:
    """Exact dedup per (language, task), then near-dup/decontamination per language; with `parallel_dedup`
    an item removed in one language is removed in every language, so the dataset stays parallel."""
    import numpy as np

    drop = np.zeros(len(records), dtype=bool)
    first_drop: dict[str, tuple[str, str]] = {}  # parallel_id -> (reason, id of the first row removed)
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
                    rejects.append(_reject(rec, reason, f"same text as {kept['id']} ({kept['split']})"))
                    first_drop.setdefault(rec["parallel_id"], (reason, rec["id"]))
    if config.near_dedup or config.decontaminate:
        with Stage(stats, "near_dedup") as st:
            mh = dd.MinHashConfig(config.minhash_bins, config.lsh_rows, config.shingle_bytes,
                                  config.max_near_dup_bytes, config.seed, config.minhash_sample)
            by_lang: dict[str, list[int]] = {}
            for i, rec in enumerate(records):
                if not drop[i]:
                    by_lang.setdefault(rec["language"], []).append(i)
            langs = sorted(by_lang)
            _SHARED["near"] = {lang: ([texts[i] for i in by_lang[lang]], [records[i]["split"] for i in by_lang[lang]],
                                      config.near_threshold, mh) for lang in langs}
            try:
                outcomes = _map(_near_job, langs, config.num_proc)
            finally:
                _SHARED.clear()
            for lang, (removed, partner) in zip(langs, outcomes, strict=True):
                idx = np.asarray(by_lang[lang])
                st.rows += len(idx)
                for local in np.flatnonzero(removed):
                    i = idx[local]
                    rec = records[i]
                    kept = records[idx[partner[local]]] if partner[local] >= 0 else None
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
                    rejects.append(_reject(rec, reason, f"near-duplicate of {near}"))
                    first_drop.setdefault(rec["parallel_id"], (reason, rec["id"]))
    if config.parallel_dedup and first_drop:
        for i, rec in enumerate(records):
            if not drop[i] and rec["parallel_id"] in first_drop:
                reason, first = first_drop[rec["parallel_id"]]
                drop[i] = True
                counters[reason] += 1
                rejects.append(_reject(rec, reason, f"parallel item {first} was removed ({reason})"))
    return [rec for i, rec in enumerate(records) if not drop[i]]


