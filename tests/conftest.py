"""Shared fixtures: offline environment, a tiny model built from a config, a tiny dataset folder."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from support.needs import missing, need_module
from support.processes import stop

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REALDATA = Path(__file__).resolve().parents[1].parent / "shared" / "realdata"


@pytest.fixture(scope="session")
def realdata() -> Path:
    if not REALDATA.is_dir():
        missing(f"{REALDATA} not present: CI runs with ../shared beside the checkout")
    return REALDATA


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def free_port_factory():
    """Call it for a port on 127.0.0.1 that was free a moment ago."""
    return _free_port


@pytest.fixture
def loopback_http():
    """Factory: serve a `BaseHTTPRequestHandler` class on 127.0.0.1 (a free port) in a thread; returns its URL."""
    servers: list[ThreadingHTTPServer] = []

    def start(handler: type) -> str:
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def transformers_server(tiny_model_dir, tmp_path_factory):
    """A real OpenAI-compatible server, `transformers serve` on the tiny model on loopback; yields its base URL.

    One per session: the benchmark's and the translation's OpenAI-compatible paths are both tested against it.
    """
    need_module("fastapi", "pip install -e '.[serve]'")
    need_module("uvicorn", "pip install -e '.[serve]'")
    exe = Path(sys.executable).parent / "transformers"
    command = [str(exe) if exe.exists() else shutil.which("transformers") or "transformers", "serve",
               str(tiny_model_dir), "--host", "127.0.0.1", "--port", str(port := _free_port()), "--device", "cpu"]
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with open(log, "w") as handle:
        proc = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT,
                                env={**os.environ, "HF_HUB_OFFLINE": "1"})
    url = f"http://127.0.0.1:{port}"
    import httpx

    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"transformers serve exited: {log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"transformers serve did not become healthy in 120 s: {log.read_text()[-2000:]}")
            time.sleep(0.5)
        yield url
    finally:
        stop(proc)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A 2-layer Qwen3 model with a tokenizer trained on multilingual text; built once per session."""
    from globmed.tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny-model"))


@pytest.fixture(scope="session")
def tiny_dataset_dir(tmp_path_factory) -> Path:
    """A small synthetic dataset folder in the published layout (data/<lang>/<task>/<split>-00000-of-00001.parquet).

    Its rows are predictable (answer index = row % options), which the training and benchmark tests rely on;
    the builder's own tests build the bundled sample with the real pipeline.
    """
    from datasets import Dataset

    from globmed.languages import language_codes
    from globmed.schema import Record, TranslationInfo, features

    root = tmp_path_factory.mktemp("dataset") / "globmed"
    labels = ["entailment", "neutral", "contradiction"]
    for lang in language_codes():
        for task in ("mcqa", "nli", "lfqa"):
            for split, count in (("train", 12), ("validation", 4), ("test", 8)):
                rows = []
                for i in range(count):
                    sid = f"{split}-{i}"
                    if task == "mcqa":
                        options = [f"{lang} option {k} of item {sid}" for k in range(4)]
                        answer_index = i % 4
                        answer = options[answer_index]
                    elif task == "nli":
                        options, answer_index = labels, i % 3
                        answer = labels[answer_index]
                    else:
                        options, answer_index, answer = [], -1, f"{lang} long answer to question {sid}."
                    rows.append(
                        Record(
                            id=f"{task}src:{sid}:{lang}", parallel_id=f"{task}src:{sid}", language=lang, task=task,
                            source=f"{task}src", context="premise" if task == "nli" else "",
                            question=f"{lang} question {sid} for {task}?", options=options,
                            answer_index=answer_index, answer=answer, license="CC-BY-4.0",
                            translation=TranslationInfo(method="original" if lang == "en" else "machine"),
                        ).to_row()
                    )
                out = root / "data" / lang / task / f"{split}-00000-of-00001.parquet"
                out.parent.mkdir(parents=True, exist_ok=True)
                Dataset.from_list(rows, features=features()).to_parquet(str(out))
    (root / "README.md").write_text("---\nconfigs: []\n---\n# tiny test dataset\n")
    return root
