"""File modes as plain open()/mkdir() give them here, found without the product's helpers."""

from __future__ import annotations

import stat
from pathlib import Path


def plain_modes(folder: Path) -> tuple[int, int]:
    """(file, folder) modes of a new file and a new folder in `folder`: 0644 and 0755 under umask 022."""
    probe, probe_dir = folder / "plain-open-probe", folder / "plain-mkdir-probe"
    probe.write_text("x")
    probe_dir.mkdir()
    modes = stat.S_IMODE(probe.stat().st_mode), stat.S_IMODE(probe_dir.stat().st_mode)
    probe.unlink()
    probe_dir.rmdir()
    return modes


def unlike_plain(folder: Path) -> dict[str, str]:
    """Every file or folder under `folder` whose mode differs from a plain write's, as {path: octal mode}."""
    file_mode, dir_mode = plain_modes(folder.parent)
    odd = {}
    for path in sorted(folder.rglob("*")):
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode != (dir_mode if path.is_dir() else file_mode):
            odd[path.relative_to(folder).as_posix()] = oct(mode)
    return odd
