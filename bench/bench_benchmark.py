"""Benchmark (not a test): `globmed bench` vs lm-evaluation-harness, whole processes, real prompts.

Data: real exam files from ../shared/realdata built with `globmed build` (bench/bench_benchmark_sources.yaml),
then cut to the first 1,000 English MedQA items and the first 100 Spanish, Chinese and Zulu items; the few-shot
pool is each language's validation split (for es and zh, whose dev items are all duplicates of test items,
the 20 test items after the kept ones). Model: a random-initialised Qwen3 (hidden 256, 4 layers, ~5M
parameters) with a byte-level BPE tokenizer trained on the prompts, so forward passes dominate and tokens per
word look like a real model's. Both harnesses read the same parquet files and see byte-identical prompts (the
lm-eval tasks are exported by `globmed bench export-lmeval`).

Each harness runs from its own CLI as a separate process (`globmed bench ...`, `lm_eval run ...` through
bench/lm_eval_timed.py, which only adds timers), once per batch size of the sweep (1, 8, 32, auto), 0-shot and
5-shot. Reported per run: wall time, scoring-loop time, the share of it inside the model's forward calls, peak
RSS; per shot count: each harness at its best batch size, and whether all runs predict the same letter for
every item (and how far the log-likelihoods differ). Targets (issue 14): 0-shot wall >= 2x lm-eval's, loop
>= 1.1x, >= 90% of our scoring time in forward; 5-shot wall >= 3x; identical predictions; our `auto` within
5% of our best fixed batch size; wall time minus our scoring loop <= 5 s.

    make bench-bench                         # everything (about 23 minutes on 2 idle cores)
    .venv/bin/python bench/bench_benchmark.py --shots 0 --batch-sizes 8,auto --harness globmed
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out" / "bench_benchmark"
SOURCES = ROOT / "bench" / "bench_benchmark_sources.yaml"
ITEMS = {"en": 1000, "es": 100, "zh": 100, "zu": 100}
POOL_FROM_TEST = 20  # few-shot pool cut from test items after the kept ones, where a language has no validation
MODEL_SHAPE = {
    "vocab_size": 8192,
    "hidden_size": 256,
    "num_layers": 4,
    "num_heads": 4,
    "num_kv_heads": 2,
    "intermediate_size": 768,
    "max_positions": 4096,
}
VENV_BIN = Path(sys.executable).parent
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "HF_DATASETS_OFFLINE": "1"}


# -- inputs ----------------------------------------------------------------------------------------------------
def prepare_dataset(work: Path) -> Path:
    """Build the real files with `globmed build`, then keep the first ITEMS[lang] test items of each language."""
    import pyarrow.parquet as pq

    dataset = work / "globmed"
    if (dataset / "README.md").exists():
        return dataset
    build = work / "build"
    subprocess.run(
        [str(VENV_BIN / "globmed"), "build", "--sources", str(SOURCES), "--out", str(build), "--overwrite",
         "--no-progress"],
        check=True, env=ENV, stdout=subprocess.DEVNULL,
    )
    built = build / "globmed"
    for language, count in ITEMS.items():
        test = pq.read_table(next((built / "data" / language / "mcqa").glob("test-*.parquet")))
        if test.num_rows < count:
            raise SystemExit(f"{built}: {language} has {test.num_rows} test items, the benchmark needs {count}")
        validation = sorted((built / "data" / language / "mcqa").glob("validation-*.parquet"))
        pool = pq.read_table(validation[0]) if validation else test.slice(count, POOL_FROM_TEST)
        folder = dataset / "data" / language / "mcqa"
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(test.slice(0, count), folder / "test-00000-of-00001.parquet")
        pq.write_table(pool, folder / "validation-00000-of-00001.parquet")
    shutil.copy(built / "README.md", dataset / "README.md")
    return dataset


def prepare_model(work: Path, dataset: Path) -> tuple[Path, int]:
    """The ~5M-parameter Qwen3 (built once; seeded) and its parameter count."""
    from benchmark.prompts import load_prompts
    from globmed.data import load_split
    from globmed.tiny_model import build_tiny_model

    model = work / "model"
    if not (model / "config.json").exists():
        texts = []
        for language in ITEMS:
            prompts = load_prompts(language)
            for split in ("test", "validation"):
                rows = load_split(dataset, split, language, "mcqa")
                texts += [prompts.build("mcqa", doc) + " A B C D" for doc in rows]
        build_tiny_model(model, texts=texts, **MODEL_SHAPE)
    config = json.loads((model / "config.json").read_text())
    hidden, layers, vocab = config["hidden_size"], config["num_hidden_layers"], config["vocab_size"]
    kv = config["num_key_value_heads"] * config["head_dim"]
    per_layer = 2 * hidden * hidden + 2 * hidden * kv + 3 * hidden * config["intermediate_size"]
    return model, vocab * hidden + layers * per_layer  # tied embeddings; norms left out


def export_tasks(work: Path, dataset: Path) -> Path:
    tasks = work / "lm_eval_tasks"
    subprocess.run(
        [str(VENV_BIN / "globmed"), "bench", "export-lmeval", "--dataset", str(dataset), "--out", str(tasks),
         "--languages", ",".join(ITEMS), "--tasks", "mcqa", "--overwrite"],
        check=True, env=ENV, stdout=subprocess.DEVNULL,
    )
    return tasks


# -- runs ------------------------------------------------------------------------------------------------------
def timed_process(argv: list[str], env: dict[str, str], log: Path) -> tuple[float, float]:
    """Run one whole process; its wall seconds and peak RSS (MiB, from the kernel's rusage of that child)."""
    started = time.perf_counter()
    with log.open("w") as handle:
        proc = subprocess.Popen(argv, env=env, stdout=handle, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv[:3])} ... failed (exit {os.waitstatus_to_exitcode(status)}); see {log}")
    return wall, usage.ru_maxrss / 1024


