"""What a test needs from the machine (a program, an optional package), and what happens when it is absent.

On a developer's machine a missing tool skips the test with the command that installs it. In CI (`CI` set to
anything but "", "0", "false" or "no") the same absence fails the test: `.ci/run` installs every tool, so a
skip there would only hide that a check never ran.

    >>> need_module("json").__name__
    'json'
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from types import ModuleType
from typing import NoReturn

import pytest

OFF = {"", "0", "false", "no"}


def in_ci() -> bool:
    """True when the CI variable is set on (GitHub Actions, GitLab and `.ci/run` callers set CI=true)."""
    return os.environ.get("CI", "").strip().lower() not in OFF


def missing(reason: str) -> NoReturn:
    """Fail in CI, skip elsewhere; `reason` names what is missing and how to install it."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: a missing tool fails the test instead of skipping it)", pytrace=False)
    pytest.skip(reason)


def need_module(name: str, install: str) -> ModuleType:
    """Import `name`, or fail/skip with the `install` hint when it is not installed."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        missing(f"{name} not importable ({exc}); {install}")


def need_executable(path: str | Path, install: str) -> Path:
    """The executable at `path`, or fail/skip with the `install` hint when it is absent or not executable."""
    path = Path(path)
    if not (path.is_file() and os.access(path, os.X_OK)):
        missing(f"{path} missing or not executable; {install}")
    return path
