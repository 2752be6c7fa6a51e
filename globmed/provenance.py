"""Where an artefact came from, recorded the same way by every part: installed library versions, the git
commit of the kit, and the dataset's fingerprint (the sha256 of its MANIFEST.json).

The benchmark's results, the training record (globmed_training.json) and the cards all use these, so a
version or a dataset hash printed in a card is the one the run recorded.
"""

from __future__ import annotations

import subprocess
from importlib import metadata
from pathlib import Path

from globmed.atomic import sha256_file


def library_versions(names: tuple[str, ...] | list[str]) -> dict[str, str]:
    """Installed versions of `names`, in that order; a library that is not installed is left out."""
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def git_commit() -> str:
    """The kit's git commit, or "unknown" outside a checkout."""
    root = Path(__file__).resolve().parents[1]
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return out.stdout.strip() if out.returncode == 0 else "unknown"


def manifest_sha256(dataset: str | Path) -> str | None:
    """sha256 of a dataset folder's MANIFEST.json (its fingerprint); None for a Hub id or a folder without one."""
    manifest = Path(dataset) / "MANIFEST.json"
    return sha256_file(manifest) if manifest.is_file() else None
