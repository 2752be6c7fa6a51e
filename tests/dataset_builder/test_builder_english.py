"""`globmed build --sources english` against a local mirror laid out like the real Hub repos (issue 17's table).

The files are written here in each repo's own published form, zips included: MedQA's 5-option questions are
members of bigbio/med_qa's `data_clean.zip`, HEAD-QA's English exams members of dvilares/head_qa's
`data/head-qa-es-en-pdfs.zip`, nested under `exams.<exam>.data` with `ra` a string. MedNLI is a PhysioNet zip
the user gives with --local; BioNLI has no confirmed copy, so it is left out with --allow-missing. The expected
rows are counted from what this file wrote, never from english.yaml.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from builder_fixtures import sentence

from dataset_builder.sources import bundled_sources_dir
from globmed_kit.cli import main

N = 3  # rows per split file
MEDNLI_ZIP = "mednli-a-natural-language-inference-dataset-for-the-clinical-domain-1.0.0.zip"


def _text(tag: str, i: int, words: int = 14) -> str:
    return f"{tag} {i}: " + sentence(f"{tag}{i}", words)


def _jsonl(rows: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode("utf-8")


def _parquet(rows: list[dict[str, Any]]) -> bytes:
    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows), sink)
    return sink.getvalue()


def _zip(path: Path, members: dict[str, bytes]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for folder in sorted({name.rsplit("/", 1)[0] + "/" for name in members if "/" in name}):
            archive.writestr(folder, b"")  # directory entries, as real zips have
        for name, data in members.items():
            archive.writestr(name, data)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _medqa(tag: str, i: int, letters: str) -> dict[str, Any]:
    options = {letter: _text(f"{tag} option {letter}", i, 3) for letter in letters}
    return {"question": _text(tag, i), "answer": options["B"], "options": options, "meta_info": "step1",
            "answer_idx": "B"}


def _medmcqa(split: str, i: int) -> dict[str, Any]:
    options = {key: _text(f"medmcqa {split} {key}", i, 3) for key in ("opa", "opb", "opc", "opd")}
    cop = -1 if split == "test" else i % 4  # ClassLabel a-d; -1 = no label (the public test split)
    return {"id": f"mcq-{split}-{i}", "question": _text(f"medmcqa {split}", i), "exp": None, "cop": cop,
            **options, "subject_name": "Anatomy", "topic_name": None, "choice_type": "single"}


def _headqa_exam(split: str, exam: str, with_image: bool) -> dict[str, Any]:
    questions = []
    for qid in (1, 2):  # question numbers restart in every exam: the id template adds the exam
        answers = [{"aid": aid, "atext": _text(f"headqa {exam} {qid} answer", aid, 3)} for aid in (1, 2, 3, 4)]
        if qid == 2:
            answers.reverse()  # ra names an aid, not a position
        image = "./data/MIR/Cuaderno_2013_1_M.images/MIR-2013-img1.png" if with_image and qid == 1 else ""
        questions.append({"qid": str(qid), "qtext": _text(f"headqa {exam}", qid), "ra": "3", "answers": answers,
                          "image": image})
    return {"name": exam, "data": questions, "category": "medicine", "year": "2013"}


def _medexpqa(split: str, i: int) -> dict[str, Any]:
    options = {str(k): _text(f"medexpqa {split} option {k}", i, 3) for k in range(1, 6)}
    if i == 0:
        options["5"] = None  # a 4-option question: option 5 is null
    return {"id": f"{split}-{i}", "full_question": _text(f"medexpqa {split}", i), "options": options,
            "correct_option": 2, "full_answer": _text(f"medexpqa {split} answer", i), "type": "RADIOLOGY"}


def _expertqa(i: int, field: str) -> dict[str, Any]:
    answer = {"answer_string": _text("expertqa answer", i, 30), "revised_answer_string": _text("revised", i, 30),
              "attribution": [], "claims": [], "usefulness": "Useful"}
    return {"question": _text("expertqa", i), "annotator_id": "a1", "answers": {"gpt4": answer},
            "metadata": {"question_type": "Directed question", "field": field, "specific_field": ""}}


MMLU_CATEGORIES = ("health", "biology", "law")  # law is not selected
EXPERT_FIELDS = ("Healthcare / Medicine", "Biology", "Physics", "Healthcare / Medicine")  # Physics not selected


def write_english_mirror(root: Path, drop_member: str = "") -> dict[str, int]:
    """The English repos as the Hub holds them; returns the rows each source should keep."""
    _write(root / "GBaker/MedQA-USMLE-4-options/phrases_no_exclude_train.jsonl",
           _jsonl([_medqa("medqa4 train", i, "ABCD") for i in range(N)]))
    _write(root / "GBaker/MedQA-USMLE-4-options/phrases_no_exclude_test.jsonl",
           _jsonl([_medqa("medqa4 test", i, "ABCD") for i in range(N)]))
    members = {f"data_clean/questions/US/{split}.jsonl": _jsonl([_medqa(f"medqa5 {split}", i, "ABCDE")
                                                                  for i in range(N)])
               for split in ("train", "dev", "test")}
    members |= {  # other members of the real archive: never read
        "data_clean/questions/US/4_options/phrases_no_exclude_train.jsonl": b"not these rows\n",
        "data_clean/questions/Mainland/train.jsonl": b"{}\n",
        "data_clean/questions/Taiwan/train.jsonl": b"{}\n",
        "data_clean/textbooks/en/Anatomy_Gray.txt": b"text",
        "data_clean/textbooks/en/Biochemistry_Lippincott.txt": b"text",
        "data_clean/textbooks/en/Cell_Biology_Alberts.txt": b"text",
    }
    members.pop(drop_member, None)
    _zip(root / "bigbio/med_qa/data_clean.zip", members)
    for split in ("train", "validation", "test"):
        _write(root / f"openlifescienceai/medmcqa/data/{split}-00000-of-00001.parquet",
               _parquet([_medmcqa(split, i) for i in range(N)]))
    _write(root / "qiaojin/PubMedQA/pqa_labeled/train-00000-of-00001.parquet", _parquet([
        {"pubid": 21645374 + i, "question": _text("pubmedqa", i),
         "context": {"contexts": [_text("pubmedqa c1", i), _text("pubmedqa c2", i)], "labels": ["A", "B"],
                     "meshes": ["Humans"]},
         "long_answer": _text("pubmedqa la", i), "final_decision": ("yes", "no", "maybe")[i % 3]}
        for i in range(N)]))
    head = {}
    for split in ("train", "dev", "test"):
        exams = {f"Cuaderno_{split}_1_{cat}": _headqa_exam(split, f"Cuaderno_{split}_1_{cat}", cat == "M")
                 for cat in ("B", "M")}
        document = {"version": "1.0", "language": "en", "exams": exams}
        head[f"HEAD_EN/{split}_HEAD_EN.json"] = json.dumps(document, separators=(",", ":")).encode()
        head[f"HEAD/{split}_HEAD.json"] = json.dumps({"version": "1.0", "language": "es", "exams": {}}).encode()
    head["HEAD_EN/HEAD_EN.json"] = b"{}"
    _zip(root / "dvilares/head_qa/data/head-qa-es-en-pdfs.zip", head)
    for split in ("train", "dev", "test"):
        _write(root / f"HiTZ/MedExpQA/data/en/{split}.en.casimedicos.rag.jsonl",
               _jsonl([_medexpqa(split, i) for i in range(N)]))
    for split in ("validation", "test"):
        _write(root / f"TIGER-Lab/MMLU-Pro/data/{split}-00000-of-00001.parquet", _parquet([
            {"question_id": 100 * len(split) + i, "question": _text(f"mmlupro {split}", i),
             "options": [_text(f"mmlupro {split} option {k}", i, 3) for k in range(10)], "answer": "C",
             "answer_index": 2, "cot_content": "", "category": category, "src": "ori_mmlu"}
            for i, category in enumerate(MMLU_CATEGORIES)]))
    _write(root / "cmalaviya/expertqa/r2_compiled_anon_fixed.jsonl",
           _jsonl([_expertqa(i, field) for i, field in enumerate(EXPERT_FIELDS)]))
    for name in ("TREC2017-LiveQA-Medical-Train1.jsonl", "TREC2017-LiveQA-Medical-Train2.jsonl", "test.jsonl"):
        _write(root / "hyesunyun/liveqa_medical_trec2017" / name, _jsonl([
            {"questionid": f"Q{i}", "subject": _text(f"liveqa {name} s", i, 3), "message": _text(f"liveqa {name}", i),
             "answer": _text(f"liveqa {name} a", i, 30)} for i in range(N)]))
    return {
        "medqa": 2 * N, "medqa5": 3 * N, "medmcqa": 2 * N, "pubmedqa": N,
        "headqa": 3 * 2 * 2 - 3,  # 3 splits x 2 exams x 2 questions, one question with an image per split
        "medexpqa": 3 * N, "mmlupro": 2 * 2, "expertqa": 3, "liveqa": 3 * N, "mednli": 3 * N,
    }


def write_mednli_zip(folder: Path) -> Path:
    """The PhysioNet download: one top folder holding the three JSON Lines files and the licence."""
    top = MEDNLI_ZIP.removesuffix(".zip")
    labels = ("entailment", "neutral", "contradiction")
    members = {f"{top}/mli_{split}_v1.jsonl": _jsonl([
        {"sentence1": _text(f"mednli {split} premise", i), "sentence2": _text(f"mednli {split}", i),
         "gold_label": labels[i % 3], "pairID": f"{split}-{i}"} for i in range(N)])
        for split in ("train", "dev", "test")}
    members[f"{top}/LICENSE.txt"] = b"PhysioNet Credentialed Health Data License 1.5.0"
    path = folder / MEDNLI_ZIP
    _zip(path, members)
    return path


@pytest.fixture(scope="module")
def english_build(tmp_path_factory):
    """One build of the mirror: MedNLI's zip given, BioNLI left out by name."""
    tmp = tmp_path_factory.mktemp("english")
    with pytest.MonkeyPatch.context() as patch:
        expected = write_english_mirror(tmp / "mirror")
        patch.setenv("GLOBMED_HUB_MIRROR", str(tmp / "mirror"))
        mednli = write_mednli_zip(tmp / "downloads")
        code = main(["-q", "build", "--sources", "english", "--out", str(tmp / "rel"), "--no-progress",
                     "--local", f"{{mednli: {mednli}}}", "--allow-missing", "bionli"])
    assert code == 0
    return tmp, tmp / "rel" / "globmed", expected


