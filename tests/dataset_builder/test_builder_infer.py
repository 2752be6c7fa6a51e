"""`globmed sources infer`: drafts for real files build with the hand-written YAMLs' counts; written files in the
shapes of issue 10 give the expected keys with their evidence; the command prints, writes only with --out,
never overwrites without --force, and fails in one line on a bad file."""

from __future__ import annotations

import csv
import json
import unicodedata
import uuid
from collections import Counter, defaultdict
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from dataset_builder.infer import infer_yaml
from dataset_builder.pipeline import run_build
from dataset_builder.sources import load_sources
from globmed_kit.cli import main

REALDATA_YAMLS = Path(__file__).resolve().parents[1] / "realdata"
EXPECTED = json.loads((REALDATA_YAMLS / "expected_counts.json").read_text(encoding="utf-8"))
OFF = {"near_dedup": False, "decontaminate": False}


def _draft(files: list[Path], out: Path) -> tuple[str, dict]:
    text = infer_yaml(files, out=out)
    out.write_text(text, encoding="utf-8")
    return text, yaml.safe_load(text)


def _write_yaml(data: dict, path: Path) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _plain(text: str) -> str:
    """Text compared across the raw file and the build: NFC, no zero-width characters, whitespace collapsed,
    stray edge quotes dropped."""
    text = "".join(ch for ch in unicodedata.normalize("NFC", text) if unicodedata.category(ch) != "Cf")
    return " ".join(text.split()).strip('" ')


# -- (a) the real families of ../shared/realdata: the draft builds with the hand-written YAML's counts ----------


# family -> its files; no family needs a hand edit: the drafts are built as printed, with the hand-written YAML's
# `build:` block (near-dup and decontamination off) appended
FAMILIES = {
    "aistairc": "aistairc_medllm_qa/data/*/*/*.jsonl",
    "apollo": "apollo_xmedbench/metadata/*/*.json",
    "afr": "idm_bridging_gap_afr/data/evaluation_benchmarks_afr_release/mmlu_cm_ck_vir/*.csv",
}


@pytest.fixture(scope="module", params=list(FAMILIES))
def family(request, realdata, tmp_path_factory):
    name = request.param
    tmp = tmp_path_factory.mktemp(f"infer-{name}")
    path = tmp / "draft.yaml"
    text, data = _draft(sorted(realdata.glob(FAMILIES[name])), path)
    hand = yaml.safe_load((REALDATA_YAMLS / f"{name}.yaml").read_text(encoding="utf-8"))
    path.write_text(text + yaml.safe_dump({"build": hand["build"]}), encoding="utf-8")
    result = run_build(path, tmp / "out", progress=False)
    base = (REALDATA_YAMLS / hand["sources"][0]["path"]).resolve()
    return name, text, data, path, result, base


def _counts_per_file(yaml_path: Path, data: dict, dataset: Path, base: Path) -> dict[str, dict[str, int]]:
    """Kept and rejected rows per input file, the file named relative to the hand-written YAML's folder."""
    folder = {s["id"]: (yaml_path.parent / s["path"]).resolve() for s in data["sources"]}
    rows: Counter[str] = Counter()
    for key, entry in json.loads((dataset / "MANIFEST.json").read_text())["inputs"]["files"].items():
        source, rel = key.split("/", 1)
        rows[(folder[source] / rel).relative_to(base).as_posix()] += entry["rows"]
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for line in (dataset / "rejects.jsonl").read_text(encoding="utf-8").splitlines():
        rej = json.loads(line)
        counts[(folder[rej["source"]] / rej["file"]).relative_to(base).as_posix()][rej["reason"]] += 1
    out = {}
    for file, n in rows.items():
        per = dict(counts[file])
        if n - sum(per.values()):
            per["kept"] = n - sum(per.values())
        out[file] = per
    return out


def test_family_draft_builds_with_hand_written_counts(family):
    name, _text, data, path, result, base = family
    assert _counts_per_file(path, data, result.out, base) == EXPECTED[name]


def test_family_draft_guesses(family):
    name, text, data, _path, _result, _base = family
    sources = data["sources"]
    if name == "aistairc":  # ten files in per-dataset folders: the list form, ids told apart by the file name
        (source,) = sources
        assert len(source["files"]) == 10 and source["fields"]["id"] == "{file}-{problem_id}"
        languages = {e["path"].split("/")[0]: e["language"] for e in source["files"]}
        assert languages == {"en": "en", "ja": "ja", "zh": "zh"}  # lingua agrees with the folder names
        assert source["fields"]["needs_image"] == {"field": "text_only", "when": False}
        assert "# a list of letters — " in text and "(rejected several_correct_answers)" in text
        assert "splits: not set — no split word" in text
    elif name == "apollo":  # en has no test file: one source per split
        assert [s["splits"] for s in sources] == [{"validation": "dev"}, {"test": "test"}]
        assert all(s["files"] == "{split}/{lang}.json" and s["fields"]["id"] == "{lang}-{split}-{row}"
                   for s in sources)
        assert sources[0]["languages"] == ["en", "zh", "fr", "es", "ar", "hi"]
        assert "one '(A) ...' string" in text and "letter — 1114/1114 values in A–E" in text
        # the converter turned an empty fifth option into "(E) ." (Chinese 4-option questions)
        assert all(s["fields"]["absent_option_values"] == ["."] for s in sources)
    else:
        (source,) = sources
        assert source["files"] == "{subset}_{split}_{lang}.csv"
        assert source["file_overrides"] == {"en": "{subset}_{split}.csv"}
        assert source["vars"] == {"subset": ["clinical_knowledge", "college_medicine", "virology"]}
        assert source["csv"] == {"header": False, "columns": ["question", "A", "B", "C", "D", "answer"]}
        assert source["splits"] == {"validation": ["dev", "val"], "test": "test"}
        assert source["fields"]["id"] == "{subset}-{part}-{row}"  # row i is the same item in every language
        assert set(source["languages"]) == {"en", "zu", "af", "am", "bm", "ig", "nso", "sn", "st", "tn", "ts", "xh"}
        assert source["original_language"] == ["en"]


