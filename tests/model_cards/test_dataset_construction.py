"""The dataset card's "How this build was made" states what happened to this build's rows, from its report.

Expected figures are counted here from the built parquet rows (or from the fixture's own rows), never taken
from the report the card is written from.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import yaml

from dataset_builder.pipeline import run_build
from model_cards.dataset_card import write_dataset_card

PAPER_STEPS = ("multilingual medical dictionary", "LLM reviewer", "Human experts then score")


def _sections(readme: Path) -> tuple[str, str]:
    """(How this build was made, The GlobMed method) of a written card."""
    body = readme.read_text(encoding="utf-8")
    built = body.split("## How this build was made", 1)[1].split("\n## ", 1)[0]
    method = body.split("## The GlobMed method", 1)[1].split("\n## ", 1)[0]
    return built, method


def _language_rows(section: str) -> dict[str, list[str]]:
    """Rows of the per-language provenance table, by language code."""
    rows = {}
    for line in section.splitlines():
        if line.startswith("| `"):
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            rows[cells[0].strip("`")] = cells[1:]
    return rows


def _parquet_translations(folder: Path) -> dict[str, list[dict]]:
    rows: dict[str, list[dict]] = {}
    for path in sorted(folder.glob("data/*/*/*.parquet")):
        lang = path.relative_to(folder / "data").parts[0]
        rows.setdefault(lang, []).extend(pq.read_table(path, columns=["translation"]).column(0).to_pylist())
    return rows


def test_sample_card_states_zero_reviewed_rows_and_names_the_translation_source(tmp_path):
    result = run_build("sample", tmp_path, progress=False)
    readme = write_dataset_card(result.out)
    built, method = _sections(readme)
    translations = _parquet_translations(result.out)
    total = sum(len(rows) for rows in translations.values())
    models = Counter(t["model"] for rows in translations.values() for t in rows if t["model"])
    assert sum(t["reviewed"] for rows in translations.values() for t in rows) == 0
    assert "No row of this build was reviewed by a human expert: 0 reviewed rows" in built
    assert set(models) == {"globmed-sample"}
    assert f"`globmed-sample` ({models['globmed-sample']:,} rows)" in built
    assert f"Of the {total:,} rows" in built
    table = _language_rows(built)
    assert set(table) == set(translations)
    for lang, rows in translations.items():
        methods = Counter(t["method"] for t in rows)
        rows_cell, methods_cell, models_cell, _, reviewed_cell, expert_cell = table[lang][:6]
        assert int(rows_cell.replace(",", "")) == len(rows)
        assert methods_cell == ", ".join(f"{m} {n:,}" for m, n in sorted(methods.items()))
        assert reviewed_cell == "0" and expert_cell == "none imported"
        assert ("globmed-sample" in models_cell) == ("machine" in methods)
    # the paper's pipeline is described once, as the method, never as what this build did
    for step in PAPER_STEPS:
        assert step not in built and step in method
    assert readme.read_text(encoding="utf-8").count("multilingual medical dictionary") == 1


def _native_rows(lang: str, method_of, expert_of, empty: set[int]) -> list[dict]:
    rows = []
    for i in range(10):
        translation = {"method": "original", "model": "", "qc_score": -1.0, "reviewed": False}
        if lang != "en":
            translation = {"method": method_of(i), "model": "mt-model-x", "qc_score": 0.5 + i / 100,
                           "reviewed": expert_of(i) is not None}
            if expert_of(i) is not None:
                translation["expert"] = {**expert_of(i), "comment": ""}
        rows.append({"id": f"q{i}", "context": "", "question": "" if i in empty else f"{lang} question {i}?",
                     "options": [f"{lang} option {k} {i}" for k in range(4)], "answer_index": i % 4,
                     "answer": f"{lang} option {i % 4} {i}", "explanation": "", "translation": translation})
    return rows


def test_machine_expert_rows_state_their_count_and_mean_scores(tmp_path):
    """A translate + review output (globmed_native): Swahili rows 0-5 revised by an expert with scores, 6-7 scored
    only, 8-9 unreviewed; Swahili row 9 has an empty question (rejected)."""
    scores = [{"accuracy": 2 + i % 4, "fluency": 5 - i % 3, "completeness": 3 + i % 2} for i in range(8)]

    def expert(i: int) -> dict | None:
        return scores[i] if i < 8 else None

    def method(i: int) -> str:
        return "machine+expert" if i < 6 else "machine"

    mt = tmp_path / "mt"
    for lang in ("en", "sw"):
        path = mt / "GlobMed_medqa" / lang / "test.json"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(_native_rows(lang, method, expert, {9} if lang == "sw" else set())))
    (mt / "sources.yaml").write_text(yaml.safe_dump({"sources": [{
        "id": "medqa", "name": "MedQA", "task": "mcqa", "license": "MIT", "format": "json", "path": "GlobMed_medqa",
        "files": "{lang}/{split}.json", "languages": ["en", "sw"], "splits": {"test": "test"},
        "adapter": "globmed_native"}]}))
    result = run_build(mt / "sources.yaml", tmp_path / "release", overrides={"languages": ["en", "sw"]},
                       progress=False)
    built, _ = _sections(write_dataset_card(result.out))
    kept_scores = scores[:8]  # row 9 (unreviewed) is the rejected one: every scored row is kept
    means = {key: statistics.fmean(s[key] for s in kept_scores) for key in ("accuracy", "fluency", "completeness")}
    sw = _language_rows(built)["sw"]
    assert sw[0] == "9" and sw[1] == "machine 3, machine+expert 6"
    assert sw[2] == "`mt-model-x` (machine, 3), `mt-model-x` (machine+expert, 6)"
    assert sw[4] == "8"
    assert sw[5] == (f"{means['accuracy']:.2f} / {means['fluency']:.2f} / {means['completeness']:.2f} (8)")
    assert sw[6] == "empty_question 1"
    assert "8 of 19 rows were reviewed by a human expert" in built
    assert "expert scores (accuracy, fluency, completeness, 1-5) were imported from review sheets for 8" in built
    assert "6 are machine translations revised by a human expert (`machine+expert`)" in built
    rejects = [json.loads(line) for line in (result.out / "rejects.jsonl").read_text().splitlines()]
    assert [(r["language"], r["reason"]) for r in rejects] == [("sw", "empty_question")]
