"""Expert review round trip: export a stratified sample, fill it in (with mistakes), import, check provenance."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from support.mock_openai_server import fake_unit

from dataset_builder.review.sheets import COLUMNS, RevisionError, parse_revision, render
from globmed.errors import GlobMedError
from globmed_kit.cli import main


def _native(tmp_path: Path) -> Path:
    """A small `globmed translate` output folder (two sources, two languages), written by hand."""
    out = tmp_path / "mt"
    sources = []
    for source, task, n in (("medqa", "mcqa", 12), ("liveqa", "lfqa", 4)):
        for lang in ("en", "sw", "fr"):
            rows = []
            for i in range(n):
                unit = {"question": f"What is the dose for patient {i}?"}
                if task == "mcqa":
                    unit |= {"options": [f"{k * 5} mg daily" for k in range(1, 5)], "answer": "10 mg daily"}
                else:
                    unit |= {"answer": f"Give {i} mg twice a day."}
                if lang != "en":
                    unit = fake_unit(unit, lang, [])
                rows.append(
                    {
                        "id": f"{source}-{i}",
                        "context": "",
                        "question": unit["question"],
                        "options": unit.get("options", []),
                        "answer_index": 1 if task == "mcqa" else -1,
                        "answer": unit["answer"],
                        "explanation": "",
                        "translation": {
                            "method": "original" if lang == "en" else "machine",
                            "model": "" if lang == "en" else "m",
                            "qc_score": 1.0,
                            "reviewed": False,
                            "verdict": "accepted",
                        },
                    }
                )
            path = out / f"GlobMed_{source}" / lang / "test.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(rows, ensure_ascii=False))
        sources.append(
            {
                "id": source,
                "name": source,
                "task": task,
                "license": "MIT",
                "format": "json",
                "path": f"GlobMed_{source}",
                "files": "{lang}/{split}.json",
                "languages": ["en", "sw", "fr"],
                "splits": {"test": "test"},
                "adapter": "globmed_native",
            }
        )
    import yaml

    (out / "sources.yaml").write_text(yaml.safe_dump({"sources": sources}))
    return out


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def test_round_trip(tmp_path, capsys):
    mt, sheets = _native(tmp_path), tmp_path / "sheets"
    assert (
        main(
            [
                "review",
                "export",
                "--translations",
                str(mt),
                "--out",
                str(sheets),
                "--per-language",
                "8",
                "--languages",
                "sw",
            ]
        )
        == 0
    )
    rows = _read(sheets / "review_sw.csv")
    assert not (sheets / "review_fr.csv").exists()
    assert list(rows[0]) == list(COLUMNS) and len(rows) == 8
    assert sorted(r["Source"] for r in rows).count("liveqa") == 2  # 4/16 of the items -> 2 of 8: stratified
    assert all(not r["Accuracy"] and not r["Expert_Revised"] for r in rows)
    assert rows[0]["English_Source"].startswith("Question: What is the dose")
    again = tmp_path / "again"
    main(
        ["review", "export", "--translations", str(mt), "--out", str(again), "--per-language", "8", "--languages", "sw"]
    )
    assert (again / "review_sw.csv").read_bytes() == (sheets / "review_sw.csv").read_bytes()  # seeded

    mcqa = [r for r in rows if r["Task"] == "mcqa"]
    lfqa = [r for r in rows if r["Task"] == "lfqa"]
    # the expert: scores everywhere but one row left blank, two revisions, and some mistakes
    for r in rows[:-1]:
        r.update(Accuracy="4", Fluency="5", Completeness="3")
    mcqa[0]["Expert_Revised"] = mcqa[0]["Machine_Translation"].replace("B) ", "B) Kipimo sahihi ")
    lfqa[0]["Expert_Revised"] = lfqa[0]["Machine_Translation"].replace("Answer: ", "Answer: Jibu lililorekebishwa ")
    lfqa[0]["Comment"] = "answer reworded"
    bad = [dict(r) for r in rows]
    bad[1]["Accuracy"] = "6"
    bad[2]["Fluency"] = ""
    bad[3]["Completeness"] = "three"
    bad_mcqa = next(i for i, r in enumerate(bad) if r["Task"] == "mcqa" and not r["Expert_Revised"] and i > 4)
    bad[bad_mcqa]["Expert_Revised"] = bad[bad_mcqa]["Machine_Translation"].replace("Answer: B", "Answer: C")
    bad[4]["Item_ID"] = "medqa:test:no-such-item"
    sheet = sheets / "review_sw.csv"
    _write(sheet, bad)
    before = (mt / "GlobMed_medqa/sw/test.json").read_bytes()
    assert main(["review", "import", "--translations", str(mt), str(sheet)]) == 2
    err = capsys.readouterr().err
    assert "review_sw.csv row 3 column Accuracy: 6 is not an integer from 1 to 5" in err
    assert "review_sw.csv row 4 column Fluency: empty is not an integer from 1 to 5" in err
    assert "review_sw.csv row 5 column Completeness: three is not an integer from 1 to 5" in err
    assert f"review_sw.csv row {bad_mcqa + 2} column Expert_Revised: 'Answer:' must stay B" in err
    assert "review_sw.csv row 6 column Item_ID: 'medqa:test:no-such-item' not found" in err
    assert "5 bad cell(s)" in err and "nothing was applied" in err
    assert (mt / "GlobMed_medqa/sw/test.json").read_bytes() == before

    _write(sheet, rows)
    assert main(["review", "import", "--translations", str(mt), str(sheet)]) == 0
    printed = capsys.readouterr().out
    assert printed.splitlines()[1].split()[:3] == ["sw", "7", "2"]
    report = json.loads((mt / "review_report.json").read_text())
    assert report["sw"]["reviewed"] == 7 and report["sw"]["revised"] == 2
    assert report["sw"]["accuracy"] == {"distribution": {"1": 0, "2": 0, "3": 0, "4": 7, "5": 0}, "mean": 4.0}
    assert report["sw"]["completeness"]["mean"] == 3.0

    native = {
        r["id"]: r
        for f in ("GlobMed_medqa", "GlobMed_liveqa")
        for r in json.loads((mt / f / "sw" / "test.json").read_text())
    }
    revised = native[mcqa[0]["Item_ID"].split(":")[2]]
    assert revised["options"][1].startswith("Kipimo sahihi ") and revised["answer"] == revised["options"][1]
    assert revised["translation"]["method"] == "machine+expert" and revised["translation"]["reviewed"] is True
    assert revised["translation"]["expert"] == {"accuracy": 4, "fluency": 5, "completeness": 3, "comment": ""}
    long = native[lfqa[0]["Item_ID"].split(":")[2]]
    assert (
        long["answer"].startswith("Jibu lililorekebishwa")
        and long["translation"]["expert"]["comment"] == "answer reworded"
    )
    scored_only = native[mcqa[1]["Item_ID"].split(":")[2]]
    assert scored_only["translation"]["method"] == "machine" and scored_only["translation"]["reviewed"] is True
    untouched = native[rows[-1]["Item_ID"].split(":")[2]]
    assert untouched["translation"]["reviewed"] is False
    assert sum(r["translation"]["reviewed"] for r in native.values()) == 7


ORIGINAL = {
    "context": "",
    "question": "Swali?",
    "options": ["a", "b", "c"],
    "answer_index": 2,
    "answer": "c",
    "explanation": "",
}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Question: Swali?\nA) a\nB) b\nAnswer: C", "options must be A), B), C) in order"),
        ("Question: Swali?\nA) a\nB) b\nC) c\nAnswer: A", "'Answer:' must stay C"),
        ("A) a\nB) b\nC) c\nAnswer: C", "no 'Question:' line"),
        ("hello\nQuestion: x", "line 1 starts with no label"),
        ("Question: a\nQuestion: b", "appears twice"),
    ],
)
def test_bad_revisions(text: str, message: str) -> None:
    with pytest.raises(RevisionError, match=re.escape(message)):
        parse_revision(text, ORIGINAL, "mcqa")


def test_revision_keeps_multiline_text() -> None:
    text = render(ORIGINAL, "mcqa").replace("Question: Swali?", "Question: Swali\nla pili?")
    assert parse_revision(text, ORIGINAL, "mcqa")["question"] == "Swali\nla pili?"


def test_missing_translations_folder(tmp_path) -> None:
    from dataset_builder.review.workflow import export_sheets

    with pytest.raises(GlobMedError, match=r"sources\.yaml: no such file"):
        export_sheets(tmp_path, tmp_path / "s", None, 5, 0)
