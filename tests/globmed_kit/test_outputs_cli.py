"""Every command's --out: foreign folders refused unless --overwrite, unwritable paths in one line before any
work, export-lmeval's own default folder, and two real builds (one killed with SIGKILL) into the same root.

Each case gives the command an input that does not exist: the error must still be about --out, which shows
that the output is checked before anything is read.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from support.readonly import cli_env, globmed_argv, run_readonly

from globmed_kit.cli import main

RECIPE = "globmed-llm-tiny/sft/config_lora.yaml"
Argv = Callable[[Path, Path], list[str]]  # (scratch folder, --out) -> the command line


LOG_LINE = re.compile(r"\d\d:\d\d:\d\d (DEBUG|INFO|WARNING) ")  # globmed.log's format: progress, not errors


def error_lines(stderr: str) -> list[str]:
    assert "Traceback" not in stderr
    return [line for line in stderr.strip().splitlines() if not LOG_LINE.match(line)]


def one_error_line(capsys, command: str) -> str:
    err = error_lines(capsys.readouterr().err)
    assert len(err) == 1 and err[0].startswith(f"globmed {command}: error: "), err
    return err[0]


# Per command: how --out (or card's folder) is given, and which folder inside it the command writes.
COMMANDS: dict[str, tuple[Argv, str]] = {
    "build": (lambda tmp, out: ["build", "--sources", str(tmp / "missing.yaml"), "--out", str(out)], "globmed"),
    "translate": (lambda tmp, out: ["translate", "--dataset", str(tmp / "missing"), "--languages", "sw",
                                    "--model", "m", "--glossary", str(tmp / "missing.csv"), "--out", str(out)], ""),
    "bench": (lambda tmp, out: ["bench", "--model", str(tmp / "missing-model"), "--dataset", str(tmp / "missing"),
                                "--out", str(out)], ""),
    "train": (lambda tmp, out: ["train", "--recipe", RECIPE, "--dataset", str(tmp / "missing"), "--out", str(out)],
              "globmed-llm-tiny"),
    "review": (lambda tmp, out: ["review", "export", "--translations", str(tmp / "missing"), "--out", str(out)], ""),
    "card": (lambda tmp, out: ["card", "model", str(out)], ""),
}
FOREIGN = {  # item 1: the commands that own what they write (card writes into build/train/release folders)
    **{name: spec for name, spec in COMMANDS.items() if name != "card"},
    "bench export-lmeval": (lambda tmp, out: ["bench", "export-lmeval", "--dataset", str(tmp / "missing"),
                                              "--out", str(out)], ""),
    "release": (lambda tmp, out: ["release", "--out", str(out), "--dry-run"], "globmed-space"),
    "demo": (lambda tmp, out: ["demo", "--out", str(out), "--no-serve", "--stages", "build"], "globmed"),
}


@pytest.mark.parametrize("name", sorted(FOREIGN))
def test_a_folder_holding_other_files_is_refused_and_left_alone(name, tmp_path, capsys):
    argv, inner = FOREIGN[name]
    out = tmp_path / "out"
    folder = out / inner if inner else out
    folder.mkdir(parents=True)
    (folder / "my-notes.txt").write_text("not yours")
    assert main(argv(tmp_path, out)) == 2
    if name == "demo":  # the stage's own line, then the demo's naming the stage
        err = error_lines(capsys.readouterr().err)
        assert len(err) == 2 and err[1].startswith("globmed demo: error: stage 1/1 'build' failed")
        line = err[0]
    else:
        line = one_error_line(capsys, name.split()[0])
    assert f"{folder} holds files" in line and "my-notes.txt" in line and "--overwrite" in line
    assert str(tmp_path / "missing") not in line  # the input was never read
    assert sorted(p.name for p in folder.iterdir()) == ["my-notes.txt"]


def test_export_lmeval_default_folder_is_its_own_and_results_are_kept(tiny_dataset_dir, tmp_path, monkeypatch,
                                                                      capsys):
    """Before: the default --out was release/results, replaced by task YAMLs (exit 0, the results gone)."""
    monkeypatch.chdir(tmp_path)
    results = tmp_path / "release" / "results"
    results.mkdir(parents=True)
    (results / "model__abc.json").write_text('{"run_id": "model__abc"}')
    assert main(["bench", "export-lmeval", "--dataset", str(tiny_dataset_dir), "--languages", "sw"]) == 0
    assert sorted(p.name for p in results.iterdir()) == ["model__abc.json"]
    tasks = tmp_path / "release" / "lm_eval_tasks"
    assert (tasks / "sw" / "globmed_sw_mcqa.yaml").is_file()
    assert main(["bench", "export-lmeval", "--dataset", str(tiny_dataset_dir), "--languages", "sw"]) == 0  # rerun
    assert main(["bench", "export-lmeval", "--dataset", str(tiny_dataset_dir), "--out", str(results)]) == 2
    assert "release/results holds files" in one_error_line(capsys, "bench")
    assert (results / "model__abc.json").is_file()
    argv = ["bench", "export-lmeval", "--dataset", str(tiny_dataset_dir), "--out", str(results), "--overwrite"]
    assert main(argv) == 0  # the user said so: the folder is replaced
    assert not (results / "model__abc.json").exists() and (results / "_globmed.yaml").is_file()


def test_build_overwrite_replaces_a_foreign_dataset_folder(tmp_path, capsys):
    folder = tmp_path / "globmed"
    folder.mkdir()
    (folder / "my-notes.txt").write_text("not yours")
    argv = ["build", "--languages", "en", "--no-progress", "--out", str(tmp_path)]
    assert main(argv) == 2
    assert main([*argv, "--overwrite"]) == 0
    assert (folder / "MANIFEST.json").is_file() and not (folder / "my-notes.txt").exists()
    assert main(argv) == 0  # and now it is build's own: a rerun needs no flag


# ------------------------------------------------------------------ item 8: unwritable --out


def _file(tmp: Path) -> tuple[Path, Path]:
    (tmp / "a-file").write_text("keep me")
    return tmp / "a-file", tmp / "a-file"


def _under_file(tmp: Path) -> tuple[Path, Path]:
    (tmp / "a-file").write_text("keep me")
    return tmp / "a-file" / "sub", tmp / "a-file"


@pytest.mark.parametrize("case", ["file", "under-file"])
@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_an_unwritable_out_is_one_line_before_any_work(name, case, tmp_path, capsys):
    out, blocker = (_file if case == "file" else _under_file)(tmp_path)
    argv, _ = COMMANDS[name]
    assert main(argv(tmp_path, out)) == 2
    line = one_error_line(capsys, name)
    assert str(out) in line and str(blocker) in line and "is a file" in line
    assert blocker.read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_read_only_out_is_one_line_before_any_work(name, tmp_path):
    out = tmp_path / "read-only"
    out.mkdir()
    argv, _ = COMMANDS[name]
    proc = run_readonly(out, *argv(tmp_path, out))
    lines = error_lines(proc.stderr)
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"globmed {name}: error: ") and f"cannot write in {out}" in lines[0]
    assert list(out.iterdir()) == []


# ------------------------------------------------------------------ item 3: two builds, kill -9, rerun


def _big_sources(tmp: Path, rows: int) -> Path:
    """One English source of `rows` distinct questions (native records), in its own folder."""
    data = tmp / "src" / "en" / "all.json"
    data.parent.mkdir(parents=True)
    records = [{"id": f"n{i}", "question": f"Question {i}: which dose fits case {i * 7919 % 10007}?",
                "options": [f"alpha {i}", f"beta {i}", f"gamma {i}"], "answer_index": i % 3}
               for i in range(rows)]
    data.write_text(json.dumps(records))
    sources = tmp / "src" / "sources.yaml"
    sources.write_text(f"""sources:
  - id: native
    name: Native records
    task: mcqa
    license: CC-BY-4.0
    format: json
    path: {data.parent.parent}
    files: "{{lang}}/all.json"
    languages: [en]
    adapter: globmed_native
