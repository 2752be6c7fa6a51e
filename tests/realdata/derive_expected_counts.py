"""Independent derivation of expected_counts.json (plain Python over the raw files, no project code).

    python tests/realdata/derive_expected_counts.py            # rewrites expected_counts.json beside it
    python tests/realdata/derive_expected_counts.py --out X    # writes X instead

It applies the documented rules (reason order, exact dedup on normalised text with test priority, parallel
dedup for the en/zu files) on its own, so the builder tests compare two independent computations. Standard
library only: test_expected_counts.py runs it with `python -I -S` (no site-packages, so neither the kit nor
a third-party package can be imported) and checks that its output equals the committed file byte for byte.
Not collected by pytest.
"""

from __future__ import annotations

import argparse
import collections
import csv
import io
import json
import re
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_REALDATA = HERE.parents[2] / "shared" / "realdata"
COMMENT = (
    "Expected kept/rejected counts per file and reason, written by derive_expected_counts.py (plain Python over"
    " the raw files applying the documented rules: reason order, exact dedup with test priority, an item removed"
    " in one language removed in all its languages) and checked against the builder. Do not edit: rerun the script."
)
# ar and hi are opt-in languages of the registry, selected by apollo.yaml's build block
REG = {"en", "zh", "ja", "ko", "fr", "es", "de", "pt", "sw", "wo", "yo", "zu", "ar", "bn", "hi", "id", "ms", "ru", "th"}


def key(parts):
    t = "\n".join(p for p in parts if p)
    return " ".join(unicodedata.normalize("NFKC", t.replace("\ufeff", "")).casefold().split())


def opt(o):
    o = (o or "").replace("\ufeff", "").strip()
    if o.endswith("..") and not o.endswith("..."):
        o = o[:-1]
    return o


def wrong_script(text, lang):
    """No letter of a ja/zh question in its script (by Unicode character names), with at least 8 letters."""
    if lang not in ("ja", "zh") or sum(c.isalpha() for c in text[:400]) < 8:
        return False
    names = ("CJK UNIFIED", "HIRAGANA", "KATAKANA") if lang == "ja" else ("CJK UNIFIED",)
    return not any(n in unicodedata.name(c, "") for c in text for n in names)


def aistairc(root: Path) -> collections.Counter:
    """Order of files as in aistairc.yaml; all test split; dedup per language."""
    out = collections.Counter()
    files = [
        ("en", "data/en/MedQA/medqa_en.jsonl"),
        ("en", "data/en/MedQA-4op/medqa_en_4op.jsonl"),
        ("en", "data/en/MedMCQA/medmcqa.jsonl"),
        ("en", "data/en/PubMedQA/pubmedqa.jsonl"),
        ("en", "data/en/MMLU/mmlu_en_medical.jsonl"),
        ("ja", "data/ja/IgakuQA/igakuqa.jsonl"),
        ("ja", "data/ja/DenQA/denqa.jsonl"),
        ("zh", "data/zh/MedQA/medqa_zh.jsonl"),
        ("zh", "data/zh/MedQA-4op/medqa_zh_4op.jsonl"),
        ("zh", "data/zh/CMExam/cmexam.jsonl"),
    ]
    seen = collections.defaultdict(set)
    for lang, name in files:
        for line in (root / "aistairc_medllm_qa" / name).read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            r = json.loads(line)
            a = r["answer"]
            ch = [opt(c) for c in r["choices"]]
            if not r["problem_text"].strip():
                out[(name, "empty_question")] += 1
                continue
            if wrong_script(r["problem_text"], lang):
                out[(name, "script_mismatch")] += 1
                continue
            if r["text_only"] is False:
                out[(name, "needs_missing_image")] += 1
                continue
            if a == "NA" or a == []:
                out[(name, "no_answer")] += 1
                continue
            if len(set(x.upper() for x in a)) > 1 or re.search(r"\bor\b|,", a[0]):
                out[(name, "several_correct_answers")] += 1
                continue
            if len([c for c in ch if c]) < 2 or not all(ch):
                out[(name, "too_few_options")] += 1
                continue
            x = a[0].strip().lower()
            if not (len(x) == 1 and "a" <= x <= "j" and ord(x) - 97 < len(ch)):
                out[(name, "answer_not_among_options")] += 1
                continue
            k = key([r.get("context", ""), r["problem_text"], *ch])
            if k in seen[lang]:
                out[(name, "exact_duplicate")] += 1
                continue
            seen[lang].add(k)
            out[(name, "kept")] += 1
    return out


