"""A planted secret never reaches a file or a log: real runs of bench, translate, release and demo.

One random string is the password in the base URL, the value of its `api_key` query parameter and the API key in
the environment. Each command runs for real (bench and translate against `transformers serve` on loopback);
then every file it wrote, and everything it printed or logged (-v), is searched for the secret. The requests
themselves must still carry it: the first test checks what the server receives.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from support.cards import make_release_root, synthetic_run, write_run

from globmed_kit.cli import main

KEY_ENV = "GLOBMED_PLANTED_KEY"


@pytest.fixture
def secret(monkeypatch) -> str:
    value = "planted" + secrets.token_hex(12)
    for name in (KEY_ENV, "OPENAI_API_KEY", "HF_TOKEN", "GLOBMED_CHAT_API_KEY"):
        monkeypatch.setenv(name, value)
    return value


def secret_url(origin: str, secret: str) -> str:
    """`origin` (http://host:port) with the secret as password and as the api_key query value."""
    host = urlsplit(origin).netloc
    return f"http://alice:{secret}@{host}/v1?api-version=1&api_key={secret}"


def redacted_url(origin: str) -> str:
    return f"http://***@{urlsplit(origin).netloc}/v1?api-version=1&api_key=***"


def assert_nowhere(secret: str, folders: list[Path], *texts: str) -> int:
    """No file under `folders` and none of `texts` holds the secret (nor the basic-auth header made from it);
    returns how many files were searched."""
    forms = [secret.encode(), base64.b64encode(f"alice:{secret}".encode())]
    searched = 0
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                data = path.read_bytes()
                assert not any(form in data for form in forms), path
                searched += 1
    for text in texts:
        assert not any(form.decode() in text for form in forms)
    return searched


def test_requests_still_carry_the_url_credentials(loopback_http, secret):
    """The password becomes basic auth and the query stays on every request (path first, then the query)."""
    from globmed.llm_client import EndpointClient, stream_chat
    from globmed.llm_config import BackendConfig

    seen: list[tuple[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append((self.path, self.headers.get("Authorization", "")))
            if body.get("stream"):
                payload = b'data: {"choices": [{"delta": {"content": "ok"}}]}\n\ndata: [DONE]\n\n'
                ctype = "text/event-stream"
            else:
                payload = json.dumps({"choices": [{"message": {"content": "ok"}}]}).encode()
                ctype = "application/json"
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    url = secret_url(loopback_http(Handler), secret)

    async def one_chat() -> str:
        client = EndpointClient(BackendConfig(model="m", base_url=url, concurrency=1))
        try:
            return (await client.chat([{"role": "user", "content": "hi"}])).text
        finally:
            await client.aclose()

    assert asyncio.run(one_chat()) == "ok"
    chat_url = url.replace("/v1?", "/v1/chat/completions?")
    assert "".join(stream_chat(chat_url, {"model": "m", "messages": []})) == "ok"
    basic = "Basic " + base64.b64encode(f"alice:{secret}".encode()).decode()
    assert seen == [(f"/v1/chat/completions?api-version=1&api_key={secret}", basic)] * 2


@pytest.mark.server
def test_bench_openai_backend_and_judge(transformers_server, tiny_model_dir, tiny_dataset_dir, tmp_path, secret,
                                        capfd):
    url, out = secret_url(transformers_server, secret), tmp_path / "results"
    argv = ["-v", "bench", "--model", str(tiny_model_dir), "--name", "tiny-api", "--backend", "openai",
            "--base-url", url, "--api-key-env", KEY_ENV, "--dataset", str(tiny_dataset_dir), "--languages", "en,sw",
            "--tasks", "mcqa,lfqa", "--limit", "2", "--max-new-tokens", "4", "--out", str(out),
            "--judge-model", str(tiny_model_dir), "--judge-base-url", url, "--judge-api-key-env", KEY_ENV]
    assert main(argv) == 0
    captured = capfd.readouterr()
    (result,) = out.glob("*.json")
    config = json.loads(result.read_text())["config"]
    assert config["backend_details"]["base_url"] == config["judge"]["base_url"] == redacted_url(transformers_server)
    assert (out / ".cache" / "responses.sqlite").is_file() and (out / ".cache" / "judge.sqlite").is_file()
    assert assert_nowhere(secret, [out], captured.out, captured.err) >= 4  # JSON, samples, two caches


@pytest.mark.server
def test_translate(transformers_server, tiny_model_dir, tiny_dataset_dir, tmp_path, secret, capfd):
    out = tmp_path / "mt"
    argv = ["-v", "translate", "--dataset", str(tiny_dataset_dir), "--languages", "sw", "--task", "mcqa",
            "--limit", "1", "--out", str(out), "--base-url", secret_url(transformers_server, secret),
            "--api-key-env", KEY_ENV, "--model", str(tiny_model_dir), "--max-tokens", "8", "--rounds", "1",
            "--no-review", "--no-progress"]
    assert main(argv) == 0
    captured = capfd.readouterr()
    report = json.loads((out / "translate_report.json").read_text())
    assert report["config"]["backend"]["base_url"] == redacted_url(transformers_server)
    assert report["requests"] == report["pairs"] > 0 and report["unreachable"] == 0  # the server answered each
    assert (out / "flagged.json").is_file() and (out / ".cache" / "translate.sqlite").is_file()
    assert redacted_url(transformers_server) in captured.err  # the config line is logged, redacted
    assert assert_nowhere(secret, [out], captured.out, captured.err) >= 5


def test_release_masks_a_results_file_written_before_redaction(tiny_model_dir, tiny_dataset_dir, tmp_path, secret,
                                                               capfd):
    root = make_release_root(tmp_path / "release", tiny_model_dir, tiny_dataset_dir)
    old = synthetic_run("old-api-run", {"en": 0.5, "sw": 0.4}, run_id="old-api-run__0123456789")
    old.config["backend_details"] = {"base_url": secret_url("http://api.example.org", secret)}
    old.config["judge"] = {"model": "judge", "base_url": secret_url("http://judge.example.org:8443", secret)}
    planted = write_run(root / "results", old)
    assert main(["-v", "release", "--out", str(root), "--dry-run"]) == 0
    captured = capfd.readouterr()
    copy = json.loads((root / "globmed-space" / "results" / planted.name).read_text())
    assert copy["config"]["backend_details"]["base_url"] == redacted_url("http://api.example.org")
    assert copy["config"]["judge"]["base_url"] == redacted_url("http://judge.example.org:8443")
    assert copy["results"] == json.loads(planted.read_text())["results"]  # only the URLs changed
    folders = [p for p in root.iterdir() if p.is_dir() and p.name != "results"]  # results/ is the planted input
    assert assert_nowhere(secret, folders, captured.out, captured.err) > 10


def test_demo(tmp_path, secret, capfd):
    """The demo's stages that need no trained model, with the secret in every key variable of the environment."""
    root = tmp_path / "demo"
    assert main(["-v", "demo", "--out", str(root), "--no-serve", "--stages", "build,card-dataset,release"]) == 0
    captured = capfd.readouterr()
    assert "all 3 stages done" in captured.out
    assert assert_nowhere(secret, [root], captured.out, captured.err) > 10
