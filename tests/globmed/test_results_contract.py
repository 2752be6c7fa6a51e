"""The results contract (globmed/results.py): every crafted payload of issue 12 is refused in one line naming the
JSON path; valid runs round-trip; runs built in code obey the same rules; ModelInfo still makes `bench` flags."""

from __future__ import annotations

import argparse
import copy
import json
import random

import pytest
from pydantic import ValidationError
from support.synthetic_runs import make_run

from globmed.cli_args import FlagSet
from globmed.errors import GlobMedError
from globmed.results import ModelInfo, RunResult, TaskResult, model_info


@pytest.fixture
def valid() -> dict:
    data = make_run(2, random.Random(3))
    data["results"]["sw-mcqa"]["by_source"] = {"medqa": {"acc": 0.5, "n": 10}}
    return data


def nest(depth: int) -> dict:
    value: dict = {}
    for _ in range(depth):
        value = {"a": value}
    return value


def set_path(data: dict, path: str, value) -> str:
    """The document with `path` ('a.b.c') set to `value`, as JSON text (a raw value when given as bytes)."""
    node = data
    *parents, last = path.split(".")
    for key in parents:
        node = node[key]
    if isinstance(value, bytes):  # JSON text written as is: 1e999, NaN, a lone surrogate escape
        node[last] = "@@RAW@@"
        return json.dumps(data).replace('"@@RAW@@"', value.decode())
    node[last] = value
    return json.dumps(data)


# (path set, value, the start of the one-line message after "upload: ")
CRAFTED = [
    ("results.sw-mcqa.metrics.acc", "0.5", "results.sw-mcqa.metrics.acc: Input should be a valid number (got string)"),
    ("results.sw-mcqa.n", "200", "results.sw-mcqa.n: Input should be a valid integer (got string)"),
    ("model.size_b", "8", "model.size_b: Input should be a valid number (got string)"),
    ("model.name", ["Qwen3"], "model.name: Input should be a valid string (got array)"),
    ("results.sw-mcqa.language", ["sw"], "results.sw-mcqa.language: Input should be a valid string (got array)"),
    ("model.name", 7, "model.name: Input should be a valid string (got integer)"),
    ("results.sw-mcqa.by_source", [0.5], "results.sw-mcqa.by_source: Input should be an object (got array)"),
    ("results.sw-mcqa.by_source", {"medqa": "0.5"}, "results.sw-mcqa.by_source.medqa: Input should be an object"),
    ("results.sw-mcqa.by_source", {"medqa": {"acc": 2}}, "results.sw-mcqa.by_source.medqa.acc: must be a score"),
    ("results.sw-mcqa.by_source", {"medqa": {"acc": 0.5, "n": 9.5}}, "results.sw-mcqa.by_source.medqa.n: must"),
    ("aggregates.ci", [0.1, 0.2], "aggregates.ci: Input should be an object (got array)"),
    ("aggregates.ci", {"overall": 0.5}, "aggregates.ci.overall: Input should be a valid array (got number)"),
    ("aggregates.ci", {"overall": [0.5]}, "aggregates.ci.overall: List should have at least 2 items"),
    ("aggregates.ci", {"overall": ["0.1", 0.2]}, "aggregates.ci.overall[0]: Input should be a valid number"),
    ("aggregates.ci", {"overall": [0.1, 1.5]}, "aggregates.ci.overall[1]: Input should be less than or equal to 1"),
    ("aggregates.ci.overall", b"[0.1, 1e999]", "aggregates.ci.overall[1]: inf is not a finite number"),
    ("aggregates.ci", {"per_language": {"sw": [0.9, 0.1]}}, "aggregates.ci.per_language.sw: must be [low, high]"),
    ("aggregates.per_language", [0.5], "aggregates.per_language: Input should be an object (got array)"),
    ("aggregates.per_language", {"sw": "0.5"}, "aggregates.per_language.sw: Input should be a valid number"),
    ("aggregates.per_task", 99, "aggregates.per_task: Input should be an object (got integer)"),
    ("aggregates.per_task", {"mcqa": 99}, "aggregates.per_task.mcqa: Input should be less than or equal to 1"),
    ("aggregates.overall", b"1e999", "aggregates.overall: inf is not a finite number"),
    ("results.sw-mcqa.metrics.acc", b"1e999", "results.sw-mcqa.metrics.acc: inf is not a finite number"),
    ("results.sw-mcqa.metrics.acc", b"NaN", "results.sw-mcqa.metrics.acc: nan is not a finite number"),
    ("results.sw-mcqa.n", b"9" * 400, "results.sw-mcqa.n: an integer of 400 digits is out of range"),
    ("config.limit", b"9" * 400, "config.limit: an integer of 400 digits is out of range"),
    ("config.extra", nest(600), "config.extra.a.a.a.a.…(25 more)….a.a: nested deeper than 32 levels"),
    ("model.name", b'"\\ud800"', "model.name: holds a lone surrogate"),
    ("provenance.environment", {"\ud800": 1}, "provenance.environment: a key holds a lone surrogate"),
    ("model.link", "https://huggingface.co/x)![t](http://evil/a.png)", "model.link: holds characters a URL may not"),
    ("model.link", "http://huggingface.co/Qwen/Qwen3-8B", "model.link: must be an https:// URL"),
    ("model.type", "closed", "model.type: must be one of proprietary, open, medical, globmed (got 'closed')"),
    ("results.sw-mcqa.metrics", {"acc": 0.5, "acc_ci_low": 0.4}, "results.sw-mcqa.metrics: acc_ci_low needs acc "
                                                                 "and acc_ci_high beside it"),
    ("results.sw-mcqa.metrics", {"acc": 0.5, "f1_ci_low": 0.4, "f1_ci_high": 0.6}, "results.sw-mcqa.metrics: "
                                                                                  "f1_ci_low needs f1 and"),
    ("results.sw-mcqa.metrics", {"acc": 0.5, "acc_ci_high": 0.6}, "results.sw-mcqa.metrics: acc_ci_high needs acc "
                                                                  "and acc_ci_low beside it"),
    ("results.sw-mcqa.metrics", {"acc": 0.5, "f1": 0.5, "f1_ci_low": 0.6, "f1_ci_high": 0.4},
     "results.sw-mcqa.metrics: f1_ci_low is above f1_ci_high"),
    ("results.sw-mcqa.unparsed", 900, "results.sw-mcqa.unparsed: is more than n (200)"),
    ("results.sw-mcqa.primary_metric", "f1", "results.sw-mcqa.metrics: lacks the primary metric 'f1'"),
    ("results.sw-mcqa.task", "nli", "results.sw-mcqa: must be named sw-nli"),
    ("run_id", "../../etc/passwd", "run_id: must be 1-200 letters"),
    ("schema_version", True, "schema_version: Input should be a valid integer (got boolean)"),
    ("model.owner", "me", "model.owner: Unexpected keyword argument"),
]