# -- English sources in their original formats --------------------------------------------------------------------


def _english(realdata: Path) -> Path:
    return realdata / "english_sources"


def test_headqa_nested_exams(realdata, tmp_path):
    folder = _english(realdata) / "head_qa/data/HEAD_EN"
    files = [folder / f"{split}_HEAD_EN.json" for split in ("train", "dev", "test")]
    text, data = _draft(files, tmp_path / "headqa.yaml")
    (source,) = data["sources"]
    assert source["records"] == "exams.{exam}.data"
    assert source["files"] == "{split}_HEAD_EN.json"
    assert source["splits"] == {"train": "train", "validation": "dev", "test": "test"}
    fields = source["fields"]
    assert (fields["options"], fields["option_key"], fields["answer"]) == ("answers", "atext", "ra")
    assert (fields["answer_format"], fields["answer_base"]) == ("index", 1)
    assert fields["needs_image"] == {"field": "image", "when": "nonempty"}
    assert fields["id"] == "{exam}-{qid}"  # qid restarts in every exam
    assert "records: exams.{exam}.data  # 2657 records at exams.{exam}.data" in text
    _write_yaml({"build": OFF, **data}, tmp_path / "headqa.yaml")
    result = run_build(tmp_path / "headqa.yaml", tmp_path / "out", progress=False)
    right = {}  # (question, options) -> text of the answer whose aid is ra, read straight from the files
    for file in files:
        for exam in json.loads(file.read_text(encoding="utf-8"))["exams"].values():
            for q in exam["data"]:
                key = (_plain(q["qtext"]), tuple(_plain(a["atext"]) for a in q["answers"]))
                right[key] = next(a["atext"] for a in q["answers"] if str(a["aid"]) == q["ra"])
    rows = pq.read_table(result.out / "data" / "en" / "mcqa").to_pylist()
    assert result.report["rows_read"] == 6765 and len(rows) > 6000
    assert all(_plain(r["answer"]) == _plain(right[_plain(r["question"]), tuple(map(_plain, r["options"]))])
               for r in rows)


def test_zip_archive_drafted_as_archive_and_members(realdata, tmp_path):
    """The real HEAD-QA split files zipped (with a README beside them, as the Hub zip has): infer drafts
    `archive:` + `members:` and the draft builds exactly the rows of the same files unzipped."""
    import zipfile

    folder = _english(realdata) / "head_qa/data/HEAD_EN"
    files = [folder / f"{split}_HEAD_EN.json" for split in ("train", "dev", "test")]
    archive = tmp_path / "data" / "head-qa.zip"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("HEAD_EN/README.txt", "not data")
        for file in files:
            zipped.write(file, f"HEAD_EN/{file.name}")
    text, data = _draft([archive], tmp_path / "zipped.yaml")
    (source,) = data["sources"]
    assert (source["path"], source["archive"], source["members"]) == ("data", "head-qa.zip",
                                                                      "HEAD_EN/{split}_HEAD_EN.json")
    assert "files" not in source and "archive: head-qa.zip  # a zip archive: its members are read in place" in text
    _, plain = _draft(files, tmp_path / "plain.yaml")
    assert source["fields"] == plain["sources"][0]["fields"]
    builds = {}
    for name, drafted in (("zipped", data), ("plain", plain)):
        path = _write_yaml({"build": OFF, **drafted}, tmp_path / f"{name}.yaml")
        result = run_build(path, tmp_path / f"out-{name}", progress=False)
        builds[name] = (result.report["rows_read"], pq.read_table(result.out / "data" / "en" / "mcqa").to_pylist())
    assert builds["zipped"] == builds["plain"] and builds["zipped"][0] == 6765
    _, one = _draft([archive / "HEAD_EN" / "dev_HEAD_EN.json"], tmp_path / "one.yaml")  # a path through the zip
    assert (one["sources"][0]["members"], one["sources"][0]["splits"]) == ("HEAD_EN/{split}_HEAD_EN.json",
                                                                          {"validation": "dev"})


def test_medmcqa_columns_and_one_based_cop(realdata, tmp_path):
    file = _english(realdata) / "medmcqa/benchmark/english_medmcqa/MedMCQA_test.json"
    text, data = _draft([file], tmp_path / "medmcqa.yaml")
    (source,) = data["sources"]
    fields = source["fields"]
    assert source["format"] == "jsonl"  # JSON Lines despite the .json name
    assert "JSON Lines (despite the .json name)" in text
    assert fields["options"] == ["opa", "opb", "opc", "opd"]
    assert (fields["answer"], fields["answer_format"], fields["answer_base"]) == ("cop", "index", 1)
    assert (fields["id"], fields["explanation"]) == ("id", "exp")
    assert "none is 0" in text
    # "None" is a real option of 41 questions ("none of these"): in JSON it is not an absent cell
    assert "columns opa..opd: 4 options in 2000 rows" in text and "absent_option_values" not in text
    result = run_build(_write_yaml({"build": OFF, **data}, tmp_path / "medmcqa.yaml"), tmp_path / "out",
                       progress=False)
    raw = {r["id"]: r for r in map(json.loads, file.read_text(encoding="utf-8").splitlines())}
    rows = pq.read_table(result.out / "data" / "en" / "mcqa").to_pylist()
    assert result.report["rows_read"] == 4183 and len(rows) > 4000
    assert all(r["answer_index"] == raw[r["id"].split(":")[1]]["cop"] - 1 for r in rows)


