"""A new user's terminal session, as `globmed` subprocesses: quiet by default, more with -v, and each command ends
by saying what to run next (issue 13, items 10 and 12).

The session follows the demo on a small scale: build two languages of the bundled sample, train the tiny model,
benchmark its base and the fine-tuned model, compare the two runs. The commands it runs are the ones the build and
the benchmark suggest (the tests check that they are). Every run gets a fresh `datasets` cache, so a parquet read
really generates its split and would print "Generating ... split" if nothing hid it.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from support.readonly import cli_env, globmed_argv

from globmed.schema import SPLITS
from globmed_kit.cli import main

# Small and quick (as tests/training/test_train.py): a 2-layer model, a few rows, two optimiser steps.
FAST = [
    "tiny_hidden_size=64", "tiny_num_layers=2", "tiny_intermediate_size=128", "tiny_vocab_size=512",
    "mixture_rows=32", "max_eval_rows=8", "max_length=256", "per_device_train_batch_size=4", "eval_strategy=no",
    "save_strategy=no", "max_steps=2",
]
SMALL_BENCH = ["--tasks", "mcqa", "--languages", "en,sw", "--limit", "2", "--resamples", "20"]
GENERATING = re.compile(r"Generating \w+ split")  # datasets' per-read progress bar
RUN_FILE = re.compile(r"[A-Za-z0-9._-]+__[0-9a-f]{10}\.json")  # <name>__<config hash>.json


class Session:
    """Runs `globmed ...` in `cwd` the way a shell would, each run with its own empty datasets cache."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.runs: dict[str, subprocess.CompletedProcess[str]] = {}
        self.argv: dict[str, list[str]] = {}

    def __call__(self, step: str, *argv: str | Path) -> subprocess.CompletedProcess[str]:
        self.argv[step] = [str(arg) for arg in argv]
        env = {**cli_env(), "HF_DATASETS_CACHE": str(self.tmp / "hf-cache" / step)}
        env.pop("HF_DATASETS_DISABLE_PROGRESS_BARS", None)
        proc = subprocess.run(globmed_argv(*argv), capture_output=True, text=True, timeout=900, cwd=self.tmp,
                              env=env)
        assert proc.returncode == 0, f"{step}: {proc.stderr[-3000:]}"
        self.runs[step] = proc
        return proc

    def output(self, step: str) -> str:
        return self.runs[step].stdout + self.runs[step].stderr


def suggested(stdout: str, command: str) -> list[str]:
    """The argv (after `globmed`) of the one `globmed COMMAND ...` line under "next steps:"."""
    steps = stdout.split("\nnext steps:\n", 1)
    assert len(steps) == 2, f"no next steps in:\n{stdout}"
    lines = [line.strip() for line in steps[1].splitlines() if line.strip().startswith(f"globmed {command} ")]
    assert len(lines) == 1, steps[1]
    return shlex.split(lines[0])[1:]


@pytest.fixture(scope="module")
def session(tmp_path_factory) -> Session:
    tmp = tmp_path_factory.mktemp("journey")
    run = Session(tmp)
    root = tmp / "rel"
    run("build", "build", "--languages", "en,sw", "--out", root)
    run("build-again", "build", "--languages", "en,sw", "--out", root)
    run("build-verbose", "-v", "build", "--languages", "en", "--out", tmp / "rel-v")
    dataset, results = root / "globmed", root / "results"
    run("train", "train", "--recipe", "globmed-llm-tiny/sft/config_lora", "--dataset", dataset, "--out", root,
        *[f"--set={kv}" for kv in FAST])
    run("bench-base", "bench", "--model", root / "work/train/globmed-llm-tiny/base_model", "--name", "tiny-base",
        "--dataset", dataset, "--out", results, *SMALL_BENCH)
    tuned = ["bench", "--model", root / "globmed-llm-tiny", "--dataset", dataset, "--out", results]
    run("bench-tuned", *tuned, "--name", "tiny", "--base-model", "tiny-base", *SMALL_BENCH)
    run("bench-verbose", "-v", *tuned, "--name", "tiny", "--base-model", "tiny-base", *SMALL_BENCH, "--overwrite")
    written = [run.runs[step].stdout.splitlines()[0] for step in ("bench-base", "bench-tuned")]
    run("compare", "bench", "compare", *written)
    return run