@pytest.mark.parametrize(("path", "value", "message"), CRAFTED, ids=[f"{p}={str(v)[:30]}" for p, v, _ in CRAFTED])
def test_crafted_payloads_are_refused_in_one_line_naming_the_path(valid, path, value, message):
    with pytest.raises(GlobMedError) as refused:
        RunResult.from_json(set_path(valid, path, value).encode("utf-8"), origin="upload")
    text = str(refused.value)
    assert text.startswith(f"upload: {message}")
    assert "\n" not in text and len(text) <= 320


def test_a_document_round_trips_exactly(valid):
    """What the contract keeps is what was written (plus the defaults of optional keys): no key dropped, no int
    turned into a float (by_source n)."""
    run = RunResult.from_json(json.dumps(valid))
    expected = copy.deepcopy(valid)
    for cell in expected["results"].values():
        cell.setdefault("judge_unparsed", 0)
    assert json.dumps(run.to_dict(), sort_keys=True) == json.dumps(expected, sort_keys=True)
    count = run.results["sw-mcqa"].by_source["medqa"]["n"]
    assert count == 10 and type(count) is int


def test_the_gap_and_its_interval_may_be_negative(valid):
    valid["aggregates"].update(gap=-0.2, ci={"gap": [-0.3, -0.1]})
    assert RunResult.from_dict(valid).aggregates["ci"]["gap"] == [-0.3, -0.1]


def test_runs_built_in_code_obey_the_same_contract():
    with pytest.raises(ValidationError):
        TaskResult(language="sw", task="mcqa", primary_metric="acc", metrics={"acc": 1.5}, n=3)
    with pytest.raises(ValidationError):
        ModelInfo(name="m", size_b="8")
    with pytest.raises(GlobMedError) as refused:
        model_info("roster.yaml: models[0] (m)", name="m", size_b="8")
    assert str(refused.value) == "roster.yaml: models[0] (m): size_b: Input should be a valid number (got string)"


def test_a_run_changed_after_it_was_built_fails_validate(valid):
    run = RunResult.from_dict(valid)
    run.results["sw-mcqa"].metrics["acc"] = 1.2
    with pytest.raises(GlobMedError, match=r"^out\.json: results\.sw-mcqa\.metrics\.acc: "):
        run.validate("out.json")


def test_model_info_still_makes_the_bench_flags():
    parser = argparse.ArgumentParser()
    FlagSet(ModelInfo, "model facts").add_to(parser)
    args = parser.parse_args(["--name", "Qwen3-8B", "--model-type", "medical", "--size-b", "8", "--link",
                              "https://huggingface.co/Qwen/Qwen3-8B"])
    assert vars(args) == {"name": "Qwen3-8B", "type": "medical", "size_b": 8.0,
                          "link": "https://huggingface.co/Qwen/Qwen3-8B"}
    with pytest.raises(SystemExit):
        parser.parse_args(["--model-type", "closed"])


def test_identity_ignores_the_run_id_only(valid):
    first = RunResult.from_dict(valid)
    renamed = copy.deepcopy(valid)
    renamed["run_id"] = "another-run-id"
    assert RunResult.from_dict(renamed).identity() == first.identity()
    for path, value in (("model.revision", "v2"), ("results.sw-mcqa.metrics.acc_ci_high", 0.999)):
        changed = json.loads(set_path(copy.deepcopy(valid), path, value))
        assert RunResult.from_dict(changed).identity() != first.identity()


@pytest.mark.parametrize(("content", "message"), [
    (b"\xff\xfe{}", "not UTF-8 text"),
    (b"[" * 50_000 + b"]" * 50_000, "not valid JSON"),
    (b'{"schema_version": 1}', "model: Field required"),
])
def test_load_names_the_file_in_one_line(tmp_path, content, message):
    path = tmp_path / "run.json"
    path.write_bytes(content)
    with pytest.raises(GlobMedError) as refused:
        RunResult.load(path)
    assert str(refused.value).startswith(f"{path}: {message}") and "\n" not in str(refused.value)
    with pytest.raises(GlobMedError, match="cannot read results JSON"):
        RunResult.load(tmp_path)