def _rows(folder: Path) -> list[dict[str, Any]]:
    """Every English row, with its split (the shard's name: data/en/<task>/<split>-00000-of-00001.parquet)."""
    return [{**row, "split": path.name.split("-")[0]} for path in sorted(folder.glob("data/en/*/*.parquet"))
            for row in pq.read_table(path).to_pylist()]


def test_english_mirror_builds_the_expected_rows(english_build):
    _, folder, expected = english_build
    report = json.loads((folder / "build_report.json").read_text(encoding="utf-8"))
    rows = _rows(folder)
    assert Counter(row["source"] for row in rows) == expected
    # the only rejects are the ones planted: MedMCQA's test rows (cop -1), a HEAD-QA image per split, the
    # MMLU-Pro and ExpertQA rows outside the selected categories
    assert report["rejects_by_reason"] == {"no_answer": N, "needs_missing_image": 3, "not_selected": 2 + 1}
    assert report["rows_read"] == sum(expected.values()) + report["rows_rejected"]
    assert report["missing_sources"] == [{"id": "bionli", "name": "BioNLI", "access": "open", "get": (
        "download the full or balanced set from the Google Drive links in https://github.com/StonyBrookNLP/BioNLI "
        "(test set on request from the authors)")}]
    splits = Counter((row["source"], row["split"]) for row in rows)
    assert [splits["medqa5", s] for s in ("train", "validation", "test")] == [N, N, N]  # dev.jsonl -> validation
    assert [splits["mednli", s] for s in ("train", "validation", "test")] == [N, N, N]
    assert splits["medmcqa", "test"] == 0


