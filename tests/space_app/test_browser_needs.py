"""In CI a browser test whose chromium or playwright is missing fails; elsewhere it skips (tests/support/needs.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from support.needs import need_executable, need_module

ROOT = Path(__file__).resolve().parents[2]
BROWSER_TESTS = ROOT / "tests" / "space_app" / "test_space_browser.py"


@pytest.mark.parametrize("ci", ["true", "1", "yes"])
def test_missing_executable_or_module_fails_in_ci(monkeypatch, tmp_path, ci):
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.fail.Exception, match="no-chromium missing"):
        need_executable(tmp_path / "no-chromium", "apt-get install chromium")
    with pytest.raises(pytest.fail.Exception, match="no_such_module_globmed"):
        need_module("no_such_module_globmed", "pip install it")


@pytest.mark.parametrize("ci", [None, "", "false", "0"])
def test_missing_executable_or_module_skips_outside_ci(monkeypatch, tmp_path, ci):
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    not_executable = tmp_path / "chromium"
    not_executable.write_text("#!/bin/sh\n")  # present, but without the executable bit
    with pytest.raises(pytest.skip.Exception, match="not executable"):
        need_executable(not_executable, "apt-get install chromium")
    with pytest.raises(pytest.skip.Exception):
        need_module("no_such_module_globmed", "pip install it")


def test_present_executable_and_module_are_returned(monkeypatch, tmp_path):
    monkeypatch.setenv("CI", "true")
    exe = tmp_path / "chromium"
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    assert need_executable(exe, "unused") == exe
    assert need_module("json", "unused").dumps([1]) == "[1]"


def _run_browser_tests(tmp_path: Path, ci: str) -> tuple[int, str]:
    """Run the real browser test module in a child pytest with chromium pointed at a path that does not exist."""
    env = {**os.environ, "CI": ci, "GLOBMED_CHROMIUM": str(tmp_path / "no-chromium")}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", str(BROWSER_TESTS), "-q", "-p", "no:cacheprovider", "-rfEs"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    return proc.returncode, proc.stdout + proc.stderr


def test_browser_tests_fail_not_skip_in_ci_without_chromium(tmp_path):
    code, out = _run_browser_tests(tmp_path, "true")
    assert code == 1, out
    summary = out.strip().splitlines()[-1]
    assert re.search(r"\d+ errors?", summary) and "skipped" not in summary and "passed" not in summary, out
    assert "no-chromium missing or not executable" in out


def test_browser_tests_skip_outside_ci_without_chromium(tmp_path):
    code, out = _run_browser_tests(tmp_path, "false")
    assert code == 0, out
    summary = out.strip().splitlines()[-1]
    assert re.search(r"\d+ skipped", summary) and "error" not in summary and "passed" not in summary, out
