"""Every shape of the source contract, each on a small file written in that shape, built end to end.

The files imitate what public medical QA data looks like (exam JSON with nested record lists, a multilingual
CSV with country codes, a Russian JSONL with да/нет, a 5-column CSV holding 4-option questions, ...). Each test
asserts the rows that come out, so a shape that is read wrongly (a shifted letter, a placeholder option, a row
in the wrong language) fails here.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from dataset_builder.pipeline import run_build
from dataset_builder.readers import read_rows
from globmed.errors import GlobMedError

NO_DEDUP = {"near_dedup": False, "decontaminate": False, "exact_dedup": False}


def build(tmp_path: Path, source: dict, languages: str | None = None, build_opts: dict | None = None):
    """Write a one-source YAML next to the data, build it, return (report, rows by id, rejects)."""
    entry = {"id": "src", "name": "test source", "license": "MIT", "path": ".", **source}
    yaml_path = tmp_path / "sources.yaml"
    yaml_path.write_text(yaml.safe_dump({"build": {**NO_DEDUP, **(build_opts or {})}, "sources": [entry]},
                                        allow_unicode=True), encoding="utf-8")
    overrides = {"languages": languages} if languages else None
    result = run_build(yaml_path, tmp_path / "rel", overrides, progress=False)
    rows = {}
    for path in sorted(result.out.glob("data/*/*/*.parquet")):
        for row in pq.read_table(path).to_pylist():
            rows[row["id"]] = {**row, "_split": path.name.split("-")[0]}
    rejects = [json.loads(line) for line in (result.out / "rejects.jsonl").read_text().splitlines()]
    assert result.report["rows_read"] == len(rows) + len(rejects)
    return result.report, rows, rejects


def reasons(rejects: list[dict]) -> dict[str, int]:
    out: dict[str, int] = {}
    for rej in rejects:
        out[rej["reason"]] = out.get(rej["reason"], 0) + 1
    return out


def write_csv(path: Path, header: list[str] | None, rows: list[list[str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        if header:
            writer.writerow(header)
        writer.writerows(rows)


# --- records nested inside a JSON object -----------------------------------------------------------------------


def _exam(tmp_path: Path) -> Path:
    exam = {
        "exam": "MIR 2019", "version": 2,
        "sections": {
            "cardiology": {"title": "Cardiología", "items": [
                {"num": 1, "text": "¿Cuál es el marcapasos fisiológico del corazón?",
                 "choices": {"1": "Nodo AV", "2": "Nodo sinusal", "3": "Haz de His", "4": "Fibras de Purkinje"},
                 "correct": "2"},
                {"num": 2, "text": "¿Qué fármaco es un betabloqueante?",
                 "choices": {"1": "Amlodipino", "2": "Enalapril", "3": "Propranolol", "4": "Furosemida"},
                 "correct": "3", "annulled": True},
            ]},
            "neurology": {"title": "Neurología", "items": [
                {"num": 1, "text": "¿Qué par craneal inerva el músculo recto lateral?",
                 "choices": {"1": "III", "2": "IV", "3": "VI", "4": "VII"}, "correct": "3", "annulled": False},
                {"num": 2, "text": "¿Dónde se produce el líquido cefalorraquídeo?",
                 "choices": {"1": "Plexos coroideos", "2": "Granulaciones aracnoideas", "3": "Duramadre",
                             "4": "Cisterna magna"}},
            ]},
        },
    }
    path = tmp_path / "mir_2019.json"
    path.write_text(json.dumps(exam, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def test_nested_records_with_named_keys_digit_options_missing_answer_and_flags(tmp_path):
    _exam(tmp_path)
    _, rows, rejects = build(tmp_path, {
        "task": "mcqa", "format": "json", "files": "mir_2019.json", "languages": ["es"],
        "original_language": "es", "splits": {"test": "test"},
        "records": "sections.{section}.items",
        "reject_when": [{"field": "annulled", "values": [True]}],
        "fields": {"id": "{section}-{num}", "question": "text", "options": "choices", "answer": "correct"},
    })
    assert sorted(rows) == ["src:cardiology-1:es", "src:neurology-1:es"]
    # answers given as the option keys "1".."4": key "2" is the 2nd option (index 1), never index 2
    assert rows["src:cardiology-1:es"]["answer"] == "Nodo sinusal"
    assert rows["src:cardiology-1:es"]["answer_index"] == 1
    assert rows["src:neurology-1:es"]["answer"] == "VI"
    assert rows["src:neurology-1:es"]["options"] == ["III", "IV", "VI", "VII"]
    assert reasons(rejects) == {"source_flagged": 1, "no_answer": 1}  # a missing answer field is no_answer
    flagged = next(r for r in rejects if r["reason"] == "source_flagged")
    assert "annulled" in flagged["detail"] and flagged["row"] == 1


def test_top_level_object_without_records_is_one_line_error_naming_its_keys(tmp_path):
    path = _exam(tmp_path)
    with pytest.raises(GlobMedError, match=r"mir_2019.json: one JSON object \(keys: exam, version, sections\).*"
                                           r"records: sections\.\{section\}\.items"):
        list(read_rows(path, "json"))
    with pytest.raises(GlobMedError, match=r"records: 'sections.\{s\}.questions': no key 'questions' at "
                                           r"sections\.\{s\} \(holds: title, items\)"):
        list(read_rows(path, "json", records="sections.{s}.questions"))
    # the same object in a .jsonl file is not parsed line by line into malformed rows
    jsonl = tmp_path / "exam.jsonl"
    jsonl.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(GlobMedError, match="one JSON object"):
        list(read_rows(jsonl, "jsonl"))
    # a one-line JSON Lines file holding one record is still one record
    one = tmp_path / "one.json"
    one.write_text('{"q": "x", "a": "A"}\n')
    assert list(read_rows(one, "json")) == [(0, {"q": "x", "a": "A"})]


def test_records_keyed_by_id(tmp_path):
    (tmp_path / "pqal.json").write_text(json.dumps({
        "2001": {"QUESTION": "Does aspirin reduce stroke risk?", "final_decision": "yes"},
        "2002": {"QUESTION": "Is vitamin C curative for sepsis?", "final_decision": "no"},
    }), encoding="utf-8")
    _, rows, rejects = build(tmp_path, {
        "task": "mcqa", "format": "json", "files": "pqal.json", "records": "{pmid}", "splits": {"test": "test"},
        "fields": {"id": "pmid", "question": "QUESTION", "fixed_options": ["yes", "no", "maybe"],
                   "answer": "final_decision", "answer_format": "text"},
    })
    assert {k: r["answer"] for k, r in rows.items()} == {"src:2001:en": "yes", "src:2002:en": "no"}
    assert not rejects


# --- language taken from a column ------------------------------------------------------------------------------


def test_language_column_with_code_map_routes_each_row(tmp_path):
    header = ["id", "country", "question", "a", "b", "c", "d", "answer"]
    data = [
        ["1", "JP", "高血圧の第一選択薬はどれか。", "ACE阻害薬", "モルヒネ", "インスリン", "ワルファリン", "A"],
        ["2", "KR", "당뇨병의 진단 기준이 되는 검사는?", "HbA1c", "크레아티닌", "빌리루빈", "알부민", "A"],
        ["3", "ZH", "哪种维生素缺乏导致坏血病？", "维生素A", "维生素B1", "维生素C", "维生素D", "C"],
        ["4", "PT", "Qual é o principal sintoma da asma?", "Sibilância", "Febre", "Icterícia", "Diarreia", "A"],
        ["5", "pt-BR", "Qual órgão produz insulina?", "Fígado", "Pâncreas", "Rim", "Baço", "B"],
        ["6", "DE", "Welches Organ produziert Galle?", "Leber", "Milz", "Niere", "Herz", "A"],
        ["7", "TL", "Ano ang sanhi ng malarya?", "Virus", "Plasmodium", "Bakterya", "Fungus", "B"],
        ["8", "English", "Which vitamin is made in the skin?", "A", "B12", "D", "K", "C"],
        ["9", "KR", "バセドウ病で上昇するホルモンはどれか。", "TSH", "T4", "インスリン", "コルチゾール", "B"],
        ["10", "ZH", "Tobramycin是", "抗生素", "激素", "维生素", "疫苗", "A"],
    ]
    write_csv(tmp_path / "exams.csv", header, data)
    report, rows, rejects = build(tmp_path, {
        "task": "mcqa", "format": "csv", "files": "exams.csv", "splits": {"test": "test"},
        "language": {"field": "country", "codes": {"JP": "ja", "KR": "ko", "ZH": "zh", "PT": "pt"}},
        "fields": {"id": "id", "question": "question", "options": ["a", "b", "c", "d"], "answer": "answer"},
    }, languages="en,ja,ko,zh,pt")
    assert {r["id"]: r["language"] for r in rows.values()} == {
        "src:1:ja": "ja", "src:2:ko": "ko", "src:3:zh": "zh", "src:4:pt": "pt", "src:5:pt": "pt", "src:8:en": "en",
        "src:10:zh": "zh"}  # a Chinese question that is mostly a Latin drug name is still Chinese
    assert rows["src:3:zh"]["answer"] == "维生素C"
    assert all(r["translation"]["method"] == "original" for r in rows.values())  # native exams, not translations
    by_reason = {r["reason"]: r for r in rejects}
    # row 9 says KR but is Japanese: rejected by script, never filed as Korean
    assert reasons(rejects) == {"language_not_selected": 1, "language_not_in_registry": 1, "script_mismatch": 1}
    assert next(r for r in rejects if r["reason"] == "script_mismatch")["row"] == 8
    assert "'de'" in by_reason["language_not_selected"]["detail"]
    assert "'tl'" in by_reason["language_not_in_registry"]["detail"]
    assert report["sources"][0]["languages"] == ["en", "zh", "ja", "ko", "pt"]


# --- values that mean "no option" ------------------------------------------------------------------------------


def test_five_column_csv_with_placeholder_fifth_option_keeps_four_options(tmp_path):
    """The bug this guards: "None" in the fifth column became a fifth answer option."""
    header = ["question", "A", "B", "C", "D", "E", "answer"]
    data = [
        ["Which drug reverses heparin?", "Protamine", "Vitamin K", "Naloxone", "Flumazenil", "Atropine", "A"],
        ["Which nerve is damaged in wrist drop?", "Ulnar", "Median", "Radial", "Axillary", "None", "C"],
        ["Which organ is affected in hepatitis?", "Liver", "Kidney", "Lung", "Heart", "", "A"],
        ["Where is bile stored?", "Gallbladder", "Pancreas", "Spleen", "Stomach", "nan", "A"],
        ["Which hormone lowers glucose?", "Insulin", "Glucagon", "", "Cortisol", "None", "A"],  # gap at C
        ["Which cell makes antibodies?", "Plasma cell", "Neutrophil", "Platelet", "Erythrocyte", "None", "E"],
        ["What is the normal adult heart rate?", "60-100", "20-40", "150-200", "5-10", "-", "A"],
    ]
    write_csv(tmp_path / "exam.csv", header, data)
    report, rows, rejects = build(tmp_path, {
        "task": "mcqa", "format": "csv", "files": "exam.csv", "splits": {"test": "test"},
        "fields": {"question": "question", "options": ["A", "B", "C", "D", "E"], "answer": "answer",
                   "absent_option_values": ["-"]},
    })
    options = {r["question"]: r["options"] for r in rows.values()}
    assert options["Which drug reverses heparin?"] == ["Protamine", "Vitamin K", "Naloxone", "Flumazenil", "Atropine"]
    for question in ("Which nerve is damaged in wrist drop?", "Which organ is affected in hepatitis?",
                     "Where is bile stored?", "What is the normal adult heart rate?"):
        assert len(options[question]) == 4, question
    assert {r["question"]: r["answer"] for r in rows.values()}["Which nerve is damaged in wrist drop?"] == "Radial"
    assert reasons(rejects) == {"option_gap": 1, "answer_not_among_options": 1}
    gap = next(r for r in rejects if r["reason"] == "option_gap")
    assert gap["row"] == 4 and "option C" in gap["detail"]
    assert next(r for r in rejects if r["reason"] == "answer_not_among_options")["row"] == 5
    # one trailing placeholder in each of rows 1-6 (the gap row's trailing "None" too, before its gap is seen)
    assert report["normalisation"]["absent_options_dropped"] == 6


def test_none_in_a_json_list_is_a_real_option(tmp_path):
    """JSON has null, so the string "None" is text: MedMCQA asks questions whose option D is "None"."""
    (tmp_path / "q.jsonl").write_text("\n".join(json.dumps(r) for r in [
        {"id": "a", "q": "Axonal transport is:", "choices": ["Antegrade", "Retrograde", "Both", "None"],
         "answer": "c"},
        {"id": "b", "q": "Which is a loop diuretic?", "choices": ["Furosemide", "Spironolactone", "Mannitol", None],
         "answer": "a"},
    ]) + "\n", encoding="utf-8")
    report, rows, _ = build(tmp_path, {
        "task": "mcqa", "format": "jsonl", "files": "q.jsonl", "splits": {"test": "test"},
        "fields": {"id": "id", "question": "q", "options": "choices", "answer": "answer"},
    })
    assert rows["src:a:en"]["options"] == ["Antegrade", "Retrograde", "Both", "None"]
    assert rows["src:b:en"]["options"] == ["Furosemide", "Spironolactone", "Mannitol"]  # JSON null is absent
    assert report["normalisation"] == {"absent_options_dropped": 1}


# --- options stored as one string holding a dict or a list ----------------------------------------------------


def test_options_as_string_dict_or_list_literal(tmp_path):
    header = ["qid", "question", "options", "answer"]
    data = [
        ["1", "Which is an anticoagulant?", "{'A': 'Heparin', 'B': 'Aspirin', 'C': \"Paracetamol\", 'D': 'Ibuprofen'}",
         "A"],
        ["2", "Which is a beta-lactam?", '["Vancomycin", "Amoxicillin", "Gentamicin", "Doxycycline"]', "B"],
        ["3", "Which is an opioid antagonist?", "{'A': 'Naloxone', 'B': __import__('os').getcwd()}", "A"],
    ]
    write_csv(tmp_path / "opts.csv", header, data)
    _, rows, rejects = build(tmp_path, {
        "task": "mcqa", "format": "csv", "files": "opts.csv", "splits": {"test": "test"},
        "fields": {"id": "qid", "question": "question", "options": "options", "answer": "answer"},
    })
    assert rows["src:1:en"]["options"] == ["Heparin", "Aspirin", "Paracetamol", "Ibuprofen"]
    assert rows["src:2:en"]["answer"] == "Amoxicillin"
    # not a literal (a call inside): never evaluated, kept as one text, which is too few options
    assert reasons(rejects) == {"too_few_options": 1}


# --- answers as yes/no words in the source language ------------------------------------------------------------


def test_yes_no_words_through_labels(tmp_path):
    (tmp_path / "ru.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in [
        {"idx": 1, "вопрос": "Является ли аспирин антиагрегантом?", "ответ": "да"},
        {"idx": 2, "вопрос": "Лечится ли вирусная инфекция антибиотиками?", "ответ": "Нет"},
        {"idx": 3, "вопрос": "Нужна ли госпитализация?", "ответ": "возможно"},
    ]) + "\n", encoding="utf-8")
    _, rows, rejects = build(tmp_path, {
        "task": "mcqa", "format": "jsonl", "files": "ru.jsonl", "languages": ["ru"], "original_language": "ru",
        "splits": {"test": "test"},
        "fields": {"id": "idx", "question": "вопрос", "fixed_options": ["yes", "no"], "answer": "ответ",
                   "labels": {"да": "yes", "нет": "no"}},
    }, languages="ru")  # Russian is an opt-in registry language: built only when named
    assert {k: r["answer_index"] for k, r in rows.items()} == {"src:1:ru": 0, "src:2:ru": 1}
    assert reasons(rejects) == {"answer_not_among_options": 1}  # "возможно" has no label: rejected, not guessed


# --- a split made of several files; stray trailing quotes ------------------------------------------------------


def test_split_of_several_files_and_stray_quotes(tmp_path):
    for part, rows in (("part1", [["Which drug treats anaphylaxis?\n\"", "Adrenaline", "Atropine\n\"", "A"],
                                  ['The "silent killer" is?', "Hypertension", "Asthma", "A"]]),
                       ("part2", [["Which test screens for colon cancer?", "FIT", "ECG", "A"]])):
        write_csv(tmp_path / f"train_{part}.csv", ["q", "a", "b", "ans"], rows)
    write_csv(tmp_path / "test_part1.csv", ["q", "a", "b", "ans"], [["Which vein is used for CABG?", "Saphenous",
                                                                        "Jugular", "A"]])
    report, rows, rejects = build(tmp_path, {
        "task": "mcqa", "format": "csv", "files": "{split}.csv",
        "splits": {"train": ["train_part1", "train_part2"], "test": "test_part1"},
        "fields": {"question": "q", "options": ["a", "b"], "answer": "ans"},
    })
    assert not rejects  # the two train files number their rows from 0: ids must not collide
    assert sorted(rows) == ["src:test-test_part1-0:en", "src:train-train_part1-0:en", "src:train-train_part1-1:en",
                            "src:train-train_part2-0:en"]
    first = rows["src:train-train_part1-0:en"]
    assert first["question"] == "Which drug treats anaphylaxis?" and first["options"] == ["Adrenaline", "Atropine"]
    assert rows["src:train-train_part1-1:en"]["question"] == 'The "silent killer" is?'  # balanced quotes stay
    assert report["normalisation"]["stray_trailing_quote"] == 2
    assert sorted(report["config"]) and report["counts"]["en"]["mcqa"] == {"train": 3, "test": 1}


def test_glob_and_explicit_file_list(tmp_path):
    for name in ("train-00000-of-00002", "train-00001-of-00002"):
        write_csv(tmp_path / f"{name}.csv", ["q", "a", "b", "ans"], [[f"Question from {name}?", "yes", "no", "A"]])
    write_csv(tmp_path / "zulu_eval.csv", ["q", "a", "b", "ans"], [["Yini i-malaria?", "Isifo", "Isidlo", "A"]])
    _, rows, _ = build(tmp_path, {
        "task": "mcqa", "format": "csv", "files": "train-*.csv",
        "fields": {"question": "q", "options": ["a", "b"], "answer": "ans"},
    })
    assert len(rows) == 2 and all(r["_split"] in ("train", "validation", "test") for r in rows.values())
    _, rows, _ = build(tmp_path, {
        "task": "mcqa", "format": "csv", "languages": ["en", "zu"],
        "files": [{"path": "train-00000-of-00002.csv", "split": "train", "language": "en"},
                  {"path": "zulu_eval.csv", "split": "test", "language": "zu"}],
        "fields": {"question": "q", "options": ["a", "b"], "answer": "ans"},
    })
    assert {r["id"]: r["_split"] for r in rows.values()} == {
        "src:train-train-00000-of-00002-0:en": "train", "src:test-zulu_eval-0:zu": "test"}


# --- a native question with its English translation in the same row -------------------------------------------


def test_parallel_fields_emit_both_languages(tmp_path):
    (tmp_path / "fr.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in [
        {"id": "q1", "question": "Quel est l'antidote du paracétamol ?",
         "options": {"a": "N-acétylcystéine", "b": "Naloxone", "c": "Flumazénil", "d": "Atropine"},
         "question_EN": "What is the antidote to paracetamol?",
         "options_EN": {"a": "N-acetylcysteine", "b": "Naloxone", "c": "Flumazenil", "d": "Atropine"},
         "correct": "a"},
        {"id": "q2", "question": "Quelle vitamine prévient le rachitisme ?",
         "options": {"a": "A", "b": "C", "c": "D", "d": "K"}, "question_EN": "", "options_EN": {}, "correct": "c"},
    ]) + "\n", encoding="utf-8")
    report, rows, rejects = build(tmp_path, {
        "task": "mcqa", "format": "jsonl", "files": "fr.jsonl", "languages": ["fr"], "original_language": "fr",
        "splits": {"test": "test"}, "translation": {"method": "human"},
        "fields": {"id": "id", "question": "question", "options": "options", "answer": "correct"},
        "parallel_fields": {"en": {"question": "question_EN", "options": "options_EN"}},
    })
    assert sorted(rows) == ["src:q1:en", "src:q1:fr", "src:q2:fr"]
    assert rows["src:q1:en"]["parallel_id"] == rows["src:q1:fr"]["parallel_id"] == "src:q1"
    assert rows["src:q1:en"]["answer"] == "N-acetylcysteine" and rows["src:q1:fr"]["answer"] == "N-acétylcystéine"
    assert rows["src:q1:fr"]["translation"]["method"] == "original"
    assert rows["src:q1:en"]["translation"]["method"] == "human"
    assert report["rows_read"] == 4  # two rows, two languages each
    assert [(r["row"], r["reason"], r["detail"][:5]) for r in rejects] == [(1, "empty_question", "")]


def test_bad_shape_keys_are_one_line_errors(tmp_path):
    (tmp_path / "x.json").write_text("[]")
    bad = [
        ({"records": 3}, "records must be a dotted path"),
        ({"format": "csv", "records": "a.b"}, "format must be json"),
        ({"language": {"column": "lang"}}, "language must be"),
        ({"reject_when": [{"field": "x", "equals": 1}]}, "reject_when rule"),
        ({"parallel_fields": {"en": "question_EN"}}, "parallel_fields maps"),
        ({"files": [{"path": "x.json", "split": "dev"}]}, "split must be one of"),
        ({"fields": {"question": "q", "options": "o", "answer": "a", "answer_format": "keys"}}, "answer_format"),
    ]
    for change, message in bad:
        entry = {"task": "mcqa", "format": "json", "files": "x.json",
                 "fields": {"question": "q", "options": "o", "answer": "a"}, **change}
        with pytest.raises(GlobMedError, match=message):
            build(tmp_path, entry)


# --- what a new user met on real-shaped files ------------------------------------------------------------------


def test_answers_naming_option_columns_key_lists_and_whole_floats(tmp_path):
    """RuMedTest-style option columns "1".."4" with the answer naming its column; AfriMed-style key lists are
    several answers; pandas' "2.0" is the index 2."""
    header = ["id", "question", "1", "2", "3", "4", "answer", "idx"]
    data = [
        ["a", "Препарат выбора при анафилаксии?", "эпинефрин", "дифенгидрамин", "преднизолон", "сальбутамол", "1",
         "0.0"],
        ["b", "Какой орган вырабатывает инсулин?", "печень", "поджелудочная железа", "почка", "селезёнка", "2",
         "1.0"],
        ["c", "Какие из перечисленных являются антибиотиками?", "амоксициллин", "парацетамол", "ципрофлоксацин",
         "ибупрофен", "1,3", "0.0"],
    ]
    write_csv(tmp_path / "rumed.csv", header, data)
    source = {"task": "mcqa", "format": "csv", "files": "rumed.csv", "languages": ["ru"], "original_language": "ru",
              "splits": {"test": "test"},
              "fields": {"id": "id", "question": "question", "options": ["1", "2", "3", "4"], "answer": "answer"}}
    _, rows, rejects = build(tmp_path, source, languages="ru")
    assert rows["src:a:ru"]["answer"] == "эпинефрин" and rows["src:b:ru"]["answer"] == "поджелудочная железа"
    assert [(r["reason"], r["detail"]) for r in rejects] == [("several_correct_answers", "2 answers: '1,3'")]
    source["fields"] = {**source["fields"], "answer": "idx", "answer_format": "index"}
    _, rows, _ = build(tmp_path, source, languages="ru")
    assert rows["src:b:ru"]["answer_index"] == 1


