"""Synthetic GlobMed-Bench results, for tests, the Space benchmark and previewing the Space without a GPU.

`python tests/support/synthetic_runs.py OUT_DIR 50` writes 50 plausible runs (12 languages x 3 tasks, CIs, sources,
base/fine-tuned pairs). Scores are random but shaped like the real ones: low-resource languages lower. `--demo` adds
runs shaped like the demo's (`demo_runs`: local folders, long-form QA at 0, a zero gap).
"""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

from globmed.atomic import atomic_write_json
from globmed.languages import all_languages
from globmed.results import SCHEMA_VERSION
from globmed.schema import TASKS

FAMILIES = [("Qwen3", "open"), ("Llama-3.1", "open"), ("Mistral", "open"), ("GPT-4o", "proprietary"),
            ("Claude", "proprietary"), ("Meditron", "medical"), ("BioMistral", "medical")]
SIZES = [1.7, 4.0, 7.0, 8.0, 14.0, 32.0, 70.0]
BACKENDS = ["transformers", "vllm", "openai"]
METRIC = {"mcqa": "acc", "nli": "acc", "lfqa": "rougeL"}
TINY = "globmed-llm-tiny"  # the demo's toy model (globmed.layout.model_dirname("tiny"))
SOURCES = {"mcqa": ["medqa", "medmcqa", "headqa"], "nli": ["bionli", "mednli"], "lfqa": ["liveqa", "expertqa_med"]}


def make_run(index: int, rng: random.Random, *, name: str | None = None, model_type: str | None = None,
             size_b: float | None = -1.0, backend: str | None = None, base_model: str | None = None,
             skill: float | None = None) -> dict[str, Any]:
    """One results dict in the RunResult layout; keyword arguments pin what a test needs."""
    family, family_type = FAMILIES[index % len(FAMILIES)]
    model_type = model_type or family_type
    if size_b == -1.0:
        size_b = None if model_type == "proprietary" else SIZES[index % len(SIZES)]
    name = name or f"{family}-{size_b or 'api'}B-v{index}"
    backend = backend or ("openai" if model_type == "proprietary" else BACKENDS[index % 2])
    skill = rng.uniform(0.35, 0.85) if skill is None else skill
    results, per_language = {}, {}
    for lang in all_languages():
        lang_scores = []
        for task in TASKS:
            penalty = 0.25 if lang.low_resource else 0.0
            score = min(1.0, max(0.0, skill - penalty + rng.uniform(-0.05, 0.05)))
            half = rng.uniform(0.01, 0.05)
            metric = METRIC[task]
            results[f"{lang.code}-{task}"] = {
                "language": lang.code, "task": task, "primary_metric": metric,
                "metrics": {metric: score, f"{metric}_ci_low": max(0.0, score - half),
                            f"{metric}_ci_high": min(1.0, score + half)},
                "n": 200, "unparsed": rng.randint(0, 5),
                "by_source": {src: {metric: min(1.0, max(0.0, score + rng.uniform(-0.05, 0.05))), "n": 100}
                              for src in SOURCES[task][:2]},
            }
            lang_scores.append(score)
        per_language[lang.code] = sum(lang_scores) / len(lang_scores)
    high = [v for code, v in per_language.items() if not _low(code)]
    low = [v for code, v in per_language.items() if _low(code)]
    high_mean, low_mean = sum(high) / len(high), sum(low) / len(low)
    overall = sum(per_language.values()) / len(per_language)
    run_id = f"{name}__2026-11-{1 + index % 28:02d}T00-00-{index % 60:02d}-{index:05d}"
    return {
        "schema_version": SCHEMA_VERSION, "run_id": run_id,
        "model": {"name": name, "path": f"org/{name}", "revision": "main", "type": model_type, "size_b": size_b,
                  "base_model": base_model, "link": ""},
        "config": {"backend": backend, "dtype": "bfloat16", "chat_template": True, "shots": 0,
                   "scoring": "generate", "prompt_version": "1", "tasks": list(TASKS),
                   "languages": list(per_language), "limit": None},
        "dataset": {"path": "release/globmed", "manifest_sha256": "0" * 64},
        "provenance": {"git_commit": "synthetic", "date": "2026-11-25", "globmed_version": "0.1.0",
                       "environment": {}},
        "results": results,
        "aggregates": {"per_language": per_language, "per_task": {}, "high_mean": high_mean, "low_mean": low_mean,
                       "gap": high_mean - low_mean, "overall": overall,
                       "ci": {"overall": [max(0.0, overall - 0.02), min(1.0, overall + 0.02)]}},
    }


