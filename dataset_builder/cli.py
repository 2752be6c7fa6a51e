"""`globmed build`: build the dataset folder ROOT/globmed from a sources YAML (default: the bundled sample)."""

from __future__ import annotations

import argparse
import logging

from globmed.command import Command
from globmed.layout import DEFAULT_RELEASE_ROOT

logger = logging.getLogger(__name__)


class BuildCommand(Command):
    name = "build"
    help = "Build the GlobMed dataset folder (parquet + card + report + manifest) from declarative sources."
    examples = """  globmed build                                   bundled sample -> ./release/globmed
  globmed build --languages en,sw --out /tmp/rel  two languages
  globmed build --sources hub                     the published translations (needs the Hub)
  GLOBMED_HUB_MIRROR=DIR globmed build --sources hub --languages ar,en   from a local mirror, with Arabic
  globmed build --sources my_sources.yaml         any sources YAML (see README: source contract)
"""

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--sources", default="sample",
                            help="sample (default), hub, english, or a path to a sources YAML")
        parser.add_argument("--languages", default=None,
                            help="comma-separated codes, e.g. en,sw (default: the 12 GlobMed languages; the opt-in "
                                 "ar,bn,hi,id,ms,ru,th only when named)")
        parser.add_argument("--out", default=str(DEFAULT_RELEASE_ROOT),
                            help="release root; the dataset goes to OUT/globmed")
        parser.add_argument("--num-proc", type=int, default=None, help="processes reading source files")
        parser.add_argument("--no-progress", action="store_true", help="no progress bars")

    def run(self, args: argparse.Namespace) -> int:
        from dataset_builder.pipeline import run_build
        from dataset_builder.summary import summary_table
        from globmed.errors import GlobMedError

        if args.num_proc is not None and args.num_proc < 1:
            raise GlobMedError(f"--num-proc must be >= 1, got {args.num_proc}")
        overrides = {"languages": args.languages, "num_proc": args.num_proc}
        result = run_build(args.sources, args.out, overrides, progress=not args.no_progress)
        print(summary_table(result.report))
        print(f"\ndataset: {result.out}  (rejects: {result.out / 'rejects.jsonl'})")
        first = result.report["languages"][0]
        print(f"load it from {result.out.parent}: datasets.load_dataset(\"globmed\", \"{first}\")")
        return 0
