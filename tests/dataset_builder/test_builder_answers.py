"""Table-driven tests of option and answer parsing, normalisation and the quality filters' reasons."""

from __future__ import annotations

import pytest

from dataset_builder.adapters import Draft, FieldMapping, RowContext
from dataset_builder.answers import Answer, parse_answer, parse_options, split_option_string
from dataset_builder.normalise import clean_option, clean_text
from dataset_builder.quality import apply_filters, default_filters

OPTS = ["alpha", "beta", "gamma", "delta"]


@pytest.mark.parametrize(
    ("raw", "fmt", "base", "expected_kind", "expected_index"),
    [
        ("C", "auto", 0, "letter", 2),
        ("c", "auto", 0, "letter", 2),
        ("(C)", "auto", 0, "letter", 2),
        ("C.", "auto", 0, "letter", 2),
        (["c"], "auto", 0, "letter", 2),
        (2, "auto", 0, "index", 2),
        (3, "index", 1, "index", 2),
        ("3", "index", 1, "index", 2),
        ("gamma", "auto", 0, "text", 2),
        ("Gamma", "text", 0, "text", 2),
        ("(ACE)", "auto", 0, "multi", None),
        ("a or d", "auto", 0, "multi", None),
        (["a", "c"], "auto", 0, "multi", None),
        (["a", "A"], "auto", 0, "letter", 0),
        ("NA", "auto", 0, "none", None),
        ("", "auto", 0, "none", None),
        ([], "auto", 0, "none", None),
        (None, "auto", 0, "none", None),
        ("F", "auto", 0, "letter", None),  # a letter beyond the options
        ("omega", "auto", 0, "text", None),  # text that is not an option
        ("26", "auto", 0, "index", None),  # numeric-entry answer (IgakuQA), out of range
    ],
)
def test_parse_answer(raw, fmt, base, expected_kind, expected_index):
    answer = parse_answer(raw, fmt, base, OPTS)
    assert answer.kind == expected_kind
    assert answer.resolve(OPTS) == expected_index


@pytest.mark.parametrize(
    ("raw", "key", "expected"),
    [
        (["x", "y"], None, ["x", "y"]),
        ({"B": "y", "A": "x"}, None, ["x", "y"]),
        ({"b": "y", "a": "x"}, None, ["x", "y"]),
        ({"2": "y", "1": "x", "10": "z"}, None, ["x", "y", "z"]),
        ("(A) x.\n(B) y..\n(C) z", None, ["x.", "y..", "z"]),
        ("A. x\nB. y", None, ["x", "y"]),
        ([{"aid": 1, "atext": "x"}, {"aid": 2, "atext": "y"}], "atext", ["x", "y"]),
        (None, None, []),
    ],
)
def test_parse_options(raw, key, expected):
    assert parse_options(raw, key) == expected


def test_option_string_without_letters_is_one_option():
    assert split_option_string("just text") == ["just text"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("\ufeffBOM at start", "BOM at start"),
        ("stray\ufeff U+FEFF", "stray U+FEFF"),
        ("non\u00a0breaking\u202fspaces", "non breaking spaces"),
        ("crlf\r\nline\rcr", "crlf\nline\ncr"),
        ("  many   spaces \t tab  ", "many spaces tab"),
        ("line  \n  edges", "line\nedges"),
        ("e\u0301", "\u00e9"),  # NFC
        (None, ""),
        (12, "12"),
    ],
)
def test_clean_text(raw, expected):
    assert clean_text(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [("Colágeno..", "Colágeno."), ("wait...", "wait..."), ("x.", "x.")])
def test_clean_option(raw, expected):
    assert clean_option(raw) == expected


CTX = RowContext("en", "test", 0, {})


