"""`globmed bench`: run GlobMed-Bench on a model or a roster, compare two runs, export lm-eval tasks.

    globmed bench --model PATH_OR_ID [--backend transformers|vllm|openai] [--tasks] [--languages] [--out DIR]
    globmed bench --roster benchmark/rosters/globmed.yaml
    globmed bench compare RUN_A.json RUN_B.json [--bootstrap N] [--seed S] [--json OUT]
    globmed bench export-lmeval --dataset DIR_OR_REPO --out DIR

Flags are merged in a fixed order: built-in defaults < roster `defaults:` < roster entry; for a single model,
defaults < flags. Heavy libraries load inside `run`, so `--help` and flag errors are instant.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from globmed.command import Command
from globmed.errors import GlobMedError
from globmed.layout import DEFAULT_RELEASE_ROOT, dataset_dir, results_dir

logger = logging.getLogger(__name__)
ACTIONS = ("run", "compare", "export-lmeval")


def _batch_size(value: str) -> int | str:
    if value == "auto":
        return value
    try:
        size = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer or 'auto', got {value!r}") from None
    if size < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer or 'auto', got {value!r}")
    return size


class BenchCommand(Command):
    name = "bench"
    help = "Run GlobMed-Bench (mcqa, nli, lfqa on the test split) on a model or a roster of models."
    examples = """  globmed bench --model release/globmed-llm-tiny --out release/results
  globmed bench --model Qwen/Qwen3-8B --backend vllm --tensor-parallel-size 2 --languages sw,yo,wo,zu
  globmed bench --model gpt-4o --backend openai --base-url https://api.openai.com/v1 --api-key-env OPENAI_API_KEY
  globmed bench --roster benchmark/rosters/globmed.yaml          (resumes: finished runs are skipped)
  globmed bench compare release/results/base.json release/results/globmed-llm-tiny.json
  globmed bench compare base.json tuned.json --bootstrap 2000 --seed 7 --json compare.json   (95% paired CIs)
  globmed bench export-lmeval --dataset release/globmed --out lm_eval_tasks/globmed
