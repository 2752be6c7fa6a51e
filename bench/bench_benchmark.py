"""Benchmark (not a test): `globmed bench` vs lm-evaluation-harness on the same tiny model and 1,000 mcqa items.

Both harnesses read the same parquet files and see byte-identical prompts (the lm-eval tasks are exported
from our templates). Reported: wall time of each (model load included, dataset already built), their ratio,
and prediction agreement (argmax over the option letters' log-likelihoods, item by item).
Target: >= 2x faster, identical predictions. Run with `make bench-bench`; figures go to bench/out/.
"""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out" / "bench_benchmark"
LANGUAGES = ["en", "zh", "ja", "ko", "fr", "es", "de", "pt", "sw", "wo"]  # 10 x 100 = 1,000 items
PER_LANGUAGE = 100
WORDS = [
    "fever",
    "cough",
    "insulin",
    "renal",
    "hepatic",
    "cardiac",
    "dose",
    "tablet",
    "chronic",
    "acute",
    "pain",
    "infection",
    "antibiotic",
    "pressure",
    "glucose",
    "therapy",
    "diagnosis",
    "patient",
    "symptom",
    "blood",
]


def build_dataset(root: Path) -> None:
    from datasets import Dataset

    from globmed.schema import Record, features

    rng = random.Random(0)
    for lang in LANGUAGES:
        for split, count in (("test", PER_LANGUAGE), ("validation", 4)):
            rows = []
            for i in range(count):
                question = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 60))) + "?"
                n = rng.choice([4, 4, 5])
                options = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 6))) for _ in range(n)]
                index = rng.randrange(n)
                rows.append(
                    Record(
                        id=f"bench:{split}-{i}:{lang}",
                        parallel_id=f"bench:{split}-{i}",
                        language=lang,
                        task="mcqa",
                        source="bench",
                        context="",
                        question=question,
                        options=options,
                        answer_index=index,
                        answer=options[index],
                    ).to_row()
                )
            path = root / "data" / lang / "mcqa" / f"{split}-00000-of-00001.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            Dataset.from_list(rows, features=features()).to_parquet(str(path))
    (root / "README.md").write_text("---\nconfigs: []\n---\n# bench dataset\n")


def training_texts(dataset: Path) -> list[str]:
    """Tokenizer corpus: the prompts' own words, so tokens per word look like a real model's (not bytes)."""
    import yaml

    from benchmark.prompts import load_prompts
    from globmed.data import load_split

    texts = []
    for lang in LANGUAGES:
        prompts = load_prompts(lang)
        texts += [yaml.safe_dump(prompts.templates, allow_unicode=True)] * 20
        for doc in load_split(dataset, "test", lang, "mcqa"):
            texts.append(prompts.build("mcqa", doc) + " A B C D E")
    return texts


def run_globmed(model: Path, dataset: Path, results: Path) -> tuple[float, dict[str, int]]:
    from benchmark.backends import BackendConfig
    from benchmark.runner import RunConfig, run
    from globmed.results import ModelInfo

    started = time.perf_counter()
    path = run(
        RunConfig(
            model=ModelInfo(name="tiny", path=str(model)),
            dataset=str(dataset),
            tasks=["mcqa"],
            languages=LANGUAGES,
            out=str(results),
            overwrite=True,
            resamples=1000,
            backend_config=BackendConfig(model=str(model), chat_template="off", device="cpu", dtype="float32"),
        )
    )
    elapsed = time.perf_counter() - started
    samples = [json.loads(line) for line in path.with_suffix(".samples.jsonl").read_text().splitlines()]
    return elapsed, {s["id"]: s["prediction"] for s in samples}


def run_lm_eval(model: Path, tasks_dir: Path) -> tuple[float, dict[str, int]]:
    import lm_eval
    from lm_eval.tasks import TaskManager

    started = time.perf_counter()
    out = lm_eval.simple_evaluate(
        model="hf",
        model_args=f"pretrained={model},dtype=float32",
        tasks=[f"globmed_{x}_mcqa" for x in LANGUAGES],
        task_manager=TaskManager(include_path=str(tasks_dir)),
        device="cpu",
        batch_size=64,
        log_samples=True,
    )
    elapsed = time.perf_counter() - started
    predictions = {}
    for samples in out["samples"].values():
        for sample in samples:
            scores = [resp[0] for resp in sample["filtered_resps"]]
            predictions[sample["doc"]["id"]] = max(range(len(scores)), key=scores.__getitem__)
    return elapsed, predictions


def main() -> int:
    import importlib.util

    if importlib.util.find_spec("lm_eval") is None:
        print("lm-eval is not installed: run `make bench-bench` (installs it into .venv)", file=sys.stderr)
        return 2
    import torch

    from benchmark.lmeval.export import export
    from globmed.tiny_model import build_tiny_model

    torch.set_num_threads(max(1, torch.get_num_threads()))
    OUT.mkdir(parents=True, exist_ok=True)
    dataset = OUT / "globmed"
    if not (dataset / "README.md").exists():
        build_dataset(dataset)
    model = build_tiny_model(OUT / "tiny-model", texts=training_texts(dataset), vocab_size=4096)
    tasks_dir = OUT / "lm_eval_tasks"
    export(str(dataset), tasks_dir, LANGUAGES, ["mcqa"], overwrite=True)  # bench/out is this script's scratch

    ours_s, ours = run_globmed(model, dataset, OUT / "results")
    theirs_s, theirs = run_lm_eval(model, tasks_dir)
    common = sorted(set(ours) & set(theirs))
    agree = sum(ours[k] == theirs[k] for k in common)
    report = {
        "items": len(ours),
        "items_lm_eval": len(theirs),
        "compared": len(common),
        "agreement": agree / len(common),
        "disagreements": len(common) - agree,
        "globmed_bench_s": round(ours_s, 2),
        "lm_eval_s": round(theirs_s, 2),
        "speedup": round(theirs_s / ours_s, 2),
        "device": "cpu",
        "torch_threads": torch.get_num_threads(),
    }
    (OUT / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    ok = report["speedup"] >= 2 and report["disagreements"] == 0 and len(common) == len(ours) == 1000
    print("target (>= 2x faster, identical predictions):", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