def test_medqa_two_files_in_the_list_form(realdata, tmp_path):
    folder = _english(realdata) / "medqa"
    files = [folder / "datasets/MedQA/test.jsonl", folder / "benchmark/english_medqa/MedQA_USMLE_test.jsonl"]
    text, data = _draft(files, tmp_path / "medqa.yaml")
    (source,) = data["sources"]
    assert source["files"] == [{"path": "datasets/MedQA/test.jsonl", "split": "test", "language": "en"},
                               {"path": "benchmark/english_medqa/MedQA_USMLE_test.jsonl", "split": "test",
                                "language": "en"}]
    fields = source["fields"]
    assert (fields["options"], fields["answer"], fields["answer_format"]) == ("options", "answer_idx", "letter")
    assert fields["id"] == "{file}-{row}"  # no id field; row numbers repeat across the two files
    assert "answer holds the option text in 2546/2546 rows" in text
    result = run_build(_write_yaml({"build": OFF, **data}, tmp_path / "medqa.yaml"), tmp_path / "out",
                       progress=False)
    raw = {f.stem: [json.loads(x) for x in f.read_text(encoding="utf-8").splitlines()] for f in files}
    rows = pq.read_table(result.out / "data" / "en" / "mcqa").to_pylist()
    assert len(rows) == result.report["rows_read"] == 2 * 1273
    for r in rows:  # the letter picked the option whose text the file's own `answer` field holds
        stem, row = r["id"].split(":")[1].rsplit("-", 1)
        assert _plain(r["answer"]) == _plain(raw[stem][int(row)]["answer"])


def test_pubmedqa_object_of_ids_and_yes_no(realdata, tmp_path):
    file = _english(realdata) / "pubmedqa/data/ori_pqal.json"
    text, data = _draft([file], tmp_path / "pqa.yaml")
    (source,) = data["sources"]
    fields = source["fields"]
    assert source["records"] == "{id}" and fields["id"] == "id"  # the PMID, copied into each record
    assert fields["fixed_options"] == ["yes", "no", "maybe"]
    assert (fields["answer"], fields["answer_format"]) == ("final_decision", "text")
    assert (fields["context"], fields["explanation"]) == ("CONTEXTS", "LONG_ANSWER")
    assert "yes 552, no 338, maybe 110" in text
    result = run_build(_write_yaml({"build": OFF, **data}, tmp_path / "pqa.yaml"), tmp_path / "out", progress=False)
    raw = json.loads(file.read_text(encoding="utf-8"))
    rows = pq.read_table(result.out / "data" / "en" / "mcqa").to_pylist()
    assert len(rows) == 1000
    assert all(r["answer"] == raw[r["id"].split(":")[1]]["final_decision"] for r in rows)


# -- (b) written files in the shapes of issue 10 -----------------------------------------------------------------