"""

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "action",
            nargs="?",
            default="run",
            choices=ACTIONS,
            help="run (default), compare two results files, or export-lmeval task YAMLs",
        )
        parser.add_argument("files", nargs="*", metavar="RUN.json", help="for compare: the base run, then the new run")
        what = parser.add_argument_group("what to evaluate")
        what.add_argument("--model", help="local model folder, Hub id, or API model name")
        what.add_argument("--roster", type=Path, help="YAML roster of models (benchmark/rosters/globmed.yaml)")
        what.add_argument("--name", help="display name (default: the model folder or id)")
        what.add_argument("--model-type", default="open", choices=("proprietary", "open", "medical", "globmed"))
        what.add_argument("--base-model", help="for fine-tunes: the base model's name")
        what.add_argument("--size-b", type=float, help="parameters in billions")
        what.add_argument("--revision", help="Hub revision (commit, branch or tag)")
        data = parser.add_argument_group("data")
        data.add_argument(
            "--dataset", default=str(dataset_dir(DEFAULT_RELEASE_ROOT)), help="dataset folder or Hub repo id"
        )
        data.add_argument("--tasks", default="all", help="comma-separated: mcqa,nli,lfqa (default all)")
        data.add_argument("--languages", default="all", help="comma-separated codes, e.g. en,sw (default all 12)")
        data.add_argument("--limit", type=int, help="first N test items per language-task")
        data.add_argument("--shots", type=int, default=0, help="k-shot examples from the validation split (default 0)")
        how = parser.add_argument_group("how")
        how.add_argument("--backend", default="transformers", help="transformers, vllm or openai")
        how.add_argument(
            "--scoring",
            default="auto",
            choices=("auto", "loglikelihood", "generate"),
            help="choice tasks: letter log-likelihood (local default) or generation + extraction",
        )
        how.add_argument(
            "--chat-template",
            default="auto",
            choices=("auto", "on", "off"),
            help="apply the tokenizer's chat template (auto: when it has one)",
        )
        how.add_argument("--dtype", default="auto", help="auto, float32, bfloat16, float16")
        how.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1")
        how.add_argument(
            "--batch-size", type=_batch_size, default="auto", help="int, or auto (token budget, halved on OOM)"
        )
        how.add_argument("--max-new-tokens", type=int, help="override the task's generation length")
        how.add_argument("--tensor-parallel-size", type=int, default=1, help="vLLM: GPUs per replica")
        how.add_argument("--data-parallel-size", type=int, default=1, help="vLLM: replicas")
        how.add_argument("--base-url", default="http://127.0.0.1:8000/v1", help="OpenAI-compatible endpoint")
        how.add_argument("--api-key-env", default="OPENAI_API_KEY", help="NAME of the env var holding the API key")
        how.add_argument("--concurrency", type=int, default=8, help="API requests in flight")
        how.add_argument("--judge-model", help="lfqa: also score answers with this OpenAI-compatible judge model")
        how.add_argument("--judge-base-url", default="http://127.0.0.1:8000/v1")
        how.add_argument("--judge-api-key-env", default="OPENAI_API_KEY")
        how.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples for 95%% CIs")
        how.add_argument("--seed", type=int, default=1234)
        out = parser.add_argument_group("output")
        out.add_argument(
            "--out",
            default=str(results_dir(DEFAULT_RELEASE_ROOT)),
            help="results folder (run JSON + samples JSONL); for export-lmeval the task folder",
        )
        out.add_argument(
            "--overwrite", action="store_true", help="rerun even if a results file with this config exists"
        )
        comp = parser.add_argument_group("compare")
        comp.add_argument(
            "--bootstrap",
            type=int,
            metavar="N",
            help="compare: paired bootstrap replicates for the 95%% CIs (default 1000; 0 = point estimates only)",
        )
        comp.add_argument("--json", type=Path, metavar="OUT", help="compare: also write the figures and CIs as JSON")

    def run(self, args: argparse.Namespace) -> int:
        if args.action == "compare":
            return self._compare(args)
        if args.files:
            raise GlobMedError(f"unexpected argument(s) {' '.join(args.files)}; only `compare` takes files")
        if args.bootstrap is not None or args.json is not None:
            raise GlobMedError("--bootstrap and --json only apply to `globmed bench compare`")
        if args.action == "export-lmeval":
            return self._export(args)
        if bool(args.model) == bool(args.roster):
            raise GlobMedError("give exactly one of --model PATH_OR_ID or --roster FILE")
        from benchmark.runner import run

        base = self._base_config(args)
        if args.model:
            print(run(base))
            return 0
        return self._run_roster(args.roster, base, run)

    def _base_config(self, args: argparse.Namespace):
        from benchmark.backends import BACKENDS, BackendConfig
        from benchmark.judge import JudgeConfig
        from benchmark.runner import RunConfig
        from globmed.languages import parse_languages
        from globmed.results import ModelInfo
        from globmed.tasks import parse_tasks

        if args.backend not in BACKENDS:
            raise GlobMedError(BACKENDS.unknown_message(args.backend))
        model = args.model or ""
        name = args.name or (Path(model).name if Path(model).exists() else model)
        backend_config = BackendConfig(
            model=model,
            revision=args.revision,
            dtype=args.dtype,
            device=args.device,
            chat_template=args.chat_template,
            batch_size=args.batch_size,
            tensor_parallel_size=args.tensor_parallel_size,
            data_parallel_size=args.data_parallel_size,
            base_url=args.base_url,
            api_key_env=args.api_key_env or None,
            concurrency=args.concurrency,
            seed=args.seed,
        )
        judge = None
        if args.judge_model:
            judge = JudgeConfig(
                model=args.judge_model, base_url=args.judge_base_url, api_key_env=args.judge_api_key_env or None
            )
        return RunConfig(
            model=ModelInfo(
                name=name or "model",
                path=model,
                revision=args.revision or "",
                type=args.model_type,
                size_b=args.size_b,
                base_model=args.base_model,
            ),
            backend=args.backend,
            backend_config=backend_config,
            dataset=args.dataset,
            tasks=parse_tasks(args.tasks),
            languages=parse_languages(args.languages),
            limit=args.limit,
            shots=args.shots,
            scoring=args.scoring,
            max_new_tokens=args.max_new_tokens,
            judge=judge,
            resamples=args.resamples,
            seed=args.seed,
            out=args.out,
            overwrite=args.overwrite,
        )

    def _run_roster(self, roster: Path, base, run) -> int:
        from benchmark.roster import load_roster

        configs = load_roster(roster, base)
        failed = []
        for index, config in enumerate(configs, 1):
            logger.info("roster %s: model %d/%d: %s", roster, index, len(configs), config.model.name)
            try:
                print(run(config))
            except GlobMedError as err:
                logger.error("%s: %s", config.model.name, err)
                failed.append(config.model.name)
        if failed:
            print(
                f"globmed bench: {len(failed)} of {len(configs)} models failed: {', '.join(failed)} "
                "(rerun the roster to retry them; finished runs are skipped)",
                file=sys.stderr,
            )
            return 1
        return 0

    def _compare(self, args: argparse.Namespace) -> int:
        if len(args.files) != 2:
            raise GlobMedError(f"compare takes two results files (base, then new run), got {len(args.files)}")
        from benchmark.aggregate import DEFAULT_RESAMPLES
        from benchmark.compare import compare_files, format_comparison
        from globmed.atomic import atomic_write_json

        resamples = DEFAULT_RESAMPLES if args.bootstrap is None else args.bootstrap
        if resamples < 0:
            raise GlobMedError(f"--bootstrap must be 0 (skip) or a positive number of replicates, got {resamples}")
        comparison = compare_files(args.files[0], args.files[1], resamples=resamples, seed=args.seed)
        print(format_comparison(comparison))
        if args.json is not None:
            atomic_write_json(args.json, comparison)
            print(f"wrote {args.json}")
        return 0

    def _export(self, args: argparse.Namespace) -> int:
        from benchmark.lmeval.export import export
        from globmed.languages import parse_languages
        from globmed.tasks import parse_tasks

        written = export(args.dataset, args.out, parse_languages(args.languages), parse_tasks(args.tasks))
        print(f"wrote {len(written)} lm-eval task files to {args.out}")
        return 0
