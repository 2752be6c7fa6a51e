"""Fixtures: a scripted OpenAI-compatible server on loopback (a subprocess, random port), started per test."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest


@dataclass
class MockServer:
    process: subprocess.Popen
    port: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def stats(self) -> dict:
        return httpx.get(f"http://127.0.0.1:{self.port}/stats", timeout=10).json()


@contextmanager
def run_mock_server(tmp_path: Path, script: dict | None = None, latency: float = 0.0) -> Iterator[MockServer]:
    script_path = tmp_path / f"script-{id(script)}.json"
    script_path.write_text(json.dumps(script or {}))
    cmd = [
        sys.executable,
        str(Path(__file__).resolve().parents[2] / "support" / "mock_openai_server.py"),
        "--port",
        "0",
        "--latency",
        str(latency),
        "--script",
        str(script_path),
    ]
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        if not line.startswith("READY "):
            raise RuntimeError(f"mock server did not start: {line!r} {process.stderr.read()[:2000]}")
        yield MockServer(process, int(line.split()[1]))
    finally:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture
def mock_server(tmp_path):
    """Factory: `with mock_server(script, latency) as server:`."""

    def factory(script: dict | None = None, latency: float = 0.0):
        return run_mock_server(tmp_path, script, latency)

    return factory
