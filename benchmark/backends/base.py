"""What every backend does: score option letters (log-likelihood) and/or generate text, and describe itself.

A request carries the prompt once as plain text and once as a chat (one user turn); the backend decides,
from `BackendConfig.chat_template`, which one the model sees, and records that choice in `describe()`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from globmed.schema import OPTION_LETTERS


@dataclass
class BackendConfig:
    # model
    model: str = ""  # local folder, Hub id, or API model name
    revision: str | None = None
    dtype: str = "auto"  # auto, float32, bfloat16, float16
    device: str = "auto"  # auto, cpu, cuda, cuda:1
    chat_template: str = "auto"  # auto (use it when the tokenizer has one), on, off
    trust_remote_code: bool = False
    # batching (local backends)
    batch_size: int | str = "auto"  # int, or "auto": token-budget batches, halved on out-of-memory
    max_batch_tokens: int | None = None  # token budget per batch for "auto"; default from the device
    # vLLM
    tensor_parallel_size: int = 1
    data_parallel_size: int = 1
    gpu_memory_utilization: float = 0.9
    max_model_len: int | None = None
    # OpenAI-compatible endpoint
    base_url: str = "http://127.0.0.1:8000/v1"
    api_key_env: str | None = "OPENAI_API_KEY"  # name of the env var holding the key (never the key itself)
    concurrency: int = 8
    max_retries: int = 5
    timeout_s: float = 120.0
    cache_path: str | None = None  # sqlite file of cached responses; None disables the cache
    extra_body: dict[str, Any] = field(default_factory=dict)  # e.g. {"chat_template_kwargs": {...}}
    # generation
    seed: int = 1234


@dataclass
class Request:
    prompt: str  # plain-text prompt: description + shots + question
    n_choices: int = 0  # option count for choice scoring (letters A.. ), 0 for free generation
    max_new_tokens: int = 32

    @property
    def messages(self) -> list[dict[str, str]]:
        return [{"role": "user", "content": self.prompt}]

    @property
    def letters(self) -> str:
        return OPTION_LETTERS[: self.n_choices]


class Backend:
    """Base class. `supports_loglikelihood` tells the runner which scoring "auto" means."""

    name = ""
    supports_loglikelihood = False

    def __init__(self, config: BackendConfig) -> None:
        self.config = config

    def choice_logprobs(self, requests: list[Request]) -> list[list[float]]:
        """Per request, the log-probability of each option letter as the next token after the prompt."""
        raise NotImplementedError(f"backend {self.name!r} cannot score log-likelihoods; use --scoring generate")

    def generate(self, requests: list[Request]) -> list[str]:
        """Greedy completions (temperature 0), one per request, in request order."""
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        """Facts for the results file: dtype, revision, whether a chat template was applied, and which."""
        return {}

    def close(self) -> None:
        """Release engines, servers, connections."""
