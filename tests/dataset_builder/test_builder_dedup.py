"""Exact dedup, MinHash/LSH near-duplicates, the test-first priority used for decontamination, and minimal pairs
(near-identical items whose answers differ, which are kept and reported, never removed)."""

from __future__ import annotations

import json
import random
import unicodedata

import numpy as np
import pytest

from dataset_builder.dedup import MinHashConfig, estimated_jaccard, exact_duplicates, near_duplicates, signatures
from dataset_builder.normalise import dedup_key_text
from dataset_builder.pipeline import run_build

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
    found = near_duplicates(texts, ["train"] * len(texts), 0.8, MinHashConfig())
    removed, partner = found.removed, found.partner
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
    found = near_duplicates(texts, splits, 0.8, MinHashConfig())
    removed, partner = found.removed, found.partner
    assert removed[:5].all() and not removed[5:].any()
    assert (partner[:5] == np.arange(5, 10)).all()


def test_cjk_text_near_duplicates():
    rng = random.Random(5)
    chars = list("患者发热咳嗽疼痛慢性急性治疗剂量血压肾肝心病变感染抗生素诊断")
    base = ["".join(rng.choices(chars, k=80)) for _ in range(50)]
    edited = [t[:40] + "X" + t[41:] for t in base[:10]]
    removed = near_duplicates(base + edited, ["train"] * 60, 0.8, MinHashConfig()).removed
    assert removed[50:].all() and not removed[:50].any()


def test_short_items_do_not_collide_on_empty_bins():
    texts = [f"q{i}" for i in range(500)]  # shorter than a shingle: padded, few bins filled
    removed = near_duplicates(texts, ["train"] * 500, 0.8, MinHashConfig()).removed
    assert not removed.any()


# --- minimal pairs: near-identical items with different answers -------------------------------------------

def _jaccard(a: str, b: str) -> float:
    """True 8-byte-shingle Jaccard of two item texts, normalised here (casefold, NFKC, spaces), not by the builder."""
    def norm(t: str) -> str:
        return " ".join(unicodedata.normalize("NFKC", t).casefold().split())
    sa, sb = _shingles(norm(a)), _shingles(norm(b))
    return len(sa & sb) / len(sa | sb)


def test_same_answer_bucket_finds_a_duplicate_hidden_behind_other_answers():
    """The LSH representative trap: 12 variants that differ in their last words (each its own answer) share
    every band bucket; item 12 repeats variant 1 with variant 1's answer. The bucket's first member (variant 0)
    has another answer, and variant 1 is too far back for the predecessor window (window=0 here), so only the
    (band, answer) buckets can pair item 12 with variant 1."""
    stem = " ".join(_texts(1, 120, seed=9)[0].split()[:120])
    texts = [f"{stem} variant {k}" for k in range(12)] + [f"{stem} variant 1."]
    answers = [f"answer {k}" for k in range(12)] + ["answer 1"]
    found = near_duplicates(texts, ["train"] * 13, 0.8, MinHashConfig(), answers, window=0)
    assert found.removed.tolist() == [False] * 12 + [True]
    assert found.partner[12] == 1
    # the old rule (answers ignored) removes the variants themselves
    assert near_duplicates(texts, ["train"] * 13, 0.8, MinHashConfig()).removed[1:12].all()


def test_minimal_pairs_are_kept_and_listed():
    stem = _texts(1, 80, seed=11)[0]
    texts = [stem + " in an rna molecule", stem + " in a dna molecule", stem + " in an rna molecule?"]
    assert min(_jaccard(texts[0], t) for t in texts[1:]) > 0.9
    found = near_duplicates(texts, ["train"] * 3, 0.8, MinHashConfig(), ["thymine", "uracil", "thymine"])
    assert found.removed.tolist() == [False, False, True] and found.partner[2] == 0
    assert found.minimal_pairs.tolist() == [[0, 1]]  # the pair with the removed copy is not listed


def test_long_answers_must_be_near_identical_too():
    question = _texts(1, 40, seed=12)[0]
    answer = _texts(1, 120, seed=13)[0]
    other = _texts(1, 120, seed=14)[0]
    texts = [question, question + " please", question + " thanks"]
    answers = [answer, answer.upper() + " See a doctor.", other]  # answers are compared case-folded
    assert _jaccard(answer, answers[1]) > 0.9 and _jaccard(answer, other) < 0.5
    found = near_duplicates(texts, ["test", "train", "train"], 0.8, MinHashConfig(), answers, long_answers=True)
    assert found.removed.tolist() == [False, True, False] and found.partner[1] == 0
    assert found.minimal_pairs.tolist() == [[0, 2]]


