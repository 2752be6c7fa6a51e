"""The bundled sample: `globmed build` with no arguments builds it, offline, into ./release/globmed."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from globmed.languages import language_codes
from globmed_kit.cli import main

SAMPLE = Path(__file__).resolve().parents[2] / "dataset_builder" / "sample"


@pytest.fixture(scope="module")
def sample_release(tmp_path_factory):
    if not (SAMPLE / "GlobMed_MedQA").is_dir():
        pytest.skip("bundled sample not present in this checkout")
    root = tmp_path_factory.mktemp("cwd")
    cwd = Path.cwd()
    import os

    os.chdir(root)
    try:
        assert main(["build", "--no-progress"]) == 0
    finally:
        os.chdir(cwd)
    return root / "release" / "globmed"


def test_default_build_is_the_sample(sample_release):
    import json

    report = json.loads((sample_release / "build_report.json").read_text())
    assert report["config"]["sources"] == "sample"
    assert report["languages"] == language_codes()
    assert report["rows_rejected"] == 0, report["rejects_by_reason"]
    for lang in language_codes():
        for task in ("mcqa", "nli", "lfqa"):
            splits = report["counts"][lang][task]
            assert set(splits) == {"train", "validation", "test"} and sum(splits.values()) >= 30


def test_sample_is_parallel_across_all_languages(sample_release):
    langs_of: dict[str, set[str]] = {}
    for path in sample_release.glob("data/*/*/*.parquet"):
        table = pq.read_table(path, columns=["parallel_id", "language"])
        for pid, lang in zip(table.column(0).to_pylist(), table.column(1).to_pylist(), strict=True):
            langs_of.setdefault(pid, set()).add(lang)
    assert langs_of and all(langs == set(language_codes()) for langs in langs_of.values())


def test_generator_builder_without_data_dir_builds_the_sample(sample_release, tmp_path):
    from dataset_builder.hf_builder import GlobMed

    builder = GlobMed(config_name="sw", cache_dir=str(tmp_path))
    builder.download_and_prepare()
    ds = builder.as_dataset()
    expected = {}
    for path in sample_release.glob("data/sw/*/*.parquet"):
        split = path.name.split("-")[0]
        expected[split] = expected.get(split, 0) + pq.read_metadata(path).num_rows
    assert {split: ds[split].num_rows for split in ds} == expected
    assert set(ds["train"]["language"]) == {"sw"}
