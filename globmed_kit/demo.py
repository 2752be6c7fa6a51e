"""`globmed demo` (what `make demo` runs): the whole release rehearsed on the bundled sample, offline, on CPU.

The demo is a list of stages (data, not code paths): each is a name, a line saying what it does, and a call,
usually `globmed_kit.cli.main([...])` with the same flags a user would type. Stages run in order under a visible
header; the first that fails stops the demo with one line naming it, and the exit status is non-zero.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from globmed.command import Command
from globmed.errors import GlobMedError
from globmed.layout import DEFAULT_RELEASE_ROOT, dataset_dir, model_dir, results_dir

logger = logging.getLogger(__name__)

TINY = "globmed-llm-tiny"
BASE_RUN_NAME = f"{TINY}-base"
# The kit's own recipe, found from this file so the demo runs from any working directory.
LORA_RECIPE = Path(__file__).resolve().parents[1] / "training/recipes/globmed-llm-tiny/sft/config_lora.yaml"


@dataclass
class Stage:
    name: str
    description: str
    call: Callable[[], int | None]  # returns an exit status (None counts as success)
    argv: list[str] | None = None  # for `globmed ...` stages: the command line, shown and testable


def cli_stage(name: str, description: str, argv: Sequence[str | Path]) -> Stage:
    """A stage that runs `globmed ARGV` in this process, the way a user would from the shell."""
    args = [str(a) for a in argv]

    def call() -> int:
        from globmed_kit.cli import main

        rc = main(args)
        if rc:
            raise GlobMedError(f"`globmed {' '.join(args)}` exited with status {rc} (its error is above)")
        return 0

    return Stage(name, description, call, args)


def run_stages(stages: Sequence[Stage], out: TextIO | None = None) -> None:
    """Run each stage under a header; raise a one-line GlobMedError naming the first stage that fails."""
    out = out or sys.stdout
    total = len(stages)
    started = time.perf_counter()
    for i, stage in enumerate(stages, 1):
        print(f"\n==> [{i}/{total}] {stage.name}: {stage.description}", file=out, flush=True)
        t0 = time.perf_counter()
        try:
            rc = stage.call()
        except GlobMedError as err:
            raise GlobMedError(f"stage {i}/{total} '{stage.name}' failed: {err}") from None
        except Exception as err:  # a bug in a stage: one line here, the traceback with -v
            logger.debug("stage %s raised", stage.name, exc_info=True)
            raise GlobMedError(f"stage {i}/{total} '{stage.name}' failed: {type(err).__name__}: {err}") from None
        if rc:
            raise GlobMedError(f"stage {i}/{total} '{stage.name}' failed with exit status {rc}")
        print(f"    [{i}/{total}] {stage.name} done in {time.perf_counter() - t0:.1f}s", file=out, flush=True)
    print(f"\nall {total} stages done in {time.perf_counter() - started:.1f}s", file=out, flush=True)


def latest_run_file(results: Path, model_name: str) -> Path:
    """The newest results JSON of `model_name`, by `provenance.date` (run ids are hashes, not times)."""
    from globmed.results import load_results_dir

    runs = [run for run in load_results_dir(results) if run.model.name == model_name] if results.is_dir() else []
    if not runs:
        raise GlobMedError(f"{results}: no results for model {model_name!r}; did the bench stage run?")
    newest = max(runs, key=lambda run: (str(run.provenance.get("date", "")), run.run_id))
    return results / f"{newest.run_id}.json"


def demo_stages(root: Path, host: str = "127.0.0.1", port: int = 7860, serve: bool = True,
                overwrite: bool = False) -> list[Stage]:
    """The demo, in order. Flags follow the CLI contract every part implements; `overwrite` goes to each stage
    that writes a folder (build, train, bench, release)."""
    from space_app.settings import DEFAULT_DATA_DIR

    results = results_dir(root)
    over = ["--overwrite"] if overwrite else []
    tiny = model_dir(root, "tiny")
    base = root / "work" / "train" / TINY / "base_model"

    def compare() -> int:
        a, b = latest_run_file(results, BASE_RUN_NAME), latest_run_file(results, TINY)
        return cli_stage("compare", "", ["bench", "compare", a, b]).call()

    # the Space's own default folder, placed under this root: `globmed space --help` names the same one
    space_argv = ["space", "--results", results, "--host", host, "--port", port,
                  "--data-dir", root / DEFAULT_DATA_DIR.relative_to(DEFAULT_RELEASE_ROOT), "--chat-model", tiny]

    def announce_and_serve() -> int:
        print(f"Space: http://{host}:{port}  (Ctrl-C to stop)", flush=True)
        return cli_stage("space", "", space_argv).call()

    stages = [
        cli_stage("build", "build the dataset from the bundled sample",
                  ["build", "--sources", "sample", "--out", root, *over]),
        cli_stage("train", "fine-tune the tiny model with the LoRA recipe",
                  ["train", "--recipe", LORA_RECIPE, "--out", root, "--dataset", dataset_dir(root), *over]),
        cli_stage("bench-base", "benchmark the base model",
                  ["bench", "--model", base, "--name", BASE_RUN_NAME, "--model-type", "open",
                   "--dataset", dataset_dir(root), "--out", results, *over]),
        cli_stage("bench-finetuned", "benchmark the fine-tuned model",
                  ["bench", "--model", tiny, "--name", TINY, "--model-type", "globmed", "--base-model", BASE_RUN_NAME,
                   "--dataset", dataset_dir(root), "--out", results, *over]),
        Stage("compare", "compare the fine-tuned model with its base", compare),
        cli_stage("card-dataset", "write the dataset card", ["card", "dataset", dataset_dir(root)]),
        cli_stage("card-model", "write the model card and .eval_results",
                  ["card", "model", tiny, "--results", results]),
        cli_stage("release", "assemble the release folder and print the push plan",
                  ["release", "--out", root, "--dry-run", *over]),
    ]
    if serve:
        stages.append(Stage("space", f"serve the Space on {host}:{port}", announce_and_serve,
                            [str(a) for a in space_argv]))
    return stages


class DemoCommand(Command):
    name = "demo"
    help = "End to end on the bundled sample, offline, CPU: build, train, bench, compare, cards, release, Space."
    examples = """  globmed demo                       everything, then serve the Space on 127.0.0.1:7860
  globmed demo --out /tmp/rel --no-serve
  globmed demo --stages card-dataset,card-model,release   rerun some stages on an existing release root
