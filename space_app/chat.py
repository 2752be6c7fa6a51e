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
import math
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
from space_app.leaderboard import escape_markdown

logger = logging.getLogger(__name__)


class ChatBackend(Protocol):
    label: str

    def stream(self, messages: list[Message]) -> Iterator[str]:
        """Yield the answer in pieces as it is generated."""
        ...

    def describe(self) -> str:
        """What a visitor is talking to (Markdown): the model's name and size, and a warning for a toy."""
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

    def describe(self) -> str:
        """Name, parameters and layers from the folder's files (no weights loaded); the training record
        (`globmed_training.json`) names the model and tells the demo's toy ("size": "tiny") apart."""
        record = read_json(self.path / TRAINING_RECORD)
        config = read_json(self.path / "config.json")
        name = str(record.get("model_name") or self.path.name)
        facts = ["local model"]
        parameters = count_parameters(self.path)
        if parameters:
            facts.append(f"{human_count(parameters)} parameters")
        layers = config.get("num_hidden_layers")
        if layers:
            facts.append(f"{layers} layers")
        line = text.CHAT_TALKING_TO.format(description=f"**{escape_markdown(name)}** ({', '.join(facts)})")
        if record.get("size") == "tiny":
            steps = (record.get("hyperparameters") or {}).get("global_step", "?")
            line += "\n\n" + text.CHAT_TOY.format(layers=layers or "?", steps=steps)
        return line


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

    def describe(self) -> str:
        """The model name the endpoint is asked for (its size is whatever the server runs: not known here)."""
        model = escape_markdown(self.model or "the server's default model")
        host = escape_markdown(urlsplit(self.base_url).netloc.rpartition("@")[2] or "?")  # no credentials
        return text.CHAT_TALKING_TO.format(
            description=f"**{model}** at an OpenAI-compatible endpoint on {host} (size not reported)")


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


TRAINING_RECORD = "globmed_training.json"  # written by training/export.py beside the weights


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object from a model folder, or {} when it is missing or unreadable (the description is optional)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def count_parameters(folder: Path) -> int:
    """Parameters in the folder's safetensors files, read from their headers (the weights are not loaded); 0 if
    there are none or a header is not readable."""
    total = 0
    for path in sorted(folder.glob("*.safetensors")):
        try:
            with path.open("rb") as handle:
                size = int.from_bytes(handle.read(8), "little")
                if not 0 < size <= MAX_SAFETENSORS_HEADER:
                    return 0
                header = json.loads(handle.read(size))
        except (OSError, ValueError):
            return 0
        for name, info in header.items():
            if name != "__metadata__" and isinstance(info, dict):
                total += math.prod(int(n) for n in info.get("shape", []))
    return total


MAX_SAFETENSORS_HEADER = 100_000_000  # the format's own limit on the header's size


def human_count(n: int) -> str:
    """590_000 -> "590K", 8_030_000_000 -> "8.03B"."""
    for unit, scale in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= scale:
            return f"{n / scale:.3g}{unit}"
    return str(n)
