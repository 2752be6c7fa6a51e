"""`globmed review export|import`: human expert review sheets for machine translations."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from globmed.command import Command
from globmed.errors import GlobMedError

logger = logging.getLogger(__name__)


class ReviewCommand(Command):
    name = "review"
    help = (
        "Export a stratified sample of machine translations as one CSV sheet per language for expert scoring "
        "(Accuracy, Fluency, Completeness 1-5, Expert_Revised, Comment), and import the filled sheets back."
    )
    examples = """  globmed review export --translations work/mt --out work/sheets --per-language 50
  globmed review import --translations work/mt work/sheets/review_sw.csv work/sheets/review_yo.csv
"""

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        from globmed.cli_args import add_overwrite_flag

        sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
        exp = sub.add_parser("export", help="write review_<lang>.csv sheets with a stratified sample")
        exp.add_argument("--translations", required=True, type=Path, help="`globmed translate` output folder")
        exp.add_argument("--out", required=True, type=Path, help="folder for the CSV sheets")
        add_overwrite_flag(exp)
        exp.add_argument("--languages", help="only these languages (comma-separated)")
        exp.add_argument("--per-language", type=int, default=50, help="sample size per language (default 50)")
        exp.add_argument("--seed", type=int, default=0, help="sampling seed")
        imp = sub.add_parser("import", help="validate filled sheets and apply scores and revisions")
        imp.add_argument("--translations", required=True, type=Path, help="`globmed translate` output folder")
        imp.add_argument("sheets", nargs="+", type=Path, help="filled review_<lang>.csv files")

    def run(self, args: argparse.Namespace) -> int:
        from dataset_builder.review.workflow import export_sheets, import_sheets
        from globmed.languages import parse_languages
        from globmed.outputs import claim_dir

        if args.action == "export":
            if args.per_language < 1:
                raise GlobMedError(f"--per-language must be >= 1, got {args.per_language}")
            languages = parse_languages(args.languages) if args.languages else None
            claim_dir(args.out, "review export", args.overwrite)
            written = export_sheets(args.translations, args.out, languages, args.per_language, args.seed)
            for lang, n in written.items():
                print(f"{args.out / f'review_{lang}.csv'}: {n} rows")
            return 0
        report = import_sheets(args.translations, args.sheets)
        print(
            f"{'lang':<5} {'reviewed':>8} {'revised':>7}  accuracy 1-5 (mean)   fluency 1-5 (mean)    "
            "completeness 1-5 (mean)"
        )
        for lang, stats in report.items():
            cols = []
            for dim in ("accuracy", "fluency", "completeness"):
                dist = "/".join(str(n) for n in stats[dim]["distribution"].values())
                cols.append(f"{dist:<11} ({stats[dim]['mean']})")
            print(f"{lang:<5} {stats['reviewed']:>8} {stats['revised']:>7}  " + "   ".join(f"{c:<19}" for c in cols))
        if not report:
            print("no filled rows in the sheets; nothing applied")
        return 0
