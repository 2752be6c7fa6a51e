"""The `globmed` console script: one entry point, one class per subcommand, imported lazily.

`main(argv)` returns an exit status so tests can call it with an argument list. A `GlobMedError` is printed
as one line (`globmed: error: ...`, any URL in it redacted) with exit status 2; Ctrl-C exits with 130.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import importlib
import logging
import sys

from globmed import __version__
from globmed.command import Command
from globmed.errors import GlobMedError
from globmed.log import setup_logging
from globmed.redact import scrub_text

# name -> ("module:Class", one-line help). Order is the order shown in --help (the data flow).
COMMANDS: dict[str, tuple[str, str]] = {
    "build": ("dataset_builder.cli:BuildCommand", "build the dataset folder from the medical sources"),
    "sources": ("dataset_builder.sources_cli:SourcesCommand", "draft a sources YAML from data files (sources infer)"),
    "translate": ("dataset_builder.translate.cli:TranslateCommand", "agentic machine translation of source items"),
    "review": ("dataset_builder.review.cli:ReviewCommand", "export and import expert review sheets"),
    "bench": ("benchmark.cli:BenchCommand", "run GlobMed-Bench on a model or a roster of models"),
    "train": ("training.cli:TrainCommand", "fine-tune a GlobMed-LLM from a recipe"),
    "card": ("model_cards.cli:CardCommand", "write dataset, model and Space cards"),
    "release": ("globmed_kit.release:ReleaseCommand", "assemble the release folder and push it to the Hub"),
    "space": ("space_app.cli:SpaceCommand", "serve the leaderboard and chat Space"),
    "validate": (
        "globmed_kit.validate:ValidateCommand",
        "check the declarative files (languages, sources, recipes, rosters, tasks, prompts) without running anything",
    ),
    "demo": ("globmed_kit.demo:DemoCommand", "end to end on the bundled sample, CPU, offline"),
}

EPILOG = """examples:
  globmed demo                                  end to end on the bundled sample
  globmed build --languages en,sw --out release build two languages of the sample
  globmed bench --model release/globmed-llm-tiny --out release/results
  globmed NAME --help                           flags of one subcommand
"""

logger = logging.getLogger("globmed")


def load_command(name: str) -> type[Command]:
    target, _ = COMMANDS[name]
    module, attr = target.split(":")
    return getattr(importlib.import_module(module), attr)


def build_parser(selected: str | None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="globmed",
        description="GlobMed release kit: dataset, benchmark, models, cards and Space.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"globmed {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv for debug)")
    parser.add_argument("-q", "--quiet", action="store_true", help="warnings and errors only")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_, help_text) in COMMANDS.items():
        if name == selected:
            cls = load_command(name)
            epilog = f"examples:\n{cls.examples}" if cls.examples else None
            sp = sub.add_parser(
                name, help=help_text, description=cls.help or help_text, epilog=epilog,
                formatter_class=argparse.RawDescriptionHelpFormatter,
            )
            cls.add_arguments(sp)
        else:
            sub.add_parser(name, help=help_text, add_help=False)
    return parser


def _selected_command(argv: list[str]) -> str | None:
    return next((arg for arg in argv if arg in COMMANDS), None)


def main(argv: list[str] | None = None) -> int:
    if argv is None:  # the console script: at exit, memory goes back wholesale; spare the cycle collector's
        atexit.register(gc.freeze)  # passes over every object left (1-3 s once torch is loaded)
    argv = list(sys.argv[1:] if argv is None else argv)
    selected = _selected_command(argv)
    parser = build_parser(selected)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    setup_logging(-1 if args.quiet else args.verbose)
    command = load_command(args.command)()
    try:
        return int(command.run(args) or 0)
    except GlobMedError as err:
        print(f"globmed {args.command}: error: {scrub_text(str(err))}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print(f"globmed {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