def _rows_csv(path: Path, header: list[str] | None, rows: list[list]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        if header:
            writer.writerow(header)
        writer.writerows(rows)
    return path


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def _one(tmp_path: Path, files: list[Path]) -> tuple[str, dict]:
    text = infer_yaml(files)
    (source,) = yaml.safe_load(text)["sources"]
    return text, source


EN_Q = "Which of the following drugs is the first-line treatment of hypertension in older adults, case {}?"


def test_nested_exam_json_with_annulled_flag(tmp_path):
    questions = [{"number": i + 1, "statement": EN_Q.format(i), "choices": [f"drug {i}{k}" for k in "abcd"],
                  "correct": "ABCD"[i % 4], "annulled": i in (3, 7)} for i in range(30)]
    path = tmp_path / "mir_2020.json"
    path.write_text(json.dumps({"exam": "MIR 2020", "year": 2020, "questions": questions}), encoding="utf-8")
    text, source = _one(tmp_path, [path])
    assert source["records"] == "questions" and source["format"] == "json"
    assert source["fields"]["options"] == "choices" and source["fields"]["answer"] == "correct"
    assert source["fields"]["id"] == "number"
    assert source["reject_when"] == [{"field": "annulled", "values": [True]}]
    assert "annulled set in 2/30 rows (rejected source_flagged)" in text
    assert "answer: correct  # letter — 30/30 values in A–D" in text
    result = run_build(_write_yaml({"build": OFF, **yaml.safe_load(text)}, tmp_path / "s.yaml"), tmp_path / "out",
                       progress=False)
    assert result.report["rejects_by_reason"] == {"source_flagged": 2} and result.report["rows_kept"] == 28


def test_multilingual_csv_with_language_column(tmp_path):
    texts = {"JP": "次のうち、心筋梗塞のマーカーとして最も有用なのはどれか。",
             "KR": "다음 중 심근경색의 표지자로 가장 유용한 것은 무엇인가?",
             "en": "Which of the following is the most useful marker of myocardial infarction?"}
    langs = ["JP", "KR", "en"]
    rows = [[f"q{i}", langs[i % 3], f"{texts[langs[i % 3]]} ({i})", "a", "b", "c", "d", "ABCD"[i % 4]]
            for i in range(30)]
    path = _rows_csv(tmp_path / "multi.csv", ["id", "lang", "question", "A", "B", "C", "D", "answer"], rows)
    text, source = _one(tmp_path, [path])
    assert source["language"] == {"field": "lang", "codes": {"JP": "ja", "KR": "ko"}}  # en is our code as it is
    assert source["languages"] == ["en", "ja", "ko"] and source["files"] == "multi.csv"
    assert "original_language" not in source  # rows of a language column are originals by default
    result = run_build(_write_yaml({"build": OFF, **yaml.safe_load(text)}, tmp_path / "s.yaml"), tmp_path / "out",
                       progress=False)
    assert {lang: sum(c["mcqa"].values()) for lang, c in result.report["counts"].items()} == {
        "en": 10, "ja": 10, "ko": 10}
    assert source["fields"]["options"] == ["A", "B", "C", "D"]
    assert "# lang: JP 10, KR 10, en 10" in text


def test_status_column_withdrawn(tmp_path):
    rows = [[f"q{i}", EN_Q.format(i), "a", "b", "c", "ABC"[i % 3], "withdrawn" if i in (2, 5, 9) else "published"]
            for i in range(20)]
    path = _rows_csv(tmp_path / "bank.csv", ["id", "question", "A", "B", "C", "answer", "status"], rows)
    text, source = _one(tmp_path, [path])
    assert source["reject_when"] == [{"field": "status", "values": ["withdrawn"]}]
    assert "status: withdrawn in 3/20 rows (rejected source_flagged)" in text
    result = run_build(_write_yaml({"build": OFF, **yaml.safe_load(text)}, tmp_path / "s.yaml"), tmp_path / "out",
                       progress=False)
    assert result.report["rejects_by_reason"] == {"source_flagged": 3} and result.report["rows_kept"] == 17


def test_russian_yes_no_and_digit_keyed_options(tmp_path):
    # RuMedDaNet: да / нет answers, mostly lower case, a few "Да", "НЕТ", "да "
    spellings = ["да", "нет", "Да", "нет", "да ", "НЕТ"] + ["да", "нет"] * 12
    yes_no = _jsonl(tmp_path / "danet.jsonl", [
        {"pairID": f"p{i}", "context": "Пациент 45 лет поступил в больницу с болью в груди и одышкой.",
         "question": f"Нужно ли назначить аспирин этому пациенту сейчас, вопрос номер {i}?",
         "answer": answer} for i, answer in enumerate(spellings)])
    text, source = _one(tmp_path, [yes_no])
    fields = source["fields"]
    assert source["languages"] == ["ru"]
    assert "lingua: 30/30 texts Russian (opt-in in globmed/languages.yaml: built only with --languages" in text
    # the rows' own words in their most used spelling, never English options on Russian rows; no labels needed
    assert fields["fixed_options"] == ["да", "нет"] and "labels" not in fields
    assert "answers match them ignoring case and edge spaces, no labels needed" in text
    assert (fields["answer_format"], fields["context"], fields["id"]) == ("text", "context", "pairID")
    result = run_build(_write_yaml({"build": OFF, **yaml.safe_load(text)}, tmp_path / "s.yaml"), tmp_path / "out",
                       overrides={"languages": ["ru"]}, progress=False)
    built = pq.read_table(result.out / "data" / "ru" / "mcqa").to_pylist()
    assert {r["id"].split(":")[1]: r["answer"] for r in built} == {
        f"p{i}": a.strip().lower() for i, a in enumerate(spellings)}
    assert all(r["options"] == ["да", "нет"] for r in built)

    # two words for one label (да / верно): labels map the rarer one onto the fixed option
    two = _jsonl(tmp_path / "two.jsonl", [
        {"question": f"Верно ли, что аспирин необратимо ингибирует циклооксигеназу, пункт {i}?",
         "answer": ["да", "нет", "да", "верно"][i % 4]} for i in range(20)])
    text, source = _one(tmp_path, [two])
    assert source["fields"]["fixed_options"] == ["да", "нет"] and source["fields"]["labels"] == {"верно": "да"}

    keyed = _jsonl(tmp_path / "rumedtest.jsonl", [
        {"idx": i, "question": f"Какой препарат выбирают при лечении гипертонии у пожилых, вариант {i}?",
         "options": {"1": "эналаприл", "2": "атенолол", "3": "фуросемид", "4": "нифедипин"},
         "answer": str(i % 4 + 1)} for i in range(30)])
    text, source = _one(tmp_path, [keyed])
    assert (source["fields"]["answer"], source["fields"]["answer_format"]) == ("answer", "key")
    assert "options: options  # dict keyed by digits: 4 options in 30 rows" in text


def test_language_outside_the_registry_is_named(tmp_path):
    path = _jsonl(tmp_path / "pl.jsonl", [
        {"pytanie": f"Który z poniższych leków jest lekiem pierwszego rzutu w nadciśnieniu u osób starszych, "
                    f"przypadek {i}?", "odpowiedzi": ["a", "b", "c", "d"], "answer": "ABCD"[i % 4]}
        for i in range(20)])
    text, source = _one(tmp_path, [path])
    assert source["languages"] == ["pl"]  # never replaced by the closest registry language
    assert "texts Polish (not in globmed/languages.yaml: its rows are rejected as language_not_in_registry)" in text
    assert source["fields"]["question"] == "pytanie"  # no question-like name: the longest text


def test_csv_with_none_or_empty_fifth_option(tmp_path):
    fifth = ["None", "", "-", "five"]
    rows = [[f"Which drug treats condition number {i} in adults?", "w", "x", "y", "z",
             fifth[i % 4] if i % 4 != 3 else f"v{i}", "ABCD"[i % 4]] for i in range(40)]
    path = _rows_csv(tmp_path / "five.csv", ["question", "A", "B", "C", "D", "E", "answer"], rows)
    text, source = _one(tmp_path, [path])
    fields = source["fields"]
    assert fields["options"] == ["A", "B", "C", "D", "E"]
    assert fields["absent_option_values"] == ["-"]  # None and empty are absent by default
    assert "4 options in 30 rows, 5 options in 10 rows" in text
    result = run_build(_write_yaml({"build": OFF, **yaml.safe_load(text)}, tmp_path / "s.yaml"), tmp_path / "out",
                       progress=False)
    built = pq.read_table(result.out / "data" / "en" / "mcqa").to_pylist()
    expected = {row[0]: 5 if i % 4 == 3 else 4 for i, row in enumerate(rows)}  # "None", "" and "-" are no option
    assert {r["question"]: len(r["options"]) for r in built} == expected


def test_string_dict_options_and_image_field(tmp_path):
    rows = [[i, f"What is the first-line treatment of disease {i}?", str({"A": "aa", "B": "bb", "C": "cc",
             "D": f"dd{i}"}), "ABCD"[i % 4], "img.png" if i % 10 == 0 else ""] for i in range(30)]
    path = _rows_csv(tmp_path / "strdict.csv", ["qid", "question", "options", "answer", "image"], rows)
    text, source = _one(tmp_path, [path])
    assert source["fields"]["options"] == "options" and source["fields"]["answer_format"] == "letter"
    assert "string holding a dict keyed by letters: 4 options in 30 rows" in text
    assert source["fields"]["needs_image"] == {"field": "image", "when": "nonempty"}
    assert "image non-empty in 3/30 rows" in text
    result = run_build(_write_yaml({"build": OFF, **yaml.safe_load(text)}, tmp_path / "s.yaml"), tmp_path / "out",
                       progress=False)
    assert result.report["rejects_by_reason"] == {"needs_missing_image": 3}
    built = pq.read_table(result.out / "data" / "en" / "mcqa").to_pylist()
    assert len(built) == 27 and all(r["options"][:3] == ["aa", "bb", "cc"] for r in built)


@pytest.mark.parametrize(
    ("values", "options", "base", "evidence"),
    [
        ([0, 1, 2, 3] * 6, 4, 0, "0-based index — 24/24 values in 0–3; 6 values are 0"),
        ([1, 2, 3, 4] * 6, 4, 1, "1-based index — 24/24 values in 1–4; 6 values equal the row's option count"),
        ([1, 2, 3] * 8, 4, 1, "1-based index — 24/24 values in 1–3; no 0 in 24 values"),
    ],
)
def test_index_base_from_values_and_option_count(tmp_path, values, options, base, evidence):
    path = _jsonl(tmp_path / "idx.jsonl", [{"question": EN_Q.format(i), "choices": [f"c{k}" for k in range(options)],
                                             "label": v} for i, v in enumerate(values)])
    text, source = _one(tmp_path, [path])
    assert source["fields"]["answer"] == "label" and source["fields"]["answer_format"] == "index"
    assert source["fields"].get("answer_base", 0) == base
    assert evidence in text


@pytest.mark.parametrize(
    ("row", "task", "fields"),
    [
        (lambda i: {"premise": f"The patient, case {i}, has a fever of 39 degrees and a cough.",
                    "hypothesis": f"The patient {i} is febrile.", "gold_label": ["entailment", "neutral"][i % 2]},
         "nli", {"question": "hypothesis", "context": "premise", "answer": "gold_label"}),
        (lambda i: {"sentence1": f"The patient, case {i}, has a fever of 39 degrees and a cough.",
                    "sentence2": f"The patient {i} is febrile.", "label": i % 3},
         "nli", {"question": "sentence2", "context": "sentence1", "answer": "label",
                 "labels": {"0": "entailment", "1": "neutral", "2": "contradiction"}}),
        (lambda i: {"example_id": i, "question": EN_Q.format(i),
                    "answer": "Thiazide diuretics or calcium channel blockers are first-line; " * 3},
         "lfqa", {"id": "example_id", "question": "question", "answer": "answer"}),
        # a UUID (36 characters) is never the long answer, under an id name or not; text without spaces (Chinese) is
        (lambda i: {"sample_id": str(uuid.UUID(int=i)), "question": EN_Q.format(i),
                    "answer_rationale": "Thiazide diuretics or calcium channel blockers are first-line. " * 2},
         "lfqa", {"id": "sample_id", "answer": "answer_rationale"}),
        (lambda i: {"trace": str(uuid.UUID(int=i)), "question": f"高血压老年患者的一线治疗药物是什么？病例{i}",
                    "reply": "噻嗪类利尿剂或钙通道阻滞剂是老年高血压患者的一线治疗药物，应从小剂量开始并监测血压。"},
         "lfqa", {"question": "question", "answer": "reply"}),
    ],
)
def test_nli_and_long_form_tasks(tmp_path, row, task, fields):
    _, source = _one(tmp_path, [_jsonl(tmp_path / "rows.jsonl", [row(i) for i in range(12)])])
    assert source["task"] == task
    assert {k: source["fields"][k] for k in fields} == fields


def test_parquet_tsv_and_headerless_csv(tmp_path):
    rows = [{"question": EN_Q.format(i), "A": "a", "B": "b", "C": "c", "answer": "ABC"[i % 3]} for i in range(12)]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "train.parquet")
    text, source = _one(tmp_path, [tmp_path / "train.parquet"])
    assert source["format"] == "parquet" and source["splits"] == {"train": "train"}
    (tmp_path / "t.tsv").write_text("question\tA\tB\tC\tanswer\n" + "".join(
        f"{r['question']}\ta\tb\tc\t{r['answer']}\n" for r in rows), encoding="utf-8")
    _, source = _one(tmp_path, [tmp_path / "t.tsv"])
    assert source["format"] == "tsv" and "csv" not in source and source["fields"]["options"] == ["A", "B", "C"]
    path = _rows_csv(tmp_path / "nohead.csv", None, [[r["question"], "a", "b", "c", r["answer"]] for r in rows])
    text, source = _one(tmp_path, [path])
    assert source["csv"] == {"header": False, "columns": ["question", "A", "B", "C", "answer"]}
    assert "the first row is data: its column 5 'A' is a letter like 11/11 other rows" in text