def run_globmed(model: Path, dataset: Path, shots: int, batch: str, out: Path) -> dict:
    argv = [str(VENV_BIN / "globmed"), "bench", "--model", str(model), "--name", "bench", "--dataset", str(dataset),
            "--tasks", "mcqa", "--languages", ",".join(ITEMS), "--shots", str(shots), "--batch-size", batch,
            "--device", "cpu", "--dtype", "float32", "--chat-template", "off", "--out", str(out), "--overwrite"]
    wall, rss = timed_process(argv, ENV, out.with_suffix(".log"))
    (result,) = (p for p in out.glob("*__*.json"))
    timings = json.loads(result.read_text())["config"]["backend_details"]["timings"]
    samples = [json.loads(line) for line in result.with_suffix(".samples.jsonl").read_text().splitlines()]
    return {
        "wall_s": wall, "peak_rss_mib": rss, "scoring_s": timings["scoring_s"], "forward_s": timings["forward_s"],
        "predictions": {s["id"]: s["prediction"] for s in samples},
        "logprobs": {s["id"]: s["logprobs"] for s in samples},
    }


def run_lm_eval(model: Path, tasks: Path, shots: int, batch: str, out: Path) -> dict:
    timings_file = out.with_suffix(".timings.json")
    argv = [sys.executable, str(ROOT / "bench" / "lm_eval_timed.py"), "run", "--model", "hf",
            "--model_args", f"pretrained={model},dtype=float32", "--tasks", *[f"globmed_{x}_mcqa" for x in ITEMS],
            "--include_path", str(tasks), "--num_fewshot", str(shots), "--batch_size", batch, "--device", "cpu",
            "--log_samples", "--output_path", str(out)]
    wall, rss = timed_process(argv, {**ENV, "GLOBMED_BENCH_TIMINGS": str(timings_file)}, out.with_suffix(".log"))
    timings = json.loads(timings_file.read_text())
    predictions, logprobs = {}, {}
    for path in out.rglob("samples_*.jsonl"):
        for line in path.read_text().splitlines():
            sample = json.loads(line)
            scores = [float(resp[0]) for resp in sample["filtered_resps"]]
            predictions[sample["doc"]["id"]] = max(range(len(scores)), key=scores.__getitem__)
            logprobs[sample["doc"]["id"]] = scores
    return {"wall_s": wall, "peak_rss_mib": rss, "scoring_s": timings["scoring_s"],
            "forward_s": timings["forward_s"], "predictions": predictions, "logprobs": logprobs}


