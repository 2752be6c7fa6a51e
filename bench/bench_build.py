"""Benchmark of `globmed build` (not a test): N parallel rows in the published-translation layout, end to end.

    python bench/bench_build.py                 # N = 500,000 rows over 12 languages, then 2N for scaling
    python bench/bench_build.py --rows 100000 --num-proc 2 --scale 2

Rows are split over three sources like GlobMed's families (MedQA-like mcqa with explanations, MedNLI-like nli,
LiveQA-like lfqa with long answers), with lengths close to the real ones, all 12 languages, parallel ids.
MedQA and LiveQA are JSON arrays, MedNLI is JSON Lines. Like real exports, the input is not clean: 9% of the
rows are injected at fixed positions of every 100 items, the same in every language: exact duplicates and
near-duplicates (a word changed, same answer) of the previous row, minimal pairs (a word changed, another
answer: kept), and bad rows (malformed JSON line or row, empty question, missing answer, answer not among the
options, too few options). The report's rejects per reason and minimal pairs are set against what was injected.
Reports wall time, CPU time (other processes share the machine), rows/s and peak RSS per stage.
Targets (issue 2): 500k rows <= 60 s on 2 cores, <= 4 GB RSS, doubling rows <= 2.2x the time.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import yaml

LANGS = ["en", "zh", "ja", "ko", "fr", "es", "de", "pt", "sw", "wo", "yo", "zu"]


def _vocabulary() -> dict[str, list[str]]:
    """A few thousand pseudo-words (Latin, and Hangul for Korean) and CJK characters (with kana for Japanese): close
    to real text's shingle diversity, each language in its own script (the build rejects a question that is not)."""
    rng = random.Random(1234)
    syllables = [c + v for c in "bcdfghjklmnprstvwyz" for v in "aeiou"]
    latin = sorted({"".join(rng.choices(syllables, k=rng.randint(1, 4))) for _ in range(6000)})
    cjk = [chr(0x4E00 + i) for i in rng.sample(range(20000), 3000)]
    kana = [chr(0x3041 + i) for i in range(83)]  # hiragana
    hangul = sorted({"".join(chr(0xAC00 + rng.randrange(11172)) for _ in range(rng.randint(1, 3)))
                     for _ in range(6000)})
    return {"latin": latin, "cjk": cjk, "ja": cjk + kana, "hangul": hangul}


WORDS = _vocabulary()
SPLITS = (("train", 0.8), ("validation", 0.1), ("test", 0.1))
FORMATS = {"MedQA": "json", "MedNLI": "jsonl", "LiveQA": "json"}
NLI_LABELS = ("entailment", "neutral", "contradiction")
# position in each block of 100 items -> what that item is; the item before an injected one is always clean
INJECT = {10: "exact_duplicate", 50: "exact_duplicate", 20: "near_duplicate", 60: "near_duplicate",
          30: "minimal_pair", 70: "minimal_pair", 40: "bad_row", 80: "bad_row", 90: "bad_row"}
# bad rows cycle through the kinds that apply to the source's task, block by block
BAD_KINDS = {
    "MedQA": ("malformed", "empty_question", "missing_answer", "answer_not_among_options", "too_few_options"),
    "MedNLI": ("malformed", "empty_question", "missing_answer", "answer_not_among_options"),
    "LiveQA": ("malformed", "empty_question", "missing_answer"),
}
# the reject reason each bad kind must get; a missing answer field was malformed_row before issue 10's
# contract made it no_answer, so either is accepted
EXPECTED_REASON = {"malformed": ("malformed_row",), "empty_question": ("empty_question",),
                   "missing_answer": ("no_answer", "malformed_row"),
                   "answer_not_among_options": ("answer_not_among_options",), "too_few_options": ("too_few_options",)}
ANSWER_FIELD = {"MedQA": "answer_idx", "MedNLI": "gold_label", "LiveQA": "answer"}
QUESTION_FIELD = {"MedQA": "question", "MedNLI": "sentence2", "LiveQA": "question"}


def _text(rng: random.Random, lang: str, n_words: int) -> str:
    if lang in ("zh", "ja"):
        return "".join(rng.choices(WORDS["cjk" if lang == "zh" else "ja"], k=n_words * 2)) + "。"
    words = rng.choices(WORDS["hangul" if lang == "ko" else "latin"], k=n_words)
    return " ".join(words).capitalize() + "."


def _other(rng: random.Random, pool: list[str], current: str) -> str:
    """A random entry of `pool` that differs from `current` (an unchanged word would make an exact copy)."""
    while (pick := rng.choice(pool)) == current:
        pass
    return pick


