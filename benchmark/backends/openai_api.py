"""Any OpenAI-compatible endpoint (hosted APIs, vLLM serve, `transformers serve`) via httpx.

Requests run concurrently (an asyncio semaphore of `concurrency`), are retried with exponential backoff on
429, 5xx and connection errors (honouring Retry-After), and every response is cached by request hash, so a
rerun sends nothing. Greedy decoding (temperature 0) makes the cache sound. The API key is read from the
environment variable named by `api_key_env` and only ever put in the Authorization header.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from benchmark.backends.base import Backend, BackendConfig, Request
from benchmark.backends.cache import ResponseCache, request_key
from globmed.errors import GlobMedError
from globmed.http_retry import NotRetried, RetriesExhausted, RetryPolicy, send_with_retries

logger = logging.getLogger(__name__)


class OpenAIBackend(Backend):
    name = "openai"
    supports_loglikelihood = False

    def __init__(self, config: BackendConfig) -> None:
        super().__init__(config)
        self.api_key = os.environ.get(config.api_key_env) if config.api_key_env else None
        if config.api_key_env and self.api_key is None and not _is_loopback(config.base_url):
            raise GlobMedError(f"{config.model}: environment variable {config.api_key_env} (the API key) is not set")
        self.use_chat = config.chat_template != "off"
        self.cache = ResponseCache(config.cache_path) if config.cache_path else None
        self.requests_sent = 0
        self.retry = RetryPolicy(max_retries=config.max_retries, backoff_base_s=1.0, backoff_max_s=60.0)

    def _body(self, request: Request) -> tuple[str, dict[str, Any]]:
        common = {
            "model": self.config.model,
            "max_tokens": request.max_new_tokens,
            "temperature": 0.0,
            "seed": self.config.seed,
            **self.config.extra_body,
        }
        if self.use_chat:
            return "/chat/completions", {**common, "messages": request.messages}
        return "/completions", {**common, "prompt": request.prompt}

    def generate(self, requests: list[Request]) -> list[str]:
        return asyncio.run(self._generate_all(requests))

    async def _generate_all(self, requests: list[Request]) -> list[str]:
        import httpx
        from tqdm.auto import tqdm

        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        semaphore = asyncio.Semaphore(max(1, self.config.concurrency))
        bar = tqdm(total=len(requests), desc=f"{self.config.model} via API", unit="req", leave=False)
        async with httpx.AsyncClient(
            base_url=self.config.base_url.rstrip("/"), headers=headers, timeout=self.config.timeout_s
        ) as client:

            async def one(request: Request) -> str:
                path, body = self._body(request)
                key = request_key(path, body)
                cached = self.cache.get(key) if self.cache is not None else None
                if cached is None:
                    async with semaphore:
                        cached = await self._post(client, path, body)
                    if self.cache is not None:
                        self.cache.put(key, cached)
                bar.update(1)
                return _text(cached, path)

            try:
                return list(await asyncio.gather(*(one(r) for r in requests)))
            finally:
                bar.close()

    async def _post(self, client, path: str, body: dict[str, Any]) -> dict[str, Any]:
        def send():
            self.requests_sent += 1
            return client.post(path, json=body)

        def parse(response) -> dict[str, Any]:
            data = response.json()
            _raw_text(data, path)  # a 200 that is not a completion is retried like a 5xx
            return data

        where = f"{self.config.base_url}{path} (model {self.config.model})"
        try:
            data, _ = await send_with_retries(send, parse, self.retry, self.config.timeout_s)
        except (NotRetried, RetriesExhausted) as err:
            raise GlobMedError(f"{where}: {err}") from None
        return data

    def describe(self) -> dict[str, Any]:
        return {
            "dtype": "api",
            "chat_template": self.use_chat,
            "chat_template_sha256": None,
            "revision": self.config.revision or "api",
            "base_url": self.config.base_url,
        }

    def close(self) -> None:
        if self.cache is not None:
            logger.info("response cache %s: %d hits, %d misses", self.cache.path, self.cache.hits, self.cache.misses)
            self.cache.close()


def _raw_text(response: dict[str, Any], path: str) -> str:
    choice = response["choices"][0]
    if path == "/chat/completions":
        return choice["message"].get("content") or ""
    return choice["text"]


def _text(response: dict[str, Any], path: str) -> str:
    try:
        return _raw_text(response, path)
    except (KeyError, IndexError, TypeError, AttributeError):
        raise GlobMedError(f"unexpected response shape from {path}: {str(response)[:200]}") from None


def _is_loopback(url: str) -> bool:
    from urllib.parse import urlparse

    return (urlparse(url).hostname or "") in {"127.0.0.1", "localhost", "::1"}
