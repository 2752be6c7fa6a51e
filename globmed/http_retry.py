"""Retried requests to OpenAI-compatible endpoints: the one policy of the model-access layer.

Hosted APIs, vLLM servers and `transformers serve` all fail the same ways: 429 rate limits, 5xx, timeouts,
dropped connections, and now and then a 200 whose body is not what was asked for. One policy handles them:
retry with capped exponential backoff and full jitter (so many concurrent clients do not retry in lockstep),
honour `Retry-After`, never retry a 4xx that will fail again, and report the last reason when giving up.

Two loops apply it: `send_with_retries` (async, a whole request: the pooled client of `globmed.llm_client`)
and `open_with_retries` (sync, only the opening of a streamed response: a stream half shown to a reader cannot
be taken back, so what fails after the first byte is reported, never resent).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import httpx

logger = logging.getLogger(__name__)

RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
T = TypeVar("T")


class RetriesExhausted(Exception):
    """Every attempt failed with a retryable problem; `reason` is the last one."""

    def __init__(self, reason: str, attempts: int, text: str = "", unreachable: bool = False) -> None:
        super().__init__(f"{reason} after {attempts} attempts")
        self.reason = reason
        self.attempts = attempts
        self.text = text  # body of the last answer, when the server answered (kept out of the message)
        self.unreachable = unreachable  # the last attempt got no HTTP answer (refused, DNS, timeout)


class NotRetried(Exception):
    """The server answered with a status that retrying cannot fix (400, 401, 404, ...)."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(f"HTTP {status}: {text[:200]!r} (not retried)")
        self.status = status
        self.text = text


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry; built from `BackendConfig.retry_policy()` or given by a caller."""

    max_retries: int
    backoff_base_s: float
    backoff_max_s: float

    def delay(self, attempt: int, retry_after: str | None = None) -> float:
        """Seconds to wait before retry number `attempt + 1`: Retry-After if given, else full jitter."""
        if retry_after:
            try:
                return min(self.backoff_max_s, max(0.0, float(retry_after)))
            except ValueError:
                pass  # an HTTP date: fall back to our own backoff
        return random.uniform(0, min(self.backoff_max_s, self.backoff_base_s * 2**attempt))

    def pause(self, attempt: int, reason: str, retry_after: str | None) -> float | None:
        """The wait before the next attempt, or None when `attempt` was the last one allowed."""
        if attempt >= self.max_retries:
            return None
        wait = self.delay(attempt, retry_after)
        logger.debug("retrying after %s (attempt %d, sleeping %.2fs)", reason, attempt + 1, wait)
        return wait


def _judge(
    result: httpx.Response | httpx.TransportError, parse: Callable[[httpx.Response], Any], timeout_s: float | None
) -> tuple[bool, Any, str | None]:
    """(True, parsed, None) for a usable reply, else (False, reason, Retry-After); raises NotRetried.

    `parse` raising ValueError, KeyError, IndexError or TypeError means the body was not the expected shape,
    which is retried like a 5xx.
    """
    import httpx

    if isinstance(result, httpx.TimeoutException):
        return False, f"timeout after {timeout_s:g}s" if timeout_s else "timeout", None
    if isinstance(result, httpx.TransportError):
        return False, f"connection error ({type(result).__name__})", None
    if result.status_code < 300:
        try:
            return True, parse(result), None
        except (ValueError, KeyError, IndexError, TypeError):
            return False, f"HTTP {result.status_code} with a body that is not the expected response", None
    if result.status_code in RETRY_STATUS:
        return False, f"HTTP {result.status_code}", result.headers.get("retry-after")
    raise NotRetried(result.status_code, result.text)


async def send_with_retries(
    send: Callable[[], Awaitable[httpx.Response]],
    parse: Callable[[httpx.Response], T],
    policy: RetryPolicy,
    timeout_s: float | None = None,
) -> tuple[T, int]:
    """Call `send` until `parse` accepts a 2xx response; return (parsed, attempts).

    Raises `NotRetried` or `RetriesExhausted`.
    """
    import httpx

    reason = "no attempt"
    result: httpx.Response | httpx.TransportError | None = None
    for attempt in range(policy.max_retries + 1):
        try:
            result = await send()
        except httpx.TransportError as err:
            result = err
        ok, value, retry_after = _judge(result, parse, timeout_s)
        if ok:
            return value, attempt + 1
        reason = value
        wait = policy.pause(attempt, reason, retry_after)
        if wait is not None:
            await asyncio.sleep(wait)
    raise RetriesExhausted(reason, policy.max_retries + 1, _body(result), isinstance(result, httpx.TransportError))


def open_with_retries(
    send: Callable[[], httpx.Response], policy: RetryPolicy, timeout_s: float | None = None
) -> httpx.Response:
    """Call `send` (which opens a streamed response) until the status is 2xx; the caller reads and closes it.

    A refused or dropped connection, a timeout before the headers, 429 and 5xx are retried; the body of a
    failed attempt is read (for the error message) and the response closed. Raises `NotRetried` or
    `RetriesExhausted`.
    """
    import httpx

    reason = "no attempt"
    result: httpx.Response | httpx.TransportError | None = None
    for attempt in range(policy.max_retries + 1):
        try:
            result = send()
            if result.status_code >= 300:
                try:
                    result.read()
                finally:
                    result.close()
        except httpx.TransportError as err:
            result = err
        ok, value, retry_after = _judge(result, lambda response: response, timeout_s)
        if ok:
            return value
        reason = value
        wait = policy.pause(attempt, reason, retry_after)
        if wait is not None:
            time.sleep(wait)
    raise RetriesExhausted(reason, policy.max_retries + 1, _body(result), isinstance(result, httpx.TransportError))


def _body(result: httpx.Response | httpx.TransportError | None) -> str:
    import httpx

    return result.text if isinstance(result, httpx.Response) else ""
