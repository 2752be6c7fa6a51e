"""Independent derivation of english_counts.json: kept and rejected rows per file and reason for the real English
source files (../shared/realdata/english_sources), as english_sources.yaml builds them.

Plain Python over the raw files (standard library only, no project code), applying the documented rules: the
text normalisation of the source contract, the reject reasons in pipeline order (first failing reason wins), then
repeated ids, then exact dedup per task on case-folded NFKC text with whitespace collapsed (test rows first,
then validation, then train; input order within a split). test_realdata_english.py runs it and compares its
output with the committed JSON and with a build. Regenerate with:

    python tests/realdata/derive_english_counts.py > tests/realdata/english_counts.json
"""

from __future__ import annotations

import json
import math
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3] / "shared" / "realdata" / "english_sources"
SPLIT_RANK = {"test": 0, "validation": 1, "train": 2}


def clean(value) -> str:
    """The contract's text normalisation: line ends, tabs, invisible characters, NBSP, NFC, spaces, strip."""
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    for invisible in ("\ufeff", "\u200b", "\u2060"):
        text = text.replace(invisible, "")
    for space in ("\u00a0", "\u202f", "\u2007"):
        text = text.replace(space, " ")
    text = unicodedata.normalize("NFC", text)
    text = re.sub(" {2,}", " ", text)
    text = "\n".join(line.strip(" ") for line in text.split("\n"))
    return text.strip()


def unquote(text: str) -> str:
    """An unbalanced trailing double quote is export residue: removed."""
    return text[:-1].rstrip() if text.endswith('"') and text.count('"') % 2 else text


def option_text(value) -> str:
    text = clean(value)
    if text.endswith("..") and not text.endswith("..."):
        text = text[:-1]
    return unquote(text)


def absent(value) -> bool:
    """JSON null, NaN or a blank cell: no option there."""
    return value is None or (isinstance(value, float) and math.isnan(value)) or (
        isinstance(value, str) and not value.strip())


def not_latin(text: str) -> bool:
    """Under half of the letters of the first 400 characters are Latin (8 letters at least to judge)."""
    head = text[:400]
    letters = [c for c in head if unicodedata.category(c).startswith("L")]
    if head.isascii() or len(letters) < 8:
        return False
    latin = sum(unicodedata.name(c, "").startswith("LATIN") for c in letters)
    return latin < len(letters) / 2


def dedup_key(parts: list[str]) -> str:
    text = unicodedata.normalize("NFKC", "\n".join(p for p in parts if p))
    return " ".join(text.casefold().split())


def json_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


# --- one row -> (reason or None, item) where item = (task, split, id, dedup key) -------------------------------


def answer_index(answer: tuple, options: list[str]) -> int | None:
    """The index an answer names, None when there is none, -1 when it names no option. `answer` is (kind, value):
    a letter, a 1-based index, a text among the options, or a key among the option ids (HEAD-QA's aid)."""
    kind, value = answer[:2]
    if value is None or value == "":
        return None
    if kind == "letter":
        return "ABCDEFGHIJ".index(value.strip().upper())
    if kind == "index1":
        return value - 1 if value >= 0 else None  # a negative index means no answer (ClassLabel -1)
    if kind == "text":
        return options.index(value) if value in options else -1
    ids = answer[2][:len(options)]  # kind "id": the ids of the options kept
    return ids.index(value) if value in ids else -1


def mcqa(question, raw_options, answer, split, ident, context="", image=False):
    """The quality filters of an mcqa row, in the builder's order; `answer` as `answer_index` takes it."""
    question = unquote(clean(question))
    if not question:
        return "empty_question", None
    if not_latin(question):
        return "script_mismatch", None
    if image:
        return "needs_missing_image", None
    flags = [absent(o) for o in raw_options]
    while flags and flags[-1]:
        flags.pop()
    raw_options = raw_options[:len(flags)]
    options = [option_text(o) for o in raw_options]
    index = answer_index(answer, options)
    if index is None:
        return "no_answer", None
    if any(flags):
        return "option_gap", None
    if sum(bool(o) for o in options) < 2 or not all(options):
        return "too_few_options", None
    if len(options) > 10:
        return "too_many_options", None
    if not 0 <= index < len(options):
        return "answer_not_among_options", None
    return None, ("mcqa", split, ident, dedup_key([clean(context), question, *options]))


def lfqa(question, answer, split, ident, context=""):
    """The quality filters of a long-form row (`question` and `answer` already normalised)."""
    if not question:
        return "empty_question", None
    if not_latin(question):
        return "script_mismatch", None
    if not answer:
        return "no_answer", None
    return None, ("lfqa", split, ident, dedup_key([clean(context), question]))


def pubmedqa():
    data = json.loads((ROOT / "pubmedqa/data/ori_pqal.json").read_text(encoding="utf-8"))
    for pmid, rec in data.items():
        yield mcqa(rec["QUESTION"], ["yes", "no", "maybe"], ("text", clean(rec["final_decision"])), "hash",
                   f"pubmedqa:{pmid}",
                   context="\n\n".join(clean(c) for c in rec["CONTEXTS"] if c))


