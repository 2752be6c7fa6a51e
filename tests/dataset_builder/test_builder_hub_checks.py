"""The checks around a build: mapped fields against a file's first rows (dataset_builder.field_check), and a build
in which every row is rejected (its evidence in ROOT/globmed.rejected, the top reasons with an example each)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from dataset_builder.field_check import check_files, mapped_fields, missing_fields
from dataset_builder.sources import load_sources
from globmed_kit.cli import main

ROWS = [
    {"id": "1", "question": "Q?", "opa": "x", "opb": "y", "cop": 1, "meta": {"subject": "anatomy"}},
    {"id": "2", "question": "Q2?", "opa": "x", "opb": "y", "cop": 0, "exp": "because", "lang": "JP"},
]


def spec(fields: dict, **extra) -> SimpleNamespace:
    """A stand-in with the attributes field_check reads; the newer keys are absent unless given."""
    return SimpleNamespace(adapter=None, fields=fields, select=extra.pop("select", None), **extra)


@pytest.mark.parametrize(
    ("fields", "extra", "expected"),
    [
        ({"id": "id", "question": "qestion", "options": ["opa", "opb"], "answer": "cop"}, {},
         ["question: no field 'qestion' (fields: id, question, opa, opb, cop, meta, exp, lang; "
          "did you mean 'question'?)"]),
        ({"id": "{split}-{row}", "question": "question", "options": ["opa", "opb", "opc"], "answer": "cop"}, {},
         ["options[2]: no field 'opc' (fields: id, question, opa, opb, cop, meta, exp, lang; did you mean 'opb'?)"]),
        ({"question": "question", "context": "meta.subjekt", "answer": "cop"}, {},
         ["context: no field 'meta.subjekt' (fields: id, question, opa, opb, cop, meta, exp, lang; "
          "did you mean 'meta.subject'?)"]),
        ({"question": "question", "context": "meta.subject", "explanation": "exp", "answer": "cop"}, {}, []),
        ({"question": "question", "answer": "cop"}, {"select": [{"field": "category", "values": ["x"]}]},
         ["select[0].field: no field 'category' (fields: id, question, opa, opb, cop, meta, exp, lang)"]),
        ({"question": "question", "answer": "cop"},
         {"language": {"field": "lang", "codes": {"JP": "ja"}},
          "reject_when": [{"field": "annulled", "values": [True]}],
          "parallel_fields": {"en": {"question": "question_EN", "options": "options_EN"}}},
         ["reject_when[0].field: no field 'annulled' (fields: id, question, opa, opb, cop, meta, exp, lang)",
          "parallel_fields.en.question: no field 'question_EN' (fields: id, question, opa, opb, cop, meta, exp, lang;"
          " did you mean 'question'?)",
          "parallel_fields.en.options: no field 'options_EN' (fields: id, question, opa, opb, cop, meta, exp, lang)"]),
        ({"id": "{split}-{exam}-{qid}-{row}", "question": "question", "answer": "cop"}, {"vars": {"exam": ["x"]}},
         ["id: no field 'qid' (fields: id, question, opa, opb, cop, meta, exp, lang; did you mean 'id'?)"]),
    ],
    ids=["typo", "option-column", "nested", "all-present", "select", "contract-keys", "id-template-row-field"],
)
def test_missing_fields_named_with_fields_present_and_close_match(fields, extra, expected):
    assert [m.message() for m in missing_fields(spec(fields, **extra), ROWS)] == expected


def test_mapped_fields_of_a_real_sources_yaml():
    specs, _ = load_sources("english")
    headqa = next(s for s in specs if s.id == "headqa")
    assert mapped_fields(headqa) == [("id", "exam"), ("id", "qid"), ("question", "qtext"), ("options", "answers"),
                                     ("answer", "ra"), ("option_key", "answers[].atext"),
                                     ("option_id", "answers[].aid"), ("needs_image.field", "image")]
    assert mapped_fields(next(s for s in specs if s.id == "expertqa")) == []  # a named adapter maps no field
    row = {"exam": "Cuaderno_2013_1_B", "qid": "1", "qtext": "Q?", "ra": "1", "answers": [{"id": 1, "text": "a"}]}
    missing = missing_fields(headqa, [row])
    fields = "fields: exam, qid, qtext, ra, answers"
    assert [m.message() for m in missing] == [
        f"option_key: no field 'answers[].atext' ({fields}; did you mean 'answers[].text'?)",
        f"option_id: no field 'answers[].aid' ({fields}; did you mean 'answers[].id'?)",
        f"needs_image.field: no field 'image' ({fields})",
    ]


def test_records_path_rows_checked_on_the_real_headqa_file(realdata):
    """Rows come through the source's `records:` path (HEAD-QA nests them in exams.{exam}.data); the bound
    exam name is a field of every record, so an id template may use it."""
    path = realdata / "english_sources/head_qa/data/HEAD_EN/dev_HEAD_EN.json"
    fields = {"id": "{exam}-{qid}", "question": "qtext", "options": "answers", "option_key": "atext", "answer": "ra"}
    headqa = spec(fields, format="json", csv={}, records="exams.{exam}.data")
    assert check_files(headqa, [("dev.json", path)]) == []
    typo = spec({**fields, "id": "{exam}-{qid_}", "option_key": "text"}, format="json", csv={},
                records="exams.{exam}.data")
    [(_, _, missing)] = check_files(typo, [("dev.json", path)])
    assert [m.message() for m in missing] == [
        "id: no field 'qid_' (fields: exam, qid, qtext, ra, answers, image; did you mean 'qid'?)",
        "option_key: no field 'answers[].text' (fields: exam, qid, qtext, ra, answers, image; "
        "did you mean 'answers[].atext'?)",
    ]


def _write(folder: Path, name: str, rows: list[dict]) -> tuple[str, Path]:
    path = folder / name
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return name, path


def test_optional_fields_judged_over_all_files_required_ones_per_file(tmp_path):
    """One mapping over files of which only one has `context` (Apollo's XMedBench): fine; a context that no file
    has, or a question missing from one file, is named."""
    src = spec({"question": "question", "context": "context", "answer": "answer"}, format="jsonl", csv={})
    plain = {"question": "Q?", "answer": "A"}
    files = [_write(tmp_path, "ar.jsonl", [plain]), _write(tmp_path, "en.jsonl", [{**plain, "context": "c"}])]
    assert check_files(src, files) == []
    assert check_files(src, files[:1], every_file=False)[0][2][0].message().startswith("context: no field 'context'")
    files.append(_write(tmp_path, "fr.jsonl", [{"question_fr": "Q?", "answer": "A"}]))
    found = check_files(src, files)
    assert [(label, [m.key for m in missing]) for label, _, missing in found] == [("fr.jsonl", ["question"])]
    assert check_files(src, files, every_file=False) == []  # validate: required fields on the first file only


def _all_rejected_yaml(tmp_path: Path) -> Path:
    data = tmp_path / "src"
    data.mkdir()
    (data / "en.jsonl").write_text(
        '{"id": 1, "q": "Which nerve?", "o": ["vagus", "phrenic"], "a": "D"}\n'
        '{"id": 2, "q": "Which bone?", "o": ["femur", "tibia"], "a": ""}\n'
        '{"id": 3, "q": "Which artery?", "o": ["aorta", "renal"], "a": "F"}\n'
        "{broken json\n", encoding="utf-8")
    path = tmp_path / "s.yaml"
    path.write_text("sources:\n  - {id: tiny, task: mcqa, format: jsonl, path: src, files: '{lang}.jsonl',\n"
                    "     fields: {id: id, question: q, options: o, answer: a}}\n", encoding="utf-8")
    return path


def test_all_rejected_build_writes_evidence_beside_the_dataset(tmp_path, capsys):
    yaml_path = _all_rejected_yaml(tmp_path)
    root = tmp_path / "rel"
    (root / "globmed").mkdir(parents=True)
    (root / "globmed" / "keep.txt").write_text("previous build")
    code = main(["-q", "build", "--sources", str(yaml_path), "--languages", "en", "--out", str(root), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("globmed build: error: no rows kept (4 read, all rejected: ")
    rejected = root / "globmed.rejected"
    assert f"written to {rejected}" in lines[0] and f"nothing written to {root / 'globmed'}" in lines[0]
    rejects = [json.loads(x) for x in (rejected / "rejects.jsonl").read_text(encoding="utf-8").splitlines()]
    # top reasons, most frequent first, each with its first row: file:row and the reject's detail, or (no_answer
    # has none) the row as the file holds it
    detail = next(r["detail"] for r in rejects if r["reason"] == "answer_not_among_options")
    assert lines[0].index(f"answer_not_among_options 2 (e.g. tiny en.jsonl:0: {detail})") < lines[0].index("no_answer")
    assert "malformed_row 1 (e.g. tiny en.jsonl:3: invalid JSON" in lines[0]
    row = (yaml_path.parent / "src" / "en.jsonl").read_text(encoding="utf-8").splitlines()[1]
    assert f"no_answer 1 (e.g. tiny en.jsonl:1: {row})" in lines[0]
    report = json.loads((rejected / "build_report.json").read_text(encoding="utf-8"))
    assert sorted(r["row"] for r in rejects) == [0, 1, 2, 3]
    assert report["rows_read"] == 4 and report["rows_kept"] == 0 and report["counts"] == {}
    assert report["rejects_by_reason"] == {"answer_not_among_options": 2, "malformed_row": 1, "no_answer": 1}
    assert (root / "globmed" / "keep.txt").read_text() == "previous build"
    assert sorted(p.name for p in root.iterdir()) == ["globmed", "globmed.rejected"]  # no temporary folder left
