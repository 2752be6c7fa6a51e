"""Run `globmed ...` in a subprocess that cannot write in a given folder, whoever runs the tests.

For a normal user, `chmod 0500` makes a folder read-only. Root ignores permission bits, so as root the folder is
bind-mounted read-only in a private mount namespace (`unshare -m`): a read-only mount stops root too. Where the
machine allows neither (root without the right to mount), the calling test is skipped with that reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
_NO_MOUNT = 97  # the wrapper's status when the read-only bind mount is refused
_WRAPPER = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" || exit 97; shift; exec "$@"'


def globmed_argv(*argv: str | Path) -> list[str]:
    return [sys.executable, "-m", "globmed_kit.cli", *map(str, argv)]


def cli_env() -> dict[str, str]:
    """The environment of a `globmed` subprocess: this checkout's code first, offline."""
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, "HF_HUB_OFFLINE": "1"}


def run_readonly(folder: Path, *argv: str | Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`globmed ARGV` with `folder` read-only for it; returns the finished process (text stdout/stderr)."""
    command = globmed_argv(*argv)
    if os.geteuid() != 0:
        folder.chmod(0o500)
        try:
            return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=cli_env())
        finally:
            folder.chmod(0o755)
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("running as root, where permission bits do not stop writes, and `unshare` (util-linux) is "
                    "missing, so no read-only bind mount can stand in for a read-only folder")
    proc = subprocess.run([unshare, "-m", "sh", "-c", _WRAPPER, "sh", str(folder), *command],
                          capture_output=True, text=True, timeout=timeout, env=cli_env())
    if proc.returncode == _NO_MOUNT or "unshare failed" in proc.stderr:
        pytest.skip("running as root, where permission bits do not stop writes, and this machine refuses a "
                    f"read-only bind mount in a private mount namespace: {proc.stderr.strip()[-200:]}")
    return proc
