"""The chat demo's backends and example questions.

Two backends answer a conversation as a stream of text pieces, both through the kernel's model-access layer:
- `LocalChat`: a local model folder loaded with transformers (lazily, on the first question; `globmed.llm_local`),
  generation in a thread feeding a streamer;
- `EndpointChat`: any OpenAI-compatible server (`transformers serve`, vLLM, a hosted API) with `stream: true`,
  reading the server-sent events (`globmed.llm_client.stream_chat`, which retries opening the stream).
Example questions per language come from the bundled sample's GlobMed_LiveQA test files when present,
else from `examples.yaml` shipped beside this module.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from globmed.errors import GlobMedError
from globmed.languages import get_language
from globmed.llm_chat import Message, ModelCallError
from globmed.llm_config import BackendConfig
from globmed.llm_local import LocalModel, load_model, stream_generate
from globmed.redact import redact_url
from globmed.yaml_io import load_mapping
from space_app import text

logger = logging.getLogger(__name__)


class ChatBackend(Protocol):
    label: str

    def stream(self, messages: list[Message]) -> Iterator[str]:
        """Yield the answer in pieces as it is generated."""
        ...


def build_messages(history: list[dict[str, Any]], question: str, language: str) -> list[Message]:
    """System prompt for the chosen language, the earlier turns (text only), then the new question."""
    messages: list[Message] = [
        {"role": "system", "content": text.CHAT_SYSTEM_PROMPT.format(language=get_language(language).name)}
    ]
    for turn in history:
        content = message_text(turn.get("content"))
        if turn.get("role") in {"user", "assistant"} and content:
            messages.append({"role": turn["role"], "content": content})
    messages.append({"role": "user", "content": question})
    return messages


def message_text(content: Any) -> str:
    """The text of a chat message: Gradio 6 hands content as a list of parts ({"type": "text", "text": ...})."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [part for part in content if isinstance(part, dict) and part.get("type") == "text"]
        return "".join(str(part.get("text", "")) for part in parts)
    return ""


@dataclass
class LocalChat:
    """A local model folder (e.g. release/globmed-llm-8b) answered with transformers on this machine."""

    path: Path
    max_new_tokens: int = 256
    temperature: float = 0.7  # sampling, as chat demos do; 0 means greedy (reproducible) decoding
    label: str = ""
    _loaded: LocalModel | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        self.label = self.label or f"local: {self.path.name}"

    def load(self) -> LocalModel:
        """Model and tokenizer, loaded once (the first question pays for it, not the Space's start)."""
        with self._lock:
            if self._loaded is None:
                if not (self.path / "config.json").is_file():
                    raise GlobMedError(f"chat model {self.path} has no config.json; pass a saved model folder")
                self._loaded = load_model(BackendConfig(model=str(self.path)))
                logger.info("chat model loaded from %s", self.path)
            return self._loaded

    def stream(self, messages: list[Message]) -> Iterator[str]:
        try:
            yield from stream_generate(self.load(), messages, self.max_new_tokens, self.temperature, top_p=0.9)
        except ModelCallError as err:
            raise GlobMedError(str(err)) from None


@dataclass
class EndpointChat:
    """An OpenAI-compatible chat completions endpoint, streamed (`base_url` like http://127.0.0.1:8000/v1)."""

    base_url: str
    model: str = ""
    api_key: str | None = field(default=None, repr=False)  # from the environment; never logged
    max_new_tokens: int = 256
    temperature: float = 0.7
    timeout: float = 120.0
    label: str = ""

    def __post_init__(self) -> None:
        self.label = self.label or f"endpoint: {self.model or redact_url(self.base_url)}"  # shown to visitors

    @property
    def url(self) -> str:
        from globmed.llm_client import endpoint_url  # httpx: only when an endpoint is asked

        if urlsplit(self.base_url).path.rstrip("/").endswith("/chat/completions"):
            return self.base_url
        return endpoint_url(self.base_url, "/chat/completions")  # a `?api_key=` query stays after the path

    def stream(self, messages: list[Message]) -> Iterator[str]:
        from globmed.llm_client import stream_chat  # httpx: only when an endpoint is asked

        body = {"model": self.model, "messages": messages, "max_tokens": self.max_new_tokens,
                "temperature": self.temperature}
        try:
            yield from stream_chat(self.url, body, api_key=self.api_key, timeout_s=self.timeout)
        except ModelCallError as err:
            raise GlobMedError(f"chat endpoint: {err}") from None


def answer_turn(backends: dict[str, ChatBackend], question: str, history: list[dict[str, Any]] | None,
                language: str, backend_label: str | None) -> Iterator[list[dict[str, Any]]]:
    """One chat turn as a stream of chat histories: the question, then the answer growing piece by piece.

    No configured model, a failing backend and an empty answer each end the turn with a visible message,
    never a silent or broken stream.
    """
    history = list(history or [])
    question = (question or "").strip()
    if not question:
        yield history
        return
    messages = build_messages(history, question, language)
    history = [*history, {"role": "user", "content": question}, {"role": "assistant", "content": ""}]
    backend = backends.get(backend_label or "")
    if backend is None:
        history[-1]["content"] = text.NO_CHAT_MODEL
        yield history
        return
    answer = ""
    try:
        for piece in backend.stream(messages):
            answer += piece
            history[-1]["content"] = answer
            yield history
    except Exception as err:  # any backend failure becomes a visible message, not a dead stream
        logger.warning("chat failed: %s", err)
        history[-1]["content"] = (answer + "\n\n" if answer else "") + text.CHAT_ERROR.format(error=err)
        yield history
        return
    if not answer.strip():
        history[-1]["content"] = text.CHAT_EMPTY_ANSWER
        yield history


def configured_backends(chat_model: Path | None, endpoint: str, endpoint_model: str, api_key: str | None,
                        max_new_tokens: int = 256, temperature: float = 0.7) -> dict[str, ChatBackend]:
    """label -> backend for what the settings configure (possibly nothing: the app then says so)."""
    backends: dict[str, ChatBackend] = {}
    if chat_model is not None:
        local = LocalChat(chat_model, max_new_tokens=max_new_tokens, temperature=temperature)
        backends[local.label] = local
    if endpoint:
        remote = EndpointChat(endpoint, model=endpoint_model, api_key=api_key, max_new_tokens=max_new_tokens,
                              temperature=temperature)
        backends[remote.label] = remote
    return backends


def example_questions(language: str, sample_dir: Path, limit: int = 5) -> list[str]:
    """Questions to try: the sample's GlobMed_LiveQA/<lang>/test.json, else the shipped examples.yaml."""
    path = sample_dir / "GlobMed_LiveQA" / language / "test.json"
    if path.is_file():
        try:
            items = json.loads(path.read_text(encoding="utf-8"))
            items = items if isinstance(items, list) else []
            questions = [q.strip() for q in (i.get("question") for i in items if isinstance(i, dict))
                         if isinstance(q, str) and q.strip()]
        except (OSError, ValueError) as err:
            logger.warning("cannot read examples from %s (%s); using the shipped ones", path, err)
        else:
            if questions:
                return questions[:limit]
    shipped = load_mapping(Path(__file__).with_name("examples.yaml"), "chat examples")
    return list(shipped.get(language) or [])[:limit]
