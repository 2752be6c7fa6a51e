"""In-process generation with transformers: no server, one request at a time.

For small models on a workstation, or where a server cannot be started. Generation runs in a worker thread so the
event loop (progress bar, cache writes) keeps going; a lock serialises it since one model can run one batch.
"""

from __future__ import annotations

import asyncio
import logging

from dataset_builder.translate.backends.base import BackendError, ChatBackend, ChatResult
from dataset_builder.translate.config import BackendConfig
from globmed.errors import GlobMedError

logger = logging.getLogger(__name__)


class TransformersBackend(ChatBackend):
    def __init__(self, config: BackendConfig) -> None:
        self.config = config
        self._models: dict[str, tuple] = {}
        self._lock = asyncio.Lock()
        self.requests = 0

    def _load(self, name: str):
        if name not in self._models:
            from transformers import AutoModelForCausalLM, AutoTokenizer

            logger.info("loading %s in process", name)
            try:
                tokenizer = AutoTokenizer.from_pretrained(name)
                model = AutoModelForCausalLM.from_pretrained(name)
            except (OSError, ValueError) as err:  # a wrong model is a configuration error: stop, do not flag all
                raise GlobMedError(
                    f"model {name}: cannot be loaded with transformers ({err.__class__.__name__}: "
                    f"{str(err).splitlines()[0][:200]})"
                ) from err
            model.eval()
            self._models[name] = (tokenizer, model)
        return self._models[name]

    def _generate(self, messages: list[dict[str, str]], name: str) -> ChatResult:
        import torch

        tokenizer, model = self._load(name)
        inputs = tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        sampling = self.config.temperature > 0
        with torch.inference_mode():
            output = model.generate(
                **inputs,
                max_new_tokens=self.config.max_tokens,
                do_sample=sampling,
                temperature=self.config.temperature if sampling else None,
                top_p=None,
                top_k=None,
                pad_token_id=tokenizer.pad_token_id,
            )
        prompt_len = inputs["input_ids"].shape[1]
        new_tokens = output[0, prompt_len:]
        text = tokenizer.decode(new_tokens, skip_special_tokens=True)
        return ChatResult(text, int(prompt_len), int(new_tokens.shape[0]))

    async def chat(self, messages: list[dict[str, str]], model: str | None = None) -> ChatResult:
        name = model or self.config.model
        async with self._lock:
            self.requests += 1
            try:
                return await asyncio.to_thread(self._generate, messages, name)
            except (OSError, ValueError, RuntimeError) as err:
                raise BackendError(f"transformers generation failed: {err.__class__.__name__}: {err}") from err
