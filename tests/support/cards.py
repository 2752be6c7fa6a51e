"""Synthetic inputs that follow the release contracts, for tests and for trying the cards without a real build.

`write_dataset_contract` turns a folder of `data/<lang>/<task>/<split>-*.parquet` files into a dataset folder
(README `configs` + `dataset_info`, `build_report.json`, `MANIFEST.json`) with every count read from the parquet
files; `synthetic_run` makes a GlobMed-Bench `RunResult` with given per-language scores.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

from globmed.atomic import atomic_write_json, sha256_file
from globmed.languages import get_language, known_language_codes
from globmed.schema import SPLITS, TASKS

SOURCES = [
    {"id": "medqa", "name": "MedQA", "task": "mcqa", "license": "MIT", "homepage": "https://github.com/jind11/MedQA",
     "citation": "@article{jin2021medqa, title={What Disease does this Patient Have?}, year={2021}}"},
    {"id": "mednli", "name": "MedNLI", "task": "nli", "license": "PhysioNet-DUA", "homepage": "",
     "citation": "@inproceedings{romanov2018mednli, title={Lessons from Natural Language Inference}, year={2018}}"},
    {"id": "liveqa", "name": "LiveQA", "task": "lfqa", "license": "CC-BY-4.0", "homepage": "", "citation": ""},
]


def write_dataset_contract(folder: Path) -> Path:
    """Write README.md, build_report.json and MANIFEST.json for the parquet files already under folder/data."""
    import datasets
    import pyarrow.parquet as pq

    from globmed.schema import features

    folder = Path(folder)
    counts: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    files: dict[str, dict[str, Any]] = {}
    provenance: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob("data/*/*/*.parquet")):
        lang, task, name = path.relative_to(folder / "data").parts
        split = name.split("-", 1)[0]
        rows = pq.ParquetFile(path).metadata.num_rows
        _count_provenance(provenance.setdefault(lang, _no_provenance()), pq.read_table(path, columns=["translation"]))
        counts[lang][task][split] = counts[lang][task].get(split, 0) + rows
        files[path.relative_to(folder).as_posix()] = {"sha256": sha256_file(path), "rows": rows}
    langs = [code for code in known_language_codes() if code in counts]  # registry order, as the builder writes
    configs: list[dict[str, Any]] = [{"config_name": "all", "default": True, "data_files": _data_files("*", "*")}]
    configs += [{"config_name": code, "data_files": _data_files(code, "*")} for code in langs]
    configs += [{"config_name": task, "data_files": _data_files("*", task)} for task in TASKS]
    configs += [
        {"config_name": f"{code}-{task}", "data_files": _data_files(code, task)}
        for code in langs for task in TASKS if task in counts[code]
    ]
    info = datasets.DatasetInfo(features=features())._to_yaml_dict()
    front = yaml.safe_dump({"configs": configs, "dataset_info": info}, sort_keys=False, allow_unicode=True)
    (folder / "README.md").write_text(f"---\n{front}---\n# GlobMed (synthetic)\n", encoding="utf-8")
    kept = sum(n for by_task in counts.values() for splits in by_task.values() for n in splits.values())
    report = {
        "counts": {lang: {task: dict(s) for task, s in by_task.items()} for lang, by_task in counts.items()},
        "rows_read": kept + 7, "rows_kept": kept, "rows_rejected": 7,
        "rejects_by_reason": {"multiple_answers": 4, "empty_question": 3},
        "rejects_by_source": {"medqa": 7},
        "dedup": {"exact_removed": 2, "near_removed": 1}, "decontamination": {"removed": 1},
        "sources": [{**src, "languages": langs} for src in SOURCES],
        "languages": langs, "config": {"sources": "synthetic"}, "provenance": provenance,
    }
    atomic_write_json(folder / "build_report.json", report)
    atomic_write_json(folder / "MANIFEST.json", {"files": files, "inputs": {}})
    return folder


def _no_provenance() -> dict[str, Any]:
    return {"rows": 0, "methods": {}, "models": {}, "qc_scored": 0, "qc_mean": None, "reviewed": 0,
            "expert_scored": 0, "expert_means": {"accuracy": None, "fluency": None, "completeness": None},
            "rejected": {}, "minimal_pairs": 0}


def _count_provenance(slot: dict[str, Any], table) -> None:
    """Add one parquet file's rows to a language's `provenance` block (no expert scores: not a column)."""
    for info in table.column("translation").to_pylist():
        slot["rows"] += 1
        slot["methods"][info["method"]] = slot["methods"].get(info["method"], 0) + 1
        if info["model"]:
            by_model = slot["models"].setdefault(info["method"], {})
            by_model[info["model"]] = by_model.get(info["model"], 0) + 1
        slot["reviewed"] += bool(info["reviewed"])


def _data_files(lang: str, task: str) -> list[dict[str, str]]:
    return [{"split": split, "path": f"data/{lang}/{task}/{split}-*.parquet"} for split in SPLITS]


def training_info(model_name: str = "globmed-llm-tiny", size: str = "tiny", base_model: str = "Qwen/Qwen3-1.7B",
                  languages: list[str] | None = None) -> dict[str, Any]:
    """A `globmed_training.json` as the trainer writes it."""
    languages = languages or ["en", "fr", "sw", "yo"]
    return {
        "model_name": model_name, "size": size, "base_model": base_model, "method": "lora",
        "recipe": "training/recipes/globmed-llm-tiny/sft/config_lora.yaml",
        "hyperparameters": {"learning_rate": 2e-4, "num_train_epochs": 1, "lora_r": 8, "lora_alpha": 16,
                            "per_device_train_batch_size": 4, "max_length": 256, "seed": 42},
        "dataset": {"path": "release/globmed", "manifest_sha256": "ab" * 32},
        "mixture": {lang: {"rows": 100, "weight": 1.0} for lang in languages},
        "languages": languages, "train_rows": 100 * len(languages), "train_loss": 2.31, "eval_loss": 2.45,
        "versions": {"transformers": "5.24.0", "trl": "1.16.0", "peft": "0.21.0", "torch": "2.13.0"},
        "license": "apache-2.0", "date": "2026-11-25",
    }


def write_training_info(model_dir: Path, **kwargs: Any) -> Path:
    path = Path(model_dir) / "globmed_training.json"
    atomic_write_json(path, training_info(**kwargs))
    return path


def synthetic_run(name: str, scores: dict[str, float], *, base_model: str | None = None, model_type: str = "open",
                  run_id: str | None = None, tasks: tuple[str, ...] = ("mcqa", "nli")):
    """A RunResult whose every task of a language scores `scores[lang]` (task k adds k/100 to tell tasks apart)."""
    from globmed.results import ModelInfo, RunResult, TaskResult

    results = {}
    for lang, score in scores.items():
        for k, task in enumerate(tasks):
            value = round(min(1.0, score + k / 100), 4)
            results[f"{lang}-{task}"] = TaskResult(
                language=lang, task=task, primary_metric="acc", n=40, unparsed=1,
                metrics={"acc": value, "acc_ci_low": max(0.0, value - 0.1), "acc_ci_high": min(1.0, value + 0.1)},
            )
    per_language = {lang: sum(r.score for r in results.values() if r.language == lang) / len(tasks) for lang in scores}
    high = [v for lang, v in per_language.items() if get_language(lang).resource == "high"]
    low = [v for lang, v in per_language.items() if get_language(lang).resource == "low"]
    high_mean = sum(high) / len(high) if high else None
    low_mean = sum(low) / len(low) if low else None
    aggregates = {
        "per_language": per_language,
        "per_task": {t: sum(r.score for r in results.values() if r.task == t) / len(scores) for t in tasks},
        "high_mean": high_mean, "low_mean": low_mean,
        "gap": None if high_mean is None or low_mean is None else high_mean - low_mean,
        "overall": sum(per_language.values()) / len(per_language),
    }
    aggregates["ci"] = _spread(aggregates)
    return RunResult(
        model=ModelInfo(name=name, path=name, revision="local", type=model_type, size_b=0.01, base_model=base_model),
        config={"backend": "transformers", "shots": 0, "scoring": "loglikelihood", "prompt_version": "1",
                "tasks": list(tasks), "languages": list(scores)},
        dataset={"path": "release/globmed", "manifest_sha256": "ab" * 32},
        provenance={"git_commit": "0" * 40, "date": "2026-11-25T13:00:00Z", "globmed_version": "0.1.0"},
        results=results, aggregates=aggregates, run_id=run_id or f"{name}__2026-11-25T13-00-00",
    )


def _spread(aggregates: dict[str, Any], half: float = 0.05) -> dict[str, Any]:
    """Placeholder intervals (value ± half, clipped) in the `aggregates.ci` layout; the gap may be negative."""
    def around(value: float, low: float = 0.0) -> list[float]:
        return [max(low, value - half), min(1.0, value + half)]

    ci: dict[str, Any] = {key: around(aggregates[key], -1.0 if key == "gap" else 0.0)
                          for key in ("overall", "high_mean", "low_mean", "gap") if aggregates[key] is not None}
    ci["per_language"] = {lang: around(v) for lang, v in aggregates["per_language"].items()}
    ci["per_task"] = {task: around(v) for task, v in aggregates["per_task"].items()}
    return ci


def write_run(folder: Path, run) -> Path:
    path = Path(folder) / f"{run.run_id}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(run.to_dict(), indent=2), encoding="utf-8")
    return path


def write_samples(folder: Path, run, offsets: dict[str, list[float]] | None = None) -> Path:
    """`<run_id>.samples.jsonl` whose items average to each cell's score, as `globmed bench` writes it.

    Item k of a cell scores `score + offsets[cell][k]` (the offsets must sum to 0 and keep scores in [0, 1]);
    by default alternately score ± 0.3 (clipped symmetrically), so the items vary and intervals have width.
    Item ids are the same for every run, so two runs written here pair item by item.
    """
    rows = []
    for config, result in sorted(run.results.items()):
        spread = min(0.3, result.score, 1 - result.score)
        shifts = (offsets or {}).get(config) or [spread if k % 2 == 0 else -spread for k in range(result.n)]
        if len(shifts) != result.n or abs(sum(shifts)) > 1e-9:
            raise ValueError(f"{config}: need {result.n} offsets summing to 0")
        rows += [{"id": f"{config}-{k:04d}", "language": result.language, "task": result.task,
                  "score": result.score + shift} for k, shift in enumerate(shifts)]
    path = Path(folder) / f"{run.run_id}.samples.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def write_space_source(folder: Path) -> Path:
    """An assembled Space folder (README.md, requirements.txt, space_app/, core modules) from the kit's app."""
    from globmed_kit.release import DEFAULT_SPACE_SOURCE, copy_space_code

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    copy_space_code(DEFAULT_SPACE_SOURCE, folder)
    return folder


def make_release_root(root: Path, model_source: Path, dataset_source: Path,
                      base_model: str = "Qwen/Qwen3-1.7B") -> Path:
    """A release root as the builder, trainer and benchmark leave it: dataset, tiny model, two runs."""
    import shutil

    root = Path(root)
    shutil.copytree(Path(dataset_source) / "data", root / "globmed" / "data")
    write_dataset_contract(root / "globmed")
    model = root / "globmed-llm-tiny"
    shutil.copytree(model_source, model)
    langs = ["en", "fr", "sw", "yo"]
    write_training_info(model, base_model=base_model, languages=langs)
    results = root / "results"
    for run in (synthetic_run("globmed-llm-tiny-base", {"en": 0.5, "fr": 0.45, "sw": 0.2, "yo": 0.1}),
                synthetic_run("globmed-llm-tiny", {"en": 0.6, "fr": 0.55, "sw": 0.4, "yo": 0.3},
                              base_model="globmed-llm-tiny-base", model_type="globmed")):
        write_run(results, run)
        write_samples(results, run)
    return root
