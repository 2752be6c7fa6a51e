"""Answer extraction: a table of real-looking outputs in all 12 languages, including no-answer cases."""

from __future__ import annotations

import pytest

from benchmark.extraction import extract_choice, strip_reasoning

OPTIONS = ["aspirin", "ibuprofen", "paracetamol", "morphine"]

# (language, model output, expected index or None)
TABLE = [
    ("en", "C", 2),
    ("en", "Answer: C", 2),
    ("en", "The correct answer is (B) ibuprofen.", 1),
    ("en", "**Answer:** D", 3),
    ("en", "<think>It could be A, but the dose... </think>\nAnswer: B", 1),
    ("en", "The answer is paracetamol.", 2),
    ("en", "I cannot answer medical questions.", None),
    ("en", "<think>Let me think about A and B", None),
    ("zh", "答案：C", 2),
    ("zh", "答案是Ｂ。", 1),
    ("zh", "正确答案：Ａ", 0),
    ("ja", "答え：D", 3),
    ("ja", "正解はBです。", 1),
    ("ko", "정답은 C입니다.", 2),
    ("ko", "답: A", 0),
    ("fr", "Réponse : B", 1),
    ("fr", "La bonne réponse est la D, la morphine.", 3),
    ("es", "Respuesta: A", 0),
    ("es", "La respuesta correcta es la C.", 2),
    ("de", "Antwort: D", 3),
    ("de", "Die richtige Antwort ist B.", 1),
    ("pt", "Resposta: C", 2),
    ("pt", "A resposta correta é a A.", 0),
    ("sw", "Jibu: B", 1),
    ("sw", "Jibu sahihi ni D.", 3),
    ("wo", "Tontu bi: A", 0),
    ("wo", "Tontu: C", 2),
    ("yo", "Ìdáhùn: D", 3),
    ("yo", "Idahun ni B", 1),  # tone marks dropped by the model
    ("zu", "Impendulo: C", 2),
    ("zu", "Impendulo efanele ithi A.", 0),
    ("zu", "Angazi.", None),
    ("en", "E", None),  # a letter beyond the options is not an answer
    ("en", "Answer: C\n\nOn reflection, Answer: D", 3),  # last restatement wins
]


@pytest.mark.parametrize(("language", "output", "expected"), TABLE, ids=[f"{r[0]}-{i}" for i, r in enumerate(TABLE)])
def test_extraction_table(language, output, expected):
    assert extract_choice(output, OPTIONS) == expected


def test_every_language_has_a_case():
    from globmed.languages import language_codes

    assert {row[0] for row in TABLE} == set(language_codes())


def test_nli_label_names_in_the_prompt_language():
    from benchmark.prompts import load_prompts

    labels = load_prompts("sw").labels
    options = ["entailment", "neutral", "contradiction"]
    aliases = [[labels[o]] for o in options]
    assert extract_choice("Nadhani ni kupingana.", options, aliases) == 2
    assert extract_choice("neutral", options, aliases) == 1
    assert extract_choice("entailment or contradiction", options, aliases) is None  # ambiguous


def test_strip_reasoning_keeps_text_after_dangling_close():
    assert strip_reasoning("A is tempting</think>B").strip() == "B"
