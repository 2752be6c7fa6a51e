"""The automatic checks, table-driven: each case breaks one thing and expects that exact issue code."""

from __future__ import annotations

import copy

import pytest

from dataset_builder.translate.checks import CHECKS, numbers_in, run_checks
from dataset_builder.translate.units import UnitParseError, make_unit, parse_json_object, parse_unit

EN = make_unit(
    "mcqa",
    "",
    "A 45-year-old man has a blood pressure of 150/95 mmHg. He takes 2.5 mg of bisoprolol daily. What is next?",
    ["Increase the bisoprolol dose", "Add amlodipine 5 mg", "Stop all medication", "Repeat the measurement"],
    "Add amlodipine 5 mg",
    "",
)
FR = {
    "question": "Un homme de 45 ans a une tension artérielle de 150/95 mmHg. Il prend 2,5 mg de bisoprolol par jour. "
    "Quelle est la prochaine étape ?",
    "options": [
        "Augmenter la dose de bisoprolol",
        "Ajouter de l'amlodipine 5 mg",
        "Arrêter tous les médicaments",
        "Répéter la mesure",
    ],
    "answer": "Ajouter de l'amlodipine 5 mg",
}


def _edit(**changes):
    unit = copy.deepcopy(FR)
    for key, value in changes.items():
        if value is None:
            unit.pop(key)
        else:
            unit[key] = value
    return unit


def test_good_translation_passes() -> None:
    report = run_checks(EN, FR, "fr", 1)
    assert report.issues == []
    assert report.status["language_id"] == "pass"
    assert report.score() == 1.0


def test_each_check_reports_under_its_own_name_in_order() -> None:
    report = run_checks(EN, FR, "fr", 1, {"blood pressure": ("tension artérielle",)})
    assert list(report.status) == [check.name for check in CHECKS]
    assert len({check.name for check in CHECKS}) == len(CHECKS)


@pytest.mark.parametrize(
    ("target", "code", "detail"),
    [
        (_edit(options=FR["options"][:3]), "structure", "3 options instead of 4"),
        (_edit(answer=None), "structure", "field missing"),
        (_edit(explanation="x"), "structure", "unexpected field"),
        (_edit(question="  "), "structure", "empty translation"),
        (_edit(answer="Augmenter la dose de bisoprolol"), "answer_alignment", "matches option 0, expected option 1"),
        (_edit(answer="Ajouter autre chose"), "answer_alignment", "matches no option"),
        (
            _edit(options=[FR["options"][0]] * 2 + FR["options"][2:], answer=FR["options"][0]),
            "answer_alignment",
            "two options have the same translation",
        ),
        (_edit(question=FR["question"].replace("2,5 mg", "25 mg")), "numbers", "numbers missing: 2.5"),
        (
            _edit(
                options=[FR["options"][0], "Ajouter de l'amlodipine", *FR["options"][2:]],
                answer="Ajouter de l'amlodipine",
            ),
            "numbers",
            "numbers missing: 5",
        ),
        (_edit(question=FR["question"].replace("150/95 mmHg", "150/95")), "units", "unit mmHg missing"),
        (_edit(question=EN["question"]), "leftover_source", "words left in English"),
        (
            _edit(
                question="Ein 45-jähriger Mann hat einen Blutdruck von 150/95 mmHg und nimmt täglich 2,5 mg "
                "Bisoprolol ein. Was ist der nächste Schritt?",
                options=[
                    "Die Bisoprolol-Dosis erhöhen",
                    "Amlodipin 5 mg hinzufügen",
                    "Alle Medikamente absetzen",
                    "Die Messung wiederholen",
                ],
                answer="Amlodipin 5 mg hinzufügen",
            ),
            "wrong_language",
            "detected German, expected French",
        ),
        (_edit(question=FR["question"] * 4), "length_ratio", "outside"),
    ],
)
def test_each_check_catches_its_problem(target, code: str, detail: str) -> None:
    report = run_checks(EN, target, "fr", 1)
    assert any(issue.code == code and detail in issue.detail for issue in report.issues), report.issues
    assert report.status.get(code if code != "wrong_language" else "language_id", "fail") == "fail"


def test_wolof_language_id_is_skipped_and_said_so() -> None:
    wo = {
        "question": "Góor gu am 45 at am na tension 150/95 mmHg, di jël 2.5 mg bisoprolol bés bu nekk. "
        "Lan la wara def?",
        "options": ["Yokk dose bisoprolol bi", "Yokk amlodipine 5 mg", "Taxawal garab yépp", "Defaat natt bi"],
        "answer": "Yokk amlodipine 5 mg",
    }
    report = run_checks(EN, wo, "wo", 1)
    assert report.status["language_id"] == "skipped: lingua cannot identify Wolof"
    assert report.issues == []
    # ...but untranslated English is still caught by the leftover heuristic
    left = dict(wo, question=EN["question"])
    assert [i.code for i in run_checks(EN, left, "wo", 1).issues] == ["leftover_source"]


def test_terminology_required() -> None:
    required = {"blood pressure": ("tension artérielle",)}
    assert run_checks(EN, FR, "fr", 1, required).status["terminology"] == "pass"
    bad = _edit(question=FR["question"].replace("tension artérielle", "pression sanguine"))
    issues = run_checks(EN, bad, "fr", 1, required).issues
    assert [i.code for i in issues] == ["terminology"]
    assert "'tension artérielle'" in issues[0].detail


def test_cjk_length_and_language() -> None:
    zh = {
        "question": "一名45岁男性血压为150/95 mmHg。他每天服用2.5 mg比索洛尔。下一步是什么？",
        "options": ["增加比索洛尔剂量", "加用氨氯地平5 mg", "停用所有药物", "重复测量"],
        "answer": "加用氨氯地平5 mg",
    }
    report = run_checks(EN, zh, "zh", 1)
    assert report.issues == [], report.issues
    assert report.status["length_ratio"] == "pass"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2.5 mg", {"2.5": 1}),
        ("2,5 mg", {"2.5": 1}),
        ("1,000 IU", {"1000": 1}),
        ("1 000 IU", {"1000": 1}),
        ("1.000 UI", {"1000": 1}),
        ("１２０ mg", {"120": 1}),
        ("120/80", {"120": 1, "80": 1}),
        ("no digits", {}),
        ("0.25 and 025", {"0.25": 1, "25": 1}),
    ],
)
def test_numbers_are_canonical(text: str, expected: dict[str, int]) -> None:
    assert dict(numbers_in(text)) == expected


@pytest.mark.parametrize(
    ("reply", "ok"),
    [
        ('{"question": "q"}', True),
        ('Sure! ```json\n{"question": "q"}\n``` hope it helps', True),
        ('text before {"question": "q"} after', True),
        ("no json at all", False),
        ('{"question": ["not", "a string"]}', False),
        ('{"options": "A"}', False),
        ('{"other": 1}', False),
        ("[1, 2]", False),
    ],
)
def test_parse_unit(reply: str, ok: bool) -> None:
    if ok:
        assert parse_unit(reply, {"question": "x"}) == {"question": "q"}
    else:
        with pytest.raises(UnitParseError):
            parse_unit(reply, {"question": "x"})


def test_parse_json_object_skips_broken_braces() -> None:
    assert parse_json_object('{broken {"verdict": "accept"}') == {"verdict": "accept"}
