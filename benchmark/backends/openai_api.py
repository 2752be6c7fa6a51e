"""Any OpenAI-compatible endpoint (hosted APIs, vLLM serve, `transformers serve`) through the kernel's client.

Requests run concurrently (`globmed.llm_client.EndpointClient`: a pool of `concurrency` connections, the one
retry policy on 429, 5xx and connection errors, honouring Retry-After), and every response is kept in the
kernel's sqlite cache by request hash, so a rerun sends nothing. Greedy decoding (temperature 0) makes the
cache sound. The API key is read from the environment variable named by `api_key_env` and only ever put in the
Authorization header; the base URL is redacted (globmed.redact) wherever it is written or shown.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from benchmark.backends.base import Backend, BackendConfig, Request
from globmed.errors import GlobMedError
from globmed.llm_cache import ResponseCache, request_key
from globmed.llm_chat import ModelCallError
from globmed.llm_client import EndpointClient, endpoint_url
from globmed.redact import redact_url

logger = logging.getLogger(__name__)


class OpenAIBackend(Backend):
    name = "openai"
    supports_loglikelihood = False

    def __init__(self, config: BackendConfig) -> None:
        super().__init__(config)
        config.api_key()  # a key that is named but not set fails here, before any item is sent
        self.use_chat = config.chat_template != "off"
        self.cache = ResponseCache(config.cache_path) if config.cache_path else None
        self.requests_sent = 0

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
        from tqdm.auto import tqdm

        bar = tqdm(total=len(requests), desc=f"{self.config.model} via API", unit="req", leave=False)
        client = EndpointClient(self.config)

        async def one(request: Request) -> str:
            path, body = self._body(request)
            key = request_key(path, body)
            cached = self.cache.get(key) if self.cache is not None else None
            if cached is None:
                cached = await self._post(client, path, body)
                if self.cache is not None:
                    self.cache.put(key, cached)
            bar.update(1)
            return _text(cached, path)

        try:
            return list(await asyncio.gather(*(one(r) for r in requests)))
        finally:
            self.requests_sent += client.requests
            await client.aclose()
            bar.close()

    async def _post(self, client: EndpointClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
        def parse(data: dict[str, Any]) -> dict[str, Any]:
            _raw_text(data, path)  # a 200 that is not a completion is retried like a 5xx
            return data

        try:
            data, _ = await client.post(path, body, parse)
        except ModelCallError as err:
            where = redact_url(endpoint_url(self.config.base_url, path))
            raise GlobMedError(f"{where} (model {self.config.model}): {err}") from None
        return data

    def describe(self) -> dict[str, Any]:
        return {
            "dtype": "api",
            "chat_template": self.use_chat,
            "chat_template_sha256": None,
            "revision": self.config.revision or "api",
            "base_url": redact_url(self.config.base_url),  # results are published: no credentials
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

