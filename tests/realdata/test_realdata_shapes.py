"""The nested shapes of the real English sources, read through `records:` paths: HEAD-QA's
`exams.<exam>.data[]` (one-line JSON objects) and PubMedQA's object keyed by PMID.

Expected rows are computed here from the raw JSON with the standard library, independently of the builder.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from dataset_builder.pipeline import run_build
from globmed.errors import GlobMedError

HEADQA = "english_sources/head_qa/data/HEAD_EN"
SPLIT_FILES = {"train": "train_HEAD_EN", "validation": "dev_HEAD_EN", "test": "test_HEAD_EN"}


def _words(text: str) -> str:
    """Text compared up to what the README's normalisation says the builder changes: whitespace, zero-width
    spaces, and an option's doubled trailing dot ("Monsoon curve.." -> "Monsoon curve.")."""
    text = " ".join(text.replace("\u200b", "").split())
    return text[:-1] if text.endswith("..") and not text.endswith("...") else text


def _build(tmp_path: Path, source: dict) -> tuple[dict, dict[str, dict]]:
    yaml_path = tmp_path / "sources.yaml"
    yaml_path.write_text(yaml.safe_dump({
        "build": {"exact_dedup": False, "near_dedup": False, "decontaminate": False},
        "sources": [{"id": "src", "task": "mcqa", "license": "MIT", **source}]}), encoding="utf-8")
    result = run_build(yaml_path, tmp_path / "rel", progress=False)
    rows = {}
    for path in sorted(result.out.glob("data/*/*/*.parquet")):
        rows.update({r["id"]: {**r, "_split": path.name.split("-")[0]} for r in pq.read_table(path).to_pylist()})
    return result.report, rows


def test_headqa_nested_exams(realdata, tmp_path):
    expected, images = {}, 0
    for split, name in SPLIT_FILES.items():
        data = json.loads((realdata / HEADQA / f"{name}.json").read_text(encoding="utf-8"))
        for exam, body in data["exams"].items():
            for q in body["data"]:
                if q["image"]:
                    images += 1
                    continue
                right = next(a["atext"] for a in q["answers"] if str(a["aid"]) == q["ra"])
                expected[f"src:{exam}-{q['qid']}:en"] = (split, _words(right), len(q["answers"]))
    report, rows = _build(tmp_path, {
        "format": "json", "path": str(realdata / HEADQA), "files": "{split}.json", "splits": SPLIT_FILES,
        "records": "exams.{exam}.data",
        "fields": {"id": "{exam}-{qid}", "question": "qtext", "options": "answers", "option_key": "atext",
                   "answer": "ra", "answer_format": "index", "answer_base": 1,
                   "needs_image": {"field": "image", "when": "nonempty"}},
    })
    assert report["rows_read"] == 6765 and report["rejects_by_reason"] == {"needs_missing_image": images}
    assert images == 165
    got = {k: (r["_split"], _words(r["answer"]), len(r["options"])) for k, r in rows.items()}
    assert got == expected


def test_pubmedqa_object_keyed_by_pmid(realdata, tmp_path):
    raw = json.loads((realdata / "english_sources/pubmedqa/data/ori_pqal.json").read_text(encoding="utf-8"))
    report, rows = _build(tmp_path, {
        "format": "json", "path": str(realdata / "english_sources/pubmedqa/data"), "records": "{pmid}",
        "splits": {"test": "ori_pqal"}, "files": "{split}.json",
        "fields": {"id": "pmid", "question": "QUESTION", "context": "CONTEXTS", "explanation": "LONG_ANSWER",
                   "fixed_options": ["yes", "no", "maybe"], "answer": "final_decision", "answer_format": "text"},
    })
    assert report["rows_read"] == len(raw) == 1000 and report["rows_rejected"] == 0
    assert {k.split(":")[1]: r["answer"] for k, r in rows.items()} == {
        pmid: rec["final_decision"] for pmid, rec in raw.items()}
    first = next(iter(raw))
    assert rows[f"src:{first}:en"]["context"].startswith(raw[first]["CONTEXTS"][0][:40])


def test_medmcqa_answer_base_off_by_one_stops_the_build(realdata, tmp_path):
    """MedMCQA's `cop` is 1-based in the original files and 0-based on the Hub: read with the wrong base, every
    letter would shift silently. The build stops with one line instead; with the right base every answer is the
    option `cop` names."""
    folder = realdata / "english_sources/medmcqa/benchmark/english_medmcqa"
    source = {"format": "jsonl", "path": str(folder), "files": "MedMCQA_test.json", "splits": {"test": "test"},
              "fields": {"id": "id", "question": "question", "options": ["opa", "opb", "opc", "opd"],
                         "answer": "cop", "answer_format": "index", "explanation": "exp"}}
    with pytest.raises(GlobMedError, match=r"MedMCQA_test.json: index answers look 1-based \(825 of 4183 equal "
                                           r"the option count, none is 0\) but answer_base is 0; set answer_base: 1"):
        _build(tmp_path, source)
    source["fields"]["answer_base"] = 1
    report, rows = _build(tmp_path, source)
    raw = [json.loads(line) for line in (folder / "MedMCQA_test.json").read_text(encoding="utf-8").splitlines()]
    assert report["rows_read"] == 4183 and report["rows_rejected"] == 0
    assert {k.split(":")[1]: _words(r["answer"]) for k, r in rows.items()} == {
        r["id"]: _words(r["op" + "abcd"[r["cop"] - 1]]) for r in raw}
