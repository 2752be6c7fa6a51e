"""Where a run came from: git commit, date, library versions, hardware; and the dataset's MANIFEST hash."""

from __future__ import annotations

import datetime as dt
import platform
import sys
from pathlib import Path
from typing import Any

from globmed.provenance import git_commit, library_versions, manifest_sha256

_LIBRARIES = ("globmed", "torch", "transformers", "datasets", "evaluate", "sacrebleu", "httpx", "vllm", "numpy")


def environment() -> dict[str, Any]:
    versions = library_versions(_LIBRARIES)
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
    return {"path": str(dataset), "manifest_sha256": manifest_sha256(dataset)}
