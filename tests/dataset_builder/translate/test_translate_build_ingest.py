"""Integration with the builder: `globmed build --sources OUT/sources.yaml` ingests what `globmed translate` wrote.
"""

from __future__ import annotations

import json

import pytest
from translate_helpers import published_rows

from globmed_kit.cli import main

pytestmark = pytest.mark.server


def test_build_ingests_translations(tmp_path, tiny_dataset_dir, mock_server):
    from globmed.data import load_split

    out = tmp_path / "mt"
    with mock_server({"default": "good"}) as server:
        argv = [
            "translate",
            "--dataset",
            str(tiny_dataset_dir),
            "--languages",
            "sw",
            "--out",
            str(out),
            "--base-url",
            server.base_url,
            "--model",
            "mock-mt",
            "--no-progress",
            "--no-review",
        ]
        assert main(argv) == 0
    assert published_rows(out, "sw")
    root = tmp_path / "release"
    assert main(["build", "--sources", str(out / "sources.yaml"), "--languages", "en,sw", "--out", str(root)]) == 0
    report = json.loads((root / "globmed" / "build_report.json").read_text())
    assert report["rows_read"] >= 2 * len(published_rows(out, "sw"))
    english = {
        r["parallel_id"]
        for split in ("train", "validation", "test")
        for r in load_split(root / "globmed", split, language="en")
    }
    swahili = [
        r for split in ("train", "validation", "test") for r in load_split(root / "globmed", split, language="sw")
    ]
    assert swahili, report.get("rejects_by_reason")
    for row in swahili:
        assert row["parallel_id"] in english
        assert row["translation"]["method"] == "machine" and row["translation"]["model"] == "mock-mt"
