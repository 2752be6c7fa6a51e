"""`globmed build --sources hub` against a local mirror laid out like the ten published ruiyang-medinfo repos.

The rows are written here in each upstream dataset's own shape (not derived from hub.yaml), so a change to
hub.yaml's field guesses that no longer fits those shapes fails here first. The mirror holds en, sw and one
opt-in language (ar); HF_HUB_OFFLINE stays set, as in every test: the mirror must not need the network.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from builder_fixtures import sentence

from globmed_kit.cli import main

ORG = "ruiyang-medinfo"
LANGS = ("en", "sw", "ar")
ROWS = {"train": 3, "test": 2}  # per file


ARABIC = ["حمى", "سعال", "كلوي", "قلبي", "كبدي", "مزمن", "حاد", "جرعة", "عدوى", "مضاد", "طفل", "امرأة", "ألم", "دم"]


def _text(repo: str, lang: str, i: int, part: str, words: int = 14) -> str:
    """Text in the language's script (the builder rejects a row whose question is in another script)."""
    if lang == "ar":
        return f"[{lang}] {repo} {part} {i}: " + " ".join(random.Random(f"{repo}{part}{i}").choices(ARABIC, k=words))
    return f"[{lang}] {repo} {part} {i}: " + sentence(f"{repo}{part}{i}", words)


def _opts(repo: str, lang: str, i: int, n: int) -> list[str]:
    return [_text(repo, lang, i, f"option{k}", 3) for k in range(n)]


def _medqa(repo, lang, i):
    opts = dict(zip("ABCD", _opts(repo, lang, i, 4), strict=True))
    return {"question": _text(repo, lang, i, "q"), "answer": opts["B"], "options": opts, "meta_info": "step1",
            "answer_idx": "B"}


def _bionli(repo, lang, i):
    return {"premise": _text(repo, lang, i, "p", 20), "hypothesis": _text(repo, lang, i, "h"),
            "label": ("pos", "neg")[i % 2]}


def _headqa(repo, lang, i):
    answers = [{"aid": k + 1, "atext": text} for k, text in enumerate(_opts(repo, lang, i, 4))]
    return {"qid": str(i + 1), "qtext": _text(repo, lang, i, "q"), "ra": "3", "answers": answers, "image": ""}


def _medmcqa(repo, lang, i):
    a, b, c, d = _opts(repo, lang, i, 4)
    return {"question": _text(repo, lang, i, "q"), "exp": None if i % 2 else _text(repo, lang, i, "e"),
            "cop": i % 4, "opa": a, "opb": b, "opc": c, "opd": d, "subject_name": "Anatomy", "id": f"uuid-{i}"}


def _pubmedqa(repo, lang, i):
    return {"pubid": 21645374 + i, "question": _text(repo, lang, i, "q"),
            "context": {"contexts": [_text(repo, lang, i, "c1"), _text(repo, lang, i, "c2")],
                        "labels": ["BACKGROUND", "RESULTS"]},
            "long_answer": _text(repo, lang, i, "la"), "final_decision": ("yes", "no", "maybe")[i % 3]}


def _liveqa(repo, lang, i):
    return {"questionid": f"Q{i}", "subject": _text(repo, lang, i, "s", 3), "message": _text(repo, lang, i, "m"),
            "answer": _text(repo, lang, i, "a", 30)}


def _mmlupro(repo, lang, i):
    return {"question_id": 7000 + i, "question": _text(repo, lang, i, "q"), "options": _opts(repo, lang, i, 10),
            "answer": "C", "answer_index": 2, "cot_content": "", "category": "health", "src": "ori_mmlu"}


def _medexpqa(repo, lang, i):
    opts = dict(zip("12345", _opts(repo, lang, i, 5), strict=True))
    return {"id": i, "full_question": _text(repo, lang, i, "q"), "options": opts, "correct_option": 4,
            "full_answer": _text(repo, lang, i, "fa")}


def _expertqa(repo, lang, i):
    return {"question": _text(repo, lang, i, "q"), "answer": _text(repo, lang, i, "a", 30)}


# repo -> (row maker, task): the ten published repos with their real names
REPOS: dict[str, tuple[Callable[[str, str, int], dict[str, Any]], str]] = {
    "GlobMed_MedQA": (_medqa, "mcqa"), "GlobMed_BioNLI": (_bionli, "nli"), "GlobMed_HeadQA": (_headqa, "mcqa"),
    "GlobMed_MedMCQA": (_medmcqa, "mcqa"), "GlobMed_PubMedQA": (_pubmedqa, "mcqa"),
    "GlobMed_LiveQA": (_liveqa, "lfqa"), "GlobMed_MMLU-Pro": (_mmlupro, "mcqa"),
    "GlobMed_MedExpQA": (_medexpqa, "mcqa"), "GlobMed_ExpertQA-Med": (_expertqa, "lfqa"),
    "GlobMed_ExpertQA-Bio": (_expertqa, "lfqa"),
}


def write_mirror(root: Path, langs=LANGS, edit: Callable[[str, str, dict], None] | None = None) -> Path:
    """root/ruiyang-medinfo/<repo>/<lang>/{train,test}.json; `edit(repo, lang, row)` may change rows in place."""
    for repo, (make, _) in REPOS.items():
        for lang in langs:
            for split, n in ROWS.items():
                offset = 0 if split == "train" else 100
                rows = [make(repo, lang, offset + i) for i in range(n)]
                for row in rows:
                    if edit:
                        edit(repo, lang, row)
                path = root / ORG / repo / lang / f"{split}.json"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    return root


@pytest.fixture
def mirror(tmp_path, monkeypatch) -> Path:
    root = write_mirror(tmp_path / "mirror")
    monkeypatch.setenv("GLOBMED_HUB_MIRROR", str(root))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return root


