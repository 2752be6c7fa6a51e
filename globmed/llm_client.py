"""Any OpenAI-compatible endpoint (hosted APIs, vLLM, `transformers serve`): async pooled requests, and streams.

`EndpointClient` sends whole requests: retried by the one policy (`globmed.http_retry`: 429, 5xx, timeouts and
connection errors with exponential backoff and full jitter, `Retry-After` honoured up to the backoff cap; other
4xx fail at once). Concurrency is a pool of C clients with one keep-alive connection each, handed out through a
queue (which is also the in-flight limit, and is released while a request waits to retry): httpcore's shared
pool rescans all its connections for every request, which at C=32 cost more CPU than the rest of the
translation pipeline together. The API key is read from the environment variable the config names and only
ever placed in the Authorization header. Requests go to the base URL as given (its userinfo becomes basic auth,
its query is kept: `endpoint_url`); every message that quotes it is redacted (globmed.redact).

`stream_chat` reads one streamed chat completion (server-sent events) for a person watching it arrive; only
opening the stream is retried, since what was shown cannot be taken back.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import ssl
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import certifi
import httpx

from globmed.http_retry import NotRetried, RetriesExhausted, RetryPolicy, open_with_retries, send_with_retries
from globmed.llm_chat import (
    GREEDY,
    ChatClient,
    ChatResult,
    ChatSettings,
    EndpointUnreachable,
    Message,
    ModelCallError,
    estimate_tokens,
)
from globmed.llm_config import BackendConfig
from globmed.redact import scrub_text

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Opening a stream for a visitor who is waiting: a couple of quick retries, not the batch jobs' patience.
STREAM_RETRY = RetryPolicy(max_retries=2, backoff_base_s=0.5, backoff_max_s=2.0)


def endpoint_url(base_url: str, path: str) -> str:
    """`path` appended to the path of `base_url`, its query kept after it: `http://h/v1?api_key=k` and
    `/chat/completions` give `http://h/v1/chat/completions?api_key=k` (httpx's own base_url joining would put
    the path inside the query)."""
    parts = urlsplit(base_url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + path))


class EndpointClient(ChatClient):
    """A pool of `config.concurrency` one-connection clients; use and close it within one event loop run
    (connections belong to the loop that opened them)."""

    def __init__(self, config: BackendConfig) -> None:
        self.config = config
        headers = {"Content-Type": "application/json"}
        key = config.api_key()
        if key:
            headers["Authorization"] = f"Bearer {key}"
        tls = ssl.create_default_context(cafile=certifi.where())  # one context shared by all clients (slow to build)
        self._clients = [
            httpx.AsyncClient(
                headers=headers,
                timeout=httpx.Timeout(config.timeout_s),
                transport=httpx.AsyncHTTPTransport(
                    verify=tls,
                    limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
                    socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)],  # no Nagle wait on the body
                ),
            )
            for _ in range(config.concurrency)
        ]
        self._free: asyncio.Queue[httpx.AsyncClient] = asyncio.Queue()
        for client in self._clients:
            self._free.put_nowait(client)
        self.requests = 0  # HTTP requests sent, retries included
        self.retry = config.retry_policy()

    async def post(self, path: str, body: dict[str, Any], parse: Callable[[Any], T]) -> tuple[T, int]:
        """POST `body` as JSON to `path`; return (parse(decoded reply), attempts).

        `parse` raising ValueError, KeyError, IndexError or TypeError marks a reply that is not the expected
        shape, retried like a 5xx. Raises ModelCallError when no usable reply came.
        """

        async def send() -> httpx.Response:
            client = await self._free.get()
            self.requests += 1
            try:
                return await client.post(endpoint_url(self.config.base_url, path), json=body)
            finally:
                self._free.put_nowait(client)

        try:
            return await send_with_retries(
                send, lambda response: parse(response.json()), self.retry, self.config.timeout_s
            )
        except RetriesExhausted as err:
            raise (EndpointUnreachable if err.unreachable else ModelCallError)(scrub_text(str(err))) from None
        except NotRetried as err:
            raise ModelCallError(scrub_text(str(err))) from None

    async def chat(
        self, messages: list[Message], model: str | None = None, settings: ChatSettings = GREEDY
    ) -> ChatResult:
        body: dict[str, Any] = {
            "model": model or self.config.model,
            "messages": messages,
            "temperature": settings.temperature,
            "max_tokens": settings.max_tokens,
            "stream": False,
        }
        if settings.json_mode:
            body["response_format"] = {"type": "json_object"}
        result, attempts = await self.post("/chat/completions", body, lambda data: _chat_result(data, messages))
        return replace(result, attempts=attempts)

    async def aclose(self) -> None:
        for client in self._clients:
            await client.aclose()


def _chat_result(data: dict[str, Any], messages: list[Message]) -> ChatResult:
    content = data["choices"][0]["message"]["content"]
    if not isinstance(content, str):
        raise TypeError("content is not a string")
    usage = data.get("usage") or {}
    prompt_tokens = usage.get("prompt_tokens") or estimate_tokens("".join(m["content"] for m in messages))
    completion_tokens = usage.get("completion_tokens") or estimate_tokens(content)
    return ChatResult(content, int(prompt_tokens), int(completion_tokens))


def stream_chat(
    url: str,
    body: dict[str, Any],
    api_key: str | None = None,
    timeout_s: float = 120.0,
    policy: RetryPolicy = STREAM_RETRY,
) -> Iterator[str]:
    """POST `body` with `stream: true` to `url` (a …/chat/completions URL); yield the content pieces.

    Raises ModelCallError with a one-line reason: the status and the server's text, an endpoint that could not
    be reached, or a stream that broke off.
    """
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    with httpx.Client(timeout=timeout_s, headers=headers) as client:
        request = client.build_request("POST", url, json={**body, "stream": True})
        try:
            response = open_with_retries(lambda: client.send(request, stream=True), policy, timeout_s)
        except NotRetried as err:
            raise ModelCallError(scrub_text(f"{url} answered HTTP {err.status}: {err.text[:200]}")) from None
        except RetriesExhausted as err:
            if err.text:
                answer = f"{err.reason}: {err.text[:200]} ({err.attempts} attempts)"
                raise ModelCallError(scrub_text(f"{url} answered {answer}")) from None
            raise EndpointUnreachable(scrub_text(f"cannot reach {url}: {err}")) from None
        try:
            yield from parse_sse(response.iter_lines())
        except httpx.HTTPError as err:
            raise ModelCallError(scrub_text(f"{url} broke off the answer ({type(err).__name__}: {err})")) from None
        finally:
            response.close()


def parse_sse(lines: Iterator[str]) -> Iterator[str]:
    """The content pieces of an OpenAI-style event stream (`data: {json}` lines, ended by `data: [DONE]`)."""
    for line in lines:
        line = line.strip()
        if not line.startswith("data:"):
            continue
        payload = line[len("data:"):].strip()
        if payload == "[DONE]":
            return
        try:
            event = json.loads(payload)
        except json.JSONDecodeError:
            logger.warning("ignoring a malformed event from the endpoint: %.80s", payload)
            continue
        for choice in event.get("choices") or []:
            piece = (choice.get("delta") or {}).get("content")
            if piece:
                yield piece
