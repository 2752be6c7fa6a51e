"""The vLLM backend's engine arguments and request order, against a stand-in `vllm` module (no GPU here; the
real engine is untested in this suite): prefix caching is on unless turned off, each prefix group's requests
are sent adjacent, and the answers come back in request order."""

from __future__ import annotations

import sys
import types
from dataclasses import dataclass, field

import pytest

from benchmark.backends import BackendConfig, Request, make_backend


class FakeTokenizer:
    chat_template = None

    def encode(self, text: str, add_special_tokens: bool = False) -> list[int]:
        return [ord(text.strip())]  # " A" -> one id per letter


@dataclass
class Logprob:
    logprob: float


@dataclass
class FakeLLM:
    """Records its arguments and the prompts in the order sent; answers with scores that name the prompt."""

    kwargs: dict = field(default_factory=dict)
    sent: list[list[str]] = field(default_factory=list)

    def get_tokenizer(self) -> FakeTokenizer:
        return FakeTokenizer()

    def generate(self, prompts: list[str], params: list) -> list:
        self.sent.append(list(prompts))
        outputs = []
        for prompt, param in zip(prompts, params, strict=True):
            number = float(prompt.split("#")[1])
            top = {token: Logprob(-number - k) for k, token in enumerate(param.kwargs.get("allowed_token_ids", []))}
            outputs.append(types.SimpleNamespace(outputs=[types.SimpleNamespace(logprobs=[top], text=prompt)]))
        return outputs


@pytest.fixture
def fake_vllm(monkeypatch):
    engines: list[FakeLLM] = []

    def make(**kwargs):
        engines.append(FakeLLM(kwargs=kwargs))
        return engines[-1]

    module = types.ModuleType("vllm")
    module.LLM = make
    module.SamplingParams = lambda **kwargs: types.SimpleNamespace(kwargs=kwargs)
    monkeypatch.setitem(sys.modules, "vllm", module)
    return engines


def _requests() -> list[Request]:
    cells = ["en-mcqa", "sw-mcqa", "en-mcqa", None, "sw-mcqa", "en-mcqa", None]
    return [Request(prompt=f"shared start of {cell} #{i}", n_choices=3, prefix_group=cell)
            for i, cell in enumerate(cells)]


def test_prefix_caching_is_on_and_groups_are_sent_adjacent(fake_vllm):
    backend = make_backend("vllm", BackendConfig(model="org/model"))
    (engine,) = fake_vllm
    assert engine.kwargs["enable_prefix_caching"] is True and backend.describe()["prefix_cache"] is True
    requests = _requests()
    scores = backend.choice_logprobs(requests)
    (sent,) = engine.sent
    groups = [next(r.prefix_group for r in requests if r.prompt == prompt) for prompt in sent]
    assert groups == ["en-mcqa"] * 3 + ["sw-mcqa"] * 2 + [None] * 2  # each group in one run, first seen first
    assert scores == [[-i, -i - 1, -i - 2] for i in range(len(requests))]  # back in request order
    texts = backend.generate(requests)
    assert texts == [r.prompt for r in requests] and engine.sent[1] == sent


def test_no_prefix_cache_turns_vllm_prefix_caching_off(fake_vllm):
    backend = make_backend("vllm", BackendConfig(model="org/model", prefix_cache=False))
    assert fake_vllm[0].kwargs["enable_prefix_caching"] is False and backend.describe()["prefix_cache"] is False
