"""transformers backend (CPU or GPU): one forward pass per question for letter scoring, batched generation.

Letter scoring: the prompt is encoded once, and the next-token log-softmax at its last position is read at the
ids of the option letters (" A", " B", ... after a plain prompt; "A", "B", ... as the first assistant token
after a chat template). That equals lm-evaluation-harness's log-likelihood of the one-token continuation,
without one request per option. Requests are sorted by length (longest first, so an out-of-memory error
happens in the first batch), padded on the right (no mask needed, exact positions), and only each question's
last position goes through the LM head. "auto" batching fills a token budget (at most 8 questions on CPU) and
halves it on OOM. The requests of a cell share their start (description + the fixed shots): it runs once per
cell and its KV cache is reused for every batch of the cell (benchmark/backends/kv_prefix.py).
Generation pads on the left (as `generate` expects) in large length-sorted batches. The model is loaded by the
kernel's `globmed.llm_local.load_model`, like every local model of the kit; the scoring stays here.

The backend times itself (`describe()["timings"]`, one INFO line at close): the scoring calls' wall time
(tokenizing and padding included), the tokenizer's share, and the time inside the model's forward calls
(prefix, suffixes, LM head); the benchmark reads forward_s / scoring_s as the share of scoring that is model
work. On CUDA each timed forward ends with a synchronize; each batch waits for its results on the host anyway.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from benchmark.backends import kv_prefix
from benchmark.backends.base import Backend, BackendConfig, Request
from globmed.errors import GlobMedError
from globmed.llm_local import load_model
from globmed.schema import OPTION_LETTERS

logger = logging.getLogger(__name__)

# "auto" on CPU: at most this many questions per scoring batch (the token budget still applies). On the
# `make bench-bench` shape (real exam prompts of 100-900 tokens, 5M-parameter Qwen3) batches of 8 took the least
# CPU time; the 16k-token budget that suits a GPU made batches of up to 64 and took 1.5x as long (cache misses),
# 1-question batches 1.2x. A GPU keeps gaining from larger batches until memory runs out, so it keeps the budget.
CPU_SCORING_BATCH = 8


def _is_oom(err: BaseException) -> bool:
    return "out of memory" in str(err).lower()


class TransformersBackend(Backend):
    name = "transformers"
    supports_loglikelihood = True

    def __init__(self, config: BackendConfig) -> None:
        super().__init__(config)
        import torch

        self.torch = torch
        local = load_model(config)  # the kernel's loader: device, dtype, pad token, load errors
        self.model, self.tokenizer, self.device, self.dtype = local.model, local.tokenizer, local.device, local.dtype
        has_template = bool(getattr(self.tokenizer, "chat_template", None))
        if config.chat_template == "on" and not has_template:
            raise GlobMedError(f"model {config.model}: --chat-template on, but its tokenizer has no chat template")
        self.use_chat = has_template if config.chat_template == "auto" else config.chat_template == "on"
        self.max_batch_tokens = config.max_batch_tokens or (32768 if self.device.type == "cuda" else 16384)
        self._letter_ids = self._find_letter_ids()
        # the decoder's KV-cache keyword when a cell's shared start can be reused, else None (plain forwards)
        self._cache_keyword = kv_prefix.cache_keyword(self.model) if config.prefix_cache else None
        self.timings: dict[str, float] = dict.fromkeys(("tokenize_s", "scoring_s", "forward_s"), 0.0)
        self.tokens: dict[str, int] = {"prefixes": 0, "prefix_tokens": 0, "suffix_tokens": 0}

    @contextmanager
    def _clock(self, key: str) -> Iterator[None]:
        """Add the wall time of the block to `timings[key]` (on CUDA, once the GPU has finished it)."""
        start = time.perf_counter()
        try:
            yield
        finally:
            if self.device.type == "cuda":
                self.torch.cuda.synchronize(self.device)
            self.timings[key] += time.perf_counter() - start

    # -- prompts -------------------------------------------------------------------------------------------
    def render(self, request: Request) -> str:
        if not self.use_chat:
            return request.prompt
        return self.tokenizer.apply_chat_template(
            request.messages, tokenize=False, add_generation_prompt=True, enable_thinking=False
        )

    def _find_letter_ids(self) -> list[list[int]]:
        """Token ids of each option letter as it follows the prompt (" A" after text, "A" after a chat turn).

        Usually one token each; a tokenizer that splits a letter (" F" as " " + "F") gets that letter scored
        by a second, exact pass over prompt + letter tokens (see `_continuation_logprobs`).
        """
        prefix = "" if self.use_chat else " "
        return [self.tokenizer.encode(prefix + letter, add_special_tokens=False) for letter in OPTION_LETTERS]

    def _encode(self, requests: list[Request]) -> list[list[int]]:
        with self._clock("tokenize_s"):
            texts = [self.render(r) for r in requests]
            return self.tokenizer(texts, add_special_tokens=not self.use_chat)["input_ids"]

    def _batches(self, lengths: list[int], cap: int, scale: int = 1) -> list[list[int]]:
        """Indices sorted longest first, grouped so batch_size x longest <= scale x the token budget.

        Generation uses scale 4: a decoding step holds a KV cache, not a full forward's activations.
        """
        order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
        fixed = self.config.batch_size if isinstance(self.config.batch_size, int) else None
        batches, current = [], []
        for index in order:
            longest = lengths[current[0]] if current else lengths[index]
            full = len(current) >= (fixed or cap) or (
                fixed is None and (len(current) + 1) * longest > scale * self.max_batch_tokens
            )
            if current and full:
                batches.append(current)
                current = []
            current.append(index)
        if current:
            batches.append(current)
        return batches

    def _pad(self, seqs: list[list[int]], left: bool):
        torch = self.torch
        width = max(len(x) for x in seqs)
        ids = torch.full((len(seqs), width), self.tokenizer.pad_token_id, dtype=torch.long)
        mask = torch.zeros((len(seqs), width), dtype=torch.long)
        for row, seq in enumerate(seqs):
            span = slice(width - len(seq), width) if left else slice(0, len(seq))
            ids[row, span] = torch.tensor(seq, dtype=torch.long)
            mask[row, span] = 1
        return ids.to(self.device), mask.to(self.device)

    def _last_logits(self, seqs: list[list[int]], prefix: Any = None, offset: int = 0):
        """Next-token logits after each sequence's last token, from one right-padded causal forward pass.

        Right padding needs no attention mask (pads come after every real token, so causal attention never
        sees them) and keeps position ids exact, which lets SDPA take its fast causal path. Only the one
        position per row that is needed goes through the LM head: the decoder's hidden states are gathered
        first, so a 150k vocabulary costs one row per question, not one per token. With `prefix` (the one-row
        cache of the cell's shared start, `offset` tokens long) the sequences are the suffixes after it.
        """
        torch = self.torch
        ids, _ = self._pad(seqs, left=False)
        last = torch.tensor([len(x) - 1 for x in seqs], device=self.device)
        rows = torch.arange(len(seqs), device=self.device)
        decoder = self.model.base_model
        head = self.model.get_output_embeddings()
        self.tokens["suffix_tokens"] += sum(map(len, seqs))
        with self._clock("forward_s"):
            if decoder is self.model or head is None:  # unusual architecture: full logits, then gather
                return self.model(input_ids=ids).logits[rows, last]
            extra = {}
            if prefix is not None:
                positions = torch.arange(offset, offset + ids.shape[1], device=self.device).unsqueeze(0)
                extra = {"position_ids": positions, "use_cache": True,
                         self._cache_keyword: kv_prefix.batch_cache(prefix, len(seqs))}
            hidden = decoder(input_ids=ids, **extra).last_hidden_state[rows, last]
            logits = head(hidden)
            cap = getattr(self.model.config.get_text_config(), "final_logit_softcapping", None)
            return torch.tanh(logits / cap) * cap if cap else logits

    def _prefill(self, start: list[int]) -> Any:
        """The one-row KV cache of a cell's shared start, computed once per cell."""
        self.tokens["prefixes"] += 1
        self.tokens["prefix_tokens"] += len(start)
        with self._clock("forward_s"):
            return kv_prefix.prefill(self.model.base_model, self._cache_keyword, start, self.device)

    def choice_logprobs(self, requests: list[Request]) -> list[list[float]]:
        with self._clock("scoring_s"):
            return self._choice_logprobs(requests)

    def _choice_logprobs(self, requests: list[Request]) -> list[list[float]]:
        from tqdm.auto import tqdm

        torch = self.torch
        needed = max((r.n_choices for r in requests), default=0)
        single = [j for j in range(needed) if len(self._letter_ids[j]) == 1]
        encoded = self._encode(requests)
        results: list[list[float]] = [[float("nan")] * r.n_choices for r in requests]
        columns = torch.tensor([self._letter_ids[j][0] for j in single], device=self.device, dtype=torch.long)
        groups = kv_prefix.prefix_groups([r.prefix_group for r in requests], encoded, self._cache_keyword is not None)
        cap = 256 if self.device.type == "cuda" else CPU_SCORING_BATCH
        # (group, batch of request indices); the token budget counts whole prompts, so a batch never holds
        # more than it would without the prefix cache
        pending = [(g, [members[k] for k in batch]) for g, (_, members) in enumerate(groups)
                   for batch in self._batches([len(encoded[i]) for i in members], cap=cap)]
        prefix: tuple[int, Any] | None = None  # (group, its shared start's cache): one group at a time
        bar = tqdm(total=len(requests), desc="scoring", unit="q", leave=False)
        while pending:
            g, batch = pending.pop(0)
            start = groups[g][0]
            try:
                with torch.inference_mode():
                    if start and (prefix is None or prefix[0] != g):
                        prefix = (g, self._prefill(start))
                    logits = self._last_logits([encoded[i][len(start):] for i in batch],
                                               prefix[1] if start else None, len(start))
                logprobs = torch.log_softmax(logits.float(), dim=-1)[:, columns].cpu().tolist()
            except (RuntimeError, torch.cuda.OutOfMemoryError) as err:
                if not _is_oom(err) or len(batch) == 1:
                    raise
                self._shrink(err)
                pending[:0] = [(g, batch[: len(batch) // 2]), (g, batch[len(batch) // 2 :])]
                continue
            for row, index in enumerate(batch):
                for col, j in enumerate(single):
                    if j < requests[index].n_choices:
                        results[index][j] = logprobs[row][col]
            bar.update(len(batch))
        bar.close()
        multi = [(i, j) for i, r in enumerate(requests) for j in range(r.n_choices) if len(self._letter_ids[j]) > 1]
        if multi:
            logger.info("%d option letters are several tokens; scoring them with a second pass", len(multi))
            scores = self._continuation_logprobs([(encoded[i], self._letter_ids[j]) for i, j in multi])
            for (i, j), score in zip(multi, scores, strict=True):
                results[i][j] = score
        return results

    def _continuation_logprobs(self, pairs: list[tuple[list[int], list[int]]]) -> list[float]:
        """Sum of log p(continuation | context) for each (context, continuation), right-padded full forwards."""
        torch = self.torch
        out: list[float] = [0.0] * len(pairs)
        seqs = [ctx + cont for ctx, cont in pairs]
        for batch in self._batches([len(x) for x in seqs], cap=64):
            ids, _ = self._pad([seqs[k] for k in batch], left=False)
            self.tokens["suffix_tokens"] += sum(len(seqs[k]) for k in batch)
            with torch.inference_mode(), self._clock("forward_s"):
                logprobs = torch.log_softmax(self.model(input_ids=ids).logits.float(), dim=-1)
            for row, k in enumerate(batch):
                ctx, cont = pairs[k]
                positions = torch.arange(len(ctx) - 1, len(ctx) - 1 + len(cont), device=self.device)
                targets = torch.tensor(cont, device=self.device)
                out[k] = float(logprobs[row, positions, targets].sum())
        return out

    def _shrink(self, err: BaseException) -> None:
        self.max_batch_tokens = max(256, self.max_batch_tokens // 2)
        logger.warning(
            "out of memory (%s); token budget per batch now %d", str(err).splitlines()[0], self.max_batch_tokens
        )
        if self.device.type == "cuda":
            self.torch.cuda.empty_cache()

    def generate(self, requests: list[Request]) -> list[str]:
        with self._clock("scoring_s"):
            return self._generate(requests)

    def _generate(self, requests: list[Request]) -> list[str]:
        from tqdm.auto import tqdm

        torch = self.torch
        encoded = self._encode(requests)
        outputs: list[str | None] = [None] * len(requests)
        pending = self._batches(
            [len(e) + r.max_new_tokens for e, r in zip(encoded, requests, strict=False)],
            cap=256 if self.device.type == "cuda" else 128,
            scale=4,
        )
        bar = tqdm(total=len(requests), desc="generating", unit="q", leave=False)
        while pending:
            batch = pending.pop(0)
            try:
                ids, mask = self._pad([encoded[i] for i in batch], left=True)
                self.tokens["suffix_tokens"] += sum(len(encoded[i]) for i in batch)
                with torch.inference_mode(), self._clock("forward_s"):
                    generated = self.model.generate(
                        input_ids=ids,
                        attention_mask=mask,
                        do_sample=False,
                        max_new_tokens=max(requests[i].max_new_tokens for i in batch),
                        pad_token_id=self.tokenizer.pad_token_id,
                    )
            except (RuntimeError, torch.cuda.OutOfMemoryError) as err:
                if not _is_oom(err) or len(batch) == 1:
                    raise
                self._shrink(err)
                pending[:0] = [batch[: len(batch) // 2], batch[len(batch) // 2 :]]
                continue
            new_tokens = generated[:, ids.shape[1] :].cpu()
            for row, index in enumerate(batch):
                tokens = new_tokens[row][: requests[index].max_new_tokens]
                outputs[index] = self.tokenizer.decode(tokens, skip_special_tokens=True)
            bar.update(len(batch))
        bar.close()
        return outputs  # type: ignore[return-value]

    def describe(self) -> dict[str, Any]:
        import hashlib

        template = getattr(self.tokenizer, "chat_template", None) or ""
        commit = getattr(self.model.config, "_commit_hash", None)
        return {
            "dtype": str(self.dtype).removeprefix("torch."),
            "device": str(self.device),
            "chat_template": self.use_chat,
            "chat_template_sha256": hashlib.sha256(template.encode()).hexdigest() if self.use_chat else None,
            "revision": self.config.revision or commit or "local",
            "prefix_cache": self._cache_keyword is not None,
            "timings": {**{key: round(value, 4) for key, value in self.timings.items()}, **self.tokens},
        }

    def close(self) -> None:
        t = self.timings
        logger.info(
            "scoring %.2fs (tokenizing %.2fs), %.2fs inside forward (%.0f%%); %d shared prefixes of %d tokens in "
            "all, %d other tokens",
            t["scoring_s"], t["tokenize_s"], t["forward_s"], 100 * t["forward_s"] / (t["scoring_s"] or 1),
            self.tokens["prefixes"], self.tokens["prefix_tokens"], self.tokens["suffix_tokens"],
        )
