"""The terminology matcher: longest match, case-insensitive, word boundaries, scripts without spaces."""

from __future__ import annotations

import pytest

from dataset_builder.translate.glossary import Glossary, missing_terms
from globmed.errors import GlobMedError

ROWS = [
    ("myocardial infarction", "fr", "infarctus du myocarde"),
    ("infarction", "fr", "infarctus"),
    ("heart", "fr", "cœur"),
    ("heart failure", "fr", "insuffisance cardiaque"),
    ("heart failure", "sw", "moyo kushindwa kufanya kazi"),
    ("aspirin", "zh", "阿司匹林"),
    ("ECG", "fr", "ECG"),
    ("心肌梗死", "ja", "心筋梗塞"),  # a source term written without spaces
    ("梗死", "ja", "梗塞"),
    ("β-blocker", "fr", "bêtabloquant"),
]


@pytest.fixture(scope="module")
def glossary() -> Glossary:
    return Glossary.from_rows(ROWS)


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("Acute myocardial infarction.", None, ["myocardial infarction"]),  # longest wins over "infarction"
        ("MYOCARDIAL INFARCTION and infarction", None, ["myocardial infarction", "infarction"]),
        ("infarctions are not matched", None, []),  # word boundary after
        ("preinfarction state", None, []),  # word boundary before
        ("congestive heart failure; heart rate", None, ["heart failure", "heart"]),
        ("heart failure", "sw", ["heart failure"]),  # sw has only the long term
        ("heart", "sw", []),  # no Swahili entry for "heart"
        ("Give aspirin 81 mg", "zh", ["aspirin"]),
        ("Give aspirin 81 mg", "fr", []),
        ("ECG: normal. ecg repeated", None, ["ECG", "ECG"]),
        ("患者心肌梗死三天", None, ["心肌梗死"]),  # CJK: no spaces, no boundary needed, longest wins
        ("陈旧性梗死", None, ["梗死"]),
        ("start a β-blocker now", None, ["β-blocker"]),
        ("", None, []),
    ],
)
def test_find(glossary: Glossary, text: str, language: str | None, expected: list[str]) -> None:
    assert [m.term for m in glossary.find(text, language)] == expected


def test_match_offsets_point_at_the_text(glossary: Glossary) -> None:
    text = "Prior Heart Failure"
    (match,) = glossary.find(text)
    assert text[match.start : match.end] == "Heart Failure"
    assert match.targets["fr"] == ("insuffisance cardiaque",)


def test_required_and_missing_terms(glossary: Glossary) -> None:
    required = glossary.required_terms(["History of heart failure.", "Now: myocardial infarction"], "fr")
    assert required == {
        "heart failure": ("insuffisance cardiaque",),
        "myocardial infarction": ("infarctus du myocarde",),
    }
    assert missing_terms(required, ["Antécédents d'Insuffisance cardiaque", "infarctus du myocarde aigu"]) == []
    assert missing_terms(required, ["Antécédents d'insuffisance du cœur", "infarctus du myocarde"]) == ["heart failure"]


def test_many_terms_scale(glossary: Glossary) -> None:
    big = Glossary.from_rows([(f"term{i} disease", "fr", f"maladie {i}") for i in range(5000)])
    text = " ".join(f"term{i} disease" for i in range(0, 5000, 7))
    assert len(big.find(text)) == len(range(0, 5000, 7))


def test_load_tsv(tmp_path) -> None:
    path = tmp_path / "g.tsv"
    path.write_text(
        "source_term\tlanguage\ttarget_term\n# comment\nfever\tsw\thoma\nfever\tsw\tjoto\n\ncough\tyo\tikọ́\n",
        encoding="utf-8",
    )
    glossary = Glossary.load(path)
    assert len(glossary) == 2
    assert glossary.required_terms(["Fever and cough"], "sw") == {"fever": ("homa", "joto")}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("fever\tsw\n", "line 1: expected 3 tab-separated columns"),
        ("fever\txx\thoma\n", "line 1 column language: unknown language code 'xx'"),
        ("fever\tsw\thoma\n\tsw\tkikohozi\n", "line 2: empty source_term or target_term"),
    ],
)
def test_load_tsv_errors(tmp_path, content: str, message: str) -> None:
    path = tmp_path / "bad.tsv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(GlobMedError, match=message):
        Glossary.load(path)