@pytest.mark.parametrize(
    ("mapping", "row", "reason", "answer"),
    [
        # options as columns A..J (missing trailing columns dropped)
        ({"question": "q", "options": ["A", "B", "C", "D", "E"], "answer": "ans"},
         {"q": "Q?", "A": "a", "B": "b", "C": "c", "D": "", "ans": "B"}, None, "b"),
        # a dict with lowercase keys, answer "(C)"
        ({"question": "q", "options": "o", "answer": "a"},
         {"q": "Q?", "o": {"a": "x", "b": "y", "c": "z"}, "a": "(C)"}, None, "z"),
        # one "(A) ...\n(B) ..." string with doubled dots, answer a one-item list
        ({"question": "q", "options": "o", "answer": "a"},
         {"q": "Q?", "o": "(A) uno..\n(B) dos..", "a": ["b"]}, None, "dos."),
        # the answer is the option text
        ({"question": "q", "options": "o", "answer": "a"}, {"q": "Q?", "o": ["x", "y"], "a": "y"}, None, "y"),
        # reasons, in filter order
        ({"question": "q", "options": "o", "answer": "a"}, {"q": " ", "o": ["x", "y"], "a": "A"},
         "empty_question", None),
        ({"question": "q", "options": "o", "answer": "a", "needs_image": {"field": "text_only", "when": False}},
         {"q": "Q", "o": ["x", "y"], "a": ["a", "b"], "text_only": False}, "needs_missing_image", None),
        ({"question": "q", "options": "o", "answer": "a"}, {"q": "Q", "o": [], "a": "NA"}, "no_answer", None),
        ({"question": "q", "options": "o", "answer": "a"}, {"q": "Q", "o": ["x", "y"], "a": "(AB)"},
         "several_correct_answers", None),
        ({"question": "q", "options": "o", "answer": "a"}, {"q": "Q", "o": ["x"], "a": "A"}, "too_few_options", None),
        ({"question": "q", "options": "o", "answer": "a"}, {"q": "Q", "o": ["x", "", "z"], "a": "A"},
         "option_gap", None),
        ({"question": "q", "options": "o", "answer": "a"}, {"q": "Q", "o": list("abcdefghijk"), "a": "A"},
         "too_many_options", None),
        ({"question": "q", "options": "o", "answer": "a"}, {"q": "Q", "o": ["x", "y"], "a": "D"},
         "answer_not_among_options", None),
    ],
)
def test_mcqa_mapping_and_reasons(mapping, row, reason, answer):
    draft = FieldMapping("mcqa", mapping, "test")(row, CTX)
    got = apply_filters(default_filters(), draft, "mcqa")
    assert got == reason
    if reason is None:
        assert draft.options[draft.index] == answer


@pytest.mark.parametrize(
    ("label", "labels", "reason", "expected"),
    [
        ("entailment", {}, None, 0),
        ("Contradiction", {}, None, 2),
        ("1", {"1": "contradiction", "0": "entailment"}, None, 2),
        ("maybe", {}, "answer_not_among_options", None),
        ("", {}, "no_answer", None),
    ],
)
def test_nli_labels(label, labels, reason, expected):
    mapping = {"context": "p", "question": "h", "answer": "l", "labels": labels}
    draft = FieldMapping("nli", mapping, "test")({"p": "premise", "h": "hyp", "l": label}, CTX)
    assert draft.options == ["entailment", "neutral", "contradiction"]
    assert apply_filters(default_filters(), draft, "nli") == reason
    if expected is not None:
        assert draft.index == expected


def test_lfqa_answer_required():
    mapping = {"question": "q", "answer": "a"}
    ok = FieldMapping("lfqa", mapping, "t")({"q": "Q", "a": "Long answer."}, CTX)
    assert apply_filters(default_filters(), ok, "lfqa") is None and ok.index == -1
    empty = FieldMapping("lfqa", mapping, "t")({"q": "Q", "a": "  "}, CTX)
    assert apply_filters(default_filters(), empty, "lfqa") == "no_answer"


def test_answer_resolve_text_case_insensitive_only_if_unique():
    assert Answer("text", "YES").resolve(["yes", "no"]) == 0
    assert Answer("text", "a").resolve(["A", "a "]) is None or Answer("text", "a").resolve(["A", "a "]) == 0
    assert Draft(source_id="x", question="q").index == -1