def _build(capsys, out: Path, languages: str) -> tuple[int, str, str]:
    code = main(["build", "--sources", "hub", "--languages", languages, "--out", str(out), "--no-progress"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_hub_build_from_mirror_with_an_opt_in_language(mirror, tmp_path, capsys):
    code, _, err = _build(capsys, tmp_path / "rel", "ar,en,sw")
    assert code == 0, err
    folder = tmp_path / "rel" / "globmed"
    report = json.loads((folder / "build_report.json").read_text(encoding="utf-8"))
    per_file = sum(ROWS.values())
    assert report["rows_read"] == len(REPOS) * len(LANGS) * per_file
    assert report["rows_kept"] == report["rows_read"], report["rejects_by_reason"]
    assert report["languages"] == ["en", "sw", "ar"]  # registry order: the opt-in language after the twelve
    for lang in LANGS:
        for task in ("mcqa", "nli", "lfqa"):
            n_sources = sum(t == task for _, t in REPOS.values())
            assert report["counts"][lang][task] == {s: n * n_sources for s, n in ROWS.items()}
    manifest = json.loads((folder / "MANIFEST.json").read_text(encoding="utf-8"))
    assert "headqa/ar/test.json" in manifest["inputs"]["files"]
    # the short card states rows per language, the opt-in one included
    per_lang = len(REPOS) * per_file
    assert f"Rows per language: en {per_lang}, sw {per_lang}, ar {per_lang}." in (folder / "README.md").read_text()
    # answers resolved from each shape: HEAD-QA's ra "3" is the third answer, MedExpQA's 4 the fourth option
    import pyarrow.parquet as pq

    rows = [r for p in sorted(folder.glob("data/ar/mcqa/*.parquet")) for r in pq.read_table(p).to_pylist()]
    head = next(r for r in rows if r["id"] == "headqa:1:ar")
    assert head["answer"] == head["options"][2] == _headqa("GlobMed_HeadQA", "ar", 0)["answers"][2]["atext"]
    medexp = next(r for r in rows if r["id"] == "medexpqa:0:ar")
    assert medexp["answer"] == _medexpqa("GlobMed_MedExpQA", "ar", 0)["options"]["4"]


def test_opt_in_language_not_selected_is_not_read(mirror, tmp_path, capsys):
    for path in (mirror / ORG).glob("*/ar/*.json"):
        path.write_text("not json at all", encoding="utf-8")  # would fail the build if it were read
    code, _, err = _build(capsys, tmp_path / "rel", "en,sw")
    assert code == 0, err
    report = json.loads((tmp_path / "rel" / "globmed" / "build_report.json").read_text(encoding="utf-8"))
    assert report["languages"] == ["en", "sw"] and "ar" not in report["counts"]
    assert report["rows_read"] == len(REPOS) * 2 * sum(ROWS.values())


def test_dataset_card_lists_the_opt_in_language(mirror, tmp_path, capsys):
    from model_cards.dataset_card import build_dataset_card

    assert _build(capsys, tmp_path / "rel", "ar,en")[0] == 0
    card = str(build_dataset_card(tmp_path / "rel" / "globmed"))
    rows = len(REPOS) * sum(ROWS.values())
    assert f"| `ar` | Arabic | العربية | high | {rows} |" in card
    assert "- ar" in card.split("---")[1]  # front matter `language:` list


def test_renamed_field_stops_with_one_line_per_source(tmp_path, monkeypatch, capsys):
    def rename(repo: str, lang: str, row: dict) -> None:
        if repo == "GlobMed_HeadQA":
            row["q_text"] = row.pop("qtext")
        if repo == "GlobMed_BioNLI" and lang == "sw":  # one language only: still one line for the source
            row["hyp"] = row.pop("hypothesis")

    root = write_mirror(tmp_path / "mirror", edit=rename)
    monkeypatch.setenv("GLOBMED_HUB_MIRROR", str(root))
    code, _, err = _build(capsys, tmp_path / "rel", "en,sw")
    assert code == 2
    lines = err.strip().splitlines()
    assert lines[0].startswith("globmed build: error: 2 Hub source(s) in ") and "nothing was built" in lines[0]
    assert len(lines) == 3, err
    bionli, headqa = sorted(lines[1:])
    assert bionli.startswith(f"source bionli ({ORG}/GlobMed_BioNLI/sw/train.json and 1 more file(s)): ")
    assert "question: no field 'hypothesis' (fields: premise, label, hyp" in bionli
    assert headqa.startswith(f"source headqa ({ORG}/GlobMed_HeadQA/en/train.json and 3 more file(s)): ")
    assert "question: no field 'qtext' (fields: qid, ra, answers, image, q_text; did you mean 'q_text'?)" in headqa
    infer = headqa.split("globmed sources infer ")[1]
    assert Path(infer) == root / ORG / "GlobMed_HeadQA" / "en" / "train.json"
    assert not (tmp_path / "rel").exists()  # stopped before any work


def test_mirror_missing_file_and_missing_folder(tmp_path, monkeypatch, capsys):
    root = write_mirror(tmp_path / "mirror", langs=("en",))
    monkeypatch.setenv("GLOBMED_HUB_MIRROR", str(root))
    code, _, err = _build(capsys, tmp_path / "rel", "en,sw")
    assert code == 2 and f"{root / ORG / 'GlobMed_MedQA' / 'sw' / 'train.json'} not found in the Hub mirror" in err
    monkeypatch.setenv("GLOBMED_HUB_MIRROR", str(tmp_path / "nowhere"))
    code, _, err = _build(capsys, tmp_path / "rel", "en")
    assert code == 2 and "GLOBMED_HUB_MIRROR" in err and "no such folder" in err
