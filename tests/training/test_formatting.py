"""Records -> chat messages per task and language, and exactly which tokens carry the loss."""

from __future__ import annotations

import pytest

from globmed.errors import GlobMedError
from globmed.languages import language_codes
from training.formatting import load_prompts, to_messages

MCQA = {
    "id": "medqa:1:sw", "language": "sw", "task": "mcqa", "context": "",
    "question": "Ni dawa gani?", "options": ["Aspirini", "Insulini", "Penisilini"], "answer_index": 1,
    "answer": "Insulini", "explanation": "Kisukari kinahitaji insulini.",
}
NLI = {
    "id": "mednli:1:fr", "language": "fr", "task": "nli", "context": "Le patient a de la fièvre.",
    "question": "Le patient est malade.", "options": ["entailment", "neutral", "contradiction"],
    "answer_index": 0, "answer": "entailment", "explanation": "",
}
LFQA = {
    "id": "liveqa:1:zh", "language": "zh", "task": "lfqa", "context": "", "question": "什么是高血压？",
    "options": [], "answer_index": -1, "answer": "高血压是指动脉血压持续升高。", "explanation": "",
}


def test_prompt_table_covers_every_language_in_its_own_words():
    prompts = load_prompts()
    assert set(language_codes()) <= set(prompts)
    systems = {prompts[code].system for code in language_codes()}
    assert len(systems) == len(language_codes())  # each language has its own system prompt


def test_mcqa_answer_is_letter_option_and_explanation():
    messages = to_messages(MCQA)
    assert [m["role"] for m in messages] == ["system", "user", "assistant"]
    assert messages[0]["content"] == load_prompts()["sw"].system
    assert "Swali: Ni dawa gani?" in messages[1]["content"]
    assert "A. Aspirini\nB. Insulini\nC. Penisilini" in messages[1]["content"]
    assert messages[2]["content"] == "B. Insulini\n\nMaelezo: Kisukari kinahitaji insulini."


def test_nli_answer_is_letter_and_label_without_explanation():
    messages = to_messages(NLI)
    user = messages[1]["content"]
    assert "Prémisse: Le patient a de la fièvre." in user
    assert "Hypothèse: Le patient est malade." in user and "A. entailment" in user
    assert messages[2]["content"] == "A. entailment"


def test_lfqa_answer_is_the_long_answer():
    messages = to_messages(LFQA)
    assert messages[1]["content"] == "问题: 什么是高血压？"
    assert messages[2]["content"] == LFQA["answer"]


def test_bad_records_are_named():
    with pytest.raises(GlobMedError, match="medqa:1:sw: answer_index 7"):
        to_messages({**MCQA, "answer_index": 7})
    with pytest.raises(GlobMedError, match="no system prompt for language 'xx'"):
        to_messages({**MCQA, "language": "xx"})


@pytest.mark.parametrize("record", [MCQA, NLI, LFQA], ids=["mcqa", "nli", "lfqa"])
def test_only_the_assistant_reply_and_its_end_token_carry_loss(record, tiny_model_dir):
    """The tokens TRL trains on (assistant mask from the {% generation %} template) are the reply + <|im_end|>."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    messages = to_messages(record)
    out = tokenizer.apply_chat_template(
        messages, tokenize=True, return_dict=True, return_assistant_tokens_mask=True
    )
    ids, mask = out["input_ids"], out["assistant_masks"]
    trained = [t for t, m in zip(ids, mask, strict=True) if m]
    assert tokenizer.decode(trained) == messages[2]["content"] + "<|im_end|>"
    first = mask.index(1)
    assert not any(mask[:first])  # system and user turns, and the assistant header, carry no loss
    assert tokenizer.decode(ids[:first]).endswith("<|im_start|>assistant\n")
