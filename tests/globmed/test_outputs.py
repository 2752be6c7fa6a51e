"""globmed.outputs: ownership markers, refusals, atomic replacement, the lock, crash recovery, file modes.

Each crash state is laid out on disk as a killed run leaves it; the lock is held by a real second process.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time

import pytest
from support.file_modes import plain_modes
from support.readonly import cli_env

from globmed.errors import GlobMedError
from globmed.outputs import (
    MARKER,
    atomic_dir,
    check_output_dir,
    check_output_file,
    check_writable,
    claim_dir,
    output_lock,
    writer_of,
)


def test_atomic_dir_keeps_old_version_on_failure_and_leaves_only_the_target(tmp_path):
    target = tmp_path / "out"
    with atomic_dir(target, "build") as tmp:
        (tmp / "a.txt").write_text("one")
    with pytest.raises(RuntimeError), atomic_dir(target, "build") as tmp:
        (tmp / "a.txt").write_text("two")
        raise RuntimeError("crash")
    assert (target / "a.txt").read_text() == "one"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temp folder, no lock file
    assert target.stat().st_mode & 0o755 == 0o755  # not mkdtemp's private 0700
    assert writer_of(target) == "build"


def test_existing_file_at_a_folder_output_is_refused_and_left_alone(tmp_path):
    """Before: the file was moved to a hidden `.out.old-PID` and deleted. Now: one line, the file untouched."""
    target = tmp_path / "out"
    target.write_text("my notes")
    for overwrite in (False, True):
        with pytest.raises(GlobMedError, match=r"out: is a file, not a folder"), \
                atomic_dir(target, "build", overwrite) as tmp:
            (tmp / "a.txt").write_text("new")
    assert target.read_text() == "my notes"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_folder_written_by_another_hand_is_refused_unless_overwrite(tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    (target / "results.json").write_text("{}")
    with pytest.raises(GlobMedError) as err, atomic_dir(target, "bench export-lmeval") as tmp:
        (tmp / "x.yaml").write_text("x")
    message = str(err.value)
    assert "\n" not in message and str(target) in message and "results.json" in message
    assert "--overwrite" in message and "replace it as a whole" in message
    assert (target / "results.json").read_text() == "{}"
    with atomic_dir(target, "bench export-lmeval", overwrite=True) as tmp:
        (tmp / "x.yaml").write_text("x")
    assert sorted(p.name for p in target.iterdir()) == [MARKER, "x.yaml"]


def test_a_command_reruns_into_its_own_folder_and_names_the_other_writer(tmp_path):
    target = tmp_path / "out"
    for _ in range(2):
        with atomic_dir(target, "build") as tmp:
            (tmp / "data.parquet").write_bytes(b"x")
    with pytest.raises(GlobMedError, match=r"written by `globmed build`.*--overwrite"):
        check_output_dir(target, "train", replaces=True)
    empty = tmp_path / "empty"
    empty.mkdir()
    check_output_dir(empty, "train", replaces=True)  # nothing in it to lose


def test_claim_dir_marks_accumulates_and_refuses_foreign_files(tmp_path):
    results = tmp_path / "results"
    claim_dir(results, "bench")
    (results / "run-a.json").write_text("{}")
    claim_dir(results, "bench")  # a second run adds to its own folder
    assert writer_of(results) == "bench"
    tasks = tmp_path / "tasks"
    tasks.mkdir()
    (tasks / "globmed_sw_mcqa.yaml").write_text("task: x\n")
    with pytest.raises(GlobMedError, match=r"did not write \(globmed_sw_mcqa.yaml; .*write into it anyway"):
        claim_dir(tasks, "bench")
    assert not (tasks / MARKER).exists()
    claim_dir(tasks, "bench", overwrite=True)
    assert writer_of(tasks) == "bench" and (tasks / "globmed_sw_mcqa.yaml").exists()


def test_single_output_file(tmp_path):
    path = tmp_path / "draft.yaml"
    check_output_file(path)
    path.write_text("mine")
    with pytest.raises(GlobMedError, match=r"draft.yaml exists; pass --overwrite"):
        check_output_file(path)
    check_output_file(path, overwrite=True)
    with pytest.raises(GlobMedError, match=r"is a folder"):
        check_output_file(tmp_path)


def test_paths_under_a_file_are_refused_naming_the_file(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    for check in (lambda p: check_writable(p), lambda p: claim_dir(p, "bench"),
                  lambda p: check_output_dir(p, "build", replaces=True)):
        with pytest.raises(GlobMedError, match=rf"is under {blocker}, which is a file"):
            check(blocker / "sub" / "out")
    assert blocker.read_text() == "x"


# ------------------------------------------------------------------ crash states


def test_stale_temp_folders_of_a_killed_run_are_removed(tmp_path):
    target = tmp_path / "globmed"
    with atomic_dir(target, "build") as tmp:
        (tmp / "a").write_text("v1")
    for name in (".globmed.tmp-abc123", ".globmed.tmp-zz"):  # what kill -9 during the write leaves
        (tmp_path / name).mkdir()
        (tmp_path / name / "half.parquet").write_bytes(b"partial")
    (tmp_path / ".globmed.rejected.tmp-1").mkdir()  # another target's: not ours to touch
    with atomic_dir(target, "build") as tmp:
        (tmp / "a").write_text("v2")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".globmed.rejected.tmp-1", "globmed"]
    assert (target / "a").read_text() == "v2"


def test_a_crash_between_the_two_renames_is_rolled_back(tmp_path, caplog):
    """Only `.NAME.old-PID` is left (the old target moved aside, the new one never renamed in): restored."""
    target = tmp_path / "globmed"
    with atomic_dir(target, "build") as tmp:
        (tmp / "a").write_text("previous")
    os.replace(target, tmp_path / ".globmed.old-4242")
    (tmp_path / ".globmed.tmp-new").mkdir()  # the complete new version that was never renamed in
    with output_lock(target):
        assert (target / "a").read_text() == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["globmed"]
    assert "restored the previous version from .globmed.old-4242" in caplog.text


def test_a_crash_after_the_second_rename_finishes_the_cleanup(tmp_path):
    target = tmp_path / "globmed"
    with atomic_dir(target, "build") as tmp:
        (tmp / "a").write_text("new")
    old = tmp_path / ".globmed.old-4242"
    old.mkdir()
    (old / "a").write_text("previous")
    with pytest.raises(RuntimeError), atomic_dir(target, "build") as tmp:  # the next run fails, yet cleans up
        raise RuntimeError("later failure")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["globmed"]
    assert (target / "a").read_text() == "new"


# ------------------------------------------------------------------ the lock

HOLDER = """
import sys, time
from globmed.outputs import output_lock
with output_lock(sys.argv[1]):
    print("locked", flush=True)
    sys.stdin.readline()
