"""Against real engines: `transformers serve` (OpenAI-compatible, on loopback) and in-process transformers.

The tiny model has random weights, so it answers garbage: the point is that real replies come back through the
real protocol, are counted, fail the JSON parse, go through the revise round, and end flagged with the reason.
"""

from __future__ import annotations

import json

import pytest
from translate_helpers import english_items, flagged_rows, published_rows

from globmed_kit.cli import main

pytestmark = pytest.mark.server


def _args(dataset, out, *extra):
    return [
        "translate",
        "--dataset",
        str(dataset),
        "--languages",
        "sw",
        "--task",
        "mcqa",
        "--split",
        "test",
        "--limit",
        "2",
        "--out",
        str(out),
        "--rounds",
        "2",
        "--max-tokens",
        "12",
        "--no-progress",
        *extra,
    ]


def _n(dataset, limit=2) -> int:
    n = len(english_items(dataset, tasks=["mcqa"], splits=["test"], limit=limit))
    assert n >= 1
    return n


def test_transformers_serve_garbage_is_flagged(tmp_path, tiny_dataset_dir, tiny_model_dir, transformers_server):
    out = tmp_path / "out"
    assert (
        main(
            _args(
                tiny_dataset_dir,
                out,
                "--base-url",
                f"{transformers_server}/v1",
                "--model",
                str(tiny_model_dir),
                "--timeout",
                "60",
            )
        )
        == 0
    )
    n = _n(tiny_dataset_dir)
    report = json.loads((out / "translate_report.json").read_text())
    assert report["counts"] == {"sw": {"flagged": n}}
    assert report["requests"] == 2 * n  # two rounds per item, each a real completion from the server
    assert report["completion_tokens"] > 0 and report["prompt_tokens"] > 100  # usage reported by the server
    flagged = flagged_rows(out).values()
    assert [f["rounds"] for f in flagged] == [2] * n
    assert all(f["reason"].startswith("malformed_json") for f in flagged)
    assert published_rows(out, "sw") == {}  # flagged rows kept out of the published files


def test_wrong_model_name_is_a_flag_not_a_crash(tmp_path, tiny_dataset_dir, transformers_server):
    out = tmp_path / "out"
    assert main(_args(tiny_dataset_dir, out, "--base-url", f"{transformers_server}/v1", "--model", "not-served")) == 0
    flagged = flagged_rows(out).values()
    assert len(flagged) == _n(tiny_dataset_dir) and all(f["reason"].startswith("backend: HTTP 400") for f in flagged)


def test_in_process_transformers_backend(tmp_path, tiny_dataset_dir, tiny_model_dir):
    out = tmp_path / "out"
    assert (
        main(
            _args(
                tiny_dataset_dir,
                out,
                "--backend",
                "transformers",
                "--model",
                str(tiny_model_dir),
                "--limit",
                "1",
                "--rounds",
                "1",
            )
        )
        == 0
    )
    report = json.loads((out / "translate_report.json").read_text())
    assert report["counts"] == {"sw": {"flagged": _n(tiny_dataset_dir, 1)}} and report["requests"] == 1
    assert report["completion_tokens"] == 12  # max_new_tokens honoured (random weights never stop early)