def test_answers_resolved_from_each_real_shape(english_build):
    _, folder, _ = english_build
    rows = {row["id"]: row for row in _rows(folder)}
    for split, ours in (("train", "train"), ("dev", "validation"), ("test", "test")):
        exam = f"Cuaderno_{split}_1_B"
        for qid in (1, 2):  # ra "3" is the answer whose aid is 3, wherever it stands in the list
            row = rows[f"headqa:{exam}-{qid}:en"]
            assert row["answer"] == _text(f"headqa {exam} {qid} answer", 3, 3) and row["split"] == ours
    medexp = rows["medexpqa:train-0:en"]  # option 5 was null: four options, no None among them
    assert len(medexp["options"]) == 4 and medexp["answer"] == medexp["options"][1]
    assert len(rows["medexpqa:train-1:en"]["options"]) == 5
    mcq = rows["medmcqa:mcq-train-2:en"]
    assert mcq["answer"] == _text("medmcqa train opc", 2, 3)  # cop 2 of a 0-based ClassLabel
    nli = rows["mednli:dev-1:en"]
    assert nli["answer"] == "neutral" and nli["split"] == "validation"


def test_manifest_names_archive_members_with_their_own_checksums(english_build):
    tmp, folder, _ = english_build
    inputs = json.loads((folder / "MANIFEST.json").read_text(encoding="utf-8"))["inputs"]["files"]
    key = "medqa5/data_clean.zip/data_clean/questions/US/dev.jsonl"
    with zipfile.ZipFile(tmp / "mirror/bigbio/med_qa/data_clean.zip") as archive:
        member = archive.read("data_clean/questions/US/dev.jsonl")
    assert inputs[key] == {"sha256": hashlib.sha256(member).hexdigest(), "rows": N}
    top = MEDNLI_ZIP.removesuffix(".zip")
    assert f"mednli/{MEDNLI_ZIP}/{top}/mli_test_v1.jsonl" in inputs  # the glob resolved to the zip's member
    assert not any("Mainland" in name or "HEAD/" in name for name in inputs)
    # the local path of the MedNLI zip is not part of the build's fingerprint (rebuilds elsewhere are identical)
    report = json.loads((folder / "build_report.json").read_text(encoding="utf-8"))
    assert "local" not in report["config"] and report["config"]["allow_missing"] == ["bionli"]


