"""What every backend does: score option letters (log-likelihood) and/or generate text, and describe itself.

A request carries the prompt once as plain text and once as a chat (one user turn); the backend decides,
from `BackendConfig.chat_template`, which one the model sees, and records that choice in `describe()`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from globmed import llm_config
from globmed.errors import GlobMedError
from globmed.schema import OPTION_LETTERS


@dataclass
class BackendConfig(llm_config.BackendConfig):
    """The kernel's model config (model, loading, endpoint, retries) plus what only the benchmark sets."""

    chat_template: str = field(
        default="auto",
        metadata={"help": "apply the tokenizer's chat template; auto: when it has one",
                  "choices": ("auto", "on", "off")},
    )
    # batching (local backends)
    batch_size: int | str = field(
        default="auto",
        metadata={"help": 'int, or "auto": token-budget batches (CPU: at most 8 questions), halved on out-of-memory'},
    )
    max_batch_tokens: int | None = field(
        default=None, metadata={"help": 'token budget per batch for "auto"; default from the device'}
    )
    prefix_cache: bool = field(
        default=True,
        metadata={"help": "compute each cell's shared prompt start (description + shots) once and reuse its KV "
                          "cache (transformers; vLLM: its prefix caching)"},
    )
    # vLLM
    tensor_parallel_size: int = field(default=1, metadata={"help": "GPUs per vLLM replica"})
    data_parallel_size: int = field(default=1, metadata={"help": "vLLM replicas"})
    gpu_memory_utilization: float = field(default=0.9, metadata={"help": "share of GPU memory vLLM may take"})
    max_model_len: int | None = field(default=None, metadata={"help": "vLLM context length; default the model's"})
    # OpenAI-compatible endpoint
    cache_path: str | None = field(
        default=None, metadata={"help": "sqlite file of cached responses; None disables the cache"}
    )
    extra_body: dict[str, Any] = field(
        default_factory=dict, metadata={"help": 'added to every request body, e.g. {"chat_template_kwargs": {...}}'}
    )
    # generation
    seed: int = field(default=1234, metadata={"help": "sampling seed sent to engines (decoding is greedy)"})

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.batch_size != "auto" and (not isinstance(self.batch_size, int) or self.batch_size < 1):
            raise GlobMedError(f"batch_size: expected a positive integer or 'auto', got {self.batch_size!r}")


@dataclass
class Request:
    prompt: str  # plain-text prompt: description + shots + question
    n_choices: int = 0  # option count for choice scoring (letters A.. ), 0 for free generation
    max_new_tokens: int = 32
    # requests of one group share their start (description + the cell's fixed shots): a backend may compute
    # that prefix once (the transformers KV prefix, vLLM's prefix cache); None: no group
    prefix_group: str | None = None

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
