"""`globmed card dataset|model|space`: (re)write one card from what is on disk, checked before it is written."""

from __future__ import annotations

import argparse
from pathlib import Path

from globmed.command import Command
from globmed.errors import GlobMedError
from globmed.layout import DEFAULT_RELEASE_ROOT, dataset_dir, results_dir, space_dir


class CardCommand(Command):
    name = "card"
    help = "Write the dataset, model or Space card (README.md front matter + body), checked before writing."
    examples = """  globmed card dataset release/globmed --org MyOrg
  globmed card model release/globmed-llm-tiny --results release/results
  globmed card space release/globmed-space --models MyOrg/globmed-llm-tiny
"""

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="kind", metavar="KIND", required=True)
        ds = sub.add_parser("dataset", help="dataset card from build_report.json and MANIFEST.json")
        ds.add_argument("folder", nargs="?", type=Path, default=dataset_dir(DEFAULT_RELEASE_ROOT),
                        help="dataset folder written by `globmed build` (default: %(default)s)")
        model = sub.add_parser("model", help="model card (+ .eval_results) from globmed_training.json and results")
        model.add_argument("folder", type=Path, help="model folder, e.g. release/globmed-llm-tiny")
        model.add_argument("--results", type=Path, default=None,
                           help="results folder (default: results/ beside the model folder)")
        space = sub.add_parser("space", help="Space card linking the models and the dataset")
        space.add_argument("folder", nargs="?", type=Path, default=space_dir(DEFAULT_RELEASE_ROOT),
                           help="Space folder with app.py (default: %(default)s)")
        space.add_argument("--models", default="", help="comma-separated Hub ids of the linked models")
        space.add_argument("--results", type=Path, default=None,
                           help="results folder for the snapshot table (default: the Space's results/)")
        for p in (ds, model, space):
            p.add_argument("--org", default=None, help="Hub organisation for ids and links "
                           "(default: $GLOBMED_HUB_ORG, else GlobMed)")

    def run(self, args: argparse.Namespace) -> int:
        from globmed.outputs import check_writable
        from globmed.results import load_results_dir

        check_writable(args.folder)  # a file, a path under one, a read-only folder: one line, before any reading
        if not args.folder.is_dir():
            raise GlobMedError(f"{args.folder}: no such folder")
        if args.kind != "dataset" and args.results is not None and not args.results.is_dir():
            raise GlobMedError(f"--results {args.results}: no such folder (write it with `globmed bench --out DIR`)")
        if args.kind == "dataset":
            from model_cards.dataset_card import write_dataset_card

            path = write_dataset_card(args.folder, args.org)
        elif args.kind == "model":
            from model_cards.model_card import write_model_card

            folder = args.results or results_dir(args.folder.parent)
            runs = load_results_dir(folder) if folder.is_dir() else []
            path = write_model_card(args.folder, runs, org=args.org)
        else:
            from model_cards.space_card import write_space_card

            runs = load_results_dir(args.results) if args.results else None
            models = [m.strip() for m in args.models.split(",") if m.strip()]
            path = write_space_card(args.folder, models, args.org, runs)
        print(path)
        return 0