def _one_word_changed(rng: random.Random, lang: str, text: str) -> str:
    """The text with one word (Latin) or one character (CJK) replaced, away from the start (the item number)."""
    if lang in ("zh", "ja"):
        at = rng.randrange(len(text) // 2, len(text) - 1)
        return text[:at] + _other(rng, WORDS["cjk" if lang == "zh" else "ja"], text[at]) + text[at + 1:]
    words = text.split(" ")
    at = rng.randrange(len(words) // 2, len(words))
    dot = "." if words[at].endswith(".") else ""
    words[at] = _other(rng, WORDS["hangul" if lang == "ko" else "latin"], words[at].removesuffix(dot).casefold()) + dot
    return " ".join(words)


def _row(source: str, i: int, sid: str, rng: random.Random, lang: str) -> dict:
    """One clean item, in the source's own field names."""
    if source == "MedQA":
        opts = {k: _text(rng, lang, rng.randint(2, 6)) for k in "ABCD"}
        key = "ABCD"[i % 4]
        return {"id": sid, "question": f"{i} " + _text(rng, lang, rng.randint(60, 140)), "options": opts,
                "answer_idx": key, "answer": opts[key], "explanation": _text(rng, lang, rng.randint(20, 60))}
    if source == "MedNLI":
        return {"pairID": sid, "sentence1": f"{i} " + _text(rng, lang, rng.randint(10, 25)),
                "sentence2": _text(rng, lang, rng.randint(5, 12)), "gold_label": NLI_LABELS[i % 3]}
    return {"id": sid, "question": f"{i} " + _text(rng, lang, rng.randint(15, 50)),
            "answer": _text(rng, lang, rng.randint(80, 200))}


def _injected(source: str, kind: str, prev: dict, sid: str, rng: random.Random, lang: str, bad: str):
    """The row of an injected kind, derived from the previous (clean) row; a str is a malformed line/row."""
    id_field = "pairID" if source == "MedNLI" else "id"
    row = {**prev, id_field: sid}
    question, answer = QUESTION_FIELD[source], ANSWER_FIELD[source]
    if kind in ("near_duplicate", "minimal_pair"):
        row[question] = _one_word_changed(rng, lang, prev[question])
    if kind == "minimal_pair":  # the same item but for one word, and another correct answer
        if source == "MedQA":
            row["answer_idx"] = "ABCD"[("ABCD".index(prev["answer_idx"]) + 1) % 4]
            row["answer"] = row["options"][row["answer_idx"]]
        elif source == "MedNLI":
            row["gold_label"] = NLI_LABELS[(NLI_LABELS.index(prev["gold_label"]) + 1) % 3]
        else:
            row["answer"] = _text(rng, lang, rng.randint(80, 200))
    if kind == "bad_row":
        if bad == "malformed":  # a JSON line cut short (JSON Lines) or a bare string in a JSON array
            return json.dumps(row, ensure_ascii=False)[:-7] if FORMATS[source] == "jsonl" else "<row lost in export>"
        if bad == "empty_question":
            row[question] = "  "
        elif bad == "missing_answer":
            del row[answer]
        elif bad == "answer_not_among_options":
            row[answer] = "E" if source == "MedQA" else "undetermined"
        elif bad == "too_few_options":
            row["options"] = {"A": prev["options"]["A"]}
    return row


def _write(path: Path, rows: list, fmt: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "json":
        path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    else:
        lines = (r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def generate(root: Path, rows: int, seed: int = 0) -> tuple[Path, Counter[str]]:
    """Write GlobMed_{MedQA,MedNLI,LiveQA}/<lang>/<split>.json[l] and a sources YAML; returns the YAML path and
    the rows written per kind ("clean", "exact_duplicate", ..., "bad:<kind>")."""
    per_lang = rows // len(LANGS)
    shares = {"MedQA": 0.5, "MedNLI": 0.3, "LiveQA": 0.2}
    kinds: Counter[str] = Counter()
    for source, share in shares.items():
        items = int(per_lang * share)
        start = 0
        for split, frac in SPLITS:
            count = int(items * frac) if split != "test" else items - start
            for lang in LANGS:
                rng = random.Random(f"{seed}-{source}-{split}-{lang}")
                data: list = []
                for i in range(start, start + count):
                    sid = f"{source.lower()}-{i:07d}"
                    kind = INJECT.get(i % 100) if data else None  # the first row of a file has no previous row
                    if kind is None:
                        data.append(_row(source, i, sid, rng, lang))
                        kinds["clean"] += 1
                        continue
                    bad = BAD_KINDS[source][(i // 100) % len(BAD_KINDS[source])]
                    data.append(_injected(source, kind, data[-1], sid, rng, lang, bad))
                    kinds[f"bad:{bad}" if kind == "bad_row" else kind] += 1
                suffix = "jsonl" if FORMATS[source] == "jsonl" else "json"
                _write(root / f"GlobMed_{source}" / lang / f"{split}.{suffix}", data, FORMATS[source])
            start += count
    sample = Path(__file__).resolve().parents[1] / "dataset_builder" / "sources" / "sample.yaml"
    config = yaml.safe_load(sample.read_text(encoding="utf-8").replace("../sample/", f"{root}/"))
    for spec in config["sources"]:
        if spec["id"] == "mednli":
            spec.update(format="jsonl", files="{lang}/{split}.jsonl")
    yaml_path = root / "sources.yaml"
    yaml_path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return yaml_path, kinds


def run_once(yaml_path: Path, out: Path, num_proc: int) -> dict:
    """Build in a child process so peak RSS is this build's alone."""
    code = (
        "import json,sys,time,resource\n"
        "from dataset_builder.pipeline import run_build\n"
        "t=time.perf_counter()\n"
        f"r=run_build({str(yaml_path)!r},{str(out)!r},{{'num_proc':{num_proc}}},progress=False)\n"
        "wall=time.perf_counter()-t\n"
        "ru=resource.getrusage(resource.RUSAGE_SELF); rc=resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(json.dumps({'wall':wall,'cpu':ru.ru_utime+ru.ru_stime+rc.ru_utime+rc.ru_stime,"
        "'rss_mb':max(ru.ru_maxrss,rc.ru_maxrss)/1024,'rows_read':r.report['rows_read'],"
        "'rows_kept':r.report['rows_kept'],'rejects':r.report['rejects_by_reason'],"
        "'dedup':r.report['dedup'],'minimal_pairs':r.report['minimal_pairs']['count'],"
        "'stages':[s.__dict__ for s in r.stages]}))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    if proc.returncode:
        sys.stderr.write(proc.stderr)
        raise SystemExit(proc.returncode)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def report(label: str, res: dict) -> None:
    print(
        f"\n== {label}: {res['rows_read']:,} rows read, {res['rows_kept']:,} kept; "
        f"wall {res['wall']:.1f} s, CPU {res['cpu']:.1f} s, {res['rows_read'] / res['wall']:,.0f} rows/s, "
        f"peak RSS {res['rss_mb']:,.0f} MB"
    )
    print(f"   {'stage':<12} {'wall s':>8} {'cpu s':>8} {'rows':>10} {'rows/s':>12} {'peak RSS MB':>12}")
    for st in res["stages"]:
        rate = st["rows"] / st["seconds"] if st["seconds"] else 0
        print(
            f"   {st['name']:<12} {st['seconds']:>8.2f} {st['cpu_seconds']:>8.2f} {st['rows']:>10,} "
            f"{rate:>12,.0f} {st['peak_rss_mb']:>12,.0f}"
        )
    if res["rejects"]:
        print(f"   rejects: {res['rejects']}")
    print(f"   dedup: {res['dedup']}; minimal pairs listed: {res['minimal_pairs']:,}")


def compare(kinds: Counter[str], res: dict) -> None:
    """What was injected (share of the rows written) next to what the build report says about it."""
    total, rejects = sum(kinds.values()), res["rejects"]
    print(f"   {'injected':<32} {'rows':>9} {'share':>6}  -> build report")
    for kind, n in sorted(kinds.items()):
        if kind == "clean":
            continue
        if kind.startswith("bad:"):
            got = " or ".join(f"{r} {rejects.get(r, 0):,}" for r in EXPECTED_REASON[kind[4:]])
        elif kind == "minimal_pair":
            got = f"minimal_pairs {res['minimal_pairs']:,} listed ({res['minimal_pairs'] / n:.1%}), none removed"
        else:
            got = f"{kind} {rejects.get(kind, 0):,} ({rejects.get(kind, 0) / n:.1%})"
        print(f"   {kind:<32} {n:>9,} {n / total:>6.2%}  -> {got}")
    injected = total - kinds["clean"]
    print(f"   {'all injected':<32} {injected:>9,} {injected / total:>6.2%}")
    bad = sum(n for k, n in kinds.items() if k.startswith("bad:"))
    rejected = sum(rejects.get(r, 0) for r in {r for rs in EXPECTED_REASON.values() for r in rs})
    print(f"   bad rows: {bad:,} injected, {rejected:,} rejected for those reasons "
          f"({'match' if bad == rejected else 'MISMATCH'})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--num-proc", type=int, default=1, help="--num-proc of the build (1 was fastest here)")
    parser.add_argument("--scale", type=float, default=2.0, help="second run with rows*scale (0 to skip)")
    parser.add_argument("--keep", action="store_true", help="keep the generated data")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-build-"))
    try:
        results = {}
        for rows in [args.rows] + ([int(args.rows * args.scale)] if args.scale else []):
            t = time.perf_counter()
            yaml_path, kinds = generate(tmp / f"in-{rows}", rows)
            print(f"generated {rows:,} rows in {time.perf_counter() - t:.1f} s", flush=True)
            results[rows] = run_once(yaml_path, tmp / f"out-{rows}", args.num_proc)
            report(f"N={rows:,}, num_proc={args.num_proc}", results[rows])
            compare(kinds, results[rows])
            shutil.rmtree(tmp / f"in-{rows}", ignore_errors=True)
        if len(results) == 2:
            (small, rs), (big, rb) = sorted(results.items())
            print(
                f"\nscaling: {big / small:.1f}x rows -> {rb['wall'] / rs['wall']:.2f}x wall time, "
                f"{rb['cpu'] / rs['cpu']:.2f}x CPU time (target for 2x rows: <= 2.2x)"
            )
        print(
            f"\nmachine: {os.cpu_count()} CPUs visible; load average {os.getloadavg()[0]:.1f}; "
            f"bench process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
        )
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
