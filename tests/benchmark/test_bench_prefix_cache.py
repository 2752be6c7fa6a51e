"""The shared-prefix KV cache of the transformers backend (issue 14, item 4): a cell's common start runs once,
and the cached scores equal the plain ones (same picks, log-likelihoods within 1e-4), 0-shot and 5-shot."""

from __future__ import annotations

import pytest

from benchmark.backends import BackendConfig, Request, make_backend
from benchmark.prompts import load_prompts

DESCRIPTION = load_prompts("en").description("mcqa")  # ends with "\n\n"


def _backend(model_dir, **kwargs):
    return make_backend("transformers", BackendConfig(model=str(model_dir), device="cpu",
                                                      **{"chat_template": "off", **kwargs}))


def _docs(language: str, count: int, options: int = 4, offset: int = 0) -> list[dict]:
    return [{"context": "", "question": f"{language} question {offset + i}?" * (1 + i % 3),
             "options": [f"option {k} of {offset + i}" for k in range(options)], "answer_index": i % options,
             "answer": ""} for i in range(count)]


def _cell(language: str, shots: int, count: int, options: int = 4) -> list[Request]:
    """A cell's requests as the runner builds them: the same description and shots, then each question."""
    prompts = load_prompts(language)
    examples = _docs(language, shots, options, offset=1000)
    return [Request(prompt=prompts.build("mcqa", doc, examples), n_choices=options,
                    prefix_group=f"{language}-mcqa-{shots}") for doc in _docs(language, count, options)]


def _boundary_cell() -> tuple[list[Request], str]:
    """Prompts whose shared text ends inside a word ("Quest"): after it, "ion" merges into one token with it in
    some prompts and not in others, so the shared tokens stop before the shared text does."""
    shared = DESCRIPTION + "Quest"
    tails = ["ion: which drug? Answer:", "s of dosage? Answer:", " x? Answer:", "ion: which organ? Answer:"]
    return [Request(prompt=shared + tail, n_choices=3, prefix_group="boundary") for tail in tails], shared


def _argmax(scores: list[float]) -> int:
    return max(range(len(scores)), key=scores.__getitem__)


def _common_prefix_length(rows: list[list[int]]) -> int:
    """Independent of kv_prefix: walk the positions until two rows differ."""
    length = 0
    while all(len(row) > length for row in rows) and len({row[length] for row in rows}) == 1:
        length += 1
    return length


@pytest.fixture(scope="module")
def requests_():
    boundary, _ = _boundary_cell()
    return [*_cell("en", 0, 7), *_cell("sw", 5, 9), *_cell("de", 5, 5, options=8), *boundary,
            Request(prompt=DESCRIPTION + "A question outside every group? Answer:", n_choices=4)]


def test_the_boundary_cell_really_tokenizes_differently_at_the_boundary(tiny_model_dir):
    requests, shared = _boundary_cell()
    tokenizer = _backend(tiny_model_dir).tokenizer
    shared_ids = tokenizer(shared)["input_ids"]
    rows = [tokenizer(r.prompt)["input_ids"] for r in requests]
    assert any(row[: len(shared_ids)] != shared_ids for row in rows)
    assert 16 <= _common_prefix_length(rows) < len(shared_ids)


