"""User-facing errors.

A `GlobMedError` is a mistake the user can fix (a bad flag, a missing file, a malformed YAML row). The CLI
prints its message as one line and exits with status 2, without a traceback; anything else is a bug and
keeps its traceback.
"""

from __future__ import annotations


class GlobMedError(Exception):
    """An error whose message alone tells the user what is wrong and what to do."""

    exit_code = 2


class OfflineError(GlobMedError):
    """A step needs the Hugging Face Hub while `HF_HUB_OFFLINE` is set (or the Hub is unreachable)."""


def hub_offline() -> bool:
    """True when the user asked for offline mode (`HF_HUB_OFFLINE=1`), read at call time."""
    import os

    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def require_online(resource: str, what_to_do: str) -> None:
    """Fail fast, naming the Hub resource and the remedy, when offline mode is on."""
    if hub_offline():
        raise OfflineError(f"{resource} needs the Hugging Face Hub but HF_HUB_OFFLINE is set; {what_to_do}")