# Written minimal pairs in three languages: each stem differs by one word (RNA/DNA, hommes/femmes,
# terciaria/secundaria) and the correct option differs. Long enough (a short vignette) that one changed word
# leaves a Jaccard near 0.9, as in real exam items.
MINIMAL = {
    "en": ("A 19-year-old biology student revises nucleic acids before an exam. She lists the bases found in "
           "nucleotides and compares the sugars of both polymers. Which of the following nitrogenous bases does "
           "not exist in {}?", ("an RNA molecule", "a DNA molecule"),
           ["Adenine", "Guanine", "Thymine", "Uracil", "Cytosine"], ("C", "D")),
    "fr": ("Selon les données nationales de mortalité publiées par l'Institut de veille sanitaire pour la France "
           "métropolitaine, parmi les causes de décès des {} adultes vivant en France, quelle est la cause la "
           "plus fréquente ?", ("hommes", "femmes"),
           ["Maladies cardiovasculaires", "Morts violentes", "Tumeurs", "Maladies respiratoires",
            "Maladies digestives"], ("C", "A")),
    "es": ("En relación con la organización de las proteínas globulares y los enlaces que mantienen su forma "
           "nativa en disolución acuosa a pH fisiológico, ¿qué tipo de interacción estabiliza principalmente la "
           "estructura {} de una proteína?", ("terciaria", "secundaria"),
           ["Enlaces peptídicos", "Puentes de hidrógeno entre grupos del esqueleto",
            "Interacciones hidrofóbicas entre cadenas laterales", "Enlaces glucosídicos"], ("C", "B")),
}


def _item(iid: str, question: str, options: list[str], answer: str) -> dict:
    return {"id": iid, "question": question, "options": dict(zip("ABCDE"[:len(options)], options, strict=True)),
            "answer_idx": answer}


def _write_minimal_pairs(root) -> None:
    """Per language, train: the pair a/b (different answers), a2 (a reworded, same answer), and c/d built on a
    longer stem (the question plus a case context): c repeats test item t with t's answer (a leak), d is t with
    the other word and the other answer (a minimal pair across splits). The context keeps c, d and t far from
    a and b."""
    for lang, (stem, words, options, answers) in MINIMAL.items():
        first, second = (stem.format(w) for w in words)
        context = " Case context: " + _texts(1, 70, seed=len(lang) * 31 + ord(lang[0]))[0] + "."
        train = [
            _item(f"{lang}-a", first, options, answers[0]),
            _item(f"{lang}-b", second, options, answers[1]),
            _item(f"{lang}-a2", first.replace("?", " ?").replace("  ", " ") + " (1)", options, answers[0]),
            _item(f"{lang}-c", first + context + " (copy)", options, answers[0]),
            _item(f"{lang}-d", second + context, options, answers[1]),
        ]
        test = [_item(f"{lang}-t", first + context, options, answers[0])]
        for split, rows in (("train", train), ("test", test)):
            path = root / lang / f"{split}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")


def _mcqa_yaml(root) -> str:
    return f"""build: {{near_dedup: true, decontaminate: true}}
sources:
  - id: pairs
    name: written minimal pairs
    task: mcqa
    license: CC-BY-4.0
    format: json
    path: {root}
    files: "{{lang}}/{{split}}.json"
    languages: [en, fr, es]
    original_language: all
    splits: {{train: train, test: test}}
    fields: {{id: id, question: question, options: options, answer: answer_idx}}
"""


@pytest.fixture(scope="module")
def minimal_build(tmp_path_factory):
    root = tmp_path_factory.mktemp("minimal")
    _write_minimal_pairs(root / "data")
    (root / "sources.yaml").write_text(_mcqa_yaml(root / "data"), encoding="utf-8")
    result = run_build(root / "sources.yaml", root / "out", progress=False)
    rejects = [json.loads(x) for x in (result.out / "rejects.jsonl").read_text(encoding="utf-8").splitlines()]
    return result.report, {(r["file"], r["row"]): r for r in rejects}


