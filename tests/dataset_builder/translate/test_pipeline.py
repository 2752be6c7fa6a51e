"""End to end against the scripted OpenAI-compatible server: good replies, and every kind of bad behaviour."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from globmed.cli import main

pytestmark = pytest.mark.server

SECRET = "sk-test-DO-NOT-LEAK-5f2c"

MODES = {
    "train-0 ": "good",
    "train-1 ": "malformed",
    "train-2 ": "bad_then_good",
    "train-3 ": "error500",
    "train-4 ": "flaky429",
    "train-5 ": "flaky500",
    "train-6 ": "slow",
    "train-7 ": "garbage_http",
    "train-8 ": "wrong_language",
    "train-9 ": "review_revise",
    "train-10 ": "good",
    "train-11 ": "good",
}
SCRIPT = {
    "default": "good",
    "slow_s": 3,
    "fail_first": 2,
    "rules": [{"match": k.replace(" ", " for mcqa"), "mode": v} for k, v in MODES.items()],
}


def _config(tmp_path: Path, server, **pipeline) -> Path:
    path = tmp_path / "mt.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "backend": {
                    "base_url": server.base_url,
                    "model": "mock-mt",
                    "api_key_env": "GLOBMED_TEST_KEY",
                    "concurrency": 6,
                    "timeout_s": 0.6,
                    "max_retries": 2,
                    "backoff_base_s": 0.01,
                    "backoff_max_s": 0.05,
                },
                "pipeline": {"rounds": 2, **pipeline},
                "prices": {"mock-mt": {"input_per_million": 1.0, "output_per_million": 2.0}},
            }
        )
    )
    return path


def test_bad_server_behaviour_is_retried_then_flagged(tmp_path, tiny_dataset_dir, mock_server, monkeypatch, capfd):
    monkeypatch.setenv("GLOBMED_TEST_KEY", SECRET)
    out = tmp_path / "out"
    with mock_server(SCRIPT) as server:
        argv = [
            "translate",
            "--config",
            str(_config(tmp_path, server)),
            "--dataset",
            str(tiny_dataset_dir),
            "--languages",
            "sw",
            "--task",
            "mcqa",
            "--split",
            "train",
            "--out",
            str(out),
            "--no-progress",
        ]
        assert main(argv) == 0
        stats = server.stats()

    rows = json.loads((out / "GlobMed_mcqasrc/sw/train.json").read_text())
    flagged = {f["id"]: f for f in json.loads((out / "flagged.json").read_text())}
    accepted = {r["id"]: r for r in rows}
    assert set(accepted) == {"train-0", "train-2", "train-4", "train-5", "train-10", "train-11"}
    assert set(flagged) == {"train-1", "train-3", "train-6", "train-7", "train-8", "train-9"}  # nothing dropped
    assert len(json.loads((out / "GlobMed_mcqasrc/en/train.json").read_text())) == 12

    assert "malformed_json" in flagged["train-1"]["reason"] and flagged["train-1"]["rounds"] == 2
    assert flagged["train-3"]["reason"] == "backend: HTTP 500 after 3 attempts"
    assert flagged["train-6"]["reason"].startswith("backend: timeout after 0.6s after 3 attempts")
    assert "not a chat completion" in flagged["train-7"]["reason"]
    assert "wrong_language" in flagged["train-8"]["reason"] and "expected Swahili" in flagged["train-8"]["reason"]
    assert "reviewer" in flagged["train-9"]["reason"] and "term mistranslated" in flagged["train-9"]["reason"]
    assert all(f["verdict"] == "flagged" and not f["in_published_files"] for f in flagged.values())

    assert accepted["train-2"]["translation"]["rounds"] == 2  # malformed once, then revised
    assert accepted["train-0"]["translation"]["rounds"] == 1
    by_key = stats["by_key"]
    assert by_key["en question train-4 for mcqa?"] == 6  # translate and review: two 429s then a success each
    assert by_key["en question train-5 for mcqa?"] == 6
    assert by_key["en question train-3 for mcqa?"] == 3  # 1 try + 2 retries, then given up
    for row in rows:  # provenance and the answer still pointing at its option
        info = row["translation"]
        assert info["method"] == "machine" and info["model"] == "mock-mt" and info["verdict"] == "accepted"
        assert info["checks"]["language_id"] == "pass" and info["review_score"] == 0.95 and info["qc_score"] == 1.0
        assert row["answer"] == row["options"][row["answer_index"]]
    report = json.loads((out / "translate_report.json").read_text())
    assert report["counts"]["sw"] == {"accepted": 6, "flagged": 6}
    assert report["estimated_cost_usd"] > 0 and report["prompt_tokens"] > 0

    # the key went to the server, and nowhere else
    assert stats["auth"] == {f"Bearer {SECRET}": stats["requests"]}
    captured = capfd.readouterr()
    assert SECRET not in captured.out + captured.err
    for path in out.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path

    sources = yaml.safe_load((out / "sources.yaml").read_text())["sources"]
    assert sources == [
        {
            "id": "mcqasrc",
            "name": "mcqasrc",
            "task": "mcqa",
            "license": "CC-BY-4.0",
            "citation": "",
            "homepage": "",
            "format": "json",
            "path": "GlobMed_mcqasrc",
            "files": "{lang}/{split}.json",
            "languages": ["en", "sw"],
            "splits": {"train": "train"},
            "adapter": "globmed_native",
            "translation": {"method": "machine", "model": "mock-mt"},
        }
    ]

    # second run with --include-flagged: cached items are not requested again; backend failures are retried
    with mock_server({**SCRIPT, "default": "good", "rules": []}) as server:
        cfg = _config(tmp_path, server)
        assert main([*argv[:2], str(cfg), *argv[3:], "--include-flagged"]) == 0
        again = server.stats()
    uncached = {"en question train-3 for mcqa?", "en question train-6 for mcqa?", "en question train-7 for mcqa?"}
    assert set(again["by_key"]) == uncached  # only the backend failures, now answered well
    rows = {r["id"]: r for r in json.loads((out / "GlobMed_mcqasrc/sw/train.json").read_text())}
    assert rows["train-9"]["translation"]["verdict"] == "flagged"  # included, and marked
    assert "train-1" not in rows  # never produced a translation: only in flagged.json
    assert {"train-3", "train-6", "train-7"} <= {
        k for k, r in rows.items() if r["translation"]["verdict"] == "accepted"
    }


def test_glossary_terms_reach_the_prompt_and_are_checked(tmp_path, tiny_dataset_dir, mock_server):
    glossary = tmp_path / "g.tsv"
    glossary.write_text("question\tyo\tìbéèrè\noption\tyo\tàṣàyàn\n", encoding="utf-8")
    out = tmp_path / "out"
    with mock_server({"default": "good"}) as server:
        assert (
            main(
                [
                    "translate",
                    "--dataset",
                    str(tiny_dataset_dir),
                    "--languages",
                    "yo",
                    "--task",
                    "mcqa",
                    "--split",
                    "test",
                    "--limit",
                    "2",
                    "--out",
                    str(out),
                    "--base-url",
                    server.base_url,
                    "--model",
                    "m",
                    "--glossary",
                    str(glossary),
                    "--no-progress",
                    "--no-review",
                ]
            )
            == 0
        )
        assert server.stats()["by_task"] == {"translate": 2}  # --no-review: one request per item
    rows = json.loads((out / "GlobMed_mcqasrc/yo/test.json").read_text())
    assert len(rows) == 2
    assert all("ìbéèrè" in r["question"] and r["translation"]["checks"]["terminology"] == "pass" for r in rows)


def test_backtranslation_chrf(tmp_path, tiny_dataset_dir, mock_server):
    out = tmp_path / "out"
    with mock_server({"default": "good"}) as server:
        assert (
            main(
                [
                    "translate",
                    "--dataset",
                    str(tiny_dataset_dir),
                    "--languages",
                    "de",
                    "--task",
                    "lfqa",
                    "--split",
                    "validation",
                    "--limit",
                    "1",
                    "--out",
                    str(out),
                    "--base-url",
                    server.base_url,
                    "--model",
                    "m",
                    "--backtranslate",
                    "--no-progress",
                ]
            )
            == 0
        )
    (row,) = json.loads((out / "GlobMed_lfqasrc/de/validation.json").read_text())
    info = row["translation"]
    assert info["checks"]["backtranslation"] == "pass"
    assert 0 < info["chrf"] < 1 and info["qc_score"] == info["chrf"]
    assert row["options"] == [] and row["answer_index"] == -1 and row["answer"]
