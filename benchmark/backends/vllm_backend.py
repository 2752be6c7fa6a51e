"""vLLM offline engine (GPU): tensor parallel within a replica, data parallel across replicas.

An optional extra (`pip install globmed[vllm]`), imported only here. Letter scoring asks for one token with
`allowed_token_ids` = the option letters and reads their log-probabilities; generation is greedy. Data
parallelism is vLLM's own (`data_parallel_size`), so one process drives every replica. Automatic prefix
caching is on (`--no-prefix-cache` turns it off): the requests of a cell share their description and fixed shots,
and they are sent with each cell's requests adjacent, so the cell's start is computed once and its KV blocks
are reused while they are still cached.
"""

from __future__ import annotations

from typing import Any

from benchmark.backends.base import Backend, BackendConfig, Request
from globmed.errors import GlobMedError
from globmed.schema import OPTION_LETTERS


class VLLMBackend(Backend):
    name = "vllm"
    supports_loglikelihood = True

    def __init__(self, config: BackendConfig) -> None:
        super().__init__(config)
        try:
            from vllm import LLM
        except ImportError:
            raise GlobMedError("--backend vllm needs the vllm extra: pip install 'globmed[vllm]' (GPU only)") from None
        kwargs: dict[str, Any] = {
            "model": config.model,
            "revision": config.revision,
            "dtype": config.dtype,
            "tensor_parallel_size": config.tensor_parallel_size,
            "gpu_memory_utilization": config.gpu_memory_utilization,
            "trust_remote_code": config.trust_remote_code,
            "seed": config.seed,
            # log-probabilities after allowed_token_ids masking, so the letters are always among those returned
            "logprobs_mode": "processed_logprobs",
            "enable_prefix_caching": config.prefix_cache,
        }
        if config.data_parallel_size > 1:
            kwargs["data_parallel_size"] = config.data_parallel_size
        if config.max_model_len:
            kwargs["max_model_len"] = config.max_model_len
        self.llm = LLM(**kwargs)
        self.tokenizer = self.llm.get_tokenizer()
        has_template = bool(getattr(self.tokenizer, "chat_template", None))
        self.use_chat = has_template if config.chat_template == "auto" else config.chat_template == "on"
        prefix = "" if self.use_chat else " "
        self.letter_ids = [self.tokenizer.encode(prefix + x, add_special_tokens=False) for x in OPTION_LETTERS]
        if any(len(ids) != 1 for ids in self.letter_ids):
            raise GlobMedError(f"model {config.model}: option letters are not single tokens; use --scoring generate")

    def _prompts(self, requests: list[Request]) -> list[str]:
        if not self.use_chat:
            return [r.prompt for r in requests]
        return [
            self.tokenizer.apply_chat_template(
                r.messages, tokenize=False, add_generation_prompt=True, enable_thinking=False
            )
            for r in requests
        ]

    def choice_logprobs(self, requests: list[Request]) -> list[list[float]]:
        from vllm import SamplingParams

        params = [
            SamplingParams(
                max_tokens=1,
                temperature=0.0,
                logprobs=r.n_choices,
                allowed_token_ids=[ids[0] for ids in self.letter_ids[: r.n_choices]],
            )
            for r in requests
        ]
        outputs = self._generate(requests, params)
        scores = []
        for request, output in zip(requests, outputs, strict=False):
            top = output.outputs[0].logprobs[0]
            scores.append(
                [
                    top[ids[0]].logprob if ids[0] in top else float("-inf")
                    for ids in self.letter_ids[: request.n_choices]
                ]
            )
        return scores

    def generate(self, requests: list[Request]) -> list[str]:
        from vllm import SamplingParams

        params = [SamplingParams(max_tokens=r.max_new_tokens, temperature=0.0, seed=self.config.seed) for r in requests]
        return [o.outputs[0].text for o in self._generate(requests, params)]

    def _generate(self, requests: list[Request], params: list[Any]) -> list[Any]:
        """vLLM's outputs in request order, the requests sent with each prefix group's members adjacent."""
        first: dict[str | None, int] = {}
        for index, request in enumerate(requests):
            first.setdefault(request.prefix_group, index)
        order = sorted(range(len(requests)), key=lambda i: (first[requests[i].prefix_group], i))
        prompts = self._prompts([requests[i] for i in order])
        outputs = self.llm.generate(prompts, [params[i] for i in order])
        restored: list[Any] = [None] * len(requests)
        for index, output in zip(order, outputs, strict=True):
            restored[index] = output
        return restored

    def describe(self) -> dict[str, Any]:
        return {
            "dtype": self.config.dtype,
            "chat_template": self.use_chat,
            "chat_template_sha256": None,
            "revision": self.config.revision or "local",
            "tensor_parallel_size": self.config.tensor_parallel_size,
            "data_parallel_size": self.config.data_parallel_size,
            "prefix_cache": self.config.prefix_cache,
        }
