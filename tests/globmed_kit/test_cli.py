"""The console script: every subcommand answers --help, and user errors are one line with exit status 2."""

from __future__ import annotations

import re
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


# The flags the hand-written parsers had before the flags were generated from the dataclasses.
OLD_FLAGS = {
    "build": "--sources --languages --out --num-proc --no-progress",
    "bench": "--model --roster --name --model-type --base-model --size-b --revision --dataset --tasks --languages "
             "--limit --shots --backend --scoring --chat-template --dtype --device --batch-size --max-new-tokens "
             "--tensor-parallel-size --data-parallel-size --base-url --api-key-env --concurrency --judge-model "
             "--judge-base-url --judge-api-key-env --resamples --seed --out --overwrite --bootstrap --json",
    "translate": "--dataset --languages --out --source --task --split --limit --cache --config --backend --model "
                 "--reviewer-model --base-url --api-key-env --concurrency --timeout --max-retries --max-tokens "
                 "--rounds --glossary --prompts --no-review --backtranslate --include-flagged --no-progress",
}


@pytest.mark.parametrize("name", list(OLD_FLAGS))
def test_generated_parsers_keep_every_old_flag(name, capsys):
    with pytest.raises(SystemExit):
        main([name, "--help"])
    out = capsys.readouterr().out
    missing = [flag for flag in OLD_FLAGS[name].split() if not re.search(rf"{flag}[\s,\]]", out)]
    assert not missing
