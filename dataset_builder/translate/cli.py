"""`globmed translate`: agentic machine translation of a dataset's English items into the published layout."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from globmed.command import Command
from globmed.errors import GlobMedError

logger = logging.getLogger(__name__)


def _csv(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


class TranslateCommand(Command):
    name = "translate"
    help = (
        "Translate English items of a dataset folder (glossary-constrained LLM translation, automatic checks, LLM "
        "review, revision rounds), resumably, into OUT/GlobMed_<source>/<lang>/<split>.json plus OUT/sources.yaml."
    )
    examples = """  globmed translate --dataset release/globmed --languages sw,yo --out work/mt \\
      --base-url http://127.0.0.1:8000/v1 --model Qwen/Qwen3-8B --limit 100
  globmed translate --config mt.yaml --dataset release/globmed --languages wo --source medqa --out work/mt
  globmed build --sources work/mt/sources.yaml --out release2      ingest the translations
"""

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        data = parser.add_argument_group("data")
        data.add_argument("--dataset", required=True, help="built dataset folder (or Hub id) with the English items")
        data.add_argument(
            "--languages", required=True, help="target language codes, e.g. sw,yo ('all' = every non-English)"
        )
        data.add_argument("--out", required=True, type=Path, help="output folder (published layout + sources.yaml)")
        data.add_argument("--source", help="only these source ids (comma-separated)")
        data.add_argument("--task", help="only these tasks: mcqa,nli,lfqa")
        data.add_argument("--split", help="only these splits: train,validation,test")
        data.add_argument("--limit", type=int, help="at most N items per split")
        data.add_argument("--cache", type=Path, help="result cache (default OUT/.cache/translate.sqlite)")
        cfg = parser.add_argument_group("backend (override the --config file)")
        cfg.add_argument("--config", type=Path, help="YAML config with backend:, pipeline:, prices:")
        cfg.add_argument("--backend", dest="kind", choices=("openai", "transformers"), help="default openai")
        cfg.add_argument("--model", help="model name at the endpoint, or local path for --backend transformers")
        cfg.add_argument("--reviewer-model", help="reviewer model (default: same as --model)")
        cfg.add_argument("--base-url", help="OpenAI-compatible base URL ending in /v1")
        cfg.add_argument("--api-key-env", help="environment variable that holds the API key")
        cfg.add_argument("--concurrency", type=int, help="requests in flight")
        cfg.add_argument("--timeout", dest="timeout_s", type=float, help="per-request timeout, seconds")
        cfg.add_argument("--max-retries", type=int, help="retries on 429/5xx/timeouts")
        cfg.add_argument("--max-tokens", type=int, help="max new tokens per reply")
        pipe = parser.add_argument_group("pipeline")
        pipe.add_argument("--rounds", type=int, help="max translate/revise rounds per item before flagging")
        pipe.add_argument("--glossary", help="glossary TSV: source_term, language, target_term")
        pipe.add_argument("--prompts", help="prompts YAML (default: bundled prompts.yaml)")
        pipe.add_argument("--no-review", dest="review", action="store_const", const=False, help="skip the LLM reviewer")
        pipe.add_argument("--backtranslate", action="store_const", const=True, help="score chrF of a back-translation")
        pipe.add_argument(
            "--include-flagged",
            action="store_const",
            const=True,
            help="also put flagged rows in the published files (they are always in OUT/flagged.json)",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def run(self, args: argparse.Namespace) -> int:
        from dataset_builder.translate.config import load_config
        from dataset_builder.translate.glossary import Glossary
        from dataset_builder.translate.items import Selection, load_items, source_metadata
        from dataset_builder.translate.prompts import load_prompts
        from dataset_builder.translate.runner import translate_items
        from globmed.languages import parse_languages
        from globmed.llm_chat import make_chat_client

        languages = [c for c in parse_languages(args.languages) if c != "en"]
        if not languages:
            raise GlobMedError("--languages: give at least one target language other than en")
        if args.limit is not None and args.limit < 1:
            raise GlobMedError(f"--limit must be >= 1, got {args.limit}")
        backend_flags = {
            k: getattr(args, k)
            for k in (
                "kind",
                "model",
                "reviewer_model",
                "base_url",
                "api_key_env",
                "concurrency",
                "timeout_s",
                "max_retries",
                "max_tokens",
            )
        }
        pipeline_flags = {
            k: getattr(args, k) for k in ("rounds", "glossary", "prompts", "review", "backtranslate", "include_flagged")
        }
        config = load_config(args.config, {"backend": backend_flags, "pipeline": pipeline_flags})
        logger.info("config: %s", json.dumps(config.describe(), sort_keys=True))
        glossary = Glossary.load(config.pipeline.glossary) if config.pipeline.glossary else None
        prompts = load_prompts(config.pipeline.prompts or None)
        selection = Selection(_csv(args.source), _csv(args.task), _csv(args.split), args.limit)
        items = load_items(args.dataset, selection)
        if not items:
            raise GlobMedError(f"{args.dataset}: no English items match the selection")
        backend = make_chat_client(config.backend.kind, config.backend)
        report = translate_items(
            items,
            languages,
            config,
            backend,
            prompts,
            args.out,
            cache_path=args.cache or args.out / ".cache" / "translate.sqlite",
            glossary=glossary,
            metadata=source_metadata(args.dataset) if Path(args.dataset).exists() else {},
            progress=not args.no_progress,
        )
        for lang, counts in report["counts"].items():
            reasons = report["flag_reasons"].get(lang, {})
            logger.info("%s: %s%s", lang, counts, f" flag reasons {reasons}" if reasons else "")
        logger.info(
            "%d pairs (%d cached) -> %s; %d flagged (see flagged.json); %d requests, %d tokens, ~$%.4f",
            report["pairs"],
            report["cached"],
            args.out,
            report["flagged"],
            report["requests"],
            report["prompt_tokens"] + report["completion_tokens"],
            report["estimated_cost_usd"],
        )
        return 0
