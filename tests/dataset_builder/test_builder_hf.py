"""The `GlobMed` GeneratorBasedBuilder reads a built folder per config, offline."""

from __future__ import annotations

from dataset_builder.hf_builder import GlobMed
from globmed.languages import known_language_codes


def test_builder_configs_cover_languages_tasks_and_pairs():
    names = {c.name for c in GlobMed.BUILDER_CONFIGS}
    assert {"all", "sw", "mcqa", "zu-nli", "en-lfqa"} <= names
    langs = len(known_language_codes())  # opt-in languages (ar, ...) have configs too
    assert "ar" in names and len(names) == 1 + langs + 3 + 3 * langs


def test_builder_reads_built_folder(built, tmp_path):
    result, _ = built
    builder = GlobMed(config_name="sw", data_dir=str(result.out), cache_dir=str(tmp_path))
    builder.download_and_prepare()
    ds = builder.as_dataset()
    counts = result.report["counts"]["sw"]
    for split in ("train", "validation", "test"):
        assert ds[split].num_rows == sum(counts[t].get(split, 0) for t in counts)
    assert set(ds["test"]["language"]) == {"sw"}
    builder = GlobMed(config_name="zu-nli", data_dir=str(result.out), cache_dir=str(tmp_path))
    builder.download_and_prepare()
    zu = builder.as_dataset(split="train")
    assert zu.num_rows == result.report["counts"]["zu"]["nli"]["train"]
    assert set(zu["task"]) == {"nli"} and set(zu["language"]) == {"zu"}


def test_builder_rejects_non_dataset_folder(tmp_path):
    import pytest

    from globmed.errors import GlobMedError

    with pytest.raises(GlobMedError, match="not a GlobMed dataset folder"):
        GlobMed(config_name="sw", data_dir=str(tmp_path), cache_dir=str(tmp_path / "c")).download_and_prepare()
