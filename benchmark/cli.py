"""`globmed bench`: run GlobMed-Bench on a model or a roster, compare two runs, export lm-eval tasks.

    globmed bench --model PATH_OR_ID [--backend transformers|vllm|openai] [--tasks] [--languages] [--out DIR]
    globmed bench --roster benchmark/rosters/globmed.yaml
    globmed bench compare BASE__HASH.json NEW__HASH.json [--bootstrap N] [--seed S] [--json OUT]
    globmed bench export-lmeval --dataset DIR_OR_REPO [--out DIR] [--shots K]  (default release/lm_eval_tasks)

The model, backend, run and judge flags are generated from their dataclasses (globmed.results.ModelInfo,
benchmark.backends.base.BackendConfig, benchmark.config.RunConfig and JudgeConfig), whose fields carry the help.
Merge order: built-in defaults < `--config FILE` < flags; a roster then applies its `defaults:` and each entry
on top. Heavy libraries load inside `run`, so `--help` and flag errors are instant.
"""

from __future__ import annotations

import argparse
import logging
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from globmed.command import Command
from globmed.errors import GlobMedError

if TYPE_CHECKING:
    from benchmark.config import RunConfig
    from globmed.cli_args import FlagSet

logger = logging.getLogger(__name__)
ACTIONS = ("run", "compare", "export-lmeval")


def flag_sets() -> tuple[FlagSet, ...]:
    """Flags per dataclass. `--model` is the backend's (ModelInfo.path follows it), as are `--revision` and
    `--seed` (RunConfig's seed too); the API key variable defaults to OPENAI_API_KEY, as the judge's does."""
    from benchmark.backends.base import BackendConfig
    from benchmark.config import JudgeConfig, RunConfig
    from globmed.cli_args import FlagSet
    from globmed.results import ModelInfo

    return (
        FlagSet(BackendConfig, "backend: which model, how to load or call it", skip=("seed",),
                defaults={"api_key_env": "OPENAI_API_KEY"}),
        FlagSet(ModelInfo, "model facts for the results file", skip=("path", "revision")),
        FlagSet(RunConfig, "run: data, scoring, output"),
        FlagSet(JudgeConfig, "lfqa judge (optional)", prefix="judge_"),
    )


def base_config(values: dict[str, Any]) -> RunConfig:
    """The RunConfig that `--config` and the flags describe (`values`: `file_and_flags`), before a roster's entries."""
    from benchmark.backends import BACKENDS, BackendConfig
    from benchmark.config import JudgeConfig, RunConfig
    from globmed.languages import parse_languages
    from globmed.results import model_info
    from globmed.tasks import parse_tasks

    backend_flags, model_flags, run_flags, judge_flags = flag_sets()
    run_values = run_flags.kwargs(values)
    backend = run_values.get("backend", RunConfig.backend)
    if backend not in BACKENDS:
        raise GlobMedError(BACKENDS.unknown_message(backend))
    run_values["tasks"] = parse_tasks(run_values.get("tasks"))
    run_values["languages"] = parse_languages(run_values.get("languages"))
    model = values.get("model", "")
    name = values.get("name") or (Path(model).name if Path(model).exists() else model) or "model"
    judge = JudgeConfig(**judge_flags.kwargs(values)) if values.get("judge_model") else None
    return RunConfig(
        model=model_info("model options", **{**model_flags.kwargs(values), "name": name, "path": model}),
        backend_config=BackendConfig(**backend_flags.kwargs(values)),
        judge=judge,
        **run_values,
    )


def next_steps(run_file: Path, base_model: str | None = None) -> str:
    """What to do with a results file: compare it with another run, and browse the folder in the Space.

    The run compared against is the newest results file of `base_model` in the same folder when there is one,
    else the newest other run there, else a placeholder in the `<name>__<hash>.json` form.
    """
    from benchmark.runner import slug

    folder = run_file.parent
    others = sorted((p for p in folder.glob("*__*.json") if p != run_file), key=lambda p: p.stat().st_mtime)
    own_base = [p for p in others if base_model and p.name.startswith(f"{slug(base_model)}__")]
    other = (own_base or others or [folder / "OTHER-MODEL__HASH.json"])[-1]
    what = "its base model's run" if own_base else "another run"
    return (
        "\nnext steps:\n"
        f"  # compare it with {what} (paired bootstrap CIs per language and task)\n"
        f"  globmed bench compare {shlex.quote(str(other))} {shlex.quote(str(run_file))}\n"
        "  # browse the results on the leaderboard Space\n"
        f"  globmed space --results {shlex.quote(str(folder))}"
    )


