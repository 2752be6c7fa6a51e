"""The kernel's transformers loader and chat generation, on the tiny model (random weights: text, not words)."""

from __future__ import annotations

import asyncio

import pytest

from globmed.errors import GlobMedError
from globmed.llm_chat import ChatSettings, make_chat_client
from globmed.llm_config import BackendConfig
from globmed.llm_local import generate_chat, load_model, sampling, stream_generate

MESSAGES = [{"role": "system", "content": "Jibu kwa Kiswahili."}, {"role": "user", "content": "Homa ni nini?"}]


@pytest.fixture(scope="module")
def tiny(tiny_model_dir):
    return load_model(BackendConfig(model=str(tiny_model_dir), device="cpu"))


def test_loader_settles_device_dtype_and_pad_token(tiny):
    assert str(tiny.device) == "cpu" and str(tiny.dtype) == "torch.float32"  # CPU: float32, exact scores
    assert not tiny.model.training and tiny.tokenizer.pad_token_id is not None


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"model": "/no/such/model-folder"}, r"model /no/such/model-folder: cannot be loaded with transformers \("),
        ({"dtype": "int3"}, "dtype 'int3': expected auto, float32, bfloat16 or float16"),
    ],
)
def test_load_errors_are_one_line(tiny_model_dir, settings, message):
    with pytest.raises(GlobMedError, match=message):
        load_model(BackendConfig(**{"model": str(tiny_model_dir), **settings}))


def test_greedy_reply_whole_streamed_and_through_the_chat_client(tiny, tiny_model_dir):
    whole = generate_chat(tiny, MESSAGES, max_new_tokens=9)
    assert whole.completion_tokens == 9 and whole.prompt_tokens > 5 and whole.text  # random weights never stop
    assert "".join(stream_generate(tiny, MESSAGES, max_new_tokens=9)) == whole.text

    async def via_client():
        client = make_chat_client("transformers", BackendConfig(model=str(tiny_model_dir), device="cpu"))
        replies = [await client.chat(MESSAGES, settings=ChatSettings(max_tokens=9)) for _ in range(2)]
        return replies, client.requests

    replies, requests = asyncio.run(via_client())
    assert [r.text for r in replies] == [whole.text] * 2 and requests == 2


def test_sampling_settings():
    assert sampling(0.0) == {"do_sample": False, "temperature": None, "top_p": None, "top_k": None}
    assert sampling(0.7, top_p=0.9) == {"do_sample": True, "temperature": 0.7, "top_p": 0.9}
    assert sampling(0.7) == {"do_sample": True, "temperature": 0.7}  # the model's own top_p / top_k