"""

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        from globmed.cli_args import add_overwrite_flag

        parser.add_argument("--out", type=Path, default=DEFAULT_RELEASE_ROOT,
                            help="release root (default: %(default)s)")
        parser.add_argument("--host", default="127.0.0.1", help="Space address (default: %(default)s)")
        parser.add_argument("--port", type=int, default=7860, help="Space port (default: %(default)s)")
        parser.add_argument("--no-serve", action="store_true", help="stop after the release stage")
        parser.add_argument("--stages", default=None, help="comma-separated subset of the stages to run, in order")
        add_overwrite_flag(parser)

    def run(self, args: argparse.Namespace) -> int:
        stages = demo_stages(args.out, args.host, args.port, serve=not args.no_serve, overwrite=args.overwrite)
        if args.stages is not None:
            wanted = [s.strip() for s in args.stages.split(",") if s.strip()]
            known = {s.name for s in demo_stages(args.out, args.host, args.port, serve=True)}
            names = ", ".join(sorted(known))
            unknown = [w for w in wanted if w not in known]
            if unknown:
                raise GlobMedError(f"--stages: unknown stage(s) {', '.join(unknown)}; known: {names}")
            stages = [s for s in stages if s.name in wanted]
            if not stages:  # `--stages ,`, or only `space` with --no-serve: running nothing is not a success
                raise GlobMedError(f"--stages {args.stages!r} selects no stage to run; known: {names}")
        run_stages(stages)
        return 0
