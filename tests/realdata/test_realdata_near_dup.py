"""Near-duplicates on real text, under the rule "near-identical text AND the same answer".

MedQA's 4-option file repeats the 5-option file's questions with the same answer text: every twin is removed.
Real minimal pairs (a word or two changed, another answer) from XMedBench, MedMCQA and MMLU college medicine are
kept and listed in `minimal_pairs`. The expectations come from an independent search of the raw files (word
trigram candidates, then the true Jaccard of 8-byte shingles, answers compared as text), re-checked here on the
raw rows, never through the builder's own helpers.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from itertools import combinations
from pathlib import Path

import pytest

from dataset_builder.pipeline import run_build

HERE = Path(__file__).parent
AFR = "idm_bridging_gap_afr/data/evaluation_benchmarks_afr_release/mmlu_cm_ck_vir"


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _shingles(text: str, k: int = 8) -> set[bytes]:
    raw = text.encode().ljust(k)
    return {raw[i:i + k] for i in range(len(raw) - k + 1)}


def _jaccard(a: str, b: str) -> float:
    sa, sb = _shingles(_norm(a)), _shingles(_norm(b))
    return len(sa & sb) / len(sa | sb)


def _item_text(row: dict) -> str:
    return "\n".join([row["problem_text"], *row["choices"]])


def _read_jsonl(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def test_four_option_twins_are_near_duplicates(realdata, tmp_path):
    """Unchanged by the answer rule (1269 of 1273 twins removed before and after): each 4-option item keeps its
    5-option twin's answer text, so every removal is a same-answer near-duplicate."""
    result = run_build(HERE / "medqa_near.yaml", tmp_path, progress=False)
    report = result.report
    rejects = [json.loads(x) for x in (result.out / "rejects.jsonl").read_text().splitlines()]
    near = [r for r in rejects if r["reason"] == "near_duplicate"]
    assert all(r["source"] == "medqa_en_4op" for r in near)  # the 5-option file is read first and kept
    base = realdata / "aistairc_medllm_qa" / "data" / "en"
    five = _read_jsonl(base / "MedQA" / "medqa_en.jsonl")
    four = _read_jsonl(base / "MedQA-4op" / "medqa_en_4op.jsonl")
    by_id = {str(r["problem_id"]): r for r in five}
    true_j = []
    for rej in near:
        twin_id = rej["detail"].split("medqa_en:")[1].split(":en")[0]
        row, twin = four[rej["row"]], by_id[twin_id]
        true_j.append(_jaccard(_item_text(row), _item_text(twin)))
        answer = row["choices"][ord(row["answer"][0]) - ord("a")]
        assert answer == twin["choices"][ord(twin["answer"][0]) - ord("a")]
    assert min(true_j) >= 0.6  # every removal is a real near-duplicate
    assert len(near) >= 0.9 * len(four)  # and nearly every twin is found
    assert report["rows_read"] == report["rows_kept"] + report["rows_rejected"] == 2 * 1273
    assert report["minimal_pairs"]["count"] == 0


def _raw_items(realdata: Path) -> tuple[dict[str, tuple[str, str]], list[str]]:
    """Build id -> (question and options text, answer text) of every single-answer row of the files that
    minimal_pairs.yaml reads, parsed here from the raw files; and the MedMCQA ids by row."""
    items: dict[str, tuple[str, str]] = {}
    for split, folder in (("test", "test"), ("validation", "dev")):
        for lang in ("es", "fr", "zh"):
            rows = json.loads((realdata / f"apollo_xmedbench/metadata/{folder}/{lang}.json").read_text("utf-8"))
            for i, row in enumerate(rows):
                options = dict(re.findall(r"^\(([A-Z])\)\s*(.*)$", row["options"], re.M))
                letter = row["answer"].strip("() ")
                if letter in options:
                    text = "\n".join([row.get("context", ""), row["question"], *options.values()])
                    items[f"xmedbench:{lang}-{split}-{i}:{lang}"] = (text, options[letter])
    medmcqa = _read_jsonl(realdata / "aistairc_medllm_qa/data/en/MedMCQA/medmcqa.jsonl")
    for row in medmcqa:
        if len(row["answer"]) == 1:
            answer = row["choices"][ord(row["answer"][0]) - ord("a")]
            items[f"medmcqa:{row['problem_id']}:en"] = (_item_text(row), answer)
    with open(realdata / AFR / "college_medicine_test.csv", newline="", encoding="utf-8") as fh:
        for i, (question, *options, letter) in enumerate(csv.reader(fh)):
            items[f"mmlu_afr:college_medicine-test-{i}:en"] = ("\n".join([question, *options]),
                                                               options["ABCD".index(letter.strip())])
    return items, [row["problem_id"] for row in medmcqa]


