"""`globmed translate` tells the truth in its exit status when the endpoint cannot be reached.

Every request failing for transport reasons (refused, DNS, timeouts after the retries) is a failed run: exit 2,
one line naming the endpoint (redacted), no output written. Some failing that way is a partial run: exit 0, the
outputs written, and a line saying how many pairs got no answer.
"""

from __future__ import annotations

import pytest
from translate_helpers import english_items, flagged_rows, published_rows

from globmed_kit.cli import main

PASSWORD = "pw-unreachable-7c1d"


def _argv(dataset, out, base_url: str, *extra: str) -> list[str]:
    return ["translate", "--dataset", str(dataset), "--languages", "sw", "--task", "mcqa", "--limit", "2",
            "--out", str(out), "--base-url", base_url, "--model", "m", "--no-review", "--rounds", "1",
            "--max-retries", "1", "--backoff-base-s", "0.01", "--backoff-max-s", "0.02", "--no-progress", *extra]


def test_nothing_reached_is_a_failure_naming_the_endpoint(tmp_path, tiny_dataset_dir, free_port_factory, capfd):
    port = free_port_factory()  # nothing listens there: connection refused
    out = tmp_path / "out"
    rc = main(_argv(tiny_dataset_dir, out, f"http://bob:{PASSWORD}@127.0.0.1:{port}/v1?api_key={PASSWORD}"))
    err = capfd.readouterr().err
    assert rc == 2
    lines = [line for line in err.splitlines() if line.startswith("globmed translate: error:")]
    assert len(lines) == 1, err
    pairs = len(english_items(tiny_dataset_dir, tasks=["mcqa"], limit=2))
    assert f"no answer from http://***@127.0.0.1:{port}/v1?api_key=***: all {pairs} item-language pairs" in lines[0]
    assert "ConnectError" in lines[0]
    assert PASSWORD not in err
    assert not (out / "sources.yaml").exists() and not (out / "translate_report.json").exists()


@pytest.mark.server
def test_some_unreachable_is_a_partial_run_that_says_how_many(tmp_path, tiny_dataset_dir, mock_server, capfd):
    items = english_items(tiny_dataset_dir, tasks=["mcqa"], limit=2)
    slow = items[0].unit["question"]
    out = tmp_path / "out"
    with mock_server({"default": "good", "slow_s": 5, "rules": [{"match": slow, "mode": "slow"}]}) as server:
        rc = main(_argv(tiny_dataset_dir, out, server.base_url, "--timeout", "0.5"))
    err = capfd.readouterr().err
    assert rc == 0
    assert f"1 of {len(items)} item-language pairs got no answer from {server.base_url}" in err
    assert set(flagged_rows(out)) == {(items[0].source, items[0].source_id)}
    assert flagged_rows(out)[(items[0].source, items[0].source_id)]["issues"][0]["code"] == "unreachable"
    assert set(published_rows(out, "sw")) == {(i.source, i.source_id) for i in items[1:]}