def prompt_lengths(model: Path, shots: int) -> dict[str, int]:
    """Tokens per prompt of the runs at this shot count (from one of our samples files)."""
    from transformers import AutoTokenizer

    samples = next((OUT / "runs").glob(f"globmed-s{shots}-b*/*.samples.jsonl"))
    tokenizer = AutoTokenizer.from_pretrained(model)
    lengths = sorted(len(ids) for ids in tokenizer(
        [json.loads(line)["prompt"] for line in samples.read_text().splitlines()])["input_ids"])
    pick = lambda q: lengths[min(len(lengths) - 1, int(q * len(lengths)))]  # noqa: E731
    return {"n": len(lengths), "p10": pick(0.1), "median": pick(0.5), "p90": pick(0.9), "max": lengths[-1],
            "mean": round(statistics.fmean(lengths))}


# -- report ----------------------------------------------------------------------------------------------------
def agreement(runs: dict[str, dict]) -> dict:
    """Every run against the first: items compared, differing predictions, largest log-likelihood gap."""
    names = list(runs)
    reference = runs[names[0]]
    out = {"reference": names[0], "runs": {}}
    for name in names[1:]:
        run = runs[name]
        common = sorted(set(reference["predictions"]) & set(run["predictions"]))
        gaps = [abs(a - b) for k in common for a, b in zip(reference["logprobs"][k], run["logprobs"][k], strict=True)]
        out["runs"][name] = {
            "compared": len(common),
            "missing": len(set(reference["predictions"]) ^ set(run["predictions"])),
            "disagreements": sum(reference["predictions"][k] != run["predictions"][k] for k in common),
            "max_logprob_gap": max(gaps, default=0.0),
        }
    return out


def summarise(shots: int, runs: dict[str, dict]) -> dict:
    def best(harness: str) -> str | None:
        mine = [name for name in runs if name.startswith(harness)]
        return min(mine, key=lambda n: runs[n]["wall_s"]) if mine else None

    ours, theirs = best("globmed"), best("lm-eval")
    summary: dict = {"shots": shots, "best_globmed": ours, "best_lm_eval": theirs}
    if ours and theirs:
        summary["wall_speedup"] = runs[theirs]["wall_s"] / runs[ours]["wall_s"]
        summary["loop_speedup"] = runs[theirs]["scoring_s"] / runs[ours]["scoring_s"]
    if ours:
        summary["forward_share"] = runs[ours]["forward_s"] / runs[ours]["scoring_s"]
        summary["outside_loop_s"] = runs[ours]["wall_s"] - runs[ours]["scoring_s"]
        fixed = [n for n in runs if n.startswith("globmed") and not n.endswith("auto")]
        if "globmed b=auto" in runs and fixed:
            best_fixed = min(runs[n]["wall_s"] for n in fixed)
            summary["auto_vs_best_fixed"] = runs["globmed b=auto"]["wall_s"] / best_fixed
    summary["agreement"] = agreement(runs)
    return summary


def table(shots: int, runs: dict[str, dict]) -> str:
    lines = [f"{shots}-shot | wall s | scoring loop s | in forward | peak RSS MiB",
             "---|---|---|---|---"]
    for name, run in runs.items():
        lines.append(f"{name} | {run['wall_s']:.1f} | {run['scoring_s']:.1f} | "
                     f"{run['forward_s'] / run['scoring_s']:.0%} | {run['peak_rss_mib']:.0f}")
    return "\n".join(lines)