def test_one_based_answers_read_as_zero_based_stop_the_build(tmp_path):
    """KorMedMCQA-style answers 1-5 under the default format: the build stops rather than shift every letter."""
    rows = [[f"질문 {i}: 다음 중 옳은 것은?", "가", "나", "다", "라", "마", str(1 + i % 5)] for i in range(10)]
    write_csv(tmp_path / "kor.csv", ["question", "A", "B", "C", "D", "E", "answer"], rows)
    source = {"task": "mcqa", "format": "csv", "files": "kor.csv", "languages": ["ko"], "original_language": "ko",
              "splits": {"test": "test"}, "fields": {"question": "question", "options": ["A", "B", "C", "D", "E"],
                                                     "answer": "answer", "answer_format": "index"}}
    with pytest.raises(GlobMedError, match=r"kor.csv: index answers look 1-based \(2 of 10 equal the option count, "
                                           r"none is 0\) but answer_base is 0; set answer_base: 1"):
        build(tmp_path, source)
    source["fields"]["answer_base"] = 1
    _, built, _ = build(tmp_path, source)
    assert [r["answer_index"] for r in sorted(built.values(), key=lambda r: r["id"])] == [0, 1, 2, 3, 4] * 2


def test_rows_already_in_the_parallel_language_stay_originals(tmp_path):
    header = ["id", "lang", "question", "a", "b", "answer", "question_EN", "a_EN", "b_EN"]
    write_csv(tmp_path / "m.csv", header, [
        ["1", "JP", "高血圧の治療薬はどれか。", "降圧薬", "鎮痛薬", "A", "Which drug treats hypertension?",
         "Antihypertensive", "Analgesic"],
        ["2", "English", "Which organ makes bile?", "Liver", "Spleen", "A", "Which organ makes bile?", "Liver",
         "Spleen"],
    ])
    report, rows, rejects = build(tmp_path, {
        "task": "mcqa", "format": "csv", "files": "m.csv", "splits": {"test": "test"},
        "language": {"field": "lang", "codes": {"JP": "ja"}},
        "fields": {"id": "id", "question": "question", "options": ["a", "b"], "answer": "answer"},
        "parallel_fields": {"en": {"question": "question_EN", "options": ["a_EN", "b_EN"]}},
    })
    assert not rejects and report["rows_read"] == 3  # the English row gives one unit, not a duplicate
    assert {k: r["translation"]["method"] for k, r in rows.items()} == {
        "src:1:ja": "original", "src:1:en": "machine", "src:2:en": "original"}


