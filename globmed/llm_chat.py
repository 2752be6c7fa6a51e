"""The one chat interface of the model-access layer: messages in, the assistant's text and token usage out.

Two clients implement it: `globmed.llm_client.EndpointClient` (any OpenAI-compatible endpoint, async and
pooled) and `globmed.llm_local.TransformersClient` (a model loaded in this process). Callers that send many
independent chats (translation) use them through `make_chat_client`; generation settings (`ChatSettings`)
travel with each call, where they are decided, and the config says only which model and how to reach it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING

from globmed.registry import Registry

if TYPE_CHECKING:
    from globmed.llm_config import BackendConfig

Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": "..."}


@dataclass(frozen=True)
class ChatSettings:
    """How to generate one reply: decided by the caller, and sent with each call."""

    temperature: float = 0.0  # 0 = greedy
    max_tokens: int = 256
    json_mode: bool = False  # ask an endpoint for `response_format: json_object`; a local model has no such switch


@dataclass
class ChatResult:
    text: str
    prompt_tokens: int
    completion_tokens: int
    attempts: int = 1  # HTTP attempts it took (1 = no retry)


GREEDY = ChatSettings()


class ModelCallError(Exception):
    """No usable reply after the retries (or a request the server refuses); the message says why."""


class EndpointUnreachable(ModelCallError):
    """No HTTP answer at all after the retries (connection refused, DNS, timeouts): the endpoint is at fault, not
    the request, so a caller that sees only these can say the run never reached its model."""


def estimate_tokens(text: str) -> int:
    """Rough token count when the server reports no usage (about 4 characters per token)."""
    return max(1, len(text) // 4)


class ChatClient(ABC):
    """Send chat messages, get the assistant's text and usage. Async and safe to call concurrently."""

    requests: int = 0  # requests sent (HTTP attempts, retries included; generations for a local model)

    @abstractmethod
    async def chat(
        self, messages: list[Message], model: str | None = None, settings: ChatSettings = GREEDY
    ) -> ChatResult:
        """One completion by `model` (default: the config's); raises ModelCallError when none could be had."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook, a no-op for clients holding nothing
        """Release connections or models."""


CHAT_CLIENTS: Registry[type[ChatClient]] = Registry("chat backend")
CHAT_CLIENTS.register("openai", "globmed.llm_client:EndpointClient")
CHAT_CLIENTS.register("transformers", "globmed.llm_local:TransformersClient")


def make_chat_client(kind: str, config: BackendConfig) -> ChatClient:
    """The client named by `kind`, imported only when asked for (transformers is heavy)."""
    return CHAT_CLIENTS.get(kind)(config)
