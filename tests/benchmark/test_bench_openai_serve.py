"""The OpenAI-compatible path against a real `transformers serve` on loopback, and the response cache."""

from __future__ import annotations

import pytest

from benchmark.backends import BackendConfig, Request, make_backend

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def server(transformers_server):
    return f"{transformers_server}/v1"


def test_generation_through_the_server_and_cache(server, tiny_model_dir, tmp_path):
    cache = tmp_path / "responses.sqlite"
    config = BackendConfig(
        model=str(tiny_model_dir),
        base_url=server,
        api_key_env=None,
        concurrency=4,
        cache_path=str(cache),
        chat_template="off",
    )  # /v1/completions
    requests = [Request(prompt=f"Question: item {i}?\nAnswer:", max_new_tokens=6) for i in range(5)]
    first = make_backend("openai", config)
    outputs = first.generate(requests)
    first.close()
    assert first.requests_sent == 5 and all(isinstance(o, str) and o for o in outputs)
    local = make_backend("transformers", BackendConfig(model=str(tiny_model_dir), device="cpu", chat_template="off"))
    assert outputs == local.generate(requests)  # the server's greedy completion equals ours
    second = make_backend("openai", config)
    again = second.generate(requests)
    second.close()
    assert second.requests_sent == 0 and again == outputs  # a rerun costs nothing


def test_chat_completions_match_local_chat_generation(server, tiny_model_dir):
    config = BackendConfig(model=str(tiny_model_dir), base_url=server, api_key_env=None)
    requests = [Request(prompt=f"Swali: kipengee {i}?\nJibu:", max_new_tokens=6) for i in range(3)]
    api = make_backend("openai", config)
    outputs = api.generate(requests)
    local = make_backend("transformers", BackendConfig(model=str(tiny_model_dir), device="cpu"))
    # the server trims whitespace around chat message content
    assert outputs == [o.strip() for o in local.generate(requests)]


def test_cli_openai_backend_end_to_end(server, tiny_model_dir, tiny_dataset_dir, tmp_path):
    from globmed.results import RunResult
    from globmed_kit.cli import main

    args = [
        "bench",
        "--model",
        str(tiny_model_dir),
        "--name",
        "tiny-api",
        "--backend",
        "openai",
        "--base-url",
        server,
        "--api-key-env",
        "",
        "--dataset",
        str(tiny_dataset_dir),
        "--languages",
        "en,sw",
        "--tasks",
        "mcqa,lfqa",
        "--limit",
        "3",
        "--max-new-tokens",
        "6",
        "--out",
        str(tmp_path),
        "--judge-model",
        str(tiny_model_dir),
        "--judge-base-url",
        server,
        "--judge-api-key-env",
        "",
        "--resamples",
        "100",
    ]
    assert main(args) == 0
    (path,) = tmp_path.glob("*.json")
    run = RunResult.load(path)
    assert run.config["scoring"] == "generate" and run.config["backend"] == "openai"
    assert run.results["en-mcqa"].n == 3 and 0 <= run.results["en-mcqa"].unparsed <= 3
    assert (tmp_path / ".cache" / "responses.sqlite").is_file()
    judge = run.config["judge"]
    assert judge["model"] == str(tiny_model_dir) and "Rating: N" in judge["prompt"]
    lfqa = run.results["sw-lfqa"]
    assert "judge" in lfqa.metrics and 0 <= lfqa.judge_unparsed <= lfqa.n == 3


@pytest.mark.parametrize(
    ("reply", "expected"),
    [("Rating: 5", 1.0), ("**Rating:** 3", 0.5), ("1", 0.0), ("Score = 4\nRating: 2", 0.25), ("great answer", None)],
)
def test_parse_rating(reply, expected):
    from benchmark.judge import parse_rating

    assert parse_rating(reply) == expected
