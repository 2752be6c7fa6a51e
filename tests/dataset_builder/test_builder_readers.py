"""Readers: JSON array vs JSON Lines autodetection, CSV quirks, parquet, malformed rows kept as rejects."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dataset_builder.readers import Malformed, read_rows
from globmed.errors import GlobMedError


def _rows(path, fmt, csv=None):
    return list(read_rows(path, fmt, csv))


def test_json_array_and_jsonl_autodetect(tmp_path):
    arr = tmp_path / "a.json"
    arr.write_bytes(b'\xef\xbb\xbf[{"q": 1}, {"q": 2}]')  # BOM before the array
    lines = tmp_path / "b.json"
    lines.write_text('{"q": 1}\n\n{"q": 2}\nnot json\n[1]\n')
    assert _rows(arr, "json") == [(0, {"q": 1}), (1, {"q": 2})]
    got = _rows(lines, "json")
    assert got[:2] == [(0, {"q": 1}), (1, {"q": 2})]
    assert isinstance(got[2][1], Malformed) and got[2][0] == 2
    assert isinstance(got[3][1], Malformed) and "expected an object" in got[3][1].detail


def test_malformed_json_array_is_one_line_error(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('[{"q": 1},\n {"q": }]')
    with pytest.raises(GlobMedError, match=r"bad.json: malformed JSON at line 2"):
        _rows(bad, "json")


def test_headerless_csv_crlf_records_lf_inside_quotes(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b'"What is\nthis?",a,b,c,d,A\r\nSecond,a,b,c,d,B\r\nshort,a,b')  # no final newline
    rows = _rows(path, "csv", {"header": False, "columns": ["question", "A", "B", "C", "D", "answer"]})
    assert rows[0] == (0, {"question": "What is\nthis?", "A": "a", "B": "b", "C": "c", "D": "d", "answer": "A"})
    assert rows[1][1]["answer"] == "B"
    assert isinstance(rows[2][1], Malformed) and "expected 6 columns, got 3" in rows[2][1].detail


def test_csv_with_header_and_missing_columns_option(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("question;answer\nQ1;A\n", encoding="utf-8")
    assert _rows(path, "csv", {"delimiter": ";"}) == [(0, {"question": "Q1", "answer": "A"})]
    with pytest.raises(GlobMedError, match="headerless CSV needs"):
        _rows(path, "csv", {"header": False})


def test_parquet_and_missing_file(tmp_path):
    path = tmp_path / "p.parquet"
    pq.write_table(pa.table({"q": ["x", "y"], "opts": [["a", "b"], ["c", "d"]]}), path)
    assert _rows(path, "parquet") == [(0, {"q": "x", "opts": ["a", "b"]}), (1, {"q": "y", "opts": ["c", "d"]})]
    with pytest.raises(GlobMedError, match="source file not found"):
        _rows(tmp_path / "none.json", "json")


def test_not_utf8_is_one_line_error(tmp_path):
    path = tmp_path / "latin1.jsonl"
    path.write_bytes('{"q": "caf\xe9"}\n'.encode("latin-1"))
    with pytest.raises(GlobMedError, match="not UTF-8"):
        _rows(path, "jsonl")


def test_compressed_and_utf16_files(tmp_path):
    import bz2
    import gzip
    import lzma

    rows = '{"q": "Which nerve?", "a": "A"}\n{"q": "Quelle dose ?", "a": "B"}\n'
    for suffix, compress in ((".gz", gzip.compress), (".bz2", bz2.compress), (".xz", lzma.compress)):
        path = tmp_path / f"train.jsonl{suffix}"
        path.write_bytes(compress(rows.encode("utf-8")))
        assert [r["q"] for _, r in _rows(path, "jsonl")] == ["Which nerve?", "Quelle dose ?"]
    broken = tmp_path / "broken.jsonl.gz"
    broken.write_bytes(b"not gzip at all")
    with pytest.raises(GlobMedError, match=r"broken\.jsonl\.gz: not a valid gzip file"):
        _rows(broken, "jsonl")
    sheet = tmp_path / "sheet.csv"
    sheet.write_bytes("question\tanswer\nÜbelkeit?\tA\n".encode("utf-16"))  # with its BOM, as spreadsheets write it
    assert _rows(sheet, "tsv") == [(0, {"question": "Übelkeit?", "answer": "A"})]