def test_written_pairs_are_near_identical(tmp_path):
    """The fixture is what it claims, by an independent Jaccard: the pairs the build must see as near-identical
    are well above the 0.8 threshold, and the two groups (a, b, a2) and (c, d, t) are far apart."""
    _write_minimal_pairs(tmp_path)
    for lang in MINIMAL:
        rows = json.loads((tmp_path / lang / "train.json").read_text(encoding="utf-8"))
        rows += json.loads((tmp_path / lang / "test.json").read_text(encoding="utf-8"))
        text = {r["id"].split("-")[1]: "\n".join([r["question"], *r["options"].values()]) for r in rows}
        for x, y in (("a", "b"), ("a", "a2"), ("c", "t"), ("d", "t")):
            assert _jaccard(text[x], text[y]) > 0.88, (lang, x, y)
        assert _jaccard(text["a"], text["t"]) < 0.6 and _jaccard(text["b"], text["d"]) < 0.6


def test_minimal_pairs_kept_in_three_languages(minimal_build):
    report, rejects = minimal_build
    ids = lambda lang, *names: [f"pairs:{lang}-{n}:{lang}" for n in names]  # noqa: E731
    pairs = report["minimal_pairs"]["pairs"]
    assert report["minimal_pairs"]["count"] == len(pairs)
    assert pairs == sorted(pairs) and all(p == sorted(p) for p in pairs)
    for lang in MINIMAL:
        assert sorted(ids(lang, "a", "b")) in pairs  # RNA/DNA, hommes/femmes, terciaria/secundaria
        # same-answer near-duplicate removed, naming the item it repeats
        near = rejects[(f"{lang}/train.json", 2)]
        assert near["reason"] == "near_duplicate" and ids(lang, "a")[0] in near["detail"]
        # across splits: the same answer is a leak of the test item, another answer is a minimal pair
        leak = rejects[(f"{lang}/train.json", 3)]
        assert leak["reason"] == "test_contamination" and ids(lang, "t")[0] in leak["detail"]
        assert (f"{lang}/train.json", 4) not in rejects
        assert sorted(ids(lang, "d", "t")) in pairs
    assert len(pairs) == 2 * len(MINIMAL)  # nothing else: a2 and c, removed, are in no listed pair
    # the card's per-language figures: two pairs kept and two rows rejected (near duplicate, leak) per language
    for lang in MINIMAL:
        assert report["provenance"][lang]["minimal_pairs"] == 2
        assert report["provenance"][lang]["rejected"] == {"near_duplicate": 1, "test_contamination": 1}
    assert report["rejects_by_reason"] == {"near_duplicate": 3, "test_contamination": 3}
    assert report["rows_kept"] == 3 * 4
    assert all(p[0].rsplit(":", 1)[1] == p[1].rsplit(":", 1)[1] for p in pairs)  # pairs never cross languages


def test_exact_copy_with_another_answer_is_a_conflict(tmp_path):
    """Identical question and options with another answer: conflicting labels, still removed (as before), and
    the detail and the report say so."""
    stem, words, options, answers = MINIMAL["en"]
    rows = [_item("x1", stem.format(words[0]), options, answers[0]),
            _item("x2", stem.format(words[0]), options, answers[1])]
    (tmp_path / "data" / "en").mkdir(parents=True)
    (tmp_path / "data" / "en" / "train.json").write_text(json.dumps(rows), encoding="utf-8")
    (tmp_path / "s.yaml").write_text(_mcqa_yaml(tmp_path / "data").replace("[en, fr, es]", "[en]")
                                     .replace("splits: {train: train, test: test}", "splits: {train: train}"))
    report = run_build(tmp_path / "s.yaml", tmp_path / "out", progress=False).report
    rejects = [json.loads(x) for x in (tmp_path / "out" / "globmed" / "rejects.jsonl").read_text().splitlines()]
    assert report["dedup"]["exact_removed"] == 1 and report["dedup"]["exact_conflicting_answers"] == 1
    assert rejects[0]["reason"] == "exact_duplicate"
    assert "answer differs: 'Uracil' here, 'Thymine' there" in rejects[0]["detail"]
    assert report["minimal_pairs"] == {"count": 0, "pairs": []}
