"""Every file in ../shared/realdata is ingested through the source YAMLs next to this test, and the kept and
rejected counts per file and per reason must equal the numbers in expected_counts.json (computed once by an
independent script over the raw files, see its _comment)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from dataset_builder.pipeline import run_build

HERE = Path(__file__).parent
EXPECTED = json.loads((HERE / "expected_counts.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module", params=["aistairc", "apollo", "afr"])
def built(request, realdata, tmp_path_factory):
    out = tmp_path_factory.mktemp(f"rd-{request.param}")
    result = run_build(HERE / f"{request.param}.yaml", out, progress=False)
    return request.param, result


def _per_file(dataset: Path) -> dict[str, dict[str, int]]:
    manifest = json.loads((dataset / "MANIFEST.json").read_text())
    counts: dict[str, Counter] = defaultdict(Counter)
    rows_by_file = {}
    for key, entry in manifest["inputs"]["files"].items():
        rows_by_file[key.split("/", 1)[1]] = rows_by_file.get(key.split("/", 1)[1], 0) + entry["rows"]
    for line in (dataset / "rejects.jsonl").read_text(encoding="utf-8").splitlines():
        rej = json.loads(line)
        counts[rej["file"]][rej["reason"]] += 1
        assert {"source", "file", "row", "reason"} <= set(rej)
    for file, rows in rows_by_file.items():
        kept = rows - sum(counts[file].values())
        if kept:
            counts[file]["kept"] = kept
    return {f: dict(c) for f, c in counts.items()}


def test_counts_per_file_and_reason(built):
    name, result = built
    assert _per_file(result.out) == EXPECTED[name]


def test_report_invariant_and_every_file_read(built, realdata):
    name, result = built
    report = result.report
    assert report["rows_read"] == report["rows_kept"] + report["rows_rejected"]
    expected_total = sum(sum(v.values()) for v in EXPECTED[name].values())
    assert report["rows_read"] == expected_total
    folder = {"aistairc": "aistairc_medllm_qa", "apollo": "apollo_xmedbench", "afr": "idm_bridging_gap_afr"}[name]
    on_disk = {p.name for p in (realdata / folder).rglob("*") if p.suffix in (".json", ".jsonl", ".csv")}
    assert on_disk == {Path(f).name for f in EXPECTED[name]}


@pytest.fixture(scope="module")
def afr(realdata, tmp_path_factory):
    return run_build(HERE / "afr.yaml", tmp_path_factory.mktemp("afr-parallel"), progress=False)


def test_african_rows_share_parallel_id(afr):
    result = afr
    ids = {}
    for lang in ("en", "zu"):
        files = sorted((result.out / "data" / lang / "mcqa").glob("*.parquet"))
        ids[lang] = {r for f in files for r in pq.read_table(f, columns=["parallel_id"]).column(0).to_pylist()}
    # parallel dedup: an item that is an exact duplicate in en or in zu is removed in both, so both keep the same
    assert ids["en"] == ids["zu"] and len(ids["en"]) == EXPECTED["_afr_parallel_ids_en_zu"]
    assert "mmlu_afr:virology-test-0" in ids["en"] & ids["zu"]
    # the same parallel item is in the same split in both languages
    split_of = {}
    for lang in ("en", "zu"):
        for f in (result.out / "data" / lang / "mcqa").glob("*.parquet"):
            for pid in pq.read_table(f, columns=["parallel_id"]).column(0).to_pylist():
                split_of.setdefault(pid, set()).add(f.name.split("-")[0])
    assert all(len(s) == 1 for s in split_of.values())
    assert result.report["rejects_by_reason"]["language_not_in_registry"] == 10 * 688


def test_quirks_normalised(built):
    name, result = built
    table = pq.read_table(result.out / "data" / ("es" if name == "apollo" else "en") / "mcqa")
    rows = table.to_pylist()
    texts = [r["question"] for r in rows] + [o for r in rows for o in r["options"]]
    assert not any("\ufeff" in t or "\xa0" in t or "\r" in t for t in texts)
    if name == "apollo":  # "Colágeno.." -> "Colágeno."
        assert not any(o.endswith("..") and not o.endswith("...") for r in rows for o in r["options"])
        assert any(o == "Colágeno." for r in rows for o in r["options"])
    for r in rows:
        assert r["options"][r["answer_index"]] == r["answer"]


def test_apollo_empty_fifth_option_is_absent_not_an_option(realdata, tmp_path):
    """XMedBench's converter appended "." to every option, so an empty 5th option reads "(E) .": with
    `absent_option_values: ["."]` those questions keep their 4 real options (counted, never a 5th option ".")."""
    result = run_build(HERE / "apollo.yaml", tmp_path, progress=False)
    raw = json.loads((realdata / "apollo_xmedbench/metadata/test/zh.json").read_text(encoding="utf-8"))
    dotted = sum(1 for r in raw if r["options"].rstrip().endswith("(E) ."))
    assert dotted > 0
    rows = [r for p in sorted(result.out.glob("data/zh/mcqa/*.parquet")) for r in pq.read_table(p).to_pylist()]
    assert rows and not any("." in r["options"] for r in rows)
    assert result.report["normalisation"]["absent_options_dropped"] >= dotted
