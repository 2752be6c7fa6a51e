"""`globmed sources infer FILE...`: draft a sources YAML entry from data files (see dataset_builder.infer)."""

from __future__ import annotations

import argparse
from pathlib import Path

from globmed.command import Command
from globmed.errors import GlobMedError


class SourcesCommand(Command):
    name = "sources"
    help = ("Draft a sources YAML from data files: format, record path, file pattern, splits, languages, question, "
            "options and answer shapes, each guess with its evidence as a comment.")
    examples = """  globmed sources infer data/train.jsonl data/test.jsonl          print a draft
  globmed sources infer exams/*.json --out my_sources.yaml          write it (path relative to the YAML)
  globmed build --sources my_sources.yaml                            build it as is, once checked
"""

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
        infer = sub.add_parser("infer", help="print (or write with --out) a sources YAML draft for FILE...")
        infer.add_argument("files", nargs="+", type=Path, metavar="FILE",
                           help="json, jsonl, csv, tsv or parquet files of one dataset, or a zip archive "
                                "holding them (its members are drafted as archive: + members:)")
        infer.add_argument("--out", type=Path, default=None, help="write the draft here instead of printing it")
        infer.add_argument("--force", action="store_true", help="overwrite --out if it exists")
        infer.add_argument("--rows", type=int, default=2000, help="rows read from each file (default 2000)")

    def run(self, args: argparse.Namespace) -> int:
        from dataset_builder.infer import infer_yaml
        from globmed.atomic import atomic_write_text

        if args.rows < 1:
            raise GlobMedError(f"--rows must be >= 1, got {args.rows}")
        if args.out is not None and args.out.exists() and not args.force:
            raise GlobMedError(f"{args.out} exists; pass --force to overwrite it")
        text = infer_yaml(args.files, args.rows, args.out)
        if args.out is None:
            print(text, end="")
            return 0
        atomic_write_text(args.out, text)
        print(f"wrote {args.out} ({text.count(chr(10) + '  - id: ')} source(s)); check the comments, then "
              f"globmed build --sources {args.out}")
        return 0
