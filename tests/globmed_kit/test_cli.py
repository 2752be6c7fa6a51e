"""The console script: every subcommand answers --help, and user errors are one line with exit status 2."""

from __future__ import annotations

import subprocess
import sys

import pytest

from globmed_kit.cli import COMMANDS, main


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_subcommand_has_help_with_flags(name, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([name, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: globmed {name}")
    assert "--" in out.split("\n", 1)[1]  # it declares flags beyond the usage line


def test_top_level_help_lists_every_command(capsys):
    assert main([]) == 2
    out = capsys.readouterr().out
    for name in COMMANDS:
        assert name in out


def test_console_script_user_error_is_one_line_exit_2(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "globmed_kit.cli", "build", "--languages", "en,xx", "--out", str(tmp_path / "r")],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert lines[-1].startswith("globmed build: error:") and "'xx'" in lines[-1]
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "r").exists()
