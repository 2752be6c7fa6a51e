"""Optional LLM-as-judge for long-form answers: a rubric prompt scored by a configurable judge model.

The judge is any OpenAI-compatible model (`--judge-model`, `--judge-base-url`, `--judge-api-key-env`); its
prompt (benchmark/judge_prompt.yaml, versioned) is stored verbatim in the results so a score can be audited.
The judge replies with a 1-5 rating; (rating - 1) / 4 puts it in [0, 1]. A reply without a rating is counted
in `judge_unparsed` and scores 0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

from benchmark.backends.base import BackendConfig, Request

_RATING = re.compile(r"(?:rating|score)\s*[:=]?\s*\**\s*([1-5])\b", re.IGNORECASE)


@dataclass
class JudgeConfig:
    model: str
    base_url: str = "http://127.0.0.1:8000/v1"
    api_key_env: str | None = "OPENAI_API_KEY"
    max_new_tokens: int = 256


@lru_cache(maxsize=1)
def judge_prompt() -> dict:
    return yaml.safe_load(resources.files("benchmark").joinpath("judge_prompt.yaml").read_text(encoding="utf-8"))


def parse_rating(text: str) -> float | None:
    matches = _RATING.findall(text)
    if not matches:
        stripped = text.strip()
        return (int(stripped) - 1) / 4 if stripped in {"1", "2", "3", "4", "5"} else None
    return (int(matches[-1]) - 1) / 4


def judge_answers(config: JudgeConfig, items: list[dict], cache_path: str | None) -> list[float | None]:
    """Judge each {question, reference, answer, language} item; None where no rating could be read."""
    from benchmark.backends.openai_api import OpenAIBackend

    template = judge_prompt()["template"]
    backend = OpenAIBackend(
        BackendConfig(
            model=config.model, base_url=config.base_url, api_key_env=config.api_key_env, cache_path=cache_path
        )
    )
    try:
        requests = [Request(prompt=template.format(**item), max_new_tokens=config.max_new_tokens) for item in items]
        return [parse_rating(text) for text in backend.generate(requests)]
    finally:
        backend.close()
