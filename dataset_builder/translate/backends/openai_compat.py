"""Any OpenAI-compatible chat endpoint (hosted APIs, vLLM, `transformers serve`) over async httpx.

Retries 429, 5xx, timeouts and connection errors with exponential backoff and full jitter (a `Retry-After` header
is honoured up to the backoff cap); other 4xx replies fail at once, since resending them cannot help. A semaphore
bounds requests in flight; it is released while a request waits to retry. The API key is read from the environment
variable the config names and only ever placed in the Authorization header.

Concurrency is a pool of C clients with one keep-alive connection each, handed out through a queue (which is
also the in-flight limit): httpcore's shared pool rescans all its connections for every request, which at C=32
cost more CPU than the rest of the pipeline together.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from dataclasses import replace

import certifi
import httpx

from dataset_builder.translate.backends.base import BackendError, ChatBackend, ChatResult, estimate_tokens
from dataset_builder.translate.config import BackendConfig
from globmed.http_retry import NotRetried, RetriesExhausted, RetryPolicy, send_with_retries

logger = logging.getLogger(__name__)



class OpenAICompatBackend(ChatBackend):
    def __init__(self, config: BackendConfig) -> None:
        self.config = config
        headers = {"Content-Type": "application/json"}
        key = config.api_key()
        if key:
            headers["Authorization"] = f"Bearer {key}"
        tls = ssl.create_default_context(cafile=certifi.where())  # one context shared by all clients (slow to build)
        self._clients = [
            httpx.AsyncClient(
                base_url=config.base_url.rstrip("/"),
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
        self.retry = RetryPolicy(config.max_retries, config.backoff_base_s, config.backoff_max_s)

    async def chat(self, messages: list[dict[str, str]], model: str | None = None) -> ChatResult:
        body = {
            "model": model or self.config.model,
            "messages": messages,
            "temperature": self.config.temperature,
            "max_tokens": self.config.max_tokens,
            "stream": False,
        }
        if self.config.json_mode:
            body["response_format"] = {"type": "json_object"}

        async def send() -> httpx.Response:
            client = await self._free.get()
            self.requests += 1
            try:
                return await client.post("/chat/completions", json=body)
            finally:
                self._free.put_nowait(client)

        try:
            result, attempts = await send_with_retries(
                send, lambda response: self._parse(response.json(), messages), self.retry, self.config.timeout_s
            )
        except (NotRetried, RetriesExhausted) as err:
            raise BackendError(str(err)) from None
        return replace(result, attempts=attempts)

    @staticmethod
    def _parse(data: dict, messages: list[dict[str, str]]) -> ChatResult:
        content = data["choices"][0]["message"]["content"]
        if not isinstance(content, str):
            raise TypeError("content is not a string")
        usage = data.get("usage") or {}
        prompt_tokens = usage.get("prompt_tokens") or estimate_tokens("".join(m["content"] for m in messages))
        completion_tokens = usage.get("completion_tokens") or estimate_tokens(content)
        return ChatResult(content, int(prompt_tokens), int(completion_tokens))

    async def aclose(self) -> None:
        for client in self._clients:
            await client.aclose()