DEFAULT_RUNS = ("build", "build-again", "train", "bench-base", "bench-tuned", "compare")


# --- item 10: quiet by default ---

@pytest.mark.parametrize("step", DEFAULT_RUNS)
def test_no_datasets_split_bars_and_no_future_warning(session, step):
    out = session.output(step)
    assert not GENERATING.search(out), out[-3000:]
    assert "FutureWarning" not in out and "is_gradient_checkpointing" not in out


def test_bench_reads_parquet_without_datasets_builds_even_verbose(session, tmp_path):
    """bench reads the parquet files itself (globmed.data.load_cells), so even -v prints no split bars; the
    positive control shows that a `datasets` read of the same files, in the same environment, does print them."""
    assert not GENERATING.search(session.output("bench-verbose"))
    files = sorted(str(p) for p in (session.tmp / "rel" / "globmed" / "data" / "en").glob("*/test-*.parquet"))
    env = {**cli_env(), "HF_DATASETS_CACHE": str(tmp_path / "cache")}
    env.pop("HF_DATASETS_DISABLE_PROGRESS_BARS", None)
    code = f"import datasets; datasets.load_dataset('parquet', data_files={files!r}, split='train')"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert GENERATING.search(proc.stdout + proc.stderr)


def test_build_config_only_with_verbose(session):
    assert "build config:" not in session.output("build") and "'near_threshold'" not in session.output("build")
    verbose = session.output("build-verbose")
    assert "build config: {" in verbose and "'near_threshold'" in verbose


def test_train_is_one_bar_no_recipe_dump_and_a_rounded_loss(session):
    out = session.output("train")
    assert "model_name_or_path:" not in out and "lora_target_modules:" not in out  # the recipe YAML is -v only
    assert "recipe " in out and "-v prints every resolved key" in out
    for bar in ("Formatting chat messages", "Tokenizing train dataset", "Packing train dataset"):
        assert bar not in out  # datasets' map bars of the data preparation
    assert re.search(r"\b2/2 \[", out)  # the trainer's own bar stays
    stdout = session.runs["train"].stdout
    assert re.search(r"\(step 2, train loss \d+\.\d{4}, eval loss \d+\.\d{4}\)$", stdout.strip()), stdout


def test_bench_keeps_its_own_bar(session):
    assert "scoring" in session.runs["bench-tuned"].stderr


# --- item 12: next steps ---

def test_build_shows_split_sizes(session):
    import pyarrow.parquet as pq

    dataset = session.tmp / "rel" / "globmed"
    expected = {split: sum(pq.read_metadata(p).num_rows for p in dataset.glob(f"data/*/*/{split}-*.parquet"))
                for split in SPLITS}
    assert all(expected.values()), expected
    line = f"splits: {', '.join(f'{split} {n}' for split, n in expected.items())}"
    assert line in session.runs["build"].stdout.splitlines()


def test_build_suggests_train_and_bench_on_the_folder_it_wrote(session):
    stdout = session.runs["build"].stdout
    train, bench = suggested(stdout, "train"), suggested(stdout, "bench")
    assert train == session.argv["train"][:len(train)]  # what the session ran, before its --set flags
    model = session.argv["bench-tuned"][session.argv["bench-tuned"].index("--model") + 1]
    assert [model if arg == "MODEL" else arg for arg in bench] == session.argv["bench-tuned"][:len(bench)]
    assert bench[bench.index("--dataset") + 1] == str(session.tmp / "rel" / "globmed")