def test_split_and_language_from_file_names(tmp_path):
    texts = {"en": EN_Q, "fr": "Quel médicament est le traitement de première intention de l'hypertension, cas {}?"}
    files = []
    for split in ("train", "dev", "test"):
        for lang, template in texts.items():
            (tmp_path / lang).mkdir(exist_ok=True)
            n = 6 if split != "test" else 4  # the same questions in both languages: parallel
            files.append(_jsonl(tmp_path / lang / f"{split}.jsonl", [
                {"question": template.format(f"{split} {i}"), "options": ["a", "b", "c", "d"],
                 "answer": "ABCD"[i % 4]} for i in range(n)]))
    text, source = _one(tmp_path, files)
    assert source["files"] == "{lang}/{split}.jsonl"
    assert source["splits"] == {"train": "train", "validation": "dev", "test": "test"}
    assert source["languages"] == ["en", "fr"] and source["original_language"] == ["en"]
    assert source["fields"]["id"] == "{split}-{row}"  # parallel: no {lang} in the id
    result = run_build(_write_yaml({"build": OFF, **yaml.safe_load(text)}, tmp_path / "s.yaml"), tmp_path / "out",
                       progress=False)
    assert result.report["counts"]["fr"]["mcqa"] == {"train": 6, "validation": 6, "test": 4}


