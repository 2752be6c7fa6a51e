"""Configuration of `globmed translate`: one dataclass per concern, filled default < YAML file < CLI flags.

YAML layout (every key optional; a key nothing consumes is an error naming it):

    backend:  {kind: openai, model: gpt-4o-mini, base_url: https://api.openai.com/v1, api_key_env: OPENAI_API_KEY,
               concurrency: 16, timeout_s: 60, max_retries: 4, ...}
    pipeline: {rounds: 3, review: true, backtranslate: false, glossary: terms.tsv, include_flagged: false}
    prices:   {gpt-4o-mini: {input_per_million: 0.15, output_per_million: 0.6}}

The API key itself is never in the config: only the name of the environment variable that holds it.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from globmed.errors import GlobMedError

BACKENDS = ("openai", "transformers")


@dataclass
class BackendConfig:
    # which engine
    kind: str = field(default="openai", metadata={"help": "openai (any OpenAI-compatible endpoint) or transformers"})
    model: str = field(
        default="", metadata={"help": "model name sent to the endpoint, or a local path/id for transformers"}
    )
    reviewer_model: str = field(default="", metadata={"help": "model for the review step; empty = same as model"})
    # endpoint
    base_url: str = field(default="http://127.0.0.1:8000/v1", metadata={"help": "OpenAI-compatible base URL (…/v1)"})
    api_key_env: str = field(default="", metadata={"help": "name of the environment variable holding the API key"})
    json_mode: bool = field(default=False, metadata={"help": "send response_format={type: json_object}"})
    # load and robustness
    concurrency: int = field(default=8, metadata={"help": "requests in flight at once"})
    timeout_s: float = field(default=120.0, metadata={"help": "per-request timeout in seconds"})
    max_retries: int = field(default=4, metadata={"help": "retries on 429, 5xx, timeouts and connection errors"})
    backoff_base_s: float = field(
        default=0.5, metadata={"help": "first backoff delay; doubles each retry, with jitter"}
    )
    backoff_max_s: float = field(default=30.0, metadata={"help": "cap of one backoff delay"})
    # generation
    temperature: float = field(default=0.0, metadata={"help": "sampling temperature"})
    max_tokens: int = field(default=2048, metadata={"help": "max new tokens per reply"})

    def __post_init__(self) -> None:
        if self.kind not in BACKENDS:
            raise GlobMedError(f"backend.kind {self.kind!r}: expected one of {', '.join(BACKENDS)}")
        if self.concurrency < 1:
            raise GlobMedError(f"backend.concurrency must be >= 1, got {self.concurrency}")
        if self.max_retries < 0 or self.timeout_s <= 0:
            raise GlobMedError("backend.max_retries must be >= 0 and backend.timeout_s > 0")

    def api_key(self) -> str | None:
        """The key from the environment (never stored on the config object, never logged)."""
        if not self.api_key_env:
            return None
        key = os.environ.get(self.api_key_env)
        if not key:
            raise GlobMedError(
                f"backend.api_key_env names {self.api_key_env}, but that environment variable is not set"
            )
        return key


@dataclass
class PipelineConfig:
    rounds: int = field(default=3, metadata={"help": "max translate/revise rounds per item (K) before flagging"})
    review: bool = field(default=True, metadata={"help": "ask the reviewer model for a verdict each round"})
    backtranslate: bool = field(default=False, metadata={"help": "back-translate accepted items and score chrF"})
    min_chrf: float = field(default=0.0, metadata={"help": "flag an item whose back-translation chrF is below this"})
    glossary: str = field(default="", metadata={"help": "glossary TSV (source_term, language, target_term)"})
    prompts: str = field(default="", metadata={"help": "prompts YAML; empty = the bundled prompts.yaml"})
    cache_sync: str = field(
        default="normal", metadata={"help": "normal (survives kill -9) or full (fsync per item: survives power loss)"}
    )
    include_flagged: bool = field(
        default=False,
        metadata={"help": "also write flagged rows into the published files (default: flagged file only)"},
    )

    def __post_init__(self) -> None:
        if self.rounds < 1:
            raise GlobMedError(f"pipeline.rounds must be >= 1, got {self.rounds}")
        if self.cache_sync not in ("normal", "full"):
            raise GlobMedError(f"pipeline.cache_sync must be normal or full, got {self.cache_sync!r}")


@dataclass
class Price:
    input_per_million: float = 0.0
    output_per_million: float = 0.0


@dataclass
class TranslateConfig:
    backend: BackendConfig = field(default_factory=BackendConfig)
    pipeline: PipelineConfig = field(default_factory=PipelineConfig)
    prices: dict[str, Price] = field(default_factory=dict)

    def cost(self, model: str, prompt_tokens: int, completion_tokens: int) -> float:
        price = self.prices.get(model)
        if price is None:
            return 0.0
        return (prompt_tokens * price.input_per_million + completion_tokens * price.output_per_million) / 1e6

    def describe(self) -> dict[str, Any]:
        """Resolved config for the log and the run report (holds no secret: only the env var name)."""
        return dataclasses.asdict(self)


def _build(cls: type, data: Any, where: str) -> Any:
    if data is None:
        return cls()
    if not isinstance(data, dict):
        raise GlobMedError(f"{where}: expected a mapping, got {type(data).__name__}")
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise GlobMedError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(known)}")
    return cls(**data)


def load_config(path: str | Path | None, overrides: dict[str, dict[str, Any]] | None = None) -> TranslateConfig:
    """Defaults, then the YAML file, then `overrides` ({"backend": {...}, "pipeline": {...}} from CLI flags)."""
    data: dict[str, Any] = {}
    where = "config"
    if path:
        path = Path(path)
        if not path.is_file():
            raise GlobMedError(f"config {path}: no such file")
        where = str(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as err:
            raise GlobMedError(f"config {path}: not valid YAML ({err.__class__.__name__})") from err
        if not isinstance(data, dict):
            raise GlobMedError(f"config {path}: top level must be a mapping with backend/pipeline/prices")
    unknown = sorted(set(data) - {"backend", "pipeline", "prices"})
    if unknown:
        raise GlobMedError(f"{where}: unknown top-level key(s) {', '.join(unknown)}; known: backend, pipeline, prices")
    sections: dict[str, dict[str, Any]] = {k: dict(data.get(k) or {}) for k in ("backend", "pipeline")}
    for section, values in (overrides or {}).items():
        sections[section].update({k: v for k, v in values.items() if v is not None})
    prices_raw = data.get("prices") or {}
    if not isinstance(prices_raw, dict):
        raise GlobMedError(f"{where}: prices must map model name -> {{input_per_million, output_per_million}}")
    prices = {str(m): _build(Price, p, f"{where}: prices.{m}") for m, p in prices_raw.items()}
    config = TranslateConfig(
        backend=_build(BackendConfig, sections["backend"], f"{where}: backend"),
        pipeline=_build(PipelineConfig, sections["pipeline"], f"{where}: pipeline"),
        prices=prices,
    )
    if not config.backend.model:
        raise GlobMedError("no model given: set backend.model in the config or pass --model")
    return config
