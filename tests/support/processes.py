"""Stopping the servers tests start (the Space, `transformers serve`): ask first, then kill."""

from __future__ import annotations

import subprocess


def stop(proc: subprocess.Popen, grace_s: float = 20) -> None:
    """Terminate `proc`, and kill it if it has not exited within `grace_s` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
