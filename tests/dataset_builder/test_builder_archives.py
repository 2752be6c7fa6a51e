"""Zip members as source files (`archive:` + `members:`), read in place, and the YAML keys around them
(`archive`, `members`, `local`, `access`, `hub_license`)."""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dataset_builder.pipeline import run_build
from dataset_builder.readers import Member, open_member, read_rows
from dataset_builder.sources import load_sources
from globmed.errors import GlobMedError

ROWS = [{"q": "Which nerve supplies the diaphragm?", "a": "B"}, {"q": "Which bone is longest?", "a": "A"}]


def _parquet(rows: list[dict]) -> bytes:
    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows), sink)
    return sink.getvalue()


def _jsonl(rows: list[dict]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode("utf-8")


MEMBERS = {
    "top/q.jsonl": _jsonl(ROWS),
    "top/q.jsonl.gz": gzip.compress(_jsonl(ROWS)),
    "top/q.json": json.dumps({"exams": {"E1": {"data": ROWS[:1]}, "E2": {"data": ROWS[1:]}}}).encode(),
    "top/q.csv": b"q,a\r\nWhich nerve supplies the diaphragm?,B\r\nWhich bone is longest?,A\r\n",
    "top/q.parquet": _parquet(ROWS),
}


@pytest.fixture
def archive(tmp_path) -> Path:
    path = tmp_path / "data.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("top/", b"")
        for name, data in MEMBERS.items():
            zipped.writestr(name, data)
    return path


@pytest.mark.parametrize(("member", "fmt", "records"), [
    ("top/q.jsonl", "jsonl", None), ("top/q.jsonl.gz", "jsonl", None), ("top/q.json", "json", "exams.{exam}.data"),
    ("top/q.csv", "csv", None), ("top/q.parquet", "parquet", None),
])
def test_every_format_reads_from_a_member_in_place(archive, member, fmt, records):
    rows = [row for _, row in read_rows(open_member(archive, member), fmt, None, records)]
    assert [(row["q"], row["a"]) for row in rows] == [(r["q"], r["a"]) for r in ROWS]
    assert sorted(p.name for p in archive.parent.iterdir()) == ["data.zip"]  # nothing extracted


def test_member_patterns_and_one_line_errors(archive, tmp_path):
    assert open_member(archive, "*/q.parquet") == Member(archive, "top/q.parquet")  # a glob naming one member
    with pytest.raises(GlobMedError, match=r"data\.zip: 2 members match '\*/q\.json\?\*' \(top/q\.jsonl, "
                                           r"top/q\.jsonl\.gz\); make the members pattern name one"):
        open_member(archive, "*/q.json?*")
    with pytest.raises(GlobMedError) as err:
        open_member(archive, "top/q.tsv")
    message = str(err.value)
    assert "\n" not in message and message.startswith(f"{archive}: no member 'top/q.tsv' in the archive (members")
    assert "more)" not in message and all(name in message for name in MEMBERS)  # five members: all named
    many = tmp_path / "many.zip"
    with zipfile.ZipFile(many, "w") as zipped:
        for i in range(12):
            zipped.writestr(f"data/part{i:02d}.jsonl", b"{}\n")
    with pytest.raises(GlobMedError, match=r"no member 'data/part12\.jsonl' in the archive \(members, closest "
                                           r"first: (data/part\d\d\.jsonl, ){4}data/part\d\d\.jsonl and 7 more\)$"):
        open_member(many, "data/part12.jsonl")
    not_zip = tmp_path / "fake.zip"
    not_zip.write_text("not a zip")
    with pytest.raises(GlobMedError, match=r"fake\.zip: not a readable zip archive"):
        open_member(not_zip, "x.jsonl")


def _yaml(tmp_path: Path, entry: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text("sources:\n  - {id: s, task: mcqa, " + entry + ", fields: {question: q, options: [o1, o2], "
                    "answer: a}}\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(("entry", "message"), [
    ("path: ., archive: d.zip", "archive and members go together"),
    ("path: ., members: a.jsonl", "archive and members go together"),
    ("path: ., archive: d.zip, members: a.jsonl, files: a.jsonl", "with archive, members names the files inside it"),
    ("path: ., archive: d.zip, members: a.txt", "missing required key 'format' (the member names do not say it"),
    ("path: ., format: jsonl, files: a.jsonl, access: secret", "access must be one of open, gated, credentialed"),
    ("local: {give: x}, format: jsonl, files: a.jsonl", "local: missing required key 'get'"),
    ("path: ., local: {get: x}, format: jsonl, files: a.jsonl", "give exactly one of path, hub or local"),
])
def test_archive_and_local_keys_checked_when_loaded(tmp_path, entry, message):
    with pytest.raises(GlobMedError, match=message.replace("(", r"\(")):
        load_sources(_yaml(tmp_path, entry))


def test_format_from_member_names_and_a_local_archive_source(tmp_path):
    (spec,), _ = load_sources(_yaml(tmp_path, "hub: {repo: o/n}, archive: d.zip, members: 'x/{split}.jsonl.gz', "
                                              "splits: {test: test}, hub_license: cc-by-4.0, access: gated"))
    assert (spec.format, spec.archive, spec.hub_license, spec.access) == ("jsonl", "d.zip", "cc-by-4.0", "gated")
    (task,) = spec.files_to_read(["en"])
    assert (task.relpath, task.member, task.label) == ("d.zip", "x/test.jsonl.gz", "d.zip/x/test.jsonl.gz")


def test_local_archive_source_builds_from_the_zip_given(tmp_path):
    """A `local:` source with an archive: the user's zip (any name) is read; rows count as from its members."""
    rows = [{"q": f"Which artery supplies region {i} of the heart muscle?", "o1": f"left {i}", "o2": f"right {i}",
             "a": "A"} for i in range(3)]
    download = tmp_path / "downloads" / "release-1.0.zip"
    download.parent.mkdir()
    with zipfile.ZipFile(download, "w") as zipped:
        zipped.writestr("release-1.0/test.jsonl", _jsonl(rows))
    path = _yaml(tmp_path, "local: {get: 'https://example.org/x (sign the agreement)'}, archive: x.zip, "
                           "members: '*/{split}.jsonl', splits: {test: test}, access: credentialed")
    expected = (r"1 source\(s\) have files the kit cannot fetch: s \(s, credentialed\): https://example\.org/x "
                r"\(sign the agreement\); pass --local '\{s: PATH\}'")
    with pytest.raises(GlobMedError, match=expected):
        run_build(path, tmp_path / "rel", progress=False)
    result = run_build(path, tmp_path / "rel", {"local": {"s": str(download)}}, progress=False)
    assert result.report["rows_kept"] == 3 and result.report["missing_sources"] == []
    assert result.report["sources"][0]["access"] == "credentialed"
    manifest = json.loads((result.out / "MANIFEST.json").read_text(encoding="utf-8"))
    assert list(manifest["inputs"]["files"]) == ["s/release-1.0.zip/release-1.0/test.jsonl"]
