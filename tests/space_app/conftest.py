"""Fixtures of the Space tests: synthetic results folders, hostile uploads, a served app."""

from __future__ import annotations

import random
import socket
from pathlib import Path

import pytest

from space_app.synthetic import make_run, write_runs


@pytest.fixture(scope="session")
def results_dir(tmp_path_factory) -> Path:
    """30 synthetic runs (every tenth a GlobMed fine-tune of the run before it)."""
    folder = tmp_path_factory.mktemp("results")
    write_runs(folder, 30, seed=1)
    return folder


@pytest.fixture
def run_dict():
    """A factory of valid results dicts with chosen fields."""
    rng = random.Random(7)

    def make(index: int = 0, **kwargs):
        return make_run(index, rng, **kwargs)

    return make


@pytest.fixture(scope="session")
def free_port_factory():
    """Call it for a port on 127.0.0.1 that was free a moment ago."""
    return _free_port


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