def test_dataset_card_shows_each_sources_licences_and_access(english_build):
    from model_cards.dataset_card import build_dataset_card

    _, folder, _ = english_build
    card = str(build_dataset_card(folder))
    entries = yaml.safe_load((bundled_sources_dir() / "english.yaml").read_text(encoding="utf-8"))["sources"]
    for entry in entries:
        if entry["id"] == "bionli":
            continue
        licence = entry.get("license") or "not stated"
        if entry.get("hub_license"):
            licence += f" (Hub copy's card: {entry['hub_license']})"
        line = f"| {entry['name']} (`{entry['id']}`) | {entry['task']} | {licence} | {entry.get('access', 'open')} |"
        assert line in card, line
    assert "| MedQA (USMLE, 4 options) (`medqa`) | mcqa | MIT (Hub copy's card: cc-by-4.0) | open |" in card
    assert "| MedNLI (`mednli`) | nli | PhysioNet Credentialed Health Data License 1.5.0 | credentialed |" in card
    assert "Not in this build" in card and "- BioNLI (`bionli`, open): download the full" in card


def _errors(capsys) -> list[str]:
    """The stderr lines other than log warnings (bionli left out by --allow-missing logs one)."""
    return [line for line in capsys.readouterr().err.strip().splitlines() if " WARNING " not in line]


