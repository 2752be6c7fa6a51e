"""End to end against the scripted OpenAI-compatible server: good replies, and every kind of bad behaviour."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from translate_helpers import english_items, flagged_rows, published_rows

from globmed_kit.cli import main

pytestmark = pytest.mark.server

SECRET = "sk-test-DO-NOT-LEAK-5f2c"

BAD_MODES = [
    "malformed",
    "bad_then_good",
    "error500",
    "flaky429",
    "flaky500",
    "slow",
    "garbage_http",
    "wrong_language",
    "review_revise",
]
ACCEPTED_MODES = {"good", "bad_then_good", "flaky429", "flaky500"}


def _script(items) -> dict:
    """One misbehaviour per item for the first items (matched on the English question), the rest answered well."""
    modes = {item.unit["question"]: mode for item, mode in zip(items, BAD_MODES, strict=False)}
    return {
        "default": "good",
        "slow_s": 5,
        "fail_first": 2,
        "rules": [{"match": q, "mode": m} for q, m in modes.items()],
    }, modes


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
                    "timeout_s": 1.5,
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
    items = english_items(tiny_dataset_dir, tasks=["mcqa"])
    assert len(items) > len(BAD_MODES)
    script, modes = _script(items)
    mode_of = {(i.source, i.source_id): modes.get(i.unit["question"], "good") for i in items}
    out = tmp_path / "out"
    with mock_server(script) as server:
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
            "--out",
            str(out),
            "--no-progress",
        ]
        assert main(argv) == 0
        stats = server.stats()

    accepted, flagged = published_rows(out, "sw"), flagged_rows(out)
    assert set(accepted) == {k for k, m in mode_of.items() if m in ACCEPTED_MODES}
    assert set(flagged) == {k for k, m in mode_of.items() if m not in ACCEPTED_MODES}
    assert len(published_rows(out, "en")) == len(items)  # English kept whole; nothing dropped
    by_mode = {m: k for k, m in mode_of.items() if m != "good"}

    assert "malformed_json" in flagged[by_mode["malformed"]]["reason"] and flagged[by_mode["malformed"]]["rounds"] == 2
    assert flagged[by_mode["error500"]]["reason"] == "backend: HTTP 500 after 3 attempts"
    assert flagged[by_mode["slow"]]["reason"] == "backend: timeout after 1.5s after 3 attempts"
    assert "not the expected response" in flagged[by_mode["garbage_http"]]["reason"]
    wrong = flagged[by_mode["wrong_language"]]["reason"]
    assert "wrong_language" in wrong and "expected Swahili" in wrong
    review = flagged[by_mode["review_revise"]]["reason"]
    assert review.startswith("reviewer") and "term mistranslated" in review
    assert all(f["verdict"] == "flagged" and not f["in_published_files"] for f in flagged.values())

    assert accepted[by_mode["bad_then_good"]]["translation"]["rounds"] == 2  # malformed once, then revised
    by_key = stats["by_key"]
    question = {k: i.unit["question"] for i in items for k in [(i.source, i.source_id)]}
    assert by_key[question[by_mode["flaky429"]]] == 6  # translate and review: two 429s then a success each
    assert by_key[question[by_mode["flaky500"]]] == 6
    assert by_key[question[by_mode["error500"]]] == 3  # 1 try + 2 retries, then given up
    for key, row in accepted.items():  # provenance, and the answer still pointing at its option
        info = row["translation"]
        assert info["method"] == "machine" and info["model"] == "mock-mt" and info["verdict"] == "accepted"
        assert info["checks"]["language_id"] == "pass" and info["review_score"] == 0.95 and info["qc_score"] == 1.0
        assert row["answer"] == row["options"][row["answer_index"]]
        assert info["rounds"] == (2 if mode_of[key] == "bad_then_good" else 1)
    report = json.loads((out / "translate_report.json").read_text())
    assert report["counts"]["sw"] == {"accepted": len(accepted), "flagged": len(flagged)}
    assert report["estimated_cost_usd"] > 0 and report["prompt_tokens"] > 0

    # the key went to the server, and nowhere else
    assert stats["auth"] == {f"Bearer {SECRET}": stats["requests"]}
    captured = capfd.readouterr()
    assert SECRET not in captured.out + captured.err
    for path in out.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path

    sources = yaml.safe_load((out / "sources.yaml").read_text())["sources"]
    assert sorted(e["id"] for e in sources) == sorted({i.source for i in items})
    for entry in sources:
        assert entry["adapter"] == "globmed_native" and entry["languages"] == ["en", "sw"]
        assert entry["path"] == f"GlobMed_{entry['id']}" and entry["files"] == "{lang}/{split}.json"
        assert entry["task"] == "mcqa" and entry["translation"] == {"method": "machine", "model": "mock-mt"}
        for split in entry["splits"]:
            assert (out / entry["path"] / "sw" / f"{split}.json").is_file()

    # second run with --include-flagged: cached items are not requested again; backend failures are retried
    with mock_server({"default": "good"}) as server:
        cfg = _config(tmp_path, server)
        assert main([*argv[:2], str(cfg), *argv[3:], "--include-flagged"]) == 0
        again = server.stats()
    backend_failed = [by_mode[m] for m in ("error500", "slow", "garbage_http")]
    assert set(again["by_key"]) == {question[k] for k in backend_failed}  # only those, now answered well
    rows = published_rows(out, "sw")
    assert rows[by_mode["review_revise"]]["translation"]["verdict"] == "flagged"  # included, and marked
    assert by_mode["malformed"] not in rows  # never produced a translation: only in flagged.json
    assert all(rows[k]["translation"]["verdict"] == "accepted" for k in backend_failed)


def test_glossary_terms_reach_the_prompt_and_are_checked(tmp_path, tiny_dataset_dir, mock_server):
    items = english_items(tiny_dataset_dir, tasks=["mcqa"], limit=1)
    word = next(w for w in items[0].unit["question"].split() if w.isalpha() and len(w) >= 4)
    glossary = tmp_path / "g.tsv"
    glossary.write_text(f"{word}\tyo\tìbéèrè-{word.lower()}\n", encoding="utf-8")
    out = tmp_path / "out"
    with mock_server({"default": "good"}) as server:
        argv = [
            "translate",
            "--dataset",
            str(tiny_dataset_dir),
            "--languages",
            "yo",
            "--task",
            "mcqa",
            "--limit",
            "1",
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
        assert main(argv) == 0
        assert server.stats()["by_task"] == {"translate": len(items)}  # --no-review: one request per item
    rows = published_rows(out, "yo")
    assert len(rows) == len(items)
    first = rows[(items[0].source, items[0].source_id)]
    assert f"ìbéèrè-{word.lower()}" in first["question"]
    assert first["translation"]["checks"]["terminology"] == "pass"


def test_backtranslation_chrf(tmp_path, tiny_dataset_dir, mock_server):
    out = tmp_path / "out"
    with mock_server({"default": "good"}) as server:
        argv = [
            "translate",
            "--dataset",
            str(tiny_dataset_dir),
            "--languages",
            "de",
            "--task",
            "lfqa",
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
        assert main(argv) == 0
    rows = published_rows(out, "de")
    assert rows
    for row in rows.values():
        info = row["translation"]
        assert info["checks"]["backtranslation"] == "pass"
        assert 0 < info["chrf"] < 1 and info["qc_score"] == info["chrf"]
        assert row["options"] == [] and row["answer_index"] == -1 and row["answer"]
