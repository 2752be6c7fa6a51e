"""Chat backends (a real local model, a real local OpenAI-style server) and the example questions."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from typing import ClassVar

import pytest

from globmed.errors import GlobMedError
from globmed.languages import language_codes
from space_app import chat, text


def test_examples_come_from_the_sample_when_present(tmp_path):
    folder = tmp_path / "GlobMed_LiveQA" / "sw"
    folder.mkdir(parents=True)
    items = [{"id": f"liveqa:{i}:sw", "question": f"Swali la {i}?", "answer": "Jibu."} for i in range(8)]
    items.insert(1, {"id": "broken", "answer": "no question"})
    (folder / "test.json").write_text(json.dumps(items), encoding="utf-8")
    assert chat.example_questions("sw", tmp_path, limit=3) == ["Swali la 0?", "Swali la 1?", "Swali la 2?"]


@pytest.mark.parametrize("content", ["{not json", '{"question": "not a list"}', "[]"])
def test_examples_fall_back_to_the_shipped_yaml(tmp_path, content):
    folder = tmp_path / "GlobMed_LiveQA" / "yo"
    folder.mkdir(parents=True)
    (folder / "test.json").write_text(content, encoding="utf-8")
    shipped = chat.example_questions("yo", tmp_path)
    assert shipped and all(isinstance(q, str) and q for q in shipped)


def test_every_registry_language_has_shipped_examples(tmp_path):
    for code in language_codes():
        assert chat.example_questions(code, tmp_path / "nothing-here"), code


def test_build_messages_reads_gradio6_content_parts():
    history = [{"role": "user", "content": [{"type": "text", "text": "Habari"}]},
               {"role": "assistant", "content": "Nzuri"},
               {"role": "assistant", "content": [{"type": "file", "file": {"path": "/etc/passwd"}}]}]
    messages = chat.build_messages(history, "Swali?", "sw")
    assert messages[0]["role"] == "system" and "Swahili" in messages[0]["content"]
    assert messages[1:] == [{"role": "user", "content": "Habari"}, {"role": "assistant", "content": "Nzuri"},
                            {"role": "user", "content": "Swali?"}]


class _Handler(BaseHTTPRequestHandler):
    requests: ClassVar[list[dict]] = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Handler.requests.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
        if body["model"] == "broken" or (body["model"] == "flaky" and len(_Handler.requests) == 1):
            self.send_response(500)
            self.end_headers()
            self.wfile.write(b"model exploded")
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for piece in ["Kunywa ", "maji ", "mengi."]:
            event = {"choices": [{"delta": {"content": piece}}]}
            self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")

    def log_message(self, *args):
        pass


@pytest.fixture
def sse_server(loopback_http):
    _Handler.requests.clear()
    return f"{loopback_http(_Handler)}/v1"


@pytest.mark.server
def test_endpoint_streams_from_a_local_server(sse_server):
    backend = chat.EndpointChat(sse_server, model="globmed-llm-8b", api_key="secret-key", max_new_tokens=32)
    pieces = list(backend.stream([{"role": "user", "content": "Nifanye nini?"}]))
    assert pieces == ["Kunywa ", "maji ", "mengi."]
    request = _Handler.requests[-1]
    assert request["path"] == "/v1/chat/completions" and request["body"]["stream"] is True
    assert request["body"]["max_tokens"] == 32 and request["auth"] == "Bearer secret-key"
    assert "secret-key" not in repr(backend)


@pytest.mark.server
def test_endpoint_retries_opening_the_stream(sse_server):
    """A 500 before the first byte is retried (the visitor sees nothing of it); the answer then streams."""
    pieces = list(chat.EndpointChat(sse_server, model="flaky").stream([{"role": "user", "content": "x"}]))
    assert pieces == ["Kunywa ", "maji ", "mengi."] and len(_Handler.requests) == 2


@pytest.mark.server
def test_endpoint_errors_are_clear(sse_server, free_port_factory):
    with pytest.raises(GlobMedError, match=r"answered HTTP 500: model exploded \(3 attempts\)"):
        list(chat.EndpointChat(sse_server, model="broken").stream([{"role": "user", "content": "x"}]))
    assert len(_Handler.requests) == 3  # the Space's short retry budget: 1 try + 2 retries
    port = free_port_factory()
    with pytest.raises(GlobMedError, match=f"chat endpoint: cannot reach http://127.0.0.1:{port}/v1/chat/completions"):
        list(chat.EndpointChat(f"http://127.0.0.1:{port}/v1", timeout=5).stream([]))


def test_local_model_streams_what_greedy_generation_decodes(tiny_model_dir):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    backend = chat.LocalChat(tiny_model_dir, max_new_tokens=12, temperature=0)
    messages = chat.build_messages([], "Dalili za malaria ni zipi?", "sw")
    streamed = "".join(backend.stream(messages))
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    inputs = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt", return_dict=True)
    output = model.generate(**inputs, max_new_tokens=12, do_sample=False, pad_token_id=tokenizer.pad_token_id)
    expected = tokenizer.decode(output[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True)
    assert streamed == expected and streamed  # random weights: text, not necessarily words


def test_local_model_folder_must_exist(tmp_path):
    with pytest.raises(GlobMedError, match=r"has no config\.json"):
        list(chat.LocalChat(tmp_path).stream([]))


def test_configured_backends():
    assert chat.configured_backends(None, "", "", None) == {}
    both = chat.configured_backends(__import__("pathlib").Path("/m/globmed-llm-8b"), "http://h/v1", "m8", None)
    assert list(both) == ["local: globmed-llm-8b", "endpoint: m8"]
    assert "GLOBMED_CHAT_MODEL" in text.NO_CHAT_MODEL


class _Scripted:
    """A backend answering from a script (the turn logic is under test here, not a model)."""

    label = "scripted"

    def __init__(self, pieces, error=None):
        self.pieces, self.error, self.seen = pieces, error, None

    def stream(self, messages):
        self.seen = messages
        yield from self.pieces
        if self.error:
            raise self.error


def test_answer_turn_streams_a_growing_answer():
    backend = _Scripted(["Kunywa ", "maji."])
    seen, last = [], None
    for last in chat.answer_turn({"m": backend}, " Nifanye nini? ", [], "sw", "m"):
        seen.append(last[-1]["content"])  # read at each yield, as Gradio does
    assert seen == ["Kunywa ", "Kunywa maji."]
    assert last[0] == {"role": "user", "content": "Nifanye nini?"}
    assert backend.seen[-1] == {"role": "user", "content": "Nifanye nini?"} and "Swahili" in backend.seen[0]["content"]


def test_answer_turn_explains_missing_model_failures_and_empty_answers():
    assert list(chat.answer_turn({}, "   ", [], "en", None)) == [[]]
    no_model = list(chat.answer_turn({}, "Hi?", [], "en", None))[-1]
    assert no_model[-1]["content"] == text.NO_CHAT_MODEL
    failing = _Scripted(["Half an"], error=GlobMedError("endpoint answered HTTP 503"))
    failed = list(chat.answer_turn({"m": failing}, "Hi?", [], "en", "m"))[-1][-1]["content"]
    assert failed.startswith("Half an") and "HTTP 503" in failed and "could not answer" in failed
    empty = list(chat.answer_turn({"m": _Scripted(["\n", "  "])}, "Hi?", [], "en", "m"))[-1][-1]["content"]
    assert empty == text.CHAT_EMPTY_ANSWER


def test_the_chat_says_what_it_is_talking_to(tiny_model_dir, tmp_path):
    import shutil

    from transformers import AutoModelForCausalLM

    parameters = AutoModelForCausalLM.from_pretrained(tiny_model_dir).num_parameters()
    plain = shown(chat.LocalChat(tiny_model_dir).describe())
    assert f"Talking to: {tiny_model_dir.name} (local model, {chat.human_count(parameters)} parameters, 2 layers)" \
        in plain
    assert "toy" not in plain  # nothing says this folder is the demo's model

    demo = shutil.copytree(tiny_model_dir, tmp_path / "globmed-llm-tiny")
    record = {"model_name": "globmed-llm-tiny", "size": "tiny", "hyperparameters": {"global_step": 120}}
    (demo / "globmed_training.json").write_text(json.dumps(record))
    toy = shown(chat.LocalChat(demo).describe())
    assert toy.startswith("Talking to: globmed-llm-tiny (local model")
    assert "toy model: 2 layers, fine-tuned for 120 steps" in toy and "answers are not meaningful" in toy


def test_human_count_and_an_endpoint_description():
    assert [chat.human_count(n) for n in (950, 590_000, 1_720_000_000)] == ["950", "590K", "1.72B"]
    endpoint = shown(chat.EndpointChat("http://user:secret@gpu-host:8000/v1", model="globmed-llm-8b").describe())
    assert "Talking to: globmed-llm-8b at an OpenAI-compatible endpoint on gpu-host:8000" in endpoint
    assert "secret" not in endpoint and "user" not in endpoint


def shown(markdown: str) -> str:
    """The text a visitor reads: Markdown rendered by an independent renderer, tags dropped, entities decoded."""
    import html
    import re

    from markdown_it import MarkdownIt

    return html.unescape(re.sub(r"<[^>]+>", "", MarkdownIt().render(markdown))).strip()
