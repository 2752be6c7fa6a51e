"""Letter scoring on the tiny model equals a slow reference (one unpadded full forward per question and option),
and batching / length sorting does not change the predictions."""

from __future__ import annotations

import pytest
import torch

from benchmark.backends import BackendConfig, Request, make_backend
from benchmark.prompts import load_prompts


@pytest.fixture(scope="module")
def requests_(tiny_dataset_dir):
    from globmed.data import load_split

    out = []
    for lang in ("en", "zh", "sw", "yo"):
        prompts = load_prompts(lang)
        for task in ("mcqa", "nli"):
            for doc in load_split(tiny_dataset_dir, "test", lang, task):
                # vary lengths so batches need padding
                doc = {**doc, "question": doc["question"] * (1 + len(out) % 3)}
                out.append(Request(prompt=prompts.build(task, doc), n_choices=len(doc["options"])))
    return out


def _reference(backend, request: Request) -> list[float]:
    """log p(" X" | prompt) for each letter: one unpadded full forward per question and option."""
    tok, model = backend.tokenizer, backend.model
    context = tok(request.prompt, add_special_tokens=True)["input_ids"]
    scores = []
    for letter in request.letters:
        whole = tok(request.prompt + " " + letter, add_special_tokens=True)["input_ids"]
        assert whole[: len(context)] == context
        with torch.no_grad():
            logprobs = torch.log_softmax(model(torch.tensor([whole])).logits[0].float(), -1)
        scores.append(sum(logprobs[k - 1, whole[k]].item() for k in range(len(context), len(whole))))
    return scores


def test_matches_slow_reference_and_batching_is_invisible(tiny_model_dir, requests_):
    batched = make_backend("transformers", BackendConfig(model=str(tiny_model_dir), chat_template="off", device="cpu"))
    fast = batched.choice_logprobs(requests_)
    for request, scores in zip(requests_[:12], fast, strict=False):
        assert scores == pytest.approx(_reference(batched, request), abs=1e-4)
    one = make_backend(
        "transformers", BackendConfig(model=str(tiny_model_dir), chat_template="off", device="cpu", batch_size=1)
    )
    single = one.choice_logprobs(requests_)
    argmax = [max(range(len(s)), key=s.__getitem__) for s in fast]
    assert argmax == [max(range(len(s)), key=s.__getitem__) for s in single]
    for a, b in zip(fast, single, strict=False):
        assert a == pytest.approx(b, abs=1e-4)
    assert len({tuple(round(x, 3) for x in s) for s in fast}) > 1  # the model does distinguish prompts


def test_chat_template_scoring_and_generation(tiny_model_dir, requests_):
    backend = make_backend("transformers", BackendConfig(model=str(tiny_model_dir), device="cpu"))
    assert backend.use_chat and backend.describe()["chat_template"] is True
    rendered = backend.render(requests_[0])
    assert rendered.startswith("<|im_start|>user\n") and rendered.endswith("<|im_start|>assistant\n")
    scores = backend.choice_logprobs(requests_[:4])
    assert all(len(s) == r.n_choices and all(x < 0 for x in s) for s, r in zip(scores, requests_[:4], strict=False))
    gen_requests = [Request(prompt=r.prompt, max_new_tokens=5) for r in requests_[:6]]
    batched = backend.generate(gen_requests)
    singles = [backend.generate([r])[0] for r in gen_requests[:3]]
    assert batched[:3] == singles  # left padding does not change greedy outputs


def test_multi_token_letters_get_an_exact_second_pass(tiny_model_dir):
    """With the default tiny tokenizer " F".." J" are two tokens each; 8-option items still score exactly."""
    backend = make_backend("transformers", BackendConfig(model=str(tiny_model_dir), chat_template="off", device="cpu"))
    assert any(len(ids) > 1 for ids in backend._letter_ids[:8])
    prompts = load_prompts("de")
    docs = [
        {"context": "", "question": f"Frage {i}?" * (i + 1), "options": [f"Option {k}" for k in range(8)]}
        for i in range(5)
    ]
    requests = [Request(prompt=prompts.build("mcqa", d), n_choices=8) for d in docs]
    scores = backend.choice_logprobs(requests)
    for request, row in zip(requests, scores, strict=True):
        assert len(row) == 8
        assert row == pytest.approx(_reference(backend, request), abs=1e-4)
