"""The GlobMed-Bench results file: one JSON per run, the contract between the benchmark, cards and Space.

Layout (keys documented in `RunResult`):

    {
      "schema_version": 1,
      "run_id": "globmed-llm-tiny__2026-11-25T13-00-00",
      "model": {"name": ..., "revision": ..., "type": "open", "size_b": 0.01, "base_model": null, ...},
      "config": {"backend": "transformers", "dtype": "float32", "chat_template": true, "shots": 0,
                 "scoring": "loglikelihood", "prompt_version": "1", "tasks": [...], "languages": [...], ...},
      "dataset": {"path": "release/globmed", "manifest_sha256": "..."},
      "provenance": {"git_commit": ..., "date": ..., "globmed_version": ..., "environment": {...}},
      "results": {"sw-mcqa": {"language": "sw", "task": "mcqa", "primary_metric": "acc",
                              "metrics": {"acc": 0.41, "acc_ci_low": 0.3, "acc_ci_high": 0.52},
                              "n": 30, "unparsed": 2, "by_source": {"medqa": {"acc": 0.41, "n": 30}}}},
      "aggregates": {"per_language": {"sw": 0.41, ...}, "per_task": {"mcqa": ...},
                     "high_mean": ..., "low_mean": ..., "gap": ..., "overall": ...,
                     "ci": {"overall": [lo, hi], "high_mean": [...], "low_mean": [...], "gap": [...]}}
    }

`results` is keyed by task name `<language>-<task>` (the dataset config name), then by metric, as
lm-evaluation-harness keys `results[task][metric]`. Every score is in [0, 1]. Per-sample predictions are in
`<run_id>.samples.jsonl` beside the JSON.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from globmed.errors import GlobMedError

SCHEMA_VERSION = 1
MODEL_TYPES = ("proprietary", "open", "medical", "globmed")


@dataclass
class ModelInfo:
    name: str = field(metadata={"help": 'display name, e.g. "Qwen3-8B" (default: the model folder or id)'})
    path: str = field(default="", metadata={"help": "what was loaded: local folder, Hub id or API model name"})
    revision: str = field(default="", metadata={"help": 'Hub commit or "local"'})
    type: str = field(
        default="open", metadata={"help": "kind of model", "choices": MODEL_TYPES, "flag": "--model-type"}
    )
    size_b: float | None = field(
        default=None, metadata={"help": "parameters in billions; none for undisclosed API models"}
    )
    base_model: str | None = field(default=None, metadata={"help": "for fine-tunes: the name of the base model's run"})
    link: str = field(default="", metadata={"help": "URL of the model card"})


@dataclass
class TaskResult:
    language: str
    task: str
    primary_metric: str
    metrics: dict[str, float]  # metric -> value; `<metric>_ci_low` / `_ci_high` for the 95% bootstrap CI
    n: int
    unparsed: int = 0  # generations from which no answer could be extracted (scored as wrong)
    by_source: dict[str, dict[str, float]] = field(default_factory=dict)
    judge_unparsed: int = 0  # lfqa: judge replies without a rating (scored 0); added compatibly, default 0

    @property
    def score(self) -> float:
        return self.metrics[self.primary_metric]


@dataclass
class RunResult:
    model: ModelInfo
    config: dict[str, Any]
    dataset: dict[str, Any]
    provenance: dict[str, Any]
    results: dict[str, TaskResult]
    aggregates: dict[str, Any]
    run_id: str = ""
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any], origin: str = "results") -> RunResult:
        """Parse and validate; errors name the file (`origin`) and the bad key."""
        try:
            if data.get("schema_version") != SCHEMA_VERSION:
                raise ValueError(f"schema_version must be {SCHEMA_VERSION}, got {data.get('schema_version')!r}")
            model = ModelInfo(**data["model"])
            results = {name: TaskResult(**value) for name, value in data["results"].items()}
            run = cls(
                model=model,
                config=dict(data["config"]),
                dataset=dict(data["dataset"]),
                provenance=dict(data["provenance"]),
                results=results,
                aggregates=dict(data["aggregates"]),
                run_id=str(data.get("run_id", "")),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise GlobMedError(f"{origin}: not a GlobMed-Bench results file ({type(err).__name__}: {err})") from None
        run.validate(origin)
        return run

    def validate(self, origin: str = "results") -> None:
        if self.model.type not in MODEL_TYPES:
            raise GlobMedError(f"{origin}: model.type {self.model.type!r} is not one of {', '.join(MODEL_TYPES)}")
        if not self.model.name:
            raise GlobMedError(f"{origin}: model.name is empty")
        for name, result in self.results.items():
            if result.primary_metric not in result.metrics:
                raise GlobMedError(f"{origin}: results[{name}] lacks its primary metric {result.primary_metric!r}")
            for metric, value in result.metrics.items():
                if not isinstance(value, (int, float)) or math.isnan(value) or not 0.0 <= value <= 1.0:
                    raise GlobMedError(f"{origin}: results[{name}][{metric}] = {value!r} is not a number in [0, 1]")
            if result.n < 0 or result.unparsed < 0 or result.unparsed > result.n:
                counts = f"n={result.n} unparsed={result.unparsed}"
                raise GlobMedError(f"{origin}: results[{name}] has inconsistent counts {counts}")

    @classmethod
    def load(cls, path: str | Path) -> RunResult:
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise GlobMedError(f"{path}: cannot read results JSON ({err})") from None
        if not isinstance(data, dict):
            raise GlobMedError(f"{path}: results JSON must be an object")
        return cls.from_dict(data, origin=str(path))

    def score(self, language: str, task: str) -> float | None:
        result = self.results.get(f"{language}-{task}")
        return None if result is None else result.score


def load_results_dir(folder: str | Path) -> list[RunResult]:
    """Every `*.json` results file in a folder (not recursive), sorted by run_id."""
    runs = [RunResult.load(p) for p in sorted(Path(folder).glob("*.json"))]
    return sorted(runs, key=lambda run: run.run_id)
