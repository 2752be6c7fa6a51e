"""Exact dedup, MinHash/LSH near-duplicates and the test-first priority used for decontamination."""

from __future__ import annotations

import random

import numpy as np

from dataset_builder.dedup import MinHashConfig, estimated_jaccard, exact_duplicates, near_duplicates, signatures
from dataset_builder.normalise import dedup_key_text

WORDS = [
    "fever",
    "cough",
    "renal",
    "cardiac",
    "hepatic",
    "chronic",
    "acute",
    "dose",
    "infection",
    "antibiotic",
    "lesion",
    "child",
    "woman",
    "pain",
]


def _texts(n: int, words: int = 40, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choices(WORDS, k=words)) + f" item{i}" for i in range(n)]


def _shingles(text: str, k: int = 8) -> set[bytes]:
    raw = text.encode().ljust(k)
    return {raw[i : i + k] for i in range(len(raw) - k + 1)}


def test_exact_duplicates_keep_test_copy_first():
    texts = ["a", "b", "a", "c", "b"]
    splits = ["train", "train", "test", "validation", "validation"]
    dup, keeper = exact_duplicates(texts, splits)
    assert dup.tolist() == [True, True, False, False, False]
    assert keeper[0] == 2 and keeper[1] == 4  # "a" kept in test; "b": validation ranks above train


def test_dedup_key_is_normalised():
    assert dedup_key_text("  Fever\u00a0AND  cough ") == dedup_key_text("fever and cough")
    assert dedup_key_text("ＡＢＣ") == "abc"  # NFKC folds full-width letters


def test_near_duplicates_found_and_distinct_items_kept():
    base = _texts(300)
    edited = [t.replace(t.split()[10], "zzz", 1) for t in base[:100]]  # one word changed: Jaccard ~0.9
    halves = [t[: len(t) // 2] for t in base[100:150]]  # half the text: Jaccard ~0.5
    texts = base + edited + halves
    removed, partner = near_duplicates(texts, ["train"] * len(texts), 0.8, MinHashConfig())
    assert removed[300:400].all() and (partner[300:400] == np.arange(100)).all()
    assert not removed[:300].any() and not removed[400:].any()


def test_estimate_tracks_true_jaccard():
    cfg = MinHashConfig(sample=1)
    a = _texts(1, 200, seed=1)[0]
    words = a.split()
    b = " ".join(words[:150] + ["renal"] * 50)
    sig = signatures([a, b], cfg)
    true = len(_shingles(a) & _shingles(b)) / len(_shingles(a) | _shingles(b))
    est = estimated_jaccard(sig, np.array([0]), np.array([1]))[0]
    assert abs(est - true) < 0.15, (est, true)


def test_contamination_partner_is_the_test_item():
    test_items = _texts(20, seed=3)
    leaked = [t + " extra" for t in test_items[:5]]
    texts = leaked + test_items
    splits = ["train"] * 5 + ["test"] * 20
    removed, partner = near_duplicates(texts, splits, 0.8, MinHashConfig())
    assert removed[:5].all() and not removed[5:].any()
    assert (partner[:5] == np.arange(5, 10)).all()


def test_cjk_text_near_duplicates():
    rng = random.Random(5)
    chars = list("患者发热咳嗽疼痛慢性急性治疗剂量血压肾肝心病变感染抗生素诊断")
    base = ["".join(rng.choices(chars, k=80)) for _ in range(50)]
    edited = [t[:40] + "X" + t[41:] for t in base[:10]]
    removed, _ = near_duplicates(base + edited, ["train"] * 60, 0.8, MinHashConfig())
    assert removed[50:].all() and not removed[:50].any()


def test_short_items_do_not_collide_on_empty_bins():
    texts = [f"q{i}" for i in range(500)]  # shorter than a shingle: padded, few bins filled
    removed, _ = near_duplicates(texts, ["train"] * 500, 0.8, MinHashConfig())
    assert not removed.any()
