"""Models in this process with transformers: the one loader, and chat generation whole or streamed.

`load_model` is what the benchmark (letter scoring, batched generation), in-process translation and the Space's
chat demo all load through, so a model gets the same device, dtype, pad token and error everywhere: on the GPU
when there is one (bfloat16 where supported), else on the CPU in float32 (exact scores, and faster than
bfloat16 on most CPUs). A model that cannot be loaded is a configuration error (`GlobMedError`), never a
flagged item.

`TransformersClient` is the chat client (`globmed.llm_chat`) for callers that send many chats with no server
(small models on a workstation, or where a server cannot be started): generation runs in a worker thread so
the event loop (progress bar, cache writes) keeps going, and a lock serialises it since one model runs one batch.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from globmed.errors import GlobMedError
from globmed.llm_chat import GREEDY, ChatClient, ChatResult, ChatSettings, Message, ModelCallError
from globmed.llm_config import BackendConfig

logger = logging.getLogger(__name__)

DTYPES = {
    "float32": "float32",
    "fp32": "float32",
    "bfloat16": "bfloat16",
    "bf16": "bfloat16",
    "float16": "float16",
    "fp16": "float16",
}


@dataclass
class LocalModel:
    model: Any  # a transformers PreTrainedModel, in eval mode, on `device`
    tokenizer: Any  # its tokenizer; the pad token falls back to EOS
    device: Any  # torch.device
    dtype: Any  # torch.dtype


# what from_pretrained loads weights from (whole or sharded; a PEFT adapter); not training_args.bin
WEIGHT_FILES = ("*.safetensors", "pytorch_model*.bin", "adapter_model.bin")


def check_model_folder(name: str) -> None:
    """When `name` is a local folder, it must hold a saved model: a config and weights. Checked before anything is
    loaded, so an empty folder, or a config without weights, is one line saying what is missing (transformers'
    own error speaks of the tokenizer backend or of files it tried). A Hub id is left to transformers."""
    folder = Path(name)
    if not folder.is_dir():
        return
    if not any((folder / config).is_file() for config in ("config.json", "adapter_config.json")):
        what = "an empty folder" if not any(folder.iterdir()) else "no config.json"
        raise GlobMedError(f"model folder {folder}: {what}; expected a model saved by save_pretrained "
                           "(for example by `globmed train`)")
    if not any(next(folder.glob(pattern), None) for pattern in WEIGHT_FILES):
        raise GlobMedError(f"model folder {folder}: config.json but no weights "
                           f"({', '.join(WEIGHT_FILES)}); was the save interrupted?")


def load_model(config: BackendConfig, name: str | None = None) -> LocalModel:
    """`name` (default `config.model`): a local folder or Hub id, with the config's revision, dtype and device."""
    name = name or config.model
    check_model_folder(name)
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    device_name = config.device
    if device_name == "auto":
        device_name = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(device_name)
    if config.dtype == "auto":
        dtype = torch.bfloat16 if device.type == "cuda" and torch.cuda.is_bf16_supported() else torch.float32
    elif config.dtype in DTYPES:
        dtype = getattr(torch, DTYPES[config.dtype])
    else:
        raise GlobMedError(f"dtype {config.dtype!r}: expected auto, float32, bfloat16 or float16")
    revision = config.revision if name == config.model else None  # a second model (a reviewer) has its own
    logger.info("loading %s in process (%s, %s)", name, device, str(dtype).removeprefix("torch."))
    try:
        tokenizer = AutoTokenizer.from_pretrained(name, revision=revision, trust_remote_code=config.trust_remote_code)
        model = AutoModelForCausalLM.from_pretrained(
            name, revision=revision, dtype=dtype, trust_remote_code=config.trust_remote_code
        ).to(device)
    except (OSError, ValueError) as err:  # a wrong model is a configuration error: stop, do not flag every item
        raise GlobMedError(
            f"model {name}: cannot be loaded with transformers ({err.__class__.__name__}: "
            f"{str(err).splitlines()[0][:200]})"
        ) from None
    model.eval()
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return LocalModel(model, tokenizer, device, dtype)


def sampling(temperature: float, top_p: float | None = None) -> dict[str, Any]:
    """`generate` arguments: greedy at temperature 0 (the model's own sampling defaults switched off, so
    transformers does not warn about them), else sampling at `temperature` (and `top_p` when given)."""
    if temperature <= 0:
        return {"do_sample": False, "temperature": None, "top_p": None, "top_k": None}
    return {"do_sample": True, "temperature": temperature, **({"top_p": top_p} if top_p is not None else {})}


def _chat_inputs(local: LocalModel, messages: list[Message]) -> Any:
    inputs = local.tokenizer.apply_chat_template(
        messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
    )
    return inputs.to(local.device)


def generate_chat(
    local: LocalModel, messages: list[Message], max_new_tokens: int, temperature: float = 0.0
) -> ChatResult:
    """One reply to `messages` (with the tokenizer's chat template), and its token counts."""
    import torch

    inputs = _chat_inputs(local, messages)
    with torch.inference_mode():
        output = local.model.generate(
            **inputs,
            max_new_tokens=max_new_tokens,
            pad_token_id=local.tokenizer.pad_token_id,
            **sampling(temperature),
        )
    prompt_len = inputs["input_ids"].shape[1]
    new_tokens = output[0, prompt_len:]
    text = local.tokenizer.decode(new_tokens, skip_special_tokens=True)
    return ChatResult(text, int(prompt_len), int(new_tokens.shape[0]))


def stream_generate(
    local: LocalModel,
    messages: list[Message],
    max_new_tokens: int,
    temperature: float = 0.0,
    top_p: float | None = None,
) -> Iterator[str]:
    """The reply to `messages` in pieces as they are decoded (generation in a thread feeding a streamer).

    A failure in the generating thread is raised here as ModelCallError, not lost with the thread.
    """
    from transformers import TextIteratorStreamer

    inputs = _chat_inputs(local, messages)
    streamer = TextIteratorStreamer(local.tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=300)
    errors: list[BaseException] = []

    def generate() -> None:
        try:
            local.model.generate(
                **inputs,
                streamer=streamer,
                max_new_tokens=max_new_tokens,
                pad_token_id=local.tokenizer.pad_token_id,
                **sampling(temperature, top_p),
            )
        except BaseException as err:  # surfaced to the reader below
            errors.append(err)
            streamer.end()

    thread = threading.Thread(target=generate, daemon=True)
    thread.start()
    yield from (piece for piece in streamer if piece)
    thread.join()
    if errors:
        raise ModelCallError(f"generation failed: {errors[0]}")


class TransformersClient(ChatClient):
    """Chats with models loaded in this process (each model name loaded once, on first use)."""

    def __init__(self, config: BackendConfig) -> None:
        self.config = config
        self._models: dict[str, LocalModel] = {}
        self._lock = asyncio.Lock()
        self.requests = 0

    def _generate(self, messages: list[Message], name: str, max_tokens: int, temperature: float) -> ChatResult:
        if name not in self._models:
            self._models[name] = load_model(self.config, name)
        return generate_chat(self._models[name], messages, max_tokens, temperature)

    async def chat(
        self, messages: list[Message], model: str | None = None, settings: ChatSettings = GREEDY
    ) -> ChatResult:
        async with self._lock:
            self.requests += 1
            try:
                return await asyncio.to_thread(
                    self._generate, messages, model or self.config.model, settings.max_tokens, settings.temperature
                )
            except (OSError, ValueError, RuntimeError) as err:
                raise ModelCallError(f"transformers generation failed: {err.__class__.__name__}: {err}") from err