""")
    return sources


def _snapshot(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _wait_for(condition: Callable[[], bool], proc: subprocess.Popen, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if proc.poll() is not None:
            pytest.fail(f"the build ended (status {proc.returncode}) before {what}")
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} after {timeout} s")
        time.sleep(0.01)


def test_two_builds_lock_and_a_killed_build_is_cleaned_up_by_the_rerun(tmp_path, capsys):
    """1000 one-row-group shards keep the write stage busy for seconds, so the kill lands mid-write."""
    sources = _big_sources(tmp_path, 6000)
    root = tmp_path / "release"
    argv = ["build", "--sources", str(sources), "--out", str(root), "--no-progress", "--no-near-dedup",
            "--max-shard-rows", "6"]
    assert main(argv) == 0
    before = _snapshot(root / "globmed")
    capsys.readouterr()

    first = subprocess.Popen(globmed_argv(*argv), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=cli_env())
    try:
        lock = root / ".globmed.lock"
        _wait_for(lambda: lock.is_file() and lock.read_text().strip() == str(first.pid), first, "lock file")
        started = time.monotonic()
        assert main(["build", "--sources", str(tmp_path / "missing.yaml"), "--out", str(root)]) == 2
        assert time.monotonic() - started < 5
        line = one_error_line(capsys, "build")
        assert f"another globmed process (PID {first.pid}) is writing it" in line

        def mid_write() -> bool:
            temps = [p for p in root.iterdir() if p.name.startswith(".globmed.tmp-")]
            return bool(temps) and len(list(temps[0].glob("data/en/mcqa/*.parquet"))) > 20

        _wait_for(mid_write, first, "temporary folder with shards")
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == -signal.SIGKILL
    leftovers = sorted(p.name for p in root.iterdir() if p.name != "globmed")
    assert any(name.startswith(".globmed.tmp-") for name in leftovers), leftovers  # what the kill left
    assert _snapshot(root / "globmed") == before  # the previous dataset is untouched

    assert main(argv) == 0  # the rerun: stale temp folder and lock file gone, same bytes as before
    assert sorted(p.name for p in root.iterdir()) == ["globmed"]
    assert _snapshot(root / "globmed") == before
