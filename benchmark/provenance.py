"""Where a run came from: git commit, date, library versions, hardware; and the dataset's MANIFEST hash."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

from globmed.atomic import sha256_file

_LIBRARIES = ("globmed", "torch", "transformers", "datasets", "evaluate", "sacrebleu", "httpx", "vllm", "numpy")


def git_commit() -> str:
    root = Path(__file__).resolve().parents[1]
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return out.stdout.strip() if out.returncode == 0 else "unknown"


def environment() -> dict[str, Any]:
    versions = {}
    for name in _LIBRARIES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    env: dict[str, Any] = {"python": sys.version.split()[0], "platform": platform.platform(), "libraries": versions}
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        env["gpus"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    return env


def provenance() -> dict[str, Any]:
    from globmed import __version__

    return {
        "git_commit": git_commit(),
        "date": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "globmed_version": __version__,
        "environment": environment(),
    }


def dataset_info(dataset: str | Path) -> dict[str, Any]:
    """Path and sha256 of MANIFEST.json (the dataset's fingerprint) when the folder has one."""
    path = Path(dataset)
    manifest = path / "MANIFEST.json"
    return {
        "path": str(dataset),
        "manifest_sha256": sha256_file(manifest) if manifest.is_file() else None,
    }