"""


def test_a_second_writer_fails_at_once_naming_the_holders_pid(tmp_path):
    target = tmp_path / "globmed"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(target)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, env=cli_env())
    try:
        assert holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        with pytest.raises(GlobMedError) as err, atomic_dir(target, "build") as tmp:
            (tmp / "a").write_text("never")
        assert time.monotonic() - started < 2
        assert f"another globmed process (PID {holder.pid}) is writing it" in str(err.value)
        assert not target.exists()
    finally:
        holder.communicate("done\n", timeout=30)
    assert holder.returncode == 0
    with atomic_dir(target, "build") as tmp:  # released: the next writer gets it, and the lock file is gone
        (tmp / "a").write_text("now")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["globmed"]


def test_the_lock_is_reentrant_within_a_process(tmp_path):
    target = tmp_path / "globmed"
    with output_lock(target), atomic_dir(target, "build") as tmp:
        (tmp / "a").write_text("x")
        assert (tmp_path / ".globmed.lock").read_text().strip() == str(os.getpid())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["globmed"]


def test_a_lock_that_created_the_root_removes_it_when_nothing_was_written(tmp_path):
    root = tmp_path / "release" / "deeper"
    with pytest.raises(GlobMedError), output_lock(root / "globmed"):
        raise GlobMedError("bad --languages")
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ file modes


def test_files_in_an_atomic_folder_follow_the_umask(tmp_path):
    """safetensors writes 0600 (the source of model.safetensors' mode); every file ends as a plain open() makes it."""
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file

    expected, executable = plain_modes(tmp_path)
    with atomic_dir(tmp_path / "model", "train") as tmp:
        save_file({"w": torch.zeros(2)}, str(tmp / "model.safetensors"))
        assert stat.S_IMODE((tmp / "model.safetensors").stat().st_mode) == 0o600  # the cause, still there
        fd = os.open(tmp / "private.json", os.O_WRONLY | os.O_CREAT, 0o600)
        os.close(fd)
        (tmp / "run.sh").write_text("#!/bin/sh\n")
        (tmp / "run.sh").chmod(0o700)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "model").iterdir()}
    assert modes == {"model.safetensors": expected, "private.json": expected, "run.sh": executable, MARKER: expected}