def test_files_without_a_pattern_use_the_list_form(tmp_path):
    (tmp_path / "round1").mkdir()
    (tmp_path / "extra" / "late").mkdir(parents=True)
    a = _jsonl(tmp_path / "round1" / "questions.jsonl", [
        {"uid": f"r1-{i}", "question": EN_Q.format(i), "options": ["a", "b"], "answer": "A"} for i in range(5)])
    b = _jsonl(tmp_path / "extra" / "late" / "more_test.jsonl", [
        {"uid": f"x-{i}", "question": EN_Q.format(i + 50), "options": ["a", "b"], "answer": "B"} for i in range(5)])
    _, source = _one(tmp_path, [a, b])
    assert source["files"] == [{"path": "round1/questions.jsonl", "language": "en"},
                               {"path": "extra/late/more_test.jsonl", "split": "test", "language": "en"}]
    assert source["fields"]["id"] == "uid"



# -- shapes found in a new-user trial (/tmp/newuser: MMedBench, AfriMed-QA, a multilingual CSV, ...) -------------

LANG_Q = {  # per language, questions long enough for lingua
    "ja": "次のうち、心筋梗塞のマーカーとして最も有用なのはどれか。症例{}",
    "zh": "下列哪一项是诊断心肌梗死最有用的标志物？病例{}",
    "fr": "Lequel des marqueurs suivants est le plus utile pour l'infarctus du myocarde, cas {} ?",
    "en": EN_Q,
    "de": "Welcher der folgenden Marker ist beim Herzinfarkt am nützlichsten, Fall {}?",
}


def test_language_names_in_file_names(tmp_path):
    # MMedBench: {Train,Test}/{Language}.jsonl, English names and endonyms in any case, row counts that differ
    names = {"ja": "japanese", "zh": "Chinese", "fr": "Français", "en": "ENGLISH"}
    files, where = [], {}
    for split, n in (("Train", 4), ("Test", 3)):
        (tmp_path / split).mkdir()
        for k, (lang, name) in enumerate(names.items()):
            rows = [{"question": LANG_Q[lang].format(f"{split}{i}"), "options": {"A": "a", "B": "b", "C": "c"},
                     "answer_idx": "ABC"[i % 3]} for i in range(n + k)]
            files.append(_jsonl(tmp_path / split / f"{name}.jsonl", rows))
            where |= {r["question"]: lang for r in rows}
    text, source = _one(tmp_path, files)
    assert source["files"] == "{split}/{lang}.jsonl" and "vars" not in source
    assert source["lang_codes"] == {"en": "ENGLISH", "zh": "Chinese", "ja": "japanese", "fr": "Français"}
    assert source["languages"] == ["en", "zh", "ja", "fr"] and source["splits"] == {"train": "Train", "test": "Test"}
    assert "language names in the file names (Chinese -> zh, ENGLISH -> en, Français -> fr, japanese -> ja); " \
           "lingua reads the same language in 8/8 files" in text
    result = run_build(_write_yaml({"build": OFF, **yaml.safe_load(text)}, tmp_path / "s.yaml"), tmp_path / "out",
                       progress=False)
    built = {r["question"]: r["language"] for lang in names for r in
             pq.read_table(result.out / "data" / lang / "mcqa").to_pylist()}
    assert built == where  # every row in the language of the file it came from

    # names of languages the text is not in are subsets, not languages (lingua reads English in both)
    (tmp_path / "other").mkdir()
    subsets = [_jsonl(tmp_path / "other" / f"{name}.jsonl", [
        {"question": EN_Q.format(i), "options": ["a", "b"], "answer": "A"} for i in range(6)])
        for name in ("Latin", "Basque")]
    _, source = _one(tmp_path, subsets)
    assert (source["files"], source["vars"], source["languages"]) == (
        "{subset}.jsonl", {"subset": ["Basque", "Latin"]}, ["en"])


def test_files_in_different_languages_without_names_use_the_list_form(tmp_path):
    files = [_jsonl(tmp_path / f"set{k}.jsonl", [
        {"question": LANG_Q[lang].format(i), "options": ["a", "b"], "answer": "B"} for i in range(6)])
        for k, lang in enumerate(("fr", "de"))]
    text, source = _one(tmp_path, files)
    assert source["files"] == [{"path": "set0.jsonl", "language": "fr"}, {"path": "set1.jsonl", "language": "de"}]
    result = run_build(_write_yaml({"build": OFF, **yaml.safe_load(text)}, tmp_path / "s.yaml"), tmp_path / "out",
                       progress=False)
    assert {lang: sum(c["mcqa"].values()) for lang, c in result.report["counts"].items()} == {"fr": 6, "de": 6}


AFRI_OPTIONS = ["Malaria", "Typhoid fever", "Lassa fever", "Dengue fever", ""]


