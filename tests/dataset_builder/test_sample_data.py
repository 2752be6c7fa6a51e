"""Checks on the bundled sample data (dataset_builder/sample/), independent of the builder.

The sample is parallel across 12 languages: these tests pin the invariants the builder and the demo rely on
(ids, option order, answer letters and labels identical in every language; 24/4/12 items per split; no
near-duplicates that the builder's MinHash dedup would silently drop) and that the committed JSON files are
exactly what ``make_sample.py`` generates from the master tables.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from collections import Counter
from itertools import combinations
from pathlib import Path

import pytest

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "dataset_builder" / "sample"
LANGUAGES = ["en", "zh", "ja", "ko", "fr", "es", "de", "pt", "sw", "wo", "yo", "zu"]
SPLITS = {"train": 24, "validation": 4, "test": 12}
SOURCES = {"GlobMed_MedQA": "mcqa", "GlobMed_MedNLI": "nli", "GlobMed_LiveQA": "lfqa"}
ID_FIELD = {"mcqa": "id", "nli": "pairID", "lfqa": "id"}
TEXT_FIELDS = {"mcqa": ("question",), "nli": ("sentence1", "sentence2"), "lfqa": ("question", "answer")}
NLI_LABELS = {"entailment", "neutral", "contradiction"}
LETTERS = ["A", "B", "C", "D"]
NEAR_DUP_THRESHOLD = 0.8


def _load_generator():
    """Import make_sample.py from its path (the sample folder is data, not a package)."""
    name = "globmed_sample_make_sample"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, SAMPLE_DIR / "make_sample.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses resolve string annotations through sys.modules
    spec.loader.exec_module(module)
    return module


def _rows(source: str, language: str, split: str) -> list[dict]:
    return json.loads((SAMPLE_DIR / source / language / f"{split}.json").read_text(encoding="utf-8"))


def _full_text(task: str, row: dict) -> str:
    if task == "mcqa":
        return " ".join([row["question"], *row["options"].values(), row["explanation"]])
    return " ".join(row[field] for field in TEXT_FIELDS[task])


_CJK = "\u3040-\u30ff\u3400-\u9fff"
_TOKEN = re.compile(f"[{_CJK}]|[^\\W{_CJK}]+")


def _shingles(text: str, n: int = 5) -> set[tuple[str, ...]]:
    """Word n-shingles; Chinese and Japanese have no spaces, so each Han/kana character counts as a word."""
    words = _TOKEN.findall(text.lower())
    if len(words) <= n:
        return {tuple(words)}
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def _jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0


@pytest.fixture(scope="module")
def sample() -> dict[tuple[str, str, str], list[dict]]:
    """Every sample file, parsed: {(source, language, split): rows}."""
    loaded = {}
    for source in SOURCES:
        for language in LANGUAGES:
            for split in SPLITS:
                loaded[source, language, split] = _rows(source, language, split)
    return loaded


def test_every_file_exists_and_parses_to_counts(sample):
    for (source, language, split), rows in sample.items():
        assert isinstance(rows, list), (source, language, split)
        assert len(rows) == SPLITS[split], (source, language, split, len(rows))


@pytest.mark.parametrize("source", SOURCES)
def test_ids_identical_and_ordered_across_languages(sample, source):
    field = ID_FIELD[SOURCES[source]]
    all_ids = []
    for split in SPLITS:
        english = [row[field] for row in sample[source, "en", split]]
        assert english == sorted(english)
        assert len(set(english)) == len(english)
        for language in LANGUAGES[1:]:
            assert [row[field] for row in sample[source, language, split]] == english, (language, split)
        all_ids += english
    assert len(set(all_ids)) == 40, "ids must be unique across splits"


def test_mcqa_answers_parallel_consistent_and_balanced(sample):
    source = "GlobMed_MedQA"
    for split, size in SPLITS.items():
        english = sample[source, "en", split]
        letters = Counter(row["answer_idx"] for row in english)
        assert letters == Counter({letter: size // 4 for letter in LETTERS}), (split, letters)
        for language in LANGUAGES:
            for row, reference in zip(sample[source, language, split], english, strict=True):
                assert sorted(row["options"]) == LETTERS, (language, row["id"])
                assert all(text.strip() for text in row["options"].values()), (language, row["id"])
                assert row["answer_idx"] == reference["answer_idx"], (language, row["id"])
                assert row["answer"] == row["options"][row["answer_idx"]], (language, row["id"])
                assert len(set(row["options"].values())) == 4, (language, row["id"], "duplicate option text")
                assert row["explanation"].strip(), (language, row["id"])


def test_nli_labels_allowed_parallel_and_balanced(sample):
    source = "GlobMed_MedNLI"
    for split in SPLITS:
        english = sample[source, "en", split]
        counts = Counter(row["gold_label"] for row in english)
        assert set(counts) == NLI_LABELS and max(counts.values()) - min(counts.values()) <= 1, (split, counts)
        for language in LANGUAGES:
            for row, reference in zip(sample[source, language, split], english, strict=True):
                assert row["gold_label"] in NLI_LABELS
                assert row["gold_label"] == reference["gold_label"], (language, row["pairID"])


def test_lfqa_has_question_and_long_answer(sample):
    for (source, language, _split), rows in sample.items():
        if SOURCES[source] != "lfqa":
            continue
        for row in rows:
            assert row["question"].strip() and row["answer"].strip(), (language, row["id"])
            if language == "en":
                assert 25 <= len(row["answer"].split()) <= 80, (row["id"], len(row["answer"].split()))


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_no_near_duplicates_within_language(sample, source, language):
    task = SOURCES[source]
    rows = [row for split in SPLITS for row in sample[source, language, split]]
    for fields in (None, TEXT_FIELDS[task][:1]):
        texts = {
            row[ID_FIELD[task]]: _full_text(task, row) if fields is None else " ".join(row[f] for f in fields)
            for row in rows
        }
        shingles = {item: _shingles(text) for item, text in texts.items()}
        for a, b in combinations(sorted(shingles), 2):
            similarity = _jaccard(shingles[a], shingles[b])
            assert similarity < NEAR_DUP_THRESHOLD, (language, a, b, round(similarity, 3))


@pytest.mark.parametrize("source", SOURCES)
def test_translations_differ_from_english(sample, source):
    task = SOURCES[source]
    for split in SPLITS:
        english = sample[source, "en", split]
        for language in LANGUAGES[1:]:
            for row, reference in zip(sample[source, language, split], english, strict=True):
                for field in TEXT_FIELDS[task]:
                    assert row[field] != reference[field], (language, row[ID_FIELD[task]], field)


def test_numbers_kept_identical_in_translations(sample):
    """Doses, ages and units are copied, not translated: every number in English appears in each translation."""
    for (source, language, split), rows in sample.items():
        task = SOURCES[source]
        english = sample[source, "en", split]
        for row, reference in zip(rows, english, strict=True):
            expected = Counter(re.findall(r"\d+(?:[.,]\d+)?", _full_text(task, reference).replace(",", ".")))
            found = Counter(re.findall(r"\d+(?:[.,]\d+)?", _full_text(task, row).replace(",", ".")))
            missing = expected - found
            assert not missing, (source, language, row[ID_FIELD[task]], dict(missing))


def test_generator_reproduces_committed_files(tmp_path):
    generator = _load_generator()
    assert generator.main(["--out", str(tmp_path)]) == 0
    generated = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.json"))
    committed = sorted(
        p.relative_to(SAMPLE_DIR).as_posix() for source in SOURCES for p in (SAMPLE_DIR / source).rglob("*.json")
    )
    assert generated == committed
    assert len(generated) == len(SOURCES) * len(LANGUAGES) * len(SPLITS)
    for rel in generated:
        assert (tmp_path / rel).read_bytes() == (SAMPLE_DIR / rel).read_bytes(), rel


def test_generator_rejects_inconsistent_translation(tmp_path, monkeypatch):
    """A translated table whose answer letter differs from English is refused with file and item named."""
    generator = _load_generator()
    tables = tmp_path / "_tables"
    for source in ("medqa", "mednli", "liveqa"):
        (tables / source).mkdir(parents=True)
        (tables / source / "en.txt").write_bytes((SAMPLE_DIR / "_tables" / source / "en.txt").read_bytes())
    french = (SAMPLE_DIR / "_tables" / "medqa" / "fr.txt").read_text(encoding="utf-8")
    broken = french.replace("| *Sulfate de magnésium | Phénytoïne", "| Sulfate de magnésium | *Phénytoïne", 1)
    assert broken != french
    (tables / "medqa" / "fr.txt").write_text(broken, encoding="utf-8")
    monkeypatch.setattr(generator, "TABLES_DIR", tables)
    with pytest.raises(generator.SampleError, match=r"fr\.txt: medqa-s0001 has answer 'C'"):
        generator.generate()


def test_generator_refuses_to_overwrite_without_flag(tmp_path):
    generator = _load_generator()
    assert generator.main(["--out", str(tmp_path)]) == 0
    target = tmp_path / "GlobMed_MedQA" / "en" / "test.json"
    target.write_text("[]\n", encoding="utf-8")
    assert generator.main(["--out", str(tmp_path)]) == 2
    assert target.read_text(encoding="utf-8") == "[]\n"
    assert generator.main(["--out", str(tmp_path), "--overwrite"]) == 0
    assert target.read_bytes() == (SAMPLE_DIR / "GlobMed_MedQA" / "en" / "test.json").read_bytes()


def test_sample_is_small_and_labelled():
    total = sum(p.stat().st_size for p in SAMPLE_DIR.rglob("*") if p.is_file())
    assert total < 3 * 1024 * 1024, total
    readme = (SAMPLE_DIR / "README.md").read_text(encoding="utf-8").lower()
    assert "not medical advice" in readme and "cc-by-4.0" in readme and "generated" in readme


def test_languages_match_the_registry():
    from globmed.languages import language_codes

    assert language_codes() == LANGUAGES
    assert list(_load_generator().LANGUAGES) == language_codes()


def test_near_duplicate_check_detects_a_reworded_copy():
    """The shingle check itself must flag a lightly edited copy, in spaced and unspaced scripts."""
    base = (
        "A farmer is bitten on the leg by a snake, and the leg is starting to swell. Which first aid step is "
        "recommended while arranging transport to hospital?"
    )
    edited = base.replace("farmer", "fisherman")
    assert _jaccard(_shingles(base), _shingles(edited)) < 1.0
    assert _jaccard(_shingles(base), _shingles(base + " Keep calm.")) >= NEAR_DUP_THRESHOLD
    chinese = "一名农民的腿被蛇咬伤，腿开始肿胀。在安排送医的同时，推荐采取哪项急救措施？"
    assert _jaccard(_shingles(chinese), _shingles(chinese + "请选择。")) >= NEAR_DUP_THRESHOLD
    assert _jaccard(_shingles(chinese), _shingles("一名青少年在吞服大量对乙酰氨基酚片四小时后被送到急诊科。")) < 0.1


def test_text_is_clean_nfc(sample):
    """The sample is the clean reference: NFC, no control or zero-width characters, no stray outer spaces."""
    import unicodedata

    for (source, language, _split), rows in sample.items():
        task = SOURCES[source]
        for row in rows:
            texts = [row[field] for field in TEXT_FIELDS[task]]
            if task == "mcqa":
                texts += [*row["options"].values(), row["explanation"]]
            for text in texts:
                assert text == text.strip() and unicodedata.normalize("NFC", text) == text, (language, text)
                assert not any(unicodedata.category(c) in ("Cc", "Cf") for c in text), (language, text)
