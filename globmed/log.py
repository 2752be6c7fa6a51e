"""Logging set-up for the CLI: one format, levels chosen by -v/-q, noisy libraries kept quiet, URLs redacted.

Quiet by default: the kit logs one line per step and shows one progress bar per long phase. `datasets` would
add a bar per parquet file it reads ("Generating test split", 72 of them for one benchmark run) and per `map`;
`library_bars_hidden()` turns those off around the kit's reads unless `-v` was given.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager

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


def verbose() -> bool:
    """Whether `-v` was given (the root logger passes debug records): details and libraries' own bars are shown."""
    return logging.getLogger().isEnabledFor(logging.DEBUG)


@contextmanager
def library_bars_hidden() -> Iterator[None]:
    """`datasets`' progress bars off inside the block unless `-v`; the previous state is restored after it.

    The kit's own bars (plain tqdm) stay. A user who set HF_DATASETS_DISABLE_PROGRESS_BARS=0 keeps the bars:
    `datasets` gives that variable priority, and so do we.
    """
    import datasets

    if verbose() or datasets.config.HF_DATASETS_DISABLE_PROGRESS_BARS is False:
        yield
        return
    was_hidden = datasets.are_progress_bars_disabled()
    datasets.disable_progress_bars()
    try:
        yield
    finally:
        if not was_hidden:
            datasets.enable_progress_bars()
