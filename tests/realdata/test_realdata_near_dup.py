"""Near-duplicate detection on real text: MedQA's 4-option file repeats the 5-option file's questions."""

from __future__ import annotations

import json
from pathlib import Path

from dataset_builder.normalise import dedup_key_text
from dataset_builder.pipeline import run_build

HERE = Path(__file__).parent


def _shingles(text: str, k: int = 8) -> set[bytes]:
    raw = text.encode().ljust(k)
    return {raw[i:i + k] for i in range(len(raw) - k + 1)}


def _item_text(row: dict) -> str:
    return dedup_key_text("\n".join([row["problem_text"], *row["choices"]]))


def test_four_option_twins_are_near_duplicates(realdata, tmp_path):
    result = run_build(HERE / "medqa_near.yaml", tmp_path, progress=False)
    report = result.report
    rejects = [json.loads(x) for x in (result.out / "rejects.jsonl").read_text().splitlines()]
    near = [r for r in rejects if r["reason"] == "near_duplicate"]
    assert all(r["source"] == "medqa_en_4op" for r in near)  # the 5-option file is read first and kept
    base = realdata / "aistairc_medllm_qa" / "data" / "en"
    five = [json.loads(x) for x in (base / "MedQA" / "medqa_en.jsonl").read_text().splitlines()]
    four = [json.loads(x) for x in (base / "MedQA-4op" / "medqa_en_4op.jsonl").read_text().splitlines()]
    by_id = {str(r["problem_id"]): r for r in five}
    true_j = []
    for rej in near:
        twin_id = rej["detail"].split("medqa_en:")[1].split(":en")[0]
        a, b = _shingles(_item_text(four[rej["row"]])), _shingles(_item_text(by_id[twin_id]))
        true_j.append(len(a & b) / len(a | b))
    assert min(true_j) >= 0.6  # every removal is a real near-duplicate
    assert len(near) >= 0.9 * len(four)  # and nearly every twin is found
    assert report["rows_read"] == report["rows_kept"] + report["rows_rejected"] == 2 * 1273