def test_a_rerun_says_it_replaced_the_output(session):
    dataset = session.tmp / "rel" / "globmed"
    assert "replaced" not in session.output("build")
    assert f"{dataset}: replaced the previous version, written by `globmed build`" in session.output("build-again")
    tuned = session.runs["bench-tuned"].stdout.splitlines()[0]
    assert f"{tuned} exists: running again and replacing it (--overwrite)" in session.output("bench-verbose")
    assert "replacing" not in session.output("bench-tuned")


def test_bench_suggests_compare_with_its_base_and_the_space(session):
    stdout = session.runs["bench-tuned"].stdout
    results = session.tmp / "rel" / "results"
    compare = suggested(stdout, "bench")
    assert compare[:2] == ["bench", "compare"]
    base, tuned = map(Path, compare[2:])
    assert base.parent == tuned.parent == results
    assert base.name.startswith("tiny-base__") and tuned.name.startswith("tiny__")
    assert RUN_FILE.fullmatch(base.name) and RUN_FILE.fullmatch(tuned.name)
    assert str(tuned) == stdout.splitlines()[0]  # the run just written
    assert compare == session.argv["compare"]  # what the session ran, and it compared the two
    assert "tiny vs tiny-base" in session.runs["compare"].stdout
    assert suggested(stdout, "space") == ["space", "--results", str(results)]


# --- item 12: --help ---

def help_text(capsys, monkeypatch, command: str) -> str:
    monkeypatch.setenv("COLUMNS", "400")  # argparse wraps at the terminal width, and may break at a hyphen
    with pytest.raises(SystemExit):
        main([command, "--help"])
    return capsys.readouterr().out


def test_bench_help_shows_defaults(capsys, monkeypatch):
    from benchmark.backends.base import BackendConfig
    from benchmark.config import RunConfig

    text = help_text(capsys, monkeypatch, "bench")
    for flag, default in (("--backend", RunConfig.backend), ("--out", RunConfig.out), ("--dtype", BackendConfig.dtype)):
        line = next(line for line in text.splitlines() if line.strip().startswith(f"{flag} "))
        assert line.rstrip().endswith(f"(default: {default})"), line


def test_bench_help_compare_examples_use_real_run_file_names(capsys, monkeypatch):
    examples = help_text(capsys, monkeypatch, "bench").split("\nexamples:\n", 1)[1].replace("\\\n", " ")
    compares = [line.split() for line in examples.splitlines() if "globmed bench compare" in line]
    assert len(compares) >= 2
    for words in compares:
        files = [w for w in words if w.endswith(".json") and not w.startswith("compare.")]
        assert len(files) == 2 and all(RUN_FILE.fullmatch(Path(f).name) for f in files), words


def test_space_help_shows_the_data_dir_the_demo_uses(capsys, monkeypatch):
    from globmed.layout import DEFAULT_RELEASE_ROOT
    from globmed_kit.demo import demo_stages
    from space_app.settings import SpaceSettings

    monkeypatch.delenv("GLOBMED_DATA_DIR", raising=False)
    space = demo_stages(DEFAULT_RELEASE_ROOT)[-1].argv
    demo_dir = space[space.index("--data-dir") + 1]
    assert demo_dir == str(SpaceSettings.from_env().data_dir)  # the demo's folder is the Space's own default
    text = help_text(capsys, monkeypatch, "space")
    line = next(line for line in text.splitlines() if line.strip().startswith("--data-dir "))
    assert f"else {demo_dir};" in line and "$GLOBMED_DATA_DIR" in line


def test_atomic_dir_logs_a_replacement(tmp_path, caplog):
    from globmed.outputs import atomic_dir

    target = tmp_path / "out"
    with caplog.at_level("INFO", logger="globmed.outputs"):
        for _ in range(2):
            with atomic_dir(target, "build") as tmp:
                (tmp / "x").write_text("x")
    replaced = [r.getMessage() for r in caplog.records if "replaced" in r.getMessage()]
    assert replaced == [f"{target}: replaced the previous version, written by `globmed build`"]
    assert sorted(os.listdir(target)) == [".globmed-output", "x"]
