"""Logging set-up for the CLI: one format, levels chosen by -v/-q, noisy libraries kept quiet, URLs redacted."""

from __future__ import annotations

import logging
import sys

from globmed.redact import scrub_text

_QUIET_LIBRARIES = ("httpx", "httpcore", "urllib3", "filelock", "fsspec", "datasets", "huggingface_hub")


class RedactingFormatter(logging.Formatter):
    """Every record, tracebacks included, with the credentials of any URL in it masked (globmed.redact): a
    library's message or an exception that quotes a base URL cannot put its password on the terminal or in a log."""

    def format(self, record: logging.LogRecord) -> str:
        return scrub_text(super().format(record))


def setup_logging(verbosity: int = 0) -> None:
    """verbosity: -1 quiet (warnings), 0 info, 1+ debug."""
    level = logging.WARNING if verbosity < 0 else logging.DEBUG if verbosity > 0 else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in _QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
