"""End-to-end builds of the fixture: counts, rejects, splits, dedup, decontamination, determinism, atomicity."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from builder_fixtures import LANGS, SPLIT_SIZES, write_sources_yaml

from dataset_builder.pipeline import run_build
from dataset_builder.splits import hash_split


def _rows(dataset: Path, pattern: str = "data/*/*/*.parquet") -> list[dict]:
    rows = []
    for path in sorted(dataset.glob(pattern)):
        split = path.name.split("-")[0]
        rows += [{**r, "_split": split} for r in pq.read_table(path).to_pylist()]
    return rows


def test_counts_and_invariant(built):
    result, planted = built
    report = result.report
    per_lang = sum(SPLIT_SIZES.values())
    rows_read = len(LANGS) * (3 * per_lang + 20)
    assert report["rows_read"] == rows_read
    assert report["rows_kept"] + report["rows_rejected"] == rows_read
    assert report["rejects_by_reason"] == planted
    # train item 1 copies test item 200 with another answer letter: removed (test_contamination), and counted as a
    # conflicting label
    assert report["dedup"] == {"exact_removed": len(LANGS), "near_removed": len(LANGS),
                               "exact_conflicting_answers": len(LANGS)}
    assert report["decontamination"] == {"removed": len(LANGS)}
    assert report["counts"]["sw"]["nli"] == {"train": 12, "validation": 4, "test": 6}
    assert report["counts"]["zu"]["mcqa"]["train"] + report["counts"]["zu"]["mcqa"]["validation"] + \
        report["counts"]["zu"]["mcqa"]["test"] == per_lang - 3 + 20
    assert report["languages"] == LANGS  # registry order
    assert {s["id"] for s in report["sources"]} == {"medqa", "mednli", "liveqa", "native"}


def test_rejects_file_names_source_file_row_reason(built):
    result, _ = built
    rejects = [json.loads(x) for x in (result.out / "rejects.jsonl").read_text().splitlines()]
    assert len(rejects) == result.report["rows_rejected"]
    no_answer = [r for r in rejects if r["reason"] == "no_answer"]
    assert {(r["source"], r["file"], r["row"]) for r in no_answer} == {
        ("medqa", f"{lang}/train.json", 0) for lang in LANGS}
    contaminated = [r for r in rejects if r["reason"] == "test_contamination"]
    assert all(r["row"] == 1 and "medqa:medqa-200" in r["detail"] for r in contaminated)
    near = [r for r in rejects if r["reason"] == "near_duplicate"]
    assert all(r["row"] == 3 and "medqa:medqa-2:" in r["detail"] for r in near)
    exact = {(r["file"], r["row"]): r["detail"] for r in rejects if r["reason"] == "exact_duplicate"}
    assert exact.pop(("fr/train.json", 5)) == "same text as liveqa:live-4:fr (train)"
    assert exact == {(f"{lang}/train.json", 5): "parallel item liveqa:live-5:fr was removed (exact_duplicate)"
                     for lang in ("en", "sw", "zu")}


def test_schema_records_and_parallel_splits(built):
    result, _ = built
    rows = _rows(result.out)
    assert len({r["id"] for r in rows}) == len(rows)
    split_of: dict[str, set[str]] = {}
    for r in rows:
        split_of.setdefault(r["parallel_id"], set()).add(r["_split"])
        assert r["id"] == f"{r['parallel_id']}:{r['language']}"
        if r["task"] == "mcqa":
            assert r["options"][r["answer_index"]] == r["answer"]
        elif r["task"] == "nli":
            assert r["options"] == ["entailment", "neutral", "contradiction"] and r["answer"] in r["options"]
        else:
            assert r["options"] == [] and r["answer_index"] == -1 and r["answer"]
        expected_method = "original" if r["language"] == "en" else "machine"
        assert r["translation"]["method"] == expected_method
    assert all(len(s) == 1 for s in split_of.values())  # every translation of an item in one split
    native_sw = [r for r in rows if r["source"] == "native" and r["language"] == "sw"]
    assert native_sw and all(r["translation"]["reviewed"] and r["translation"]["model"] == "tiny-mt"
                             and abs(r["translation"]["qc_score"] - 0.9) < 1e-6 for r in native_sw)
    assert all(r["options"][1] == r["answer"] for r in native_sw)


def test_hash_split_is_stable_across_languages_and_selections(built, published, tmp_path):
    result, _ = built
    native = [r for r in _rows(result.out) if r["source"] == "native"]
    for r in native:
        assert r["_split"] == hash_split(r["parallel_id"], {"train": 0.8, "validation": 0.1, "test": 0.1}, 42)
    yaml_path, _ = published
    only_sw = run_build(yaml_path, tmp_path, {"languages": "sw"}, progress=False)
    assert only_sw.report["languages"] == ["sw"]
    sw_again = {r["id"]: r["_split"] for r in _rows(only_sw.out, "data/sw/*/*.parquet")}
    sw_first = {r["id"]: r["_split"] for r in _rows(result.out, "data/sw/*/*.parquet")}
    # the same splits; live-5 is only removed when fr (where it is a duplicate) is part of the build
    assert sw_again.pop("liveqa:live-5:sw") == "train"
    assert sw_again == sw_first


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_build_twice_is_byte_identical_also_with_processes(built, published, tmp_path):
    result, _ = built
    yaml_path, _ = published
    again = run_build(yaml_path, tmp_path, {"num_proc": 2}, progress=False)
    assert _digest(again.out) == _digest(result.out)
    manifest = json.loads((result.out / "MANIFEST.json").read_text())
    for rel, entry in manifest["files"].items():
        assert hashlib.sha256((result.out / rel).read_bytes()).hexdigest() == entry["sha256"]
    assert sum(e["rows"] for rel, e in manifest["files"].items() if rel.startswith("data/")) == \
        result.report["rows_kept"]
    assert len(manifest["inputs"]["files"]) == len(LANGS) * (3 * 3 + 1)
    assert "README.md" not in manifest["files"]  # the card is rewritten after the build; the hash must not go stale


def test_crash_leaves_no_half_folder(published, tmp_path, monkeypatch):
    yaml_path, _ = published
    first = run_build(yaml_path, tmp_path, {"languages": "en"}, progress=False)
    before = _digest(first.out)

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("dataset_builder.pipeline.write_manifest", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        run_build(yaml_path, tmp_path, {"languages": "en,sw"}, progress=False)
    assert _digest(first.out) == before  # the previous dataset is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["globmed"]  # no temp folder left behind
    with pytest.raises(RuntimeError):
        run_build(yaml_path, tmp_path / "fresh", progress=False)
    assert not (tmp_path / "fresh" / "globmed").exists()


def test_readme_configs_and_dataset_info(built):
    import yaml

    result, _ = built
    text = (result.out / "README.md").read_text()
    front = yaml.safe_load(text.split("---\n")[1])
    names = [c["config_name"] for c in front["configs"]]
    assert names[0] == "all" and front["configs"][0]["default"] is True
    assert {"en", "sw", "mcqa", "nli", "lfqa", "zu-nli", "fr-lfqa"} <= set(names)
    assert len(names) == 1 + len(LANGS) + 3 + 3 * len(LANGS)
    infos = {i["config_name"]: i for i in front["dataset_info"]}
    assert {s["name"]: s["num_examples"] for s in infos["zu-nli"]["splits"]} == {"train": 12, "validation": 4,
                                                                                    "test": 6}
    assert "globmed card dataset" in text


def test_near_dedup_off_keeps_near_duplicates(published, tmp_path):
    yaml_path, _planted = published
    text = yaml_path.read_text().replace("build:\n", "build:\n  near_dedup: false\n")
    custom = yaml_path.parent / "no_near.yaml"
    custom.write_text(text)
    report = run_build(custom, tmp_path, progress=False).report
    assert "near_duplicate" not in report["rejects_by_reason"]
    assert report["decontamination"]["removed"] == len(LANGS)  # exact leak still caught (test priority)


def test_native_sources_yaml_from_translate(tmp_path):
    """The translation pipeline writes native records plus a sources.yaml; `build --sources FILE` ingests it."""
    from builder_fixtures import write_published

    write_published(tmp_path, ["en", "yo"])
    yaml_path = write_sources_yaml(tmp_path, ["en", "yo"])
    report = run_build(yaml_path, tmp_path / "rel", progress=False).report
    per_lang = sum(SPLIT_SIZES.values())
    assert sum(report["counts"]["yo"]["mcqa"].values()) == per_lang - 3 + 20  # medqa minus 3 planted + native
    assert sum(report["counts"]["yo"]["lfqa"].values()) == per_lang - 1  # the empty question; no fr, no dup


def test_filter_stats_add_up(built):
    result, planted = built
    filters = result.report["filters"]
    assert list(filters) == ["empty_question", "script_mismatch", "needs_missing_image", "no_answer",
                             "several_correct_answers",
                             "option_gap", "option_count", "answer_not_among_options"]
    for stats in filters.values():
        assert stats["seen"] == stats["kept"] + sum(stats["dropped"].values())
    assert filters["no_answer"]["dropped"] == {"no_answer": planted["no_answer"]}
    assert filters["empty_question"]["dropped"] == {"empty_question": planted["empty_question"]}


def test_load_split_reads_built_folder(built):
    from globmed.data import load_split

    result, _ = built
    ds = load_split(result.out, "test", language="zu", task="nli")
    assert ds.num_rows == result.report["counts"]["zu"]["nli"]["test"]
    assert set(ds["language"]) == {"zu"}


def test_hub_source_fetched_with_huggingface_hub(published, tmp_path, monkeypatch):
    """A `hub:` source goes through huggingface_hub.hf_hub_download (stubbed here: no network in tests)."""
    import huggingface_hub

    yaml_path, _ = published
    local_root = yaml_path.parent
    calls = []

    def fake_download(repo_id, filename, repo_type=None, revision=None, **kwargs):
        calls.append((repo_id, filename, repo_type, revision))
        return str(local_root / "GlobMed_MedNLI" / filename)

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", fake_download)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("GLOBMED_HUB_MIRROR", raising=False)
    hub_yaml = tmp_path / "hub.yaml"
    hub_yaml.write_text(
        "sources:\n  - {id: mednli, task: nli, format: json, hub: {repo: ORG/GlobMed_MedNLI, revision: v1},\n"
        "     files: '{lang}/{split}.json', languages: [en, sw], splits: {train: train, validation: validation,"
        " test: test},\n     fields: {id: pairID, context: sentence1, question: sentence2, answer: gold_label}}\n")
    report = run_build(hub_yaml, tmp_path / "rel", progress=False).report
    # each of the 6 files is fetched for the field check, then read (a huggingface_hub cache hit)
    assert ("ORG/GlobMed_MedNLI", "sw/test.json", "dataset", "v1") in calls and len(set(calls)) == 6
    assert report["counts"]["sw"]["nli"] == {"train": 12, "validation": 4, "test": 6}


def test_malformed_rows_and_unselected_rows_are_counted(tmp_path):
    data = tmp_path / "src"
    data.mkdir()
    (data / "en.jsonl").write_text(
        '{"id": 1, "q": "Q one?", "o": ["x", "y"], "a": "A", "cat": "health"}\n'
        '{"id": 2, "q": "Q two?", "o": ["x", "y"], "a": "B", "cat": "law"}\n'
        '{"id": 3, "o": ["x", "y"], "a": "B", "cat": "health"}\n'
        "{broken json\n", encoding="utf-8")
    (tmp_path / "s.yaml").write_text(
        "build: {near_dedup: false}\n"
        "sources:\n  - {id: tiny, task: mcqa, format: jsonl, path: src, files: '{lang}.jsonl',\n"
        "     select: {field: cat, values: [health]}, fields: {id: id, question: q, options: o, answer: a}}\n")
    result = run_build(tmp_path / "s.yaml", tmp_path / "rel", progress=False)
    assert result.report["rejects_by_reason"] == {"malformed_row": 2, "not_selected": 1}
    assert result.report["rows_read"] == 4 and result.report["rows_kept"] == 1
    rejects = [json.loads(x) for x in (result.out / "rejects.jsonl").read_text().splitlines()]
    assert [(r["row"], r["reason"]) for r in rejects] == [(1, "not_selected"), (2, "malformed_row"),
                                                          (3, "malformed_row")]
    assert "no field 'q'" in rejects[1]["detail"]


def test_parallel_dedup_off_removes_only_the_duplicate_language(published, tmp_path):
    yaml_path, _ = published
    custom = yaml_path.parent / "no_parallel.yaml"
    custom.write_text(yaml_path.read_text().replace("build:\n", "build:\n  parallel_dedup: false\n"))
    report = run_build(custom, tmp_path, progress=False).report
    assert report["rejects_by_reason"]["exact_duplicate"] == 1
    assert report["counts"]["sw"]["lfqa"]["train"] == report["counts"]["fr"]["lfqa"]["train"] + 1
