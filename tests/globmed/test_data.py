from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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


# ----- load_cells: many cells of one split, read with pyarrow alone ----------------------------------------------

def _row(i: int, lang: str, task: str) -> dict:
    """A row with the awkward values: missing strings, an empty option list, an unset translation model."""
    return {
        "answer_index": i % 3 if task == "mcqa" else -1,  # first column here: the file's order is not the schema's
        "id": f"src:{task}-{i}:{lang}", "parallel_id": f"src:{task}-{i}", "language": lang, "task": task,
        "source": "src", "context": None if i % 2 else "ctx", "question": f"q{i} ü 中",
        "options": ["a", "b", "c"] if task == "mcqa" else [], "answer": "a" if task == "mcqa" else f"long {i}",
        "explanation": None, "license": "" if i % 3 else None,
        "translation": {"method": "machine", "model": None if i % 2 else "mt-1", "qc_score": 0.1 * i,
                        "reviewed": bool(i % 2)},
    }


@pytest.fixture
def sharded_dir(tmp_path) -> Path:
    """Cells in several shards each, written by pyarrow with an int64 answer index (cast to int32 on read)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    root = tmp_path / "ds"
    counter = 0
    for lang, task, shards in (("en", "mcqa", 3), ("sw", "lfqa", 2), ("sw", "mcqa", 1)):
        for shard in range(shards):
            rows = [_row(counter + k, lang, task) for k in range(4 + shard)]
            counter += len(rows)
            path = root / "data" / lang / task / f"test-{shard:05d}-of-{shards:05d}.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(pa.Table.from_pylist(rows), path)
    (root / "README.md").write_text("---\nconfigs: []\n---\n")
    return root


EXPECTED_FEATURES = {  # the record schema as datasets.Features, written out (not through globmed.schema)
    "id": "string", "parallel_id": "string", "language": "string", "task": "string", "source": "string",
    "context": "string", "question": "string", "options": ["string"], "answer_index": "int32", "answer": "string",
    "explanation": "string", "license": "string",
    "translation": {"method": "string", "model": "string", "qc_score": "float32", "reviewed": "bool"},
}


def _features():
    from datasets import Features, List, Value

    def make(spec):
        if isinstance(spec, dict):
            return {key: make(value) for key, value in spec.items()}
        return List(make(spec[0])) if isinstance(spec, list) else Value(spec)

    return Features(make(EXPECTED_FEATURES))


def test_features_are_the_record_schema():
    from globmed.schema import features

    assert features() == _features()
    assert features().arrow_schema.metadata == _features().arrow_schema.metadata  # the writer's files unchanged


def test_load_cells_gives_the_rows_datasets_gives_over_the_same_files(sharded_dir):
    import datasets

    from globmed.data import load_cells

    cells = [("en", "mcqa"), ("sw", "lfqa"), ("sw", "mcqa"), ("fr", "mcqa")]
    got = load_cells(sharded_dir, "test", cells)
    assert list(got) == cells
    for lang, task in cells:
        files = sorted(str(p) for p in (sharded_dir / "data" / lang / task).glob("test-*.parquet"))
        expected = (
            datasets.load_dataset("parquet", data_files={"test": files}, split="test", features=_features()).to_list()
            if files else []
        )
        assert got[(lang, task)] == expected
    assert [r["id"] for r in got[("en", "mcqa")]] == [f"src:mcqa-{i}:en" for i in range(4 + 5 + 6)]  # file order
    lfqa = got[("sw", "lfqa")]
    assert {r["context"] for r in lfqa} == {None, "ctx"} and {r["translation"]["model"] for r in lfqa} == {None, "mt-1"}
    assert all(r["options"] == [] for r in lfqa) and {type(r["answer_index"]) for r in lfqa} == {int}
    assert got[("fr", "mcqa")] == []


def test_load_cells_builds_no_datasets_dataset(sharded_dir):
    """In a fresh interpreter: reading cells imports neither `datasets` nor pandas."""
    code = (
        "import sys; from globmed.data import load_cells; "
        f"rows = load_cells({str(sharded_dir)!r}, 'test', [('en', 'mcqa'), ('sw', 'lfqa')]); "
        "print(len(rows[('en', 'mcqa')]), sorted(m for m in ('datasets', 'pandas') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["15", "[]"]


def test_load_cells_errors_are_one_line_naming_the_file(sharded_dir, tmp_path, monkeypatch):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from globmed.data import load_cells

    shard = sharded_dir / "data" / "sw" / "mcqa" / "test-00000-of-00001.parquet"
    table = pq.read_table(shard)
    pq.write_table(table.drop_columns(["license"]).append_column("extra", pa.array([1] * len(table))), shard)
    with pytest.raises(GlobMedError, match=rf"^{shard}: its columns do not match the dataset schema "
                                           r"\(missing license; unexpected extra\)$"):
        load_cells(sharded_dir, "test", [("sw", "mcqa")])
    column = table.column_names.index("answer_index")
    pq.write_table(table.set_column(column, "answer_index", pa.array(["x"] * len(table))), shard)
    with pytest.raises(GlobMedError, match=rf"^{shard}: does not match the dataset schema \(.+\)$"):
        load_cells(sharded_dir, "test", [("sw", "mcqa")])
    shard.write_bytes(b"not parquet")
    with pytest.raises(GlobMedError, match=rf"^{shard}: not a readable parquet file \(.+\)$"):
        load_cells(sharded_dir, "test", [("en", "mcqa"), ("sw", "mcqa")])
    with pytest.raises(GlobMedError, match="not a GlobMed dataset folder"):
        load_cells(tmp_path, "test", [("en", "mcqa")])
    with pytest.raises(GlobMedError, match="unknown task 'qa'"):
        load_cells(sharded_dir, "test", [("en", "qa")])
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(GlobMedError, match="HF_HUB_OFFLINE"):
        load_cells("someorg/globmed", "test", [("en", "mcqa")])
