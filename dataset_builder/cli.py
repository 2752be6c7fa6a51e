"""`globmed build`: build the dataset folder ROOT/globmed from a sources YAML (default: the bundled sample).

The build options' flags are generated from `BuildConfig` (dataset_builder/config.py), whose fields carry their
help. Merge order: defaults < the sources YAML's `build:` block < `--config FILE` < flags.
"""

from __future__ import annotations

import argparse
import logging
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from globmed.command import Command
from globmed.layout import DEFAULT_RELEASE_ROOT

if TYPE_CHECKING:
    from globmed.cli_args import FlagSet

logger = logging.getLogger(__name__)
DEMO_RECIPE = "globmed-llm-tiny/sft/config_lora"  # a name under training/recipes: what `globmed demo` trains


def _build_flags() -> FlagSet:
    from dataset_builder.config import BuildConfig
    from globmed.cli_args import FlagSet

    return FlagSet(BuildConfig, "build options (defaults < the sources YAML's build: block < --config < flags)")


class BuildCommand(Command):
    name = "build"
    help = "Build the GlobMed dataset folder (parquet + card + report + manifest) from declarative sources."
    examples = """  globmed build                                   bundled sample -> ./release/globmed
  globmed build --languages en,sw --out /tmp/rel  two languages
  globmed build --sources hub                     the published translations (needs the Hub)
  GLOBMED_HUB_MIRROR=DIR globmed build --sources hub --languages ar,en   from a local mirror, with Arabic
  globmed build --sources my_sources.yaml         any sources YAML (see README: source contract)
  globmed build --config build.yaml --no-near-dedup   build options from a file (near_threshold: 0.9), a flag wins
"""

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        from globmed.cli_args import add_config_flag, add_overwrite_flag

        parser.add_argument("--sources", default="sample",
                            help="sample (default), hub, english, or a path to a sources YAML")
        parser.add_argument("--out", default=str(DEFAULT_RELEASE_ROOT),
                            help="release root; the dataset goes to OUT/globmed")
        add_overwrite_flag(parser)
        add_config_flag(parser, "build options")
        parser.add_argument("--no-progress", action="store_true", help="no progress bars")
        _build_flags().add_to(parser)

    def run(self, args: argparse.Namespace) -> int:
        from dataset_builder.pipeline import run_build
        from dataset_builder.summary import split_sizes, summary_table
        from globmed.cli_args import file_and_flags

        flags = _build_flags()
        overrides = flags.kwargs(file_and_flags(args, [flags], "build config"))
        result = run_build(args.sources, args.out, overrides, progress=not args.no_progress, overwrite=args.overwrite)
        print(summary_table(result.report))
        print(f"\ndataset: {result.out}  (rejects: {result.out / 'rejects.jsonl'})")
        first = result.report["languages"][0]
        print(f"load it from {result.out.parent}: datasets.load_dataset(\"globmed\", \"{first}\")")
        print(next_steps(result.out, split_sizes(result.report)))
        return 0


def next_steps(dataset: Path, sizes: dict[str, int]) -> str:
    """What a user does with the folder just built: train the tiny model on it (CPU), or benchmark a model; a
    step whose split is empty (a test-only source) is not suggested, and the line says why."""
    from globmed.layout import results_dir

    root = dataset.parent
    folder, out, results = (shlex.quote(str(p)) for p in (dataset, root, results_dir(root)))
    lines = ["", "next steps:"]
    if sizes.get("train"):
        lines += ["  # fine-tune the tiny demo model on it (runs on CPU)",
                  f"  globmed train --recipe {DEMO_RECIPE} --dataset {folder} --out {out}"]
    else:
        lines.append("  # no train split: `globmed train` needs one (give the sources a train split or split_ratios)")
    if sizes.get("test"):
        lines += ["  # benchmark a model (a local folder or a Hub id) on its test split",
                  f"  globmed bench --model MODEL --dataset {folder} --out {results}"]
    else:
        lines.append("  # no test split: `globmed bench` needs one")
    return "\n".join(lines)
