"""`globmed build`: build the dataset folder ROOT/globmed from a sources YAML (default: the bundled sample).

The build options' flags are generated from `BuildConfig` (dataset_builder/config.py), whose fields carry their
help. Merge order: defaults < the sources YAML's `build:` block < `--config FILE` < flags.
"""

from __future__ import annotations

import argparse
import logging
from typing import TYPE_CHECKING

from globmed.command import Command
from globmed.layout import DEFAULT_RELEASE_ROOT

if TYPE_CHECKING:
    from globmed.cli_args import FlagSet

logger = logging.getLogger(__name__)


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
        from dataset_builder.summary import summary_table
        from globmed.cli_args import file_and_flags

        flags = _build_flags()
        overrides = flags.kwargs(file_and_flags(args, [flags], "build config"))
        result = run_build(args.sources, args.out, overrides, progress=not args.no_progress, overwrite=args.overwrite)
        print(summary_table(result.report))
        print(f"\ndataset: {result.out}  (rejects: {result.out / 'rejects.jsonl'})")
        first = result.report["languages"][0]
        print(f"load it from {result.out.parent}: datasets.load_dataset(\"globmed\", \"{first}\")")
        return 0
