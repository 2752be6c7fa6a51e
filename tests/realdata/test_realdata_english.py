"""Every data file in ../shared/realdata/english_sources is ingested through english_sources.yaml, and the kept
and rejected counts per file and reason equal english_counts.json, which derive_english_counts.py computes from
the raw files with the standard library alone (this test runs the script and compares its output too)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from dataset_builder.pipeline import run_build

HERE = Path(__file__).parent
SCRIPT = HERE / "derive_english_counts.py"
EXPECTED = json.loads((HERE / "english_counts.json").read_text(encoding="utf-8"))
ANSWER_KEYS = {"pubmedqa/data/test_ground_truth.json"}  # PMID -> yes/no/maybe: no question to ingest


def test_script_is_standard_library_only_and_gives_the_committed_counts(realdata):
    imported = {alias.name.split(".")[0] for node in ast.walk(ast.parse(SCRIPT.read_text(encoding="utf-8")))
                if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(ast.parse(SCRIPT.read_text(encoding="utf-8")))
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert imported - {"__future__"} <= set(sys.stdlib_module_names), imported
    out = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == EXPECTED


@pytest.fixture(scope="module")
def built(realdata, tmp_path_factory):
    return run_build(HERE / "english_sources.yaml", tmp_path_factory.mktemp("rd-english"), progress=False)


def _folders() -> dict[str, str]:
    """source id -> its folder under english_sources (from the YAML's paths)."""
    sources = yaml.safe_load((HERE / "english_sources.yaml").read_text(encoding="utf-8"))["sources"]
    return {s["id"]: Path(s["path"]).name for s in sources}


def test_counts_per_file_and_reason(built):
    folders = _folders()
    manifest = json.loads((built.out / "MANIFEST.json").read_text(encoding="utf-8"))
    counts: dict[str, Counter] = defaultdict(Counter)
    for key, entry in manifest["inputs"]["files"].items():
        source, label = key.split("/", 1)
        counts[f"{folders[source]}/{label}"]["kept"] += entry["rows"]
    for line in (built.out / "rejects.jsonl").read_text(encoding="utf-8").splitlines():
        rej = json.loads(line)
        name = f"{folders[rej['source']]}/{rej['file']}"
        counts[name][rej["reason"]] += 1
        counts[name]["kept"] -= 1
    assert {name: {k: v for k, v in c.items() if v} for name, c in counts.items()} == EXPECTED


def test_build_report_totals(built):
    report = built.report
    by_reason = Counter()
    for per_file in EXPECTED.values():
        by_reason.update({reason: n for reason, n in per_file.items() if reason != "kept"})
    assert report["rows_read"] == sum(sum(c.values()) for c in EXPECTED.values())
    assert report["rows_kept"] == sum(c.get("kept", 0) for c in EXPECTED.values())
    assert report["rejects_by_reason"] == dict(sorted(by_reason.items()))


def test_every_data_file_is_read_but_the_answer_keys(realdata):
    folder = realdata / "english_sources"
    on_disk = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.suffix in (".json", ".jsonl")}
    assert on_disk == set(EXPECTED) | ANSWER_KEYS
    key = json.loads((folder / "pubmedqa/data/test_ground_truth.json").read_text(encoding="utf-8"))
    records = json.loads((folder / "pubmedqa/data/ori_pqal.json").read_text(encoding="utf-8"))
    assert set(key.values()) == {"yes", "no", "maybe"} and set(key) <= set(records)  # labels of known records


def _rows(built) -> dict[str, dict]:
    paths = sorted(built.out.glob("data/en/*/*.parquet"))
    return {r["id"]: r for path in paths for r in pq.read_table(path).to_pylist()}


def test_real_shapes_resolved(built, realdata):
    """The quirks that decide an answer, checked against the raw files: MedMCQA's 1-based cop, MedQA's 5 and
    4 options, HEAD-QA's string ra against integer aid, PubMedQA's PMID keys, a .json file of JSON Lines."""
    folder = realdata / "english_sources"
    rows = _rows(built)
    first = json.loads((folder / "medmcqa/benchmark/english_medmcqa/MedMCQA_test.json").read_text().splitlines()[0])
    mcq = rows[f"medmcqa:{first['id']}:en"]
    assert mcq["answer"] == " ".join(first[("opa", "opb", "opc", "opd")[first["cop"] - 1]].split())
    for source, path, n in (("medqa5", "medqa/datasets/MedQA/test.jsonl", 5),
                            ("medqa4", "medqa/benchmark/english_medqa/MedQA_USMLE_test.jsonl", 4)):
        raw = json.loads((folder / path).read_text(encoding="utf-8").splitlines()[0])
        row = rows[f"{source}:test-0:en"]
        assert len(row["options"]) == n and row["answer_index"] == "ABCDE".index(raw["answer_idx"])
    exams = json.loads((folder / "head_qa/data/HEAD_EN/dev_HEAD_EN.json").read_text(encoding="utf-8"))["exams"]
    exam, content = next(iter(exams.items()))
    question = next(q for q in content["data"] if not q["image"])
    answer = next(a["atext"] for a in question["answers"] if str(a["aid"]) == question["ra"])
    assert rows[f"headqa:{exam}-{question['qid']}:en"]["answer"] == " ".join(answer.split())
    pmid, record = next(iter(json.loads((folder / "pubmedqa/data/ori_pqal.json").read_text()).items()))
    assert rows[f"pubmedqa:{pmid}:en"]["answer"] == record["final_decision"]
    flat = json.loads((folder / "expertqa/data/lfqa/rand_lfqa_test.json").read_text().splitlines()[-1])
    assert rows[f"expertqa_lfqa:{flat['example_id']}:en"]["question"] == " ".join(flat["question"].split())
