from __future__ import annotations

import pytest

from globmed.data import load_split
from globmed.errors import GlobMedError


def test_load_split_filters_language_and_task(tiny_dataset_dir):
    ds = load_split(tiny_dataset_dir, "test", language="sw", task="mcqa")
    assert len(ds) == 8
    assert set(ds["language"]) == {"sw"} and set(ds["task"]) == {"mcqa"}
    assert len(load_split(tiny_dataset_dir, "validation", task="nli")) == 12 * 4


def test_load_split_errors_are_one_line(tmp_path, monkeypatch):
    with pytest.raises(GlobMedError, match="not a GlobMed dataset folder"):
        load_split(tmp_path, "test")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(GlobMedError, match="HF_HUB_OFFLINE"):
        load_split("someorg/globmed", "test")
    with pytest.raises(GlobMedError, match="unknown split"):
        load_split(tmp_path, "dev")


def test_load_split_of_a_config_without_rows_is_empty(tiny_dataset_dir):
    empty = load_split(tiny_dataset_dir, "test", language="xx")
    assert len(empty) == 0
    assert empty.features == load_split(tiny_dataset_dir, "test", language="sw").features
