"""`globmed translate`: agentic machine translation of a dataset's English items into the published layout."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from globmed.command import Command
from globmed.errors import GlobMedError

if TYPE_CHECKING:
    from dataset_builder.translate.config import TranslateConfig
    from globmed.cli_args import FlagSet

logger = logging.getLogger(__name__)


def _flag_sets() -> tuple[FlagSet, FlagSet]:
    """The backend and pipeline flags, generated from their dataclasses (their fields carry the help)."""
    from dataset_builder.translate.config import BackendConfig, PipelineConfig
    from globmed.cli_args import FlagSet

    return (FlagSet(BackendConfig, "backend (override the --config file's backend:)"),
            FlagSet(PipelineConfig, "pipeline (override the --config file's pipeline:)"))


def translate_config(args: argparse.Namespace) -> TranslateConfig:
    """The `--config` file, then the backend and pipeline flags given."""
    from dataset_builder.translate.config import load_config

    backend, pipeline = _flag_sets()
    given = vars(args)
    return load_config(args.config, {"backend": backend.kwargs(given), "pipeline": pipeline.kwargs(given)})


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
        from globmed.cli_args import add_overwrite_flag

        data = parser.add_argument_group("data")
        data.add_argument("--dataset", required=True, help="built dataset folder (or Hub id) with the English items")
        data.add_argument(
            "--languages", required=True, help="target language codes, e.g. sw,yo ('all' = every non-English)"
        )
        data.add_argument("--out", required=True, type=Path, help="output folder (published layout + sources.yaml)")
        add_overwrite_flag(data)
        data.add_argument("--source", help="only these source ids (comma-separated)")
        data.add_argument("--task", help="only these tasks: mcqa,nli,lfqa")
        data.add_argument("--split", help="only these splits: train,validation,test")
        data.add_argument("--limit", type=int, help="at most N items per split")
        data.add_argument("--cache", type=Path, help="result cache (default OUT/.cache/translate.sqlite)")
        parser.add_argument(
            "--config", type=Path, metavar="FILE", help="YAML with backend:, pipeline:, prices: (flags win over it)"
        )
        for flag_set in _flag_sets():
            flag_set.add_to(parser)
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def run(self, args: argparse.Namespace) -> int:
        from dataset_builder.translate.glossary import Glossary
        from dataset_builder.translate.items import Selection, load_items, source_metadata
        from dataset_builder.translate.prompts import load_prompts
        from dataset_builder.translate.runner import translate_items
        from globmed.languages import parse_languages
        from globmed.llm_chat import make_chat_client
        from globmed.outputs import claim_dir

        languages = [c for c in parse_languages(args.languages) if c != "en"]
        if not languages:
            raise GlobMedError("--languages: give at least one target language other than en")
        if args.limit is not None and args.limit < 1:
            raise GlobMedError(f"--limit must be >= 1, got {args.limit}")
        config = translate_config(args)
        logger.info("config: %s", json.dumps(config.describe(), sort_keys=True))
        claim_dir(args.out, "translate", args.overwrite)  # before any input file is read and the cache opened
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
