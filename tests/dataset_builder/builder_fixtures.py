"""Small published-layout fixtures with known quirks, duplicates and leaks (so counts can be asserted)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

LANGS = ["en", "fr", "sw", "zu"]
SPLIT_SIZES = {"train": 12, "validation": 4, "test": 6}
VOCAB = [
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
    "man",
    "pain",
    "blood",
    "pressure",
    "serum",
    "imaging",
    "therapy",
    "diagnosis",
    "history",
    "examination",
    "symptoms",
    "weeks",
]


def sentence(seed: str, words: int = 24) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choices(VOCAB, k=words)).capitalize() + "."


def _items(split: str) -> list[int]:
    offset = {"train": 0, "validation": 100, "test": 200}[split]
    return list(range(offset, offset + SPLIT_SIZES[split]))


def write_published(root: Path, langs: list[str] = LANGS) -> dict[str, int]:
    """GlobMed_{MedQA,MedNLI,LiveQA}/<lang>/<split>.json plus a native source; returns the planted counts.

    Planted in every language: MedQA train item 0 has no answer; MedQA train item 1 repeats test item 200
    exactly (test contamination); MedQA train item 3 near-duplicates train item 2 (one word changed);
    LiveQA validation item 101 has an empty question. In fr only, LiveQA train item 5 repeats item 4's question:
    parallel dedup removes item 5 in every language. The native source has no splits (hash split).
    """
    for lang in langs:
        for split in SPLIT_SIZES:
            medqa, nli, live = [], [], []
            for i in _items(split):
                q = f"[{lang}] " + sentence(f"q{i}")
                opts = {k: f"[{lang}] {sentence(f'o{i}{k}', 3)}" for k in "ABCD"}
                key = "ABCD"[i % 4]
                medqa.append(
                    {
                        "id": f"medqa-{i}",
                        "question": q,
                        "options": opts,
                        "answer_idx": key,
                        "answer": opts[key],
                        "explanation": sentence(f"e{i}", 8),
                    }
                )
                nli.append(
                    {
                        "pairID": f"nli-{i}",
                        "sentence1": f"[{lang}] " + sentence(f"p{i}", 12),
                        "sentence2": sentence(f"h{i}", 6),
                        "gold_label": ("entailment", "neutral", "contradiction")[i % 3],
                    }
                )
                live.append(
                    {
                        "id": f"live-{i}",
                        "question": f"[{lang}] " + sentence(f"lq{i}", 10),
                        "answer": sentence(f"la{i}", 40),
                    }
                )
            if split == "train":
                medqa[0]["answer_idx"] = ""
                test_item = 200
                medqa[1].update(
                    question=f"[{lang}] " + sentence(f"q{test_item}"),
                    options={k: f"[{lang}] {sentence(f'o{test_item}{k}', 3)}" for k in "ABCD"},
                )
                words = medqa[2]["question"].split()
                words[5] = "zzzz"
                # same options and answer: a near-duplicate (with another answer it would be a minimal pair, kept)
                medqa[3].update(question=" ".join(words), options=medqa[2]["options"],
                                answer_idx=medqa[2]["answer_idx"])
            if split == "validation":
                live[1]["question"] = "   "
            if split == "train" and lang == "fr":  # a duplicate in one language only (parallel dedup)
                live[5]["question"] = live[4]["question"]
            for name, rows in (("MedQA", medqa), ("MedNLI", nli), ("LiveQA", live)):
                path = root / f"GlobMed_{name}" / lang / f"{split}.json"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
        native = []
        for i in range(20):
            native.append(
                {
                    "id": f"n{i}",
                    "context": "",
                    "question": f"[{lang}] " + sentence(f"nq{i}"),
                    "options": [f"[{lang}] {sentence(f'no{i}{k}', 3)}" for k in range(3)],
                    "answer_index": 1,
                    "answer": "",
                    "explanation": "",
                    "translation": {
                        "method": "machine",
                        "model": "tiny-mt",
                        "qc_score": 0.9,
                        "reviewed": lang == "sw",
                        "verdict": "accept",
                        "rounds": 2,
                    },
                }
            )
        path = root / "native" / lang / "all.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(native, ensure_ascii=False), encoding="utf-8")
    planted = {
        "no_answer": len(langs),
        "test_contamination": len(langs),
        "near_duplicate": len(langs),
        "empty_question": len(langs),
    }
    if "fr" in langs:
        planted["exact_duplicate"] = len(langs)
    return planted


def write_sources_yaml(root: Path, langs: list[str] = LANGS, extra: str = "") -> Path:
    sample = Path(__file__).resolve().parents[2] / "dataset_builder" / "sources" / "sample.yaml"
    text = (
        sample.read_text(encoding="utf-8")
        .replace("../sample/", f"{root}/")
        .replace("languages: all", f"languages: [{', '.join(langs)}]")
    )
    text += f"""  - id: native
    name: Native GlobMed records
    task: mcqa
    license: CC-BY-4.0
    format: json
    path: {root}/native
    files: "{{lang}}/all.json"
    languages: [{", ".join(langs)}]
    adapter: globmed_native
{extra}"""
    path = root / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def published(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    root = tmp_path_factory.mktemp("published")
    planted = write_published(root)
    return write_sources_yaml(root), planted


@pytest.fixture(scope="session")
def built(published, tmp_path_factory):
    """One build of the fixture (session-scoped: several tests read it)."""
    from dataset_builder.pipeline import run_build

    yaml_path, planted = published
    out = tmp_path_factory.mktemp("release")
    return run_build(yaml_path, out, progress=False), planted