@pytest.mark.parametrize("dump", [repr, json.dumps], ids=["python-literal", "json"])
def test_options_string_dict_keyed_option1_with_question_type(tmp_path, dump):
    # AfriMed-QA: answer_options is one string holding {'option1': ...}, correct_answer a key (or several keys),
    # question_type tells mcq rows (with options) from saq rows (free text); sample_id is a UUID
    rows, want = [], {}
    for i in range(24):
        uid = str(uuid.UUID(int=1000 + i))
        if i % 4 == 3:  # a short-answer question
            rows.append([uid, "saq", f"Describe the management of uncomplicated malaria in a child, case {i}.", "",
                         "", "Artemether-lumefantrine for three days with weight-based dosing."])
            continue
        options = [f"{o} {i}" if o else o for o in AFRI_OPTIONS]
        key = "option1,option3" if i == 5 else f"option{i % 4 + 1}"
        rows.append([uid, "mcq", EN_Q.format(i), dump({f"option{k + 1}": o for k, o in enumerate(options)}), key,
                     "Lassa fever is endemic in Ondo and Edo States."])
        want[uid] = None if "," in key else options[int(key[-1]) - 1]
    header = ["sample_id", "question_type", "question", "answer_options", "correct_answer", "answer_rationale"]
    text, source = _one(tmp_path, [_rows_csv(tmp_path / "afrimed.csv", header, rows)])
    fields = source["fields"]
    assert source["task"] == "mcqa"
    assert source["select"] == {"field": "question_type", "values": ["mcq"]}
    assert "question_type: mcq 18 rows hold options in answer_options; saq 6 rows have none (rejected " \
           "not_selected)" in text
    assert (fields["options"], fields["answer"], fields["answer_format"]) == ("answer_options", "correct_answer", "key")
    assert (fields["id"], fields["explanation"]) == ("sample_id", "answer_rationale")
    assert "string holding a dict keyed by option1, option2, ...: 4 options in 18 rows" in text
    assert "18/18 values are keys (option1, option2, option3, ...); 1 give several answers" in text
    result = run_build(_write_yaml({"build": OFF, **yaml.safe_load(text)}, tmp_path / "s.yaml"), tmp_path / "out",
                       progress=False)
    built = {r["id"].split(":")[1]: r for r in pq.read_table(result.out / "data" / "en" / "mcqa").to_pylist()}
    assert {uid: r["answer"] for uid, r in built.items()} == {uid: a for uid, a in want.items() if a}
    assert all(len(r["options"]) == 4 for r in built.values())  # the empty option5 is dropped
    assert result.report["rejects_by_reason"] == {"not_selected": 6, "several_correct_answers": 1}


def test_native_question_with_english_translation_in_the_same_row(tmp_path):
    texts = {"JP": "次のうち、心筋梗塞のマーカーとして最も有用なのはどれか。症例{}",
             "KR": "다음 중 심근경색의 표지자로 가장 유용한 것은 무엇인가? 사례 {}",
             "ZH": "下列哪一项是诊断心肌梗死最有用的标志物？病例{}",
             "PT": "Qual dos seguintes marcadores é o mais útil no infarto do miocárdio, caso {}?",
             "pt-BR": "Qual exame é o mais útil para confirmar o infarto agudo do miocárdio, caso {}?",
             "English": EN_Q}
    codes = list(texts)
    rows = []
    for i in range(24):
        code = codes[i % len(codes)]
        english = json.dumps([f"en {k} {i}" for k in "abcd"])  # English rows repeat themselves in the _EN columns
        native = english if code == "English" else json.dumps([f"{code} {k} {i}" for k in "abcd"], ensure_ascii=False)
        rows.append([f"m{i}", code, texts[code].format(i), native, "ABCD"[i % 4], EN_Q.format(i), english])
    header = ["qid", "country", "question", "options", "answer", "question_EN", "options_EN"]
    text, source = _one(tmp_path, [_rows_csv(tmp_path / "multimed.csv", header, rows)])
    assert source["parallel_fields"] == {"en": {"question": "question_EN", "options": "options_EN"}}
    assert source["language"] == {"field": "country", "codes": {
        "JP": "ja", "KR": "ko", "ZH": "zh", "PT": "pt", "pt-BR": "pt", "English": "en"}}
    assert "each row also in en: question / question_EN, options / options_EN (lingua: " in text
    result = run_build(_write_yaml({"build": OFF, **yaml.safe_load(text)}, tmp_path / "s.yaml"), tmp_path / "out",
                       progress=False)
    records = [r for lang in ("ja", "ko", "zh", "pt", "en")
               for r in pq.read_table(result.out / "data" / lang / "mcqa").to_pylist()]
    english = {r["question"]: r for r in records if r["question"].startswith("Which of the following drugs")}
    for i, row in enumerate(rows):  # each row's English version: its own English options and the same answer
        record = english[EN_Q.format(i)]
        assert record["options"] == json.loads(row[6]) and record["answer"] == json.loads(row[6])["ABCD".index(row[4])]
    native = {r["question"] for r in records} - set(english)
    assert native == {row[2] for row in rows if row[1] != "English"}


@pytest.mark.parametrize("column", ["question_en", "question_english", "en_question", "English question"])
def test_parallel_column_names(tmp_path, column):
    rows = [[LANG_Q["fr"].format(i), "a", "b", "c", "ABC"[i % 3], EN_Q.format(i)] for i in range(12)]
    _, source = _one(tmp_path, [_rows_csv(tmp_path / "fr.csv", ["question", "A", "B", "C", "answer", column], rows)])
    assert source["parallel_fields"] == {"en": {"question": column}} and source["languages"] == ["fr"]


@pytest.mark.parametrize("delimiter", [";", "|", "\t"])
@pytest.mark.parametrize("bom", ["", "\ufeff"], ids=["no-bom", "bom"])
def test_csv_delimiter_is_detected(tmp_path, delimiter, bom):
    rows = [["id", "question", "A", "B", "C", "answer"]] + [
        [f"q{i}", f"Which drug, of these three, treats condition {i}?", "a, b", "c", "d", "ABC"[i % 3]]
        for i in range(12)]
    path = tmp_path / "export.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        handle.write(bom)
        csv.writer(handle, delimiter=delimiter).writerows(rows)
    text, source = _one(tmp_path, [path])
    assert source["csv"] == {"delimiter": delimiter}
    assert f"delimiter {delimiter!r}: 6 columns in 13/13 of the first records" in text
    assert (source["fields"]["id"], source["fields"]["options"]) == ("id", ["A", "B", "C"])
    result = run_build(_write_yaml({"build": OFF, **yaml.safe_load(text)}, tmp_path / "s.yaml"), tmp_path / "out",
                       progress=False)
    built = pq.read_table(result.out / "data" / "en" / "mcqa").to_pylist()
    assert sorted(r["answer"] for r in built) == sorted(r[2 + "ABC".index(r[5])] for r in rows[1:])


