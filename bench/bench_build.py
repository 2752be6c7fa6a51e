"""Benchmark of `globmed build` (not a test): N parallel rows in the published-translation layout, end to end.

    python bench/bench_build.py                 # N = 500,000 rows over 12 languages, then 2N for scaling
    python bench/bench_build.py --rows 100000 --num-proc 2 --scale 2

Rows are split over three sources like GlobMed's families (MedQA-like mcqa with explanations, MedNLI-like nli,
LiveQA-like lfqa with long answers), with lengths close to the real ones, all 12 languages, parallel ids.
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
from pathlib import Path

LANGS = ["en", "zh", "ja", "ko", "fr", "es", "de", "pt", "sw", "wo", "yo", "zu"]
def _vocabulary() -> dict[str, list[str]]:
    """A few thousand pseudo-words (Latin) and CJK characters: close to real text's shingle diversity."""
    rng = random.Random(1234)
    syllables = [c + v for c in "bcdfghjklmnprstvwyz" for v in "aeiou"]
    latin = sorted({"".join(rng.choices(syllables, k=rng.randint(1, 4))) for _ in range(6000)})
    cjk = [chr(0x4E00 + i) for i in rng.sample(range(20000), 3000)]
    return {"latin": latin, "cjk": cjk}


WORDS = _vocabulary()
SPLITS = (("train", 0.8), ("validation", 0.1), ("test", 0.1))


def _text(rng: random.Random, lang: str, n_words: int) -> str:
    if lang in ("zh", "ja"):
        return "".join(rng.choices(WORDS["cjk"], k=n_words * 2)) + "。"
    words = rng.choices(WORDS["latin"], k=n_words)
    return " ".join(words).capitalize() + "."


def generate(root: Path, rows: int, seed: int = 0) -> Path:
    """Write GlobMed_{MedQA,MedNLI,LiveQA}/<lang>/<split>.json and a sources YAML; returns the YAML path."""
    per_lang = rows // len(LANGS)
    shares = {"MedQA": 0.5, "MedNLI": 0.3, "LiveQA": 0.2}
    for source, share in shares.items():
        items = int(per_lang * share)
        start = 0
        for split, frac in SPLITS:
            count = int(items * frac) if split != "test" else items - start
            for lang in LANGS:
                rng = random.Random(f"{seed}-{source}-{split}-{lang}")
                data = []
                for i in range(start, start + count):
                    sid = f"{source.lower()}-{i:07d}"
                    if source == "MedQA":
                        opts = {k: _text(rng, lang, rng.randint(2, 6)) for k in "ABCD"}
                        key = "ABCD"[i % 4]
                        data.append(
                            {
                                "id": sid,
                                "question": f"{i} " + _text(rng, lang, rng.randint(60, 140)),
                                "options": opts,
                                "answer_idx": key,
                                "answer": opts[key],
                                "explanation": _text(rng, lang, rng.randint(20, 60)),
                            }
                        )
                    elif source == "MedNLI":
                        data.append(
                            {
                                "pairID": sid,
                                "sentence1": f"{i} " + _text(rng, lang, rng.randint(10, 25)),
                                "sentence2": _text(rng, lang, rng.randint(5, 12)),
                                "gold_label": ("entailment", "neutral", "contradiction")[i % 3],
                            }
                        )
                    else:
                        data.append(
                            {
                                "id": sid,
                                "question": f"{i} " + _text(rng, lang, rng.randint(15, 50)),
                                "answer": _text(rng, lang, rng.randint(80, 200)),
                            }
                        )
                path = root / f"GlobMed_{source}" / lang / f"{split}.json"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
            start += count
    sample = Path(__file__).resolve().parents[1] / "dataset_builder" / "sources" / "sample.yaml"
    text = sample.read_text(encoding="utf-8").replace("../sample/", f"{root}/")
    yaml_path = root / "sources.yaml"
    yaml_path.write_text(text, encoding="utf-8")
    return yaml_path


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
            yaml_path = generate(tmp / f"in-{rows}", rows)
            print(f"generated {rows:,} rows in {time.perf_counter() - t:.1f} s", flush=True)
            results[rows] = run_once(yaml_path, tmp / f"out-{rows}", args.num_proc)
            report(f"N={rows:,}, num_proc={args.num_proc}", results[rows])
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
