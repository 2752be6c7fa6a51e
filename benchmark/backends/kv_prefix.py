"""Shared-prefix KV cache for the transformers backend: a cell's common start is computed once, then reused.

Every prompt of a language-task cell starts with the same description and, with `--shots k`, the same k solved
examples (the first k of the pool, benchmark/prompts.py): in a 5-shot cell that is most of each prompt's tokens.
The start is found on the encoded prompts (their token-level longest common prefix), so it is exact whatever the
tokenizer does where the shared text meets the question: a BPE merge across that boundary only shortens it.
It runs through the decoder once; each batch of the cell then gets a fresh cache holding that prefix's keys and
values, expanded along the batch (a cache grows as the suffixes run through it), and only the suffixes run,
right-padded, with position ids that continue after the prefix.

A model whose decoder takes no KV cache, or whose cache is not a plain full-attention one (sliding-window,
linear-attention or shared layers), is scored without it, as is a group whose shared start is short: under
`MIN_PREFIX_TOKENS` tokens, or under `MIN_PREFIX_SHARE` of its mean prompt. There the per-batch copy of the
prefix, the explicit attention mask a cached forward needs (SDPA's causal fast path assumes no cache) and the
per-cell batches cost about what the start saves: 0-shot cells of the sample, whose description is ~10% of
each prompt, were no faster cached on CPU, while 5-shot cells (starts ~80% of each prompt) were ~2.7x faster.
"""

from __future__ import annotations

import inspect
from typing import Any

MIN_PREFIX_TOKENS = 16
MIN_PREFIX_SHARE = 0.25


def common_start(rows: list[list[int]]) -> list[int]:
    """The longest common prefix of token lists: that of the first and the last in sorted order, which bound
    every other row."""
    first, last = min(rows), max(rows)
    pairs = enumerate(zip(first, last, strict=False))
    length = next((i for i, (a, b) in pairs if a != b), min(len(first), len(last)))
    return first[:length]


def prefix_groups(
    groups: list[str | None], encoded: list[list[int]], enabled: bool
) -> list[tuple[list[int], list[int]]]:
    """`(shared start, request indices)` per prefix group, longest request first; requests without a usable
    start (no group, a group of one, a short start, or `enabled` false) share one group with an empty start,
    scored as before.

    Each start leaves at least one token of every request to run, since the next-token logits are read there.
    """
    members: dict[str | None, list[int]] = {}
    for index, group in enumerate(groups):
        members.setdefault(group, []).append(index)
    out: list[tuple[list[int], list[int]]] = []
    plain: list[int] = []
    for group, indices in members.items():
        start: list[int] = []
        if enabled and group is not None and len(indices) > 1:
            rows = [encoded[i] for i in indices]
            start = common_start(rows)[: min(map(len, rows)) - 1]
        mean = sum(len(encoded[i]) for i in indices) / len(indices)
        if len(start) >= max(MIN_PREFIX_TOKENS, MIN_PREFIX_SHARE * mean):
            out.append((start, indices))
        else:
            plain += indices
    if plain:
        out.append(([], plain))
    # the group holding the longest request first, so an out-of-memory error happens in the first batch
    return sorted(out, key=lambda group: -max(len(encoded[i]) for i in group[1]))


def cache_keyword(model: Any) -> str | None:
    """The decoder's keyword for a KV cache (`cache`; `past_key_values` before transformers 5.x renamed it),
    or None when the model's prefix cannot be reused: no such argument, or cache layers other than plain
    full-attention ones (whose keys and values can be expanded along the batch and appended to)."""
    from transformers import DynamicCache
    from transformers.cache_utils import DynamicLayer

    decoder = model.base_model
    if decoder is model or model.get_output_embeddings() is None:
        return None
    parameters = inspect.signature(decoder.forward).parameters
    keyword = next((name for name in ("cache", "past_key_values") if name in parameters), None)
    if keyword is None or not getattr(model.config.get_text_config(), "use_cache", True):
        return None
    layers = DynamicCache(config=model.config).layers
    return keyword if all(type(layer) is DynamicLayer for layer in layers) else None


def prefill(decoder: Any, keyword: str, start: list[int], device: Any) -> Any:
    """Run the shared start through the decoder once; its filled one-row cache."""
    import torch
    from transformers import DynamicCache

    cache = DynamicCache()
    decoder(input_ids=torch.tensor([start], device=device), use_cache=True, **{keyword: cache})
    return cache


def batch_cache(prefix: Any, rows: int) -> Any:
    """A fresh cache holding the prefix's keys and values for `rows` rows (the suffix forward appends to it)."""
    from transformers import DynamicCache

    cache = DynamicCache()
    for index, layer in enumerate(prefix.layers):
        cache.update(layer.keys.expand(rows, -1, -1, -1), layer.values.expand(rows, -1, -1, -1), index)
    return cache
