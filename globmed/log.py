"""Logging set-up for the CLI: one format, levels chosen by -v/-q, noisy libraries kept quiet."""

from __future__ import annotations

import logging
import sys

_QUIET_LIBRARIES = ("httpx", "httpcore", "urllib3", "filelock", "fsspec", "datasets", "huggingface_hub")


def setup_logging(verbosity: int = 0) -> None:
    """verbosity: -1 quiet (warnings), 0 info, 1+ debug."""
    level = logging.WARNING if verbosity < 0 else logging.DEBUG if verbosity > 0 else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in _QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
