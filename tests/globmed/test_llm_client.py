"""The kernel's endpoint client against a real HTTP server on loopback, its config, and the event-stream parser."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import ClassVar

import pytest

from globmed.errors import GlobMedError
from globmed.llm_chat import CHAT_CLIENTS, GREEDY, ChatSettings, ModelCallError, make_chat_client
from globmed.llm_client import EndpointClient, parse_sse
from globmed.llm_config import BackendConfig


class _Completions(BaseHTTPRequestHandler):
    """Chat completions: the model name picks the behaviour; records requests and the most seen at once."""

    seen: ClassVar[list[dict]] = []
    in_flight: ClassVar[int] = 0
    most_in_flight: ClassVar[int] = 0
    lock = threading.Lock()

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        cls = type(self)
        with cls.lock:
            cls.seen.append({"body": body, "auth": self.headers.get("Authorization")})
            attempt = sum(1 for s in cls.seen if s["body"]["messages"] == body["messages"])
            cls.in_flight += 1
            cls.most_in_flight = max(cls.most_in_flight, cls.in_flight)
        time.sleep(0.02)
        with cls.lock:
            cls.in_flight -= 1
        if body["model"] == "refuses":
            return self._reply(400, {"error": "no such model"})
        if body["model"] == "flaky" and attempt == 1:
            return self._reply(503, {"error": "busy"})
        message = {"role": "assistant", "content": f"re: {body['messages'][-1]['content']}"}
        usage = {} if body["model"] == "no-usage" else {"prompt_tokens": 11, "completion_tokens": 3}
        self._reply(200, {"choices": [{"message": message}], "usage": usage})

    def _reply(self, status: int, data: dict) -> None:
        payload = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def server(loopback_http):
    _Completions.seen.clear()
    _Completions.most_in_flight = 0
    return f"{loopback_http(_Completions)}/v1"


def _chats(config: BackendConfig, n: int, settings: ChatSettings = GREEDY):
    async def go():
        client = make_chat_client("openai", config)
        try:
            results = await asyncio.gather(
                *(client.chat([{"role": "user", "content": f"q{i}"}], settings=settings) for i in range(n))
            )
        finally:
            await client.aclose()
        return results, client.requests

    return asyncio.run(go())


@pytest.mark.server
def test_pool_bounds_requests_in_flight_and_reads_usage(server, monkeypatch):
    monkeypatch.setenv("GLOBMED_TEST_KEY", "sk-local")
    config = BackendConfig(model="m", base_url=server, api_key_env="GLOBMED_TEST_KEY", concurrency=3)
    results, requests = _chats(config, 12, ChatSettings(max_tokens=7, json_mode=True))
    assert [r.text for r in results] == [f"re: q{i}" for i in range(12)]
    assert {(r.prompt_tokens, r.completion_tokens, r.attempts) for r in results} == {(11, 3, 1)}
    assert requests == 12 and 1 < _Completions.most_in_flight <= 3
    body = _Completions.seen[0]["body"]
    assert body["max_tokens"] == 7 and body["response_format"] == {"type": "json_object"} and not body["stream"]
    assert {s["auth"] for s in _Completions.seen} == {"Bearer sk-local"}


@pytest.mark.server
def test_retries_then_succeeds_refusals_fail_at_once_and_usage_is_estimated(server):
    fast = {"base_url": server, "max_retries": 2, "backoff_base_s": 0.001, "backoff_max_s": 0.01}
    results, requests = _chats(BackendConfig(model="flaky", **fast), 2)
    assert [r.attempts for r in results] == [2, 2] and requests == 4
    with pytest.raises(ModelCallError, match=r"HTTP 400: .*no such model.*\(not retried\)"):
        _chats(BackendConfig(model="refuses", **fast), 1)
    (estimated,), _ = _chats(BackendConfig(model="no-usage", **fast), 1)
    assert (estimated.prompt_tokens, estimated.completion_tokens) == (1, 1)  # "q0", "re: q0": ~4 characters a token


def test_api_key_is_read_from_the_named_variable_only(monkeypatch):
    monkeypatch.delenv("GLOBMED_UNSET_VAR_X", raising=False)
    monkeypatch.setenv("GLOBMED_TEST_KEY", "sk-x")
    assert BackendConfig().api_key() is None
    assert BackendConfig(api_key_env="GLOBMED_TEST_KEY").api_key() == "sk-x"
    assert BackendConfig(api_key_env="GLOBMED_UNSET_VAR_X").api_key() is None  # loopback: a keyless local server
    with pytest.raises(GlobMedError, match="GLOBMED_UNSET_VAR_X, but that environment variable is not set"):
        BackendConfig(api_key_env="GLOBMED_UNSET_VAR_X", base_url="https://api.example.org/v1").api_key()
    assert "sk-x" not in repr(BackendConfig(api_key_env="GLOBMED_TEST_KEY"))


@pytest.mark.parametrize(
    ("settings", "message"),
    [({"concurrency": 0}, "concurrency must be >= 1"), ({"timeout_s": 0}, "timeout_s > 0")],
)
def test_config_errors(settings, message):
    with pytest.raises(GlobMedError, match=message):
        BackendConfig(**settings)


def test_chat_clients_are_registered_lazily():
    assert list(CHAT_CLIENTS) == ["openai", "transformers"]
    assert CHAT_CLIENTS.get("openai") is EndpointClient
    with pytest.raises(GlobMedError, match="unknown chat backend 'grpc'"):
        make_chat_client("grpc", BackendConfig())


def test_parse_sse_yields_content_until_done():
    lines = ['data: {"choices":[{"delta":{"role":"assistant"}}]}', "", ": keep-alive",
             'data: {"choices":[{"delta":{"content":"Ha"}}]}', "data: not json",
             'data: {"choices":[{"delta":{"content":"bari"}}]}', "data: [DONE]",
             'data: {"choices":[{"delta":{"content":"after done"}}]}']
    assert list(parse_sse(iter(lines))) == ["Ha", "bari"]