class BenchCommand(Command):
    name = "bench"
    help = "Run GlobMed-Bench (mcqa, nli, lfqa on the test split) on a model or a roster of models."
    examples = """  globmed bench --model release/globmed-llm-tiny --out release/results
  globmed bench --model Qwen/Qwen3-8B --backend vllm --tensor-parallel-size 2 --languages sw,yo,wo,zu
  globmed bench --model gpt-4o --backend openai --base-url https://api.openai.com/v1 --api-key-env OPENAI_API_KEY
  globmed bench --config qwen3-8b.yaml --limit 50               (a YAML of the flags; flags win over it)
  globmed bench --roster benchmark/rosters/globmed.yaml          (resumes: finished runs are skipped)
  globmed bench compare release/results/globmed-llm-tiny-base__b356290cb1.json \\
      release/results/globmed-llm-tiny__fe4e54e696.json      (run files are <name>__<config hash>.json)
  globmed bench compare Qwen3-8B__3c1d9e0a7b.json globmed-llm-8b__9f2e4a6c1d.json --bootstrap 2000 --seed 7 \\
      --json compare.json                                       (95% paired CIs)
  globmed bench export-lmeval --dataset release/globmed     (task YAMLs for lm-eval -> release/lm_eval_tasks)
"""

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        from globmed.cli_args import add_config_flag

        parser.add_argument(
            "action",
            nargs="?",
            default="run",
            choices=ACTIONS,
            help="run (default), compare two results files, or export-lmeval task YAMLs",
        )
        parser.add_argument("files", nargs="*", metavar="RUN.json", help="for compare: the base run, then the new run")
        parser.add_argument("--roster", type=Path, help="YAML roster of models (benchmark/rosters/globmed.yaml)")
        add_config_flag(parser, "the flags below (not --roster)")
        for flag_set in flag_sets():
            flag_set.add_to(parser)
        comp = parser.add_argument_group("compare")
        comp.add_argument(
            "--bootstrap",
            type=int,
            metavar="N",
            help="compare: paired bootstrap replicates for the 95%% CIs (default 1000; 0 = point estimates only)",
        )
        comp.add_argument("--json", type=Path, metavar="OUT", help="compare: also write the figures and CIs as JSON")

    def run(self, args: argparse.Namespace) -> int:
        from globmed.cli_args import file_and_flags

        values = file_and_flags(args, flag_sets(), "bench config")
        if args.action == "compare":
            return self._compare(args, values)
        if args.files:
            raise GlobMedError(f"unexpected argument(s) {' '.join(args.files)}; only `compare` takes files")
        if args.bootstrap is not None or args.json is not None:
            raise GlobMedError("--bootstrap and --json only apply to `globmed bench compare`")
        if args.action == "export-lmeval":
            return self._export(values)
        if bool(values.get("model")) == bool(args.roster):
            raise GlobMedError("give exactly one of --model PATH_OR_ID or --roster FILE")
        from benchmark.runner import run

        base = base_config(values)
        if values.get("model"):
            path = run(base)
            print(path)
            print(next_steps(path, base.model.base_model))
            return 0
        return self._run_roster(args.roster, base, run)

    def _run_roster(self, roster: Path, base, run) -> int:
        from benchmark.roster import load_roster

        configs = load_roster(roster, base)
        failed = []
        last = None
        for index, config in enumerate(configs, 1):
            logger.info("roster %s: model %d/%d: %s", roster, index, len(configs), config.model.name)
            try:
                last = (run(config), config.model.base_model)
                print(last[0])
            except GlobMedError as err:
                logger.error("%s: %s", config.model.name, err)
                failed.append(config.model.name)
        if last is not None:
            print(next_steps(*last))
        if failed:
            print(
                f"globmed bench: {len(failed)} of {len(configs)} models failed: {', '.join(failed)} "
                "(rerun the roster to retry them; finished runs are skipped)",
                file=sys.stderr,
            )
            return 1
        return 0

    def _compare(self, args: argparse.Namespace, values: dict[str, Any]) -> int:
        if len(args.files) != 2:
            raise GlobMedError(f"compare takes two results files (base, then new run), got {len(args.files)}")
        from benchmark.compare import compare_files, format_comparison
        from benchmark.config import RunConfig
        from globmed.atomic import atomic_write_json
        from globmed.bootstrap import DEFAULT_RESAMPLES
        from globmed.outputs import check_output_file

        resamples = DEFAULT_RESAMPLES if args.bootstrap is None else args.bootstrap
        if resamples < 0:
            raise GlobMedError(f"--bootstrap must be 0 (skip) or a positive number of replicates, got {resamples}")
        if args.json is not None:  # before the bootstrap: an existing file is replaced only when asked
            check_output_file(args.json, values.get("overwrite", False))
        comparison = compare_files(args.files[0], args.files[1], resamples=resamples,
                                   seed=values.get("seed", RunConfig.seed))
        print(format_comparison(comparison))
        if args.json is not None:
            atomic_write_json(args.json, comparison)
            print(f"wrote {args.json}")
        return 0

    def _export(self, values: dict[str, Any]) -> int:
        from benchmark.config import RunConfig
        from benchmark.lmeval.export import export
        from globmed.languages import parse_languages
        from globmed.layout import DEFAULT_RELEASE_ROOT, lmeval_dir
        from globmed.tasks import parse_tasks

        dataset = values.get("dataset", RunConfig.dataset)
        out = values.get("out", str(lmeval_dir(DEFAULT_RELEASE_ROOT)))  # its own folder, never the results one
        written = export(dataset, out, parse_languages(values.get("languages")), parse_tasks(values.get("tasks")),
                         overwrite=values.get("overwrite", False), shots=values.get("shots", 0))
        print(f"wrote {len(written)} lm-eval task files to {out}")
        return 0
