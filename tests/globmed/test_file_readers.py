"""The kernel's readers of user files (globmed.text_io, globmed.parquet_io): the one line they give for a bad file.

The command-level cases (every command, every input kind) are in tests/globmed_kit/test_bad_inputs.py; these
check what the CLI table cannot see: positions after multi-byte characters, the BOM, the JSON shape check, and a
parquet file whose footer reads but whose pages do not (found only once `datasets` fails, or mid-iteration).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from globmed.data import load_cells, load_split
from globmed.errors import GlobMedError
from globmed.parquet_io import iter_rows
from globmed.text_io import read_json, read_text


@pytest.mark.parametrize(
    ("raw", "where"),
    [
        (b"ok\nname: caf\xe9\n", "byte 0xe9 at line 2 column 10"),
        ("l1\nl2\nπ → \u00e9 ".encode() + b"\xff tail", "byte 0xff at line 3 column 7"),  # columns in characters
        (b"\xef\xbb\xbfab\x80", "byte 0x80 at line 1 column 3"),  # the BOM is not a column
    ],
)
def test_not_utf8_names_the_file_and_the_position(tmp_path, raw, where):
    path = tmp_path / "f.yaml"
    path.write_bytes(raw)
    with pytest.raises(GlobMedError) as err:
        read_text(path, "recipe")
    assert str(err.value) == f"{path}: recipe: not UTF-8 text: {where}; save the file as UTF-8"


def test_bom_is_dropped_and_missing_file_is_one_line(tmp_path):
    path = tmp_path / "sheet.csv"
    path.write_bytes("\ufeffid,question\n".encode())
    assert read_text(path) == "id,question\n"
    with pytest.raises(GlobMedError, match=r"^.*nope\.json: report: cannot read: No such file or directory$"):
        read_json(tmp_path / "nope.json", "report")


@pytest.mark.parametrize(
    ("text", "expect", "message"),
    [
        ('{"a": 1,\n  "b" 2}', None, "not valid JSON: Expecting ':' delimiter at line 2 column 7"),
        ("[1, 2]", dict, "expected a JSON object, got array"),
        ("null", list, "expected a JSON array, got null"),
    ],
)
def test_json_errors(tmp_path, text, expect, message):
    path = tmp_path / "build_report.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(GlobMedError) as err:
        read_json(path, "build report", expect=expect)
    assert str(err.value) == f"{path}: build report: {message}"


def _corrupt_page(shard: Path) -> None:
    """Overwrite the first page header (right after the 4-byte magic); the footer, at the end, still reads."""
    raw = bytearray(shard.read_bytes())
    raw[4:44] = b"\xff" * 40
    shard.write_bytes(bytes(raw))


def test_corrupt_page_behind_a_valid_footer_is_named(tmp_path, tiny_dataset_dir):
    import pyarrow.parquet as pq

    folder = tmp_path / "ds"
    shard = folder / "data" / "en" / "mcqa" / "test-00000-of-00001.parquet"
    shard.parent.mkdir(parents=True)
    shutil.copy(tiny_dataset_dir / "README.md", folder / "README.md")
    shutil.copy(tiny_dataset_dir / "data" / "en" / "mcqa" / shard.name, shard)
    _corrupt_page(shard)
    pq.read_metadata(shard)  # the premise: only the pages are broken
    with pytest.raises(GlobMedError, match=rf"^{shard}: not a readable parquet file \(.+\)$"):
        load_split(folder, "test", "en", "mcqa")
    with pytest.raises(GlobMedError, match=rf"^{shard}: not a readable parquet file \(.+\)$"):
        load_cells(folder, "test", [("en", "mcqa")])
    with pytest.raises(GlobMedError, match=rf"^{shard}: not a readable parquet file"):
        list(iter_rows(shard))