def test_file_mistakes_are_one_line_errors(tmp_path):
    (tmp_path / "arr.jsonl").write_text('[{"q": "x"}]')
    with pytest.raises(GlobMedError, match=r"arr\.jsonl: a JSON array, not JSON Lines; use format: json"):
        list(read_rows(tmp_path / "arr.jsonl", "jsonl"))
    (tmp_path / "semi.csv").write_bytes("\ufeffquestion;A;B;answer\nQuelle vitamine ?;C;D;A\n".encode())
    assert list(read_rows(tmp_path / "semi.csv", "csv")) == [
        (0, {"question": "Quelle vitamine ?", "A": "C", "B": "D", "answer": "A"})]
    write_csv(tmp_path / "typo.csv", ["question", "A", "B", "answer", "annulled"], [["Q?", "x", "y", "A", "1"]])
    with pytest.raises(GlobMedError, match=r"source src \(typo.csv\): reject_when\[0\].field: no field 'anulled' "
                                           r"\(fields: question, A, B, answer, annulled; did you mean 'annulled'\?\)"):
        build(tmp_path, {"task": "mcqa", "format": "csv", "files": "typo.csv", "splits": {"test": "test"},
                         "reject_when": {"field": "anulled"},
                         "fields": {"question": "question", "options": ["A", "B"], "answer": "answer"}})
    with pytest.raises(GlobMedError, match="each select rule is"):
        build(tmp_path, {"task": "mcqa", "format": "csv", "files": "typo.csv", "select": [{"field": "x"}],
                         "fields": {"question": "question", "options": ["A", "B"], "answer": "answer"}})


def test_empty_files_are_named(tmp_path, caplog):
    write_csv(tmp_path / "good.csv", ["q", "a", "b", "ans"], [["Which nerve?", "Radial", "Ulnar", "A"]])
    (tmp_path / "empty.csv").write_text("q,a,b,ans\n")
    source = {"task": "mcqa", "format": "csv", "fields": {"question": "q", "options": ["a", "b"], "answer": "ans"},
              "files": [{"path": "good.csv", "split": "test"}, {"path": "empty.csv", "split": "train"}]}
    report, rows, _ = build(tmp_path, source)
    assert len(rows) == 1 and report["empty_files"] == ["src/empty.csv"]
    assert "1 source file(s) have no rows: src/empty.csv" in caplog.text
    source["files"] = [{"path": "empty.csv", "split": "train"}]
    with pytest.raises(GlobMedError, match=r"no input rows: 1 empty file\(s\): src/empty.csv"):
        build(tmp_path, source)