@pytest.mark.parametrize("chat_template", ["off", "on"])
def test_cached_and_plain_scores_agree(tiny_model_dir, requests_, chat_template):
    """0-shot and 5-shot cells, 8-option items (" F".." H" are two tokens each in the tiny tokenizer, scored by
    the second pass), a cell split at a BPE boundary and a request with no group, in batches of 3; as plain
    text and inside the chat template (whose user-turn header is part of the shared start)."""
    cached_backend = _backend(tiny_model_dir, batch_size=3, chat_template=chat_template)
    plain_backend = _backend(tiny_model_dir, batch_size=3, prefix_cache=False, chat_template=chat_template)
    if chat_template == "off":  # the second pass is exercised (in a chat turn the letters are single tokens)
        assert any(len(ids) > 1 for ids in cached_backend._letter_ids[:8])
    cached = cached_backend.choice_logprobs(requests_)
    plain = plain_backend.choice_logprobs(requests_)
    assert cached_backend.describe()["prefix_cache"] and not plain_backend.describe()["prefix_cache"]
    # every group but the lone request ran its start once; the plain backend never did
    assert cached_backend.describe()["timings"]["prefixes"] == 4
    assert plain_backend.describe()["timings"]["prefixes"] == 0
    for request, a, b in zip(requests_, cached, plain, strict=True):
        assert len(a) == request.n_choices and a == pytest.approx(b, abs=1e-4), request.prompt[-60:]
        assert _argmax(a) == _argmax(b)
    assert len({tuple(round(x, 3) for x in s) for s in cached}) > 1  # the model does distinguish prompts


def test_each_cells_start_runs_once_then_only_the_suffixes(tiny_model_dir, requests_):
    """Counted on the decoder's own forward calls: per group, one call on one row, its common start (the token
    LCP of the group's prompts, computed here), with an empty cache; then batches of suffixes only, each with a
    cache already holding that start."""
    backend = _backend(tiny_model_dir, batch_size=3)
    calls: list[tuple[int, int, int | None]] = []  # rows, tokens, tokens already in the cache (None: no cache)

    def record(_module, _args, kwargs):
        cache = kwargs.get("cache", kwargs.get("past_key_values"))
        ids = kwargs["input_ids"]
        calls.append((ids.shape[0], ids.shape[1], None if cache is None else cache.get_seq_length()))

    hook = backend.model.base_model.register_forward_pre_hook(record, with_kwargs=True)
    try:
        backend.choice_logprobs(requests_)
    finally:
        hook.remove()
    groups: dict[str, list[list[int]]] = {}
    for request in requests_:
        if request.prefix_group:
            groups.setdefault(request.prefix_group, []).append(backend.tokenizer(request.prompt)["input_ids"])
    starts = sorted(min(_common_prefix_length(rows), min(map(len, rows)) - 1) for rows in groups.values())
    assert sorted(tokens for rows, tokens, cached in calls if cached == 0 and rows == 1) == starts
    assert len([call for call in calls if call[2] == 0]) == len(groups) == 4  # once per cell
    suffix_batches = [cached for _rows, _tokens, cached in calls if cached]
    assert set(suffix_batches) == set(starts) and len(suffix_batches) > len(starts)  # several batches per cell
    assert backend.describe()["timings"]["prefix_tokens"] == sum(starts)


def test_timings_are_measured_and_consistent(tiny_model_dir, requests_):
    backend = _backend(tiny_model_dir)
    backend.choice_logprobs(requests_[:6])
    backend.generate([Request(prompt=requests_[0].prompt, max_new_tokens=3)])
    timings = backend.describe()["timings"]
    assert set(timings) == {"tokenize_s", "scoring_s", "forward_s", "prefixes", "prefix_tokens", "suffix_tokens"}
    assert 0 < timings["tokenize_s"] < timings["scoring_s"] and 0 < timings["forward_s"] < timings["scoring_s"]


def test_short_common_starts_use_the_plain_path(tiny_model_dir):
    """A start under 16 tokens, or under a quarter of the prompts (a 0-shot description before long questions),
    saves less than the cached path costs."""
    backend = _backend(tiny_model_dir)
    short = [Request(prompt=f"Q{i}: which? Answer:", n_choices=2, prefix_group="short") for i in range(3)]
    long_questions = [Request(prompt=DESCRIPTION + f"Question {i}: " + "lorem ipsum dolor " * 40 + "Answer:",
                              n_choices=2, prefix_group="long questions") for i in range(3)]
    rows = [backend.tokenizer(r.prompt)["input_ids"] for r in long_questions]
    assert 16 <= _common_prefix_length(rows) < sum(map(len, rows)) / len(rows) / 4
    backend.choice_logprobs(short + long_questions)
    assert backend.describe()["timings"]["prefixes"] == 0
