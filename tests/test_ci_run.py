""".ci/run installs chromium and the CJK and emoji fonts, and a failed install stops CI before `make test`.

The script runs for real with `dpkg-query`, `apt-get`, `id` and `make` replaced by stubs on PATH that log
their arguments, so nothing is installed and no test suite is started.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

CI_RUN = Path(__file__).resolve().parents[1] / ".ci" / "run"
PACKAGES = {"chromium", "fonts-noto-cjk", "fonts-noto-color-emoji"}


def _stub(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text(f'#!/bin/sh\necho "{name} $*" >> "$STUB_LOG"\n{body}\n')
    path.chmod(0o755)


def run_ci(tmp_path: Path, *, installed: bool, apt_exit: int) -> tuple[int, list[str]]:
    stubs = tmp_path / "bin"
    stubs.mkdir()
    _stub(stubs, "dpkg-query", 'printf "install ok installed"' if installed else "exit 1")
    _stub(stubs, "apt-get", f"exit {apt_exit}")
    _stub(stubs, "id", "echo 0")  # as root: no sudo
    _stub(stubs, "make", "exit 0")
    log = tmp_path / "calls.log"
    log.touch()
    env = {**os.environ, "PATH": f"{stubs}:{os.environ['PATH']}", "STUB_LOG": str(log)}
    proc = subprocess.run(["bash", str(CI_RUN)], env=env, capture_output=True, text=True, timeout=60)
    return proc.returncode, log.read_text().splitlines()


def test_failed_install_stops_ci_before_the_tests(tmp_path):
    code, calls = run_ci(tmp_path, installed=False, apt_exit=100)
    assert code != 0
    assert not any(call.startswith("make") for call in calls)


def test_missing_packages_are_installed_then_tests_run(tmp_path):
    code, calls = run_ci(tmp_path, installed=False, apt_exit=0)
    assert code == 0
    installs = [call.split() for call in calls if call.startswith("apt-get") and " install " in call]
    assert len(installs) == 1 and set(installs[0]) >= PACKAGES
    assert calls[-1] == "make test"


def test_nothing_installed_when_everything_is_present(tmp_path):
    code, calls = run_ci(tmp_path, installed=True, apt_exit=100)
    assert code == 0
    assert not any(call.startswith("apt-get") for call in calls) and calls[-1] == "make test"
