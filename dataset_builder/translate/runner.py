"""Run the translation of many (item, language) pairs: cache lookup, bounded concurrency, progress, outputs.

Work pairs not in the cache go to a fixed pool of async workers (as many as the backend's concurrency, each with at
most one request in flight). A finished pair is committed to the cache before it counts as done, so `kill -9` at
any point loses at most the pairs in flight. Outputs are always rebuilt from cached outcomes in dataset order,
which is why a resumed run writes exactly what an uninterrupted one would. A run whose every pending pair got no
answer from the endpoint (refused, DNS, timeouts) writes no output and fails with one line; one where only some got
none writes its outputs and says how many (they are not cached, so a rerun retries them).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from dataset_builder.translate.agent import UNREACHABLE, Outcome, Translator
from dataset_builder.translate.config import TranslateConfig
from dataset_builder.translate.glossary import Glossary
from dataset_builder.translate.output import write_outputs
from dataset_builder.translate.prompts import PromptSet
from dataset_builder.translate.units import SourceItem
from globmed.atomic import atomic_write_json
from globmed.errors import GlobMedError
from globmed.llm_cache import ResponseCache
from globmed.llm_chat import ChatClient
from globmed.redact import redact_url

logger = logging.getLogger(__name__)


@dataclass
class RunStats:
    pairs: int = 0
    cached: int = 0
    done: int = 0
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    elapsed_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


def pipeline_fingerprint(config: TranslateConfig, prompts: PromptSet, glossary: Glossary | None) -> str:
    """Prompt version plus every setting that changes an outcome (rounds, review, checks, glossary), hashed.

    Output-only settings (include_flagged, concurrency, timeouts) are left out, so changing them reuses the cache.
    """
    from dataset_builder.translate.checks import check_settings

    pipeline = config.pipeline
    parts = {
        "prompts": prompts.version,
        "checks": check_settings().get("version"),
        "rounds": pipeline.rounds,
        "review": pipeline.review,
        "backtranslate": pipeline.backtranslate,
        "min_chrf": pipeline.min_chrf,
        "glossary": glossary.digest() if glossary else "",
        "temperature": config.backend.temperature,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def cache_key(content_hash: str, language: str, model: str, pipeline: str) -> str:
    """Key of one (item, language) outcome in the result cache: item content, language, model(s), and
    `pipeline` (the prompt version plus the outcome-changing settings, hashed: `pipeline_fingerprint`)."""
    return hashlib.sha256(f"{content_hash}\0{language}\0{model}\0{pipeline}".encode()).hexdigest()


def model_label(config: TranslateConfig) -> str:
    """The model(s) that decide a translation: translator, and reviewer when it differs."""
    reviewer = config.backend.reviewer_model
    return (
        config.backend.model
        if not reviewer or reviewer == config.backend.model
        else f"{config.backend.model}|{reviewer}"
    )


async def _run_pairs(
    pairs: list[tuple[int, str, str]],
    items: list[SourceItem],
    translator: Translator,
    cache: ResponseCache,
    outcomes: dict[tuple[int, str], Outcome],
    stats: RunStats,
    bar: tqdm,
    workers: int,
) -> None:
    queue: asyncio.Queue[tuple[int, str, str]] = asyncio.Queue()
    for pair in pairs:
        queue.put_nowait(pair)
    config = translator.config

    def postfix() -> None:
        bar.set_postfix_str(
            f"tok={stats.prompt_tokens + stats.completion_tokens:,} cost=${stats.cost:.4f} req={stats.requests}",
            refresh=False,
        )

    async def worker() -> None:
        while True:
            try:
                index, lang, key = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            outcome = await translator.translate(items[index], lang)
            if outcome.cacheable:
                cache.put(key, outcome.to_dict())
            outcomes[(index, lang)] = outcome
            stats.done += 1
            stats.requests += outcome.requests
            stats.prompt_tokens += outcome.prompt_tokens
            stats.completion_tokens += outcome.completion_tokens
            stats.cost += config.cost(config.backend.model, outcome.prompt_tokens, outcome.completion_tokens)
            bar.update(1)
            postfix()

    await asyncio.gather(*(worker() for _ in range(max(1, min(workers, len(pairs))))))


def translate_items(
    items: list[SourceItem],
    languages: list[str],
    config: TranslateConfig,
    backend: ChatClient,
    prompts: PromptSet,
    out: Path,
    cache_path: Path,
    glossary: Glossary | None = None,
    metadata: dict[str, dict[str, Any]] | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Translate every item into every language (resuming from the cache) and write the outputs; return the report."""
    start = time.perf_counter()
    model = model_label(config)
    fingerprint = pipeline_fingerprint(config, prompts, glossary)
    keys = {
        (i, lang): cache_key(item.content_hash, lang, model, fingerprint)
        for i, item in enumerate(items)
        for lang in languages
    }
    cache = ResponseCache(cache_path, table="results", sync=config.pipeline.cache_sync)
    try:
        cached = cache.get_many(set(keys.values()))
        outcomes = {pair: Outcome.from_dict(cached[key]) for pair, key in keys.items() if key in cached}
        pending = [(i, lang, key) for (i, lang), key in keys.items() if key not in cached]
        stats = RunStats(pairs=len(keys), cached=len(outcomes))
        logger.info("%d item-language pairs: %d cached, %d to translate", len(keys), len(outcomes), len(pending))
        translator = Translator(config=config, backend=backend, prompts=prompts, glossary=glossary)
        with tqdm(
            total=len(keys),
            initial=len(outcomes),
            unit="item",
            desc="translate",
            disable=not progress,
            dynamic_ncols=True,
            mininterval=0.5,
        ) as bar:
            asyncio.run(
                _run_with_close(pending, items, translator, cache, outcomes, stats, bar, config.backend.concurrency)
            )
    finally:
        cache.close()
    stats.elapsed_s = round(time.perf_counter() - start, 3)
    unreachable = _check_reached(pending, outcomes, config)
    provenance = {
        "model": config.backend.model,
        "reviewer_model": config.backend.reviewer_model or config.backend.model,
        "prompt_version": prompts.version,
    }
    written = write_outputs(
        out, items, languages, outcomes, provenance, metadata or {}, config.pipeline.include_flagged
    )
    report = {
        "items": len(items),
        "languages": languages,
        "pairs": stats.pairs,
        "cached": stats.cached,
        "translated": stats.done,
        "requests": stats.requests,
        "prompt_tokens": stats.prompt_tokens,
        "completion_tokens": stats.completion_tokens,
        "estimated_cost_usd": round(stats.cost, 6),
        "elapsed_s": stats.elapsed_s,
        "items_per_s": round(stats.done / stats.elapsed_s, 2) if stats.elapsed_s else 0.0,
        "prompt_version": prompts.version,
        "pipeline_fingerprint": fingerprint,
        "include_flagged": config.pipeline.include_flagged,
        "unreachable": unreachable,
        "config": config.describe(),
        **written,
    }
    atomic_write_json(out / "translate_report.json", report)
    return report


def _check_reached(
    pending: list[tuple[int, str, str]], outcomes: dict[tuple[int, str], Outcome], config: TranslateConfig
) -> int:
    """How many pending pairs got no answer from the endpoint; raises when none got one (no output is written)."""
    failed = [outcomes[(i, lang)] for i, lang, _ in pending if _unreachable(outcomes[(i, lang)])]
    if not failed:
        return 0
    endpoint = redact_url(config.backend.base_url)
    if len(failed) == len(pending):
        raise GlobMedError(
            f"no answer from {endpoint}: all {len(pending)} item-language pairs failed "
            f"({failed[0].issues[0]['detail']}); no output written. Start the server or fix --base-url, then rerun"
        )
    logger.warning("%d of %d item-language pairs got no answer from %s; they are flagged (reason unreachable) and "
                   "retried on the next run", len(failed), len(pending), endpoint)
    return len(failed)


def _unreachable(outcome: Outcome) -> bool:
    return any(issue["code"] == UNREACHABLE for issue in outcome.issues)


async def _run_with_close(pending, items, translator, cache, outcomes, stats, bar, workers) -> None:
    try:
        await _run_pairs(pending, items, translator, cache, outcomes, stats, bar, workers)
    finally:
        await translator.backend.aclose()