# Found by the independent search (true Jaccard >= 0.84, different answers); what differs is in the comment.
# The build's estimate may miss a pair close to the 0.8 threshold, so only pairs well above it are listed.
REAL_MINIMAL_PAIRS = [
    ("xmedbench:fr-test-46:fr", "xmedbench:fr-test-259:fr"),  # décès des femmes / des hommes: 0.91
    ("xmedbench:zh-test-3327:zh", "xmedbench:zh-test-3814:zh"),  # iron in plant / animal food: 0.93
    ("xmedbench:zh-test-506:zh", "xmedbench:zh-test-1976:zh"),  # powder microscopy of two herbs: 0.93
    ("xmedbench:zh-test-716:zh", "xmedbench:zh-test-1868:zh"),  # frying with clam powder / bran: 0.92
    ("xmedbench:zh-test-144:zh", "xmedbench:zh-test-1879:zh"),  # where two herbs grow: 0.87
    ("xmedbench:zh-test-2229:zh", "xmedbench:zh-test-3545:zh"),  # ethics of surgery / of examination: 0.88
    ("medmcqa:fd8307b4-06b2-4493-bd48-46121a660315:en",  # "(split) impedence based apex locator": 0.91
     "medmcqa:6b2bb986-2be3-487b-a999-ffbe0b70f1fa:en"),
    # five MMLU college medicine questions on one sauna passage, each with its own answer: 0.849 to 0.93
    *combinations([f"mmlu_afr:college_medicine-test-{i}:en" for i in (6, 50, 66, 93, 162)], 2),
]
# Same-answer near-duplicates (true Jaccard >= 0.9): the later row must go, as a near-duplicate of the earlier.
REAL_NEAR_DUPLICATES = [
    ("xmedbench:zh-test-4273:zh", "xmedbench:zh-test-4544:zh"),
    ("medmcqa:5e446222-7eea-4c61-9769-7b62fedae0b2:en", "medmcqa:a5e849d9-c662-4105-9637-5d870028c593:en"),
    ("medmcqa:8e7413da-351b-468d-8168-961cd50bda0a:en", "medmcqa:9698b531-5c6a-41f5-ad09-9eaa05779681:en"),
    ("medmcqa:41a7eb65-1e8e-46ee-8d9a-8544101fe4db:en", "medmcqa:57b1ba32-ffad-47ac-b906-d1b6dbca3bc6:en"),
]


@pytest.fixture(scope="module")
def minimal_build(realdata, tmp_path_factory):
    result = run_build(HERE / "minimal_pairs.yaml", tmp_path_factory.mktemp("minimal"), progress=False)
    rejects = [json.loads(x) for x in (result.out / "rejects.jsonl").read_text(encoding="utf-8").splitlines()]
    items, medmcqa_ids = _raw_items(realdata)
    by_id = {}
    for rej in rejects:  # the id of each rejected row, rebuilt from (source, file, row) as the YAML names rows
        if rej["source"] == "xmedbench":
            _, folder, name = rej["file"].split("/")
            rid = f"xmedbench:{name[:2]}-{'validation' if folder == 'dev' else 'test'}-{rej['row']}:{name[:2]}"
        elif rej["source"] == "medmcqa":
            rid = f"medmcqa:{medmcqa_ids[rej['row']]}:en"
        else:
            rid = f"mmlu_afr:college_medicine-test-{rej['row']}:en"
        by_id[rid] = rej
    return result.report, by_id, items


def test_real_minimal_pairs_are_kept_and_listed(minimal_build):
    report, rejects, items = minimal_build
    listed = report["minimal_pairs"]["pairs"]
    for a, b in REAL_MINIMAL_PAIRS:
        (text_a, ans_a), (text_b, ans_b) = items[a], items[b]
        assert _jaccard(text_a, text_b) >= 0.84 and _norm(ans_a) != _norm(ans_b), (a, b)  # the expectation holds
        assert sorted([a, b]) in listed, (a, b)
        assert a not in rejects and b not in rejects
    assert report["minimal_pairs"]["count"] == len(listed) >= len(REAL_MINIMAL_PAIRS)


def test_every_listed_pair_is_near_identical_with_different_answers(minimal_build):
    """No false minimal pair: each listed pair, read from the raw files, is similar and its answers differ."""
    report, _, items = minimal_build
    for a, b in report["minimal_pairs"]["pairs"]:
        (text_a, ans_a), (text_b, ans_b) = items[a], items[b]
        assert _jaccard(text_a, text_b) >= 0.6 and _norm(ans_a) != _norm(ans_b), (a, b)


def test_real_same_answer_near_duplicates_still_removed(minimal_build):
    report, rejects, items = minimal_build
    removed = {rid: r for rid, r in rejects.items() if r["reason"] in ("near_duplicate", "test_contamination")}
    for kept, dup in REAL_NEAR_DUPLICATES:
        assert _jaccard(items[kept][0], items[dup][0]) >= 0.9 and _norm(items[kept][1]) == _norm(items[dup][1])
        assert removed[dup]["reason"] == "near_duplicate" and kept in removed[dup]["detail"]
    conflicts = 0
    for rid, rej in removed.items():  # every removal, XMedBench dev rows repeating test rows included
        exact, partner = re.match(r"(same text as|near-duplicate of) (\S+) \(", rej["detail"]).groups()
        same = _norm(items[rid][1]) == _norm(items[partner][1])
        if exact == "same text as":
            conflicts += not same  # an exact copy with another answer is a conflicting label: still removed
        else:
            assert same, rid
    assert report["dedup"]["exact_conflicting_answers"] == conflicts
    assert report["decontamination"]["removed"] > 500  # XMedBench dev repeats many test rows
