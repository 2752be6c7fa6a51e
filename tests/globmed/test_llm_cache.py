"""The one sqlite cache: round trips, counts, tables written before it, and puts that survive kill -9."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import pytest

from globmed.llm_cache import ResponseCache, request_key


def test_round_trip_counts_and_many(tmp_path):
    cache = ResponseCache(tmp_path / "deep" / "c.sqlite")
    assert cache.get("a") is None
    cache.put("a", {"text": "Habari, 你好", "n": [1, 2]})
    cache.put("b", {"text": "x"})
    cache.put("b", {"text": "y"})  # replaced, not duplicated
    assert cache.get("a") == {"text": "Habari, 你好", "n": [1, 2]}
    assert cache.get_many(["a", "b", "c"]) == {"a": {"text": "Habari, 你好", "n": [1, 2]}, "b": {"text": "y"}}
    assert (len(cache), cache.hits, cache.misses) == (2, 3, 2)
    many = {f"k{i}": i for i in range(1200)}  # more keys than one sqlite statement takes
    for key, value in many.items():
        cache.put(key, value)
    assert cache.get_many(many) == many
    cache.close()


def test_reads_the_benchmark_cache_files_written_before(tmp_path):
    path = tmp_path / "responses.sqlite"
    with sqlite3.connect(path) as db:  # the benchmark's own layout until the caches were merged
        db.execute("CREATE TABLE responses (key TEXT PRIMARY KEY, response TEXT NOT NULL)")
        db.execute("INSERT INTO responses VALUES (?, ?)", ("k", json.dumps({"choices": [{"text": "B"}]})))
    cache = ResponseCache(path)
    assert cache.get("k") == {"choices": [{"text": "B"}]}
    cache.put("k2", {"choices": []})
    assert len(cache) == 2
    cache.close()


def test_request_key_is_canonical():
    body = {"model": "m", "messages": [{"role": "user", "content": "q"}], "temperature": 0.0}
    assert request_key("/chat/completions", body) == request_key("/chat/completions", dict(reversed(body.items())))
    assert request_key("/chat/completions", body) != request_key("/completions", body)


@pytest.mark.parametrize(("kwargs", "message"), [({"sync": "off"}, "normal or full"), ({"table": "x; drop"}, "table")])
def test_bad_settings(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        ResponseCache(tmp_path / "c.sqlite", **kwargs)


def test_every_put_survives_kill_9(tmp_path):
    """A process killed with SIGKILL right after its puts (no close, no flush) loses none of them."""
    path = tmp_path / "c.sqlite"
    script = (
        "import os, signal\n"
        "from globmed.llm_cache import ResponseCache\n"
        f"cache = ResponseCache({str(path)!r}, table='results')\n"
        "for i in range(200):\n"
        "    cache.put(f'k{i}', {'i': i})\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True)
    assert proc.returncode == -9, proc.stderr.decode()[-2000:]
    cache = ResponseCache(path, table="results")
    assert len(cache) == 200 and cache.get("k199") == {"i": 199}
    cache.close()