def headqa(name, source, split):
    data = json.loads((ROOT / "head_qa/data/HEAD_EN" / name).read_text(encoding="utf-8"))
    for exam, content in data["exams"].items():
        for q in content["data"]:
            aids = [str(a["aid"]) for a in q["answers"]]
            yield mcqa(q["qtext"], [a["atext"] for a in q["answers"]], ("id", str(q["ra"]).strip(), aids), split,
                       f"{source}:{exam}-{clean(q['qid'])}", image=bool(q["image"]))


def medqa(path, source):
    for row, rec in enumerate(json_lines(ROOT / "medqa" / path)):
        letters = sorted(rec["options"])  # keys A..E (A..D)
        yield mcqa(rec["question"], [rec["options"][k] for k in letters], ("letter", rec["answer_idx"]), "test",
                   f"{source}:test-{row}")


def medmcqa():
    for rec in json_lines(ROOT / "medmcqa/benchmark/english_medmcqa/MedMCQA_test.json"):
        options = [rec[k] for k in ("opa", "opb", "opc", "opd")]
        yield mcqa(rec["question"], options, ("index1", rec["cop"]), "validation", f"medmcqa:{clean(rec['id'])}")


def expertqa(path, source, split, fields):
    """The `expertqa` adapter: the first answer system's revised answer (else its answer); texts normalised but
    not unquoted (a named adapter, not the fields mapping)."""
    wanted = {f.casefold() for f in fields}
    for row, rec in enumerate(json_lines(ROOT / "expertqa" / path)):
        if str((rec.get("metadata") or {}).get("field") or "").strip().casefold() not in wanted:
            yield "not_selected", None
            continue
        answer = ""
        for _, ans in sorted((rec.get("answers") or {}).items()):
            answer = ans.get("revised_answer_string") or ans.get("answer_string") or ""
            if answer:
                break
        yield lfqa(clean(rec["question"]), clean(answer), split, f"{source}:{split}-{row}")


def expertqa_flat():
    for rec in json_lines(ROOT / "expertqa/data/lfqa/rand_lfqa_test.json"):
        yield lfqa(unquote(clean(rec["question"])), unquote(clean(rec["answer"])), "test",
                   f"expertqa_lfqa:{rec['example_id']}",
                   context=rec["context"])


# the files in english_sources.yaml's order (sources, then files)
FILES = [
    ("pubmedqa/data/ori_pqal.json", pubmedqa()),
    ("head_qa/data/HEAD_EN/train_HEAD_EN.json", headqa("train_HEAD_EN.json", "headqa", "train")),
    ("head_qa/data/HEAD_EN/dev_HEAD_EN.json", headqa("dev_HEAD_EN.json", "headqa", "validation")),
    ("head_qa/data/HEAD_EN/test_HEAD_EN.json", headqa("test_HEAD_EN.json", "headqa", "test")),
    ("head_qa/data/HEAD_EN/HEAD_EN.json", headqa("HEAD_EN.json", "headqa_all", "train")),
    ("medqa/datasets/MedQA/test.jsonl", medqa("datasets/MedQA/test.jsonl", "medqa5")),
    ("medqa/benchmark/english_medqa/MedQA_USMLE_test.jsonl",
     medqa("benchmark/english_medqa/MedQA_USMLE_test.jsonl", "medqa4")),
    ("medmcqa/benchmark/english_medmcqa/MedMCQA_test.json", medmcqa()),
    ("expertqa/data/lfqa/rand_test.jsonl",
     expertqa("data/lfqa/rand_test.jsonl", "expertqa", "test", {"Healthcare / Medicine", "Biology"})),
    ("expertqa/data/lfqa/rand_lfqa_test.json", expertqa_flat()),
    ("expertqa/data/r1_data_anon.jsonl",
     expertqa("data/r1_data_anon.jsonl", "expertqa_r1", "train", {"Healthcare / Medicine", "Medicine", "Biology"})),
]


def main() -> int:
    counts: dict[str, Counter] = {name: Counter() for name, _ in FILES}
    items = []  # (file, item) of rows that passed the filters, in build order
    seen_ids = set()
    for name, rows in FILES:
        for reason, item in rows:
            if reason:
                counts[name][reason] += 1
            elif item[2] in seen_ids:
                counts[name]["duplicate_id"] += 1
            else:
                seen_ids.add(item[2])
                items.append((name, item))
    # PubMedQA is hash-split by the build: its rank is unknown here, which is harmless only while none of its
    # items has a copy in another file (checked)
    files_of: dict[tuple[str, str], set[str]] = {}
    for name, (task, split, _, key) in items:
        files_of.setdefault((task, key), set()).add(name if split != "hash" else "hash")
    assert not any("hash" in names and len(names) > 1 for names in files_of.values())
    keepers = set()
    order = sorted(range(len(items)), key=lambda i: SPLIT_RANK.get(items[i][1][1], 2))  # stable: input order
    for i in order:
        name, (task, _, _, key) = items[i]
        if (task, key) in keepers:
            counts[name]["exact_duplicate"] += 1
        else:
            keepers.add((task, key))
            counts[name]["kept"] += 1
    json.dump({name: dict(sorted(c.items())) for name, c in counts.items()}, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