def apollo(root: Path) -> collections.Counter:
    """Test split first (priority), then dev; a language outside the registry is rejected."""
    out = collections.Counter()
    seen = collections.defaultdict(set)
    for split, langs in (("test", ["ar", "es", "fr", "hi", "zh"]), ("dev", ["ar", "en", "es", "fr", "hi", "zh"])):
        for lang in langs:
            name = f"metadata/{split}/{lang}.json"
            for r in json.loads((root / "apollo_xmedbench" / name).read_text(encoding="utf-8")):
                if lang not in REG:
                    out[(name, "language_not_in_registry")] += 1
                    continue
                parts = re.split(r"(?:^|\n)\s*\(([A-J])\)\s*", r["options"])
                ch = [opt(p) for p in parts[2::2]]
                letters = re.fullmatch(r"\(([A-J]+)\)", r["answer"].strip()).group(1)
                if not r["question"].strip():
                    out[(name, "empty_question")] += 1
                    continue
                if len(set(letters)) > 1:
                    out[(name, "several_correct_answers")] += 1
                    continue
                if len(ch) < 2 or not all(ch):
                    out[(name, "too_few_options")] += 1
                    continue
                if ord(letters) - 65 >= len(ch):
                    out[(name, "answer_not_among_options")] += 1
                    continue
                k = key([r.get("context", ""), r["question"], *ch])
                if k in seen[lang]:
                    out[(name, "exact_duplicate")] += 1
                    continue
                seen[lang].add(k)
                out[(name, "kept")] += 1
    return out


def afr(root: Path) -> tuple[collections.Counter, int]:
    """Priority test, then val, then dev; per language, subjects in order. Parallel dedup: an item removed in
    one registry language (en or zu) is removed in both. Also returns how many parallel ids en and zu share."""
    out = collections.Counter()
    folder = root / "idm_bridging_gap_afr/data/evaluation_benchmarks_afr_release/mmlu_cm_ck_vir"
    seen = collections.defaultdict(set)
    removed_pids = set()
    rows_of = []
    for split in ("test", "val", "dev"):
        for lang in ["en", "af", "am", "bm", "ig", "nso", "sn", "st", "tn", "ts", "xh", "zu"]:
            for subj in ("clinical_knowledge", "college_medicine", "virology"):
                name = f"{subj}_{split}.csv" if lang == "en" else f"{subj}_{split}_{lang}.csv"
                rows = list(csv.reader(io.StringIO((folder / name).read_text(encoding="utf-8"), newline="")))
                ours = {"test": "test", "val": "validation", "dev": "train"}[split]
                for i, r in enumerate(rows):
                    if lang not in REG:
                        out[(name, "language_not_in_registry")] += 1
                        continue
                    pid = f"{subj}-{ours}-{i}"
                    ch = [opt(c) for c in r[1:5]]
                    k = key([r[0], *ch])
                    if k in seen[lang]:
                        removed_pids.add(pid)
                    else:
                        seen[lang].add(k)
                    rows_of.append((name, lang, pid))
    pids = collections.defaultdict(set)
    for name, lang, pid in rows_of:
        if pid in removed_pids:
            out[(name, "exact_duplicate")] += 1
        else:
            out[(name, "kept")] += 1
            pids[pid].add(lang)
    return out, sum(1 for v in pids.values() if v == {"en", "zu"})


def nested(counts: collections.Counter) -> dict[str, dict[str, int]]:
    """{(file, reason): n} as {file: {reason: n}}, the shape the tests read."""
    files: dict[str, dict[str, int]] = {}
    for (name, reason), n in counts.items():
        files.setdefault(name, {})[reason] = n
    return files


def derive(root: Path) -> dict:
    """The whole expected_counts.json document for the realdata folder `root`."""
    afr_counts, shared = afr(root)
    return {
        "_comment": COMMENT,
        "_afr_parallel_ids_en_zu": shared,
        "afr": nested(afr_counts),
        "aistairc": nested(aistairc(root)),
        "apollo": nested(apollo(root)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--realdata", type=Path, default=DEFAULT_REALDATA, help="the shared realdata folder")
    parser.add_argument("--out", type=Path, default=HERE / "expected_counts.json", help="file to write")
    args = parser.parse_args(argv)
    text = json.dumps(derive(args.realdata), indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
