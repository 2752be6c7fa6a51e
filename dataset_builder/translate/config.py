"""Configuration of `globmed translate`: one dataclass per concern, filled default < YAML file < CLI flags.

YAML layout (every key optional; a key nothing consumes is an error naming it and its closest known key):

    backend:  {kind: openai, model: gpt-4o-mini, base_url: https://api.openai.com/v1, api_key_env: OPENAI_API_KEY,
               concurrency: 16, timeout_s: 60, max_retries: 4, ...}   (globmed.llm_config.BackendConfig + extras)
    pipeline: {rounds: 3, review: true, backtranslate: false, glossary: terms.tsv, include_flagged: false}
    prices:   {gpt-4o-mini: {input_per_million: 0.15, output_per_million: 0.6}}

The `globmed translate` flags are generated from the BackendConfig and PipelineConfig fields (globmed.cli_args),
so their help is the fields' help. The API key itself is never in the config: only the name of the environment
variable that holds it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from globmed import llm_config
from globmed.errors import GlobMedError
from globmed.llm_chat import CHAT_CLIENTS, ChatSettings
from globmed.redact import redact_url
from globmed.yaml_io import check_keys, load_mapping

CACHE_SYNCS = ("normal", "full")


@dataclass
class BackendConfig(llm_config.BackendConfig):
    """The kernel's model config (model, loading, endpoint, retries) plus what only translation sets."""

    kind: str = field(default="openai", metadata={
        "help": "openai (any OpenAI-compatible endpoint) or transformers (in-process; model = local path)",
        "choices": tuple(CHAT_CLIENTS), "flag": "--backend"})
    reviewer_model: str = field(default="", metadata={"help": "model for the review step; empty = same as model"})
    json_mode: bool = field(default=False, metadata={"help": "send response_format={type: json_object}"})
    # generation
    temperature: float = field(default=0.0, metadata={"help": "sampling temperature"})
    max_tokens: int = field(default=2048, metadata={"help": "max new tokens per reply"})

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.kind not in CHAT_CLIENTS:
            raise GlobMedError(f"backend.kind {self.kind!r}: expected one of {', '.join(CHAT_CLIENTS)}")

    def chat_settings(self) -> ChatSettings:
        return ChatSettings(self.temperature, self.max_tokens, self.json_mode)


@dataclass
class PipelineConfig:
    rounds: int = field(default=3, metadata={"help": "max translate/revise rounds per item (K) before flagging"})
    review: bool = field(default=True, metadata={"help": "ask the reviewer model for a verdict each round"})
    backtranslate: bool = field(default=False, metadata={"help": "back-translate accepted items and score chrF"})
    min_chrf: float = field(default=0.0, metadata={"help": "flag an item whose back-translation chrF is below this"})
    glossary: str = field(default="", metadata={"help": "glossary TSV (source_term, language, target_term)"})
    prompts: str = field(default="", metadata={"help": "prompts YAML; empty = the bundled prompts.yaml"})
    cache_sync: str = field(default="normal", metadata={
        "help": "normal (survives kill -9) or full (fsync per item: survives power loss)",
        "choices": CACHE_SYNCS})
    include_flagged: bool = field(
        default=False,
        metadata={"help": "also write flagged rows into the published files (they are always in OUT/flagged.json)"},
    )

    def __post_init__(self) -> None:
        if self.rounds < 1:
            raise GlobMedError(f"pipeline.rounds must be >= 1, got {self.rounds}")
        if self.cache_sync not in CACHE_SYNCS:
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
        """Resolved config for the log and the run report: no secret (the key's env var name only, and the base
        URL redacted)."""
        described = dataclasses.asdict(self)
        described["backend"]["base_url"] = redact_url(self.backend.base_url)
        return described


KIND = "translate config"


def _build(cls: type, data: Any, where: str) -> Any:
    if data is None:
        return cls()
    if not isinstance(data, dict):
        raise GlobMedError(f"{where}: expected a mapping, got {type(data).__name__}")
    check_keys(data, [f.name for f in fields(cls)], where)
    return cls(**data)


def load_config(path: str | Path | None, overrides: dict[str, dict[str, Any]] | None = None) -> TranslateConfig:
    """Defaults, then the YAML file, then `overrides` ({"backend": {...}, "pipeline": {...}} from CLI flags)."""
    data = load_mapping(path, KIND, ("backend", "pipeline", "prices"), empty_ok=True) if path else {}
    where = f"{path}: {KIND}" if path else KIND
    sections: dict[str, dict[str, Any]] = {}
    for section in ("backend", "pipeline"):
        values = data.get(section) or {}
        if not isinstance(values, dict):
            raise GlobMedError(f"{where}: {section}: expected a mapping, got {type(values).__name__}")
        sections[section] = {**values, **{k: v for k, v in (overrides or {}).get(section, {}).items() if v is not None}}
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