def test_float_answers_constant_columns_and_per_file_ids(tmp_path):
    # KorMedMCQA exported through pandas: answers "2.0"; `period` is 1 in every row (no answer); `cot` explains
    rows = [["doctor", 2021, 1, f"{i + 1}.0", f"다음 중 심근경색의 표지자로 가장 유용한 것은 무엇인가? 문제 {i}",
             "가", "나", "다", "라", "마", f"{i % 5 + 1}.0", "설명" if i % 3 == 0 else ""] for i in range(10)]
    header = ["subject", "year", "period", "q_number", "question", "A", "B", "C", "D", "E", "answer", "cot"]
    _, source = _one(tmp_path, [_rows_csv(tmp_path / "doctor-test.csv", header, rows)])
    fields = source["fields"]
    assert (fields["answer"], fields["answer_format"], fields["answer_base"]) == ("answer", "index", 1)
    assert fields["explanation"] == "cot"

    # exam files whose question number restarts in each file: the file's variable and the number
    for year in (2020, 2021):
        (tmp_path / f"revalida_{year}.json").write_text(json.dumps({"exam": "Revalida", "questions": [
            {"number": n, "statement": EN_Q.format(f"{year}-{n}"), "alternatives": {"A": "a", "B": "b"},
             "answer": "AB"[n % 2]} for n in range(1, 7)]}), encoding="utf-8")
    text, source = _one(tmp_path, sorted(tmp_path.glob("revalida_*.json")))
    assert source["fields"]["id"] == "{subset}-{number}" and "number is unique within each file" in text
    result = run_build(_write_yaml({"build": OFF, **yaml.safe_load(text)}, tmp_path / "s.yaml"), tmp_path / "out",
                       progress=False)
    ids = {r["id"] for r in pq.read_table(result.out / "data" / "en" / "mcqa").to_pylist()}
    assert ids == {f"{source['id']}:{year}-{n}:en" for year in (2020, 2021) for n in range(1, 7)}


# -- (c) the command -----------------------------------------------------------------------------------------------


def _small(tmp_path: Path) -> Path:
    (tmp_path / "data").mkdir()
    return _jsonl(tmp_path / "data" / "test.jsonl", [
        {"question": EN_Q.format(i), "options": ["a", "b", "c"], "answer": "C"} for i in range(5)])


def test_cli_prints_and_writes_nothing_without_out(tmp_path, capsys, monkeypatch):
    data = _small(tmp_path)
    monkeypatch.chdir(tmp_path)
    before = sorted(tmp_path.rglob("*"))
    assert main(["sources", "infer", str(data)]) == 0
    out = capsys.readouterr().out
    assert sorted(tmp_path.rglob("*")) == before
    (source,) = yaml.safe_load(out)["sources"]
    assert source["path"] == str(data.parent) and Path(source["path"]).is_absolute()


def test_cli_out_is_relative_and_never_overwritten_without_force(tmp_path, capsys):
    data = _small(tmp_path)
    out = tmp_path / "yaml" / "draft.yaml"
    out.parent.mkdir()
    assert main(["sources", "infer", str(data), "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    draft = out.read_text(encoding="utf-8")
    assert yaml.safe_load(draft)["sources"][0]["path"] == "../data"
    specs, _ = load_sources(out)  # the builder accepts the draft as written
    assert specs[0].path == data.parent
    out.write_text("mine", encoding="utf-8")
    assert main(["sources", "infer", str(data), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "exists; pass --force" in err[0]
    assert out.read_text(encoding="utf-8") == "mine"
    assert main(["sources", "infer", str(data), "--out", str(out), "--force"]) == 0
    assert out.read_text(encoding="utf-8") == draft


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("missing.json", None, "no such file"),
        ("broken.json", '[{"question": "x",', "malformed JSON at line 1"),
        ("notes.txt", "just some notes\n", "unknown format"),
        ("meta.json", '{"version": "1.0", "authors": ["a", "b"], "license": "MIT"}',
         "a JSON object with no list of records (keys: version, authors, license)"),
        ("latin1.csv", "question,answer\nqu\xe9,A\n".encode("latin-1"), "not UTF-8"),
        ("header.csv", "\ufeffid;question;A;B;answer\r\n",
         "a header row (id, question, A, B, answer) and no data rows"),
        ("none.json", "[]", "JSON array of 0 records, none of them a record (an object of fields): nothing to infer"),
    ],
)
def test_cli_bad_file_is_one_line_exit_2(tmp_path, capsys, name, content, needle):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    assert main(["sources", "infer", str(path)]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("globmed sources: error:") and needle in lines[0], captured.err
    assert captured.out == ""


def test_question_number_is_the_id_and_ans_the_answer(tmp_path):
    """Both `n` (1, 2, ...) and `ans` hold values that are keys of the options: the numbering is the id, never
    the answer (it would mark option 1 right in row 1, option 2 in row 2, ...)."""
    rows = [{"n": i + 1, "q": f"Question {i + 1}: which nerve is damaged in wrist drop?",
             "opts": {"1": "Ulnar", "2": "Radial", "3": "Median", "4": "Axillary"}, "ans": str(2 + i % 3)}
            for i in range(4)]
    path = tmp_path / "exam.json"
    path.write_text(json.dumps({"exam": "X", "questions": rows}), encoding="utf-8")
    fields = yaml.safe_load(infer_yaml([path]))["sources"][0]["fields"]
    assert fields["id"] == "n" and fields["answer"] == "ans" and fields["answer_format"] == "key"