def verdicts(summaries: list[dict]) -> list[str]:
    lines = []
    for s in summaries:
        checks = []
        if s["shots"] == 0 and "wall_speedup" in s:
            checks += [("wall >= 2x lm-eval", s["wall_speedup"] >= 2, f"{s['wall_speedup']:.2f}x"),
                       ("loop >= 1.1x lm-eval", s["loop_speedup"] >= 1.1, f"{s['loop_speedup']:.2f}x")]
        if s["shots"] == 0 and "forward_share" in s:
            checks.append(("scoring time in forward >= 90%", s["forward_share"] >= 0.9, f"{s['forward_share']:.0%}"))
            checks.append(("wall minus scoring loop <= 5 s", s["outside_loop_s"] <= 5, f"{s['outside_loop_s']:.1f} s"))
        if s["shots"] > 0 and "wall_speedup" in s:
            checks.append((f"{s['shots']}-shot wall >= 3x lm-eval", s["wall_speedup"] >= 3,
                           f"{s['wall_speedup']:.2f}x"))
        if "auto_vs_best_fixed" in s:
            checks.append(("auto within 5% of best fixed batch", s["auto_vs_best_fixed"] <= 1.05,
                           f"{s['auto_vs_best_fixed']:.3f}"))
        disagreements = sum(r["disagreements"] + r["missing"] for r in s["agreement"]["runs"].values())
        checks.append(("identical predictions in all runs", disagreements == 0, f"{disagreements} differ"))
        lines += [f"{s['shots']}-shot: {name}: {'met' if ok else 'NOT met'} ({value})" for name, ok, value in checks]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shots", default="0,5", help="shot counts to run (default 0,5)")
    parser.add_argument("--batch-sizes", default="1,8,32,auto", help="the sweep, for both harnesses")
    parser.add_argument("--harness", choices=("both", "globmed", "lm-eval"), default="both")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    dataset = prepare_dataset(OUT)
    model, params = prepare_model(OUT, dataset)
    tasks = export_tasks(OUT, dataset)
    runs_dir = OUT / "runs"
    runs_dir.mkdir(exist_ok=True)
    report: dict = {"model": {**MODEL_SHAPE, "parameters": params}, "items": ITEMS, "cpu_count": os.cpu_count(),
                    "runs": {}, "summaries": [], "prompt_tokens": {}}
    tables = []
    for shots in [int(x) for x in args.shots.split(",")]:
        runs: dict[str, dict] = {}
        for batch in args.batch_sizes.split(","):
            for harness in ("globmed", "lm-eval"):
                if args.harness not in ("both", harness):
                    continue
                out = runs_dir / f"{harness.replace('-', '')}-s{shots}-b{batch}"
                shutil.rmtree(out, ignore_errors=True)  # bench/out is this script's scratch
                run = (run_globmed(model, dataset, shots, batch, out) if harness == "globmed"
                       else run_lm_eval(model, tasks, shots, batch, out))
                runs[f"{harness} b={batch}"] = run
                print(f"{shots}-shot {harness} batch {batch}: wall {run['wall_s']:.1f}s, loop {run['scoring_s']:.1f}s, "
                      f"forward {run['forward_s']:.1f}s, peak RSS {run['peak_rss_mib']:.0f} MiB", flush=True)
        if args.harness != "lm-eval":
            report["prompt_tokens"][shots] = prompt_lengths(model, shots)
        report["summaries"].append(summarise(shots, runs))
        report["runs"][shots] = {n: {k: v for k, v in r.items() if k not in ("predictions", "logprobs")}
                                 for n, r in runs.items()}
        tables.append(table(shots, runs))
    lines = verdicts(report["summaries"])
    report["verdicts"] = lines
    (OUT / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    (OUT / "report.md").write_text("\n\n".join(tables) + "\n\n" + "\n".join(f"- {x}" for x in lines) + "\n")
    print(json.dumps({k: report[k] for k in ("model", "items", "prompt_tokens", "summaries")}, indent=2))
    print("\n\n".join(tables))
    print("\n".join(lines))
    return 0 if all(": met" in line for line in lines) else 1


if __name__ == "__main__":
    raise SystemExit(main())
