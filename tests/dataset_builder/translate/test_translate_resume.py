"""kill -9 in the middle of a run, then run again: nothing lost, nothing redone, same output as one clean run."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from translate_helpers import english_items, published_rows

pytestmark = pytest.mark.server


def _cmd(dataset: Path, out: Path, base_url: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "globmed_kit.cli",
        "-q",
        "translate",
        "--dataset",
        str(dataset),
        "--languages",
        "fr,sw",
        "--out",
        str(out),
        "--base-url",
        base_url,
        "--model",
        "mock-mt",
        "--concurrency",
        "4",
        "--no-progress",
    ]


def _cached(out: Path) -> int:
    db = out / ".cache" / "translate.sqlite"
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return conn.execute("SELECT COUNT(*) FROM results").fetchone()[0]
    except sqlite3.OperationalError:  # table not created yet
        return 0


def _tree(out: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(out)): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and ".cache" not in p.parts and p.name != "translate_report.json"
    }


def test_kill_then_resume(tmp_path, tiny_dataset_dir, mock_server):
    pairs = len(english_items(tiny_dataset_dir)) * 2  # every English item, two languages; 2 requests per good item
    assert pairs > 60
    out = tmp_path / "resumed"
    with mock_server({"default": "good"}, latency=0.05) as server:
        proc = subprocess.Popen(
            _cmd(tiny_dataset_dir, out, server.base_url), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 120
        while _cached(out) < 30 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert proc.poll() is None, f"run ended before it could be killed: {proc.stderr.read()[-2000:]!r}"
        proc.kill()  # SIGKILL: no cleanup, no flush
        proc.wait()
        first = server.stats()["requests"]
    done_before = _cached(out)
    assert 30 <= done_before < pairs
    assert first >= 2 * done_before
    assert not (out / "sources.yaml").exists()  # outputs are written at the end only

    with mock_server({"default": "good"}, latency=0.05) as server:
        subprocess.run(_cmd(tiny_dataset_dir, out, server.base_url), check=True, capture_output=True)
        second = server.stats()["requests"]
    assert second == 2 * (pairs - done_before)  # no finished item redone, every unfinished one done
    assert _cached(out) == pairs

    reference = tmp_path / "reference"
    with mock_server({"default": "good"}) as server:
        subprocess.run(_cmd(tiny_dataset_dir, reference, server.base_url), check=True, capture_output=True)
        assert server.stats()["requests"] == 2 * pairs
    resumed, clean = _tree(out), _tree(reference)
    assert len(clean) > 3 and {"sources.yaml", "flagged.json"} <= set(clean)
    assert resumed == clean
    # every task came through: NLI labels stay canonical English, lfqa has no options, mcqa answers its option
    assert json.loads(clean["flagged.json"]) == []
    items = {(i.source, i.source_id): i for i in english_items(tiny_dataset_dir)}
    for (source, row_id), row in published_rows(reference, "sw").items():
        item = items[(source, row_id)]
        assert row["answer_index"] == item.answer_index
        if item.task == "nli":
            assert row["options"] == list(item.options) == ["entailment", "neutral", "contradiction"]
            assert row["answer"] == item.answer and row["question"] != item.unit["question"]
        elif item.task == "lfqa":
            assert row["options"] == [] and row["answer"] != item.answer
        else:
            assert row["answer"] == row["options"][row["answer_index"]]
    assert len(published_rows(reference, "sw")) == len(items)
