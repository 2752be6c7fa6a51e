"""Optional LLM-as-judge for long-form answers: a rubric prompt scored by a configurable judge model.

The judge is any OpenAI-compatible model (`--judge-model`, `--judge-base-url`, `--judge-api-key-env`); its
prompt (benchmark/judge_prompt.yaml, versioned) is stored verbatim in the results so a score can be audited.
The judge replies with a 1-5 rating; (rating - 1) / 4 puts it in [0, 1]. A reply without a rating is counted
in `judge_unparsed` and scores 0.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from benchmark.backends.base import BackendConfig, Request
from benchmark.config import JudgeConfig
from globmed.yaml_io import load_mapping

_RATING = re.compile(r"(?:rating|score)\s*[:=]?\s*\**\s*([1-5])\b", re.IGNORECASE)


@lru_cache(maxsize=1)
def judge_prompt() -> dict:
    return load_mapping(Path(__file__).with_name("judge_prompt.yaml"), "judge prompt", ("version", "template"),
                        required=("template",))


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