def demo_runs(rng: random.Random, root: str = "release") -> list[dict[str, Any]]:
    """The two runs `globmed demo` makes, in shape: the tiny model and its base, benchmarked from local folders
    under the release root `root` (revision "local"), long-form QA scoring 0 everywhere (the toy writes no usable
    long answer), and one "flat" run whose high- and low-resource means are equal (a gap of exactly 0)."""
    runs = []
    specs = [(f"{TINY}-base", "open", None, f"{root}/work/train/{TINY}/base_model", 0.30),
             (TINY, "globmed", f"{TINY}-base", f"{root}/{TINY}", 0.32)]
    for i, (name, model_type, base, path, skill) in enumerate(specs):
        data = make_run(900 + i, rng, name=name, model_type=model_type, size_b=None, backend="transformers",
                        base_model=base, skill=skill)
        data["run_id"] = f"{name}__{rng.getrandbits(40):010x}"
        data["model"].update(path=path, revision="local")
        data["dataset"] = {"path": f"{root}/globmed", "manifest_sha256": "1" * 64}
        for result in data["results"].values():
            if result["task"] == "lfqa":
                result["metrics"] = {"rougeL": 0.0, "rougeL_ci_low": 0.0, "rougeL_ci_high": 0.0}
                result["by_source"] = {src: {"rougeL": 0.0, "n": 100} for src in SOURCES["lfqa"][:2]}
        _reaggregate(data)
        runs.append(data)
    flat = make_run(902, rng, name="Flat-Model-7B", size_b=7.0)
    for result in flat["results"].values():
        metric = result["primary_metric"]
        result["metrics"] = {metric: 0.5, f"{metric}_ci_low": 0.45, f"{metric}_ci_high": 0.55}
        result["by_source"] = {}
    _reaggregate(flat)
    runs.append(flat)
    return runs


def _reaggregate(data: dict[str, Any]) -> None:
    """Recompute a run's aggregates from its cells (as the benchmark does: language means, then group means)."""
    per_language: dict[str, list[float]] = {}
    for result in data["results"].values():
        per_language.setdefault(result["language"], []).append(result["metrics"][result["primary_metric"]])
    means = {code: sum(v) / len(v) for code, v in per_language.items()}
    high = [v for code, v in means.items() if not _low(code)]
    low = [v for code, v in means.items() if _low(code)]
    high_mean, low_mean = sum(high) / len(high), sum(low) / len(low)
    overall = sum(means.values()) / len(means)
    data["aggregates"] = {"per_language": means, "per_task": {}, "high_mean": high_mean, "low_mean": low_mean,
                          "gap": high_mean - low_mean, "overall": overall}


def _low(code: str) -> bool:
    return any(lang.code == code and lang.low_resource for lang in all_languages())


def write_runs(out_dir: Path, count: int, seed: int = 0, demo: bool = False) -> list[Path]:
    """`count` runs, every tenth one a GlobMed fine-tune of the run before it; with `demo`, also `demo_runs`."""
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    runs, previous = [], None
    for i in range(count):
        if previous is not None and i % 10 == 9:
            data = make_run(i, rng, name=f"globmed-llm-{i}", model_type="globmed", size_b=8.0,
                            base_model=previous["model"]["name"], skill=previous["aggregates"]["overall"] + 0.1)
        else:
            data = make_run(i, rng)
        runs.append(data)
        previous = data
    if demo:
        runs += demo_runs(rng)
    paths = []
    for data in runs:
        path = out_dir / f"{data['run_id']}.json"
        atomic_write_json(path, data)
        paths.append(path)
    return paths


if __name__ == "__main__":
    target, number = Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 50
    print(f"wrote {len(write_runs(target, number, demo='--demo' in sys.argv))} runs to {target}")
