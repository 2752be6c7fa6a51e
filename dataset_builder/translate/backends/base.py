"""The one interface every chat backend implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass


@dataclass
class ChatResult:
    text: str
    prompt_tokens: int
    completion_tokens: int
    attempts: int = 1  # HTTP attempts it took (1 = no retry)


class BackendError(Exception):
    """The backend gave no usable reply after its retries; the item is flagged with this reason, never crashed."""


def estimate_tokens(text: str) -> int:
    """Rough token count when the server reports no usage (about 4 characters per token)."""
    return max(1, len(text) // 4)


class ChatBackend(ABC):
    """Send chat messages, get the assistant's text and token usage. Implementations are async and concurrency-safe."""

    @abstractmethod
    async def chat(self, messages: list[dict[str, str]], model: str | None = None) -> ChatResult:
        """One chat completion; raises BackendError when no usable reply could be obtained."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook, a no-op for backends holding nothing
        """Release connections or models."""
