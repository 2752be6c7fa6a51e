"""Retried requests to OpenAI-compatible endpoints, shared by the translation and benchmark backends.

Hosted APIs, vLLM servers and `transformers serve` all fail the same ways: 429 rate limits, 5xx, timeouts,
dropped connections, and now and then a 200 whose body is not what was asked for. One policy handles them:
retry with capped exponential backoff and full jitter (so many concurrent clients do not retry in lockstep),
honour `Retry-After`, never retry a 4xx that will fail again, and report the last reason when giving up.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import httpx

logger = logging.getLogger(__name__)

RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
T = TypeVar("T")


class RetriesExhausted(Exception):
    """Every attempt failed with a retryable problem; `reason` is the last one."""

    def __init__(self, reason: str, attempts: int) -> None:
        super().__init__(f"{reason} after {attempts} attempts")
        self.reason = reason
        self.attempts = attempts


class NotRetried(Exception):
    """The server answered with a status that retrying cannot fix (400, 401, 404, ...)."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(f"HTTP {status}: {text[:200]!r} (not retried)")
        self.status = status
        self.text = text


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 5
    backoff_base_s: float = 0.5
    backoff_max_s: float = 30.0

    def delay(self, attempt: int, retry_after: str | None = None) -> float:
        """Seconds to wait before retry number `attempt + 1`: Retry-After if given, else full jitter."""
        if retry_after:
            try:
                return min(self.backoff_max_s, max(0.0, float(retry_after)))
            except ValueError:
                pass  # an HTTP date: fall back to our own backoff
        return random.uniform(0, min(self.backoff_max_s, self.backoff_base_s * 2**attempt))


async def send_with_retries(
    send: Callable[[], Awaitable[httpx.Response]],
    parse: Callable[[httpx.Response], T],
    policy: RetryPolicy,
    timeout_s: float | None = None,
) -> tuple[T, int]:
    """Call `send` until `parse` accepts a 2xx response; return (parsed, attempts).

    `parse` raising ValueError, KeyError, IndexError or TypeError means the body was not the expected shape,
    which is retried like a 5xx. Raises `NotRetried` or `RetriesExhausted`.
    """
    import httpx

    last = "no attempt"
    for attempt in range(policy.max_retries + 1):
        retry_after = None
        try:
            response = await send()
        except httpx.TimeoutException:
            last = f"timeout after {timeout_s:g}s" if timeout_s else "timeout"
        except httpx.TransportError as err:
            last = f"connection error ({type(err).__name__})"
        else:
            if response.status_code < 300:
                try:
                    return parse(response), attempt + 1
                except (ValueError, KeyError, IndexError, TypeError):
                    last = f"HTTP {response.status_code} with a body that is not the expected response"
            elif response.status_code in RETRY_STATUS:
                last = f"HTTP {response.status_code}"
                retry_after = response.headers.get("retry-after")
            else:
                raise NotRetried(response.status_code, response.text)
        if attempt < policy.max_retries:
            wait = policy.delay(attempt, retry_after)
            logger.debug("retrying after %s (attempt %d, sleeping %.2fs)", last, attempt + 1, wait)
            await asyncio.sleep(wait)
    raise RetriesExhausted(last, policy.max_retries + 1)