def test_local_source_not_given_is_one_line_saying_where_to_get_it(tmp_path, monkeypatch, capsys):
    write_english_mirror(tmp_path / "mirror")
    monkeypatch.setenv("GLOBMED_HUB_MIRROR", str(tmp_path / "mirror"))
    assert main(["-q", "build", "--sources", "english", "--out", str(tmp_path / "rel"), "--no-progress",
                 "--allow-missing", "bionli"]) == 2
    err = _errors(capsys)
    assert len(err) == 1 and err[0].startswith("globmed build: error: 1 source(s) have files the kit cannot fetch: "
                                               "mednli (MedNLI, credentialed): https://physionet.org/content/mednli/")
    assert "--local '{mednli: PATH}'" in err[0] and "--allow-missing mednli" in err[0]
    assert not (tmp_path / "rel").exists()
    assert main(["-q", "build", "--sources", "english", "--out", str(tmp_path / "rel"), "--no-progress",
                 "--allow-missing", "bionli,mednil"]) == 2
    assert "--allow-missing names mednil: not a local: source of this sources YAML (its local sources: bionli, " \
           "mednli)" in capsys.readouterr().err
    assert main(["-q", "build", "--sources", "english", "--out", str(tmp_path / "rel"), "--no-progress",
                 "--allow-missing", "bionli", "--local", f"{{mednli: {tmp_path / 'nowhere.zip'}}}"]) == 2
    assert f"--local mednli={tmp_path / 'nowhere.zip'}: no such file or folder (the zip as downloaded" in \
        capsys.readouterr().err


def test_missing_zip_member_names_the_archive_and_its_members(tmp_path, monkeypatch, capsys):
    write_english_mirror(tmp_path / "mirror", drop_member="data_clean/questions/US/dev.jsonl")
    monkeypatch.setenv("GLOBMED_HUB_MIRROR", str(tmp_path / "mirror"))
    mednli = write_mednli_zip(tmp_path)
    assert main(["-q", "build", "--sources", "english", "--out", str(tmp_path / "rel"), "--no-progress",
                 "--local", f"{{mednli: {mednli}}}", "--allow-missing", "bionli"]) == 2
    err = _errors(capsys)
    archive = tmp_path / "mirror/bigbio/med_qa/data_clean.zip"
    assert len(err) == 1 and err[0].startswith(
        f"globmed build: error: {archive}: no member 'data_clean/questions/US/dev.jsonl' in the archive "
        "(members, closest first: data_clean/questions/US/test.jsonl, ")
    assert err[0].endswith(" and 3 more)")  # 8 files in the archive: five named
    assert not (tmp_path / "rel").exists()


def test_validate_reads_zip_members_from_the_mirror(tmp_path, monkeypatch, capsys):
    """validate passes on english.yaml without any download, and with a mirror it checks the fields inside the
    zips too: a renamed HEAD-QA field in a member is named with the member."""
    english = str(bundled_sources_dir() / "english.yaml")
    assert main(["validate", english]) == 0  # no mirror, HF_HUB_OFFLINE: nothing read, nothing downloaded
    write_english_mirror(tmp_path / "mirror")
    monkeypatch.setenv("GLOBMED_HUB_MIRROR", str(tmp_path / "mirror"))
    assert main(["validate", english]) == 0
    assert "files of bionli, mednli given at build time (--local)" in capsys.readouterr().out
    archive = tmp_path / "mirror/dvilares/head_qa/data/head-qa-es-en-pdfs.zip"
    with zipfile.ZipFile(archive) as zipped:
        members = {name: zipped.read(name) for name in zipped.namelist() if not name.endswith("/")}
    for name in [n for n in members if n.startswith("HEAD_EN/") and n.endswith("_HEAD_EN.json") and "/HEAD_EN." not
                 in n]:
        members[name] = members[name].replace(b'"qtext"', b'"q_text"')
    _zip(archive, members)
    assert main(["validate", english]) == 2
    out = capsys.readouterr()
    assert ("source 'headqa' (data/head-qa-es-en-pdfs.zip/HEAD_EN/train_HEAD_EN.json): question: no field 'qtext' "
            "(fields: exam, qid, q_text, ra, answers, image; did you mean 'q_text'?)") in out.out + out.err
