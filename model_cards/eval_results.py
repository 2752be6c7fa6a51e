"""GlobMed-Bench results in the two formats the Hub reads, built from one `RunResult`.

- `model-index` in the card's front matter, through huggingface_hub's `EvalResult` (one entry per
  `<lang>-<task>` result with its primary metric, plus the run's aggregate scores on config `all`);
- `.eval_results/globmed-bench.yaml`, through `EvalResultEntry` (the Hub's current format: one entry per
  benchmark task, `task_id` = the dataset config, as listed in the dataset's `eval.yaml`).

Scores are written exactly as the results JSON holds them (fractions in [0, 1]), so the checks can compare
every number for equality. Both formats hold point values only; `.eval_results` entries carry the cell's n and
95% bootstrap interval in their free-text `notes` (the format has no interval field).
"""

from __future__ import annotations

from typing import Any

from globmed.results import RunResult
from globmed.tasks import get_task

BENCHMARK_NAME = "GlobMed-Bench"
EVAL_RESULTS_FILE = ".eval_results/globmed-bench.yaml"
# Aggregates reported on config `all`: key in RunResult.aggregates -> metric name shown on the Hub.
AGGREGATE_METRICS = {"overall": "overall", "high_mean": "high_resource_mean", "low_mean": "low_resource_mean"}


def model_index_results(run: RunResult, dataset_id: str) -> list[Any]:
    """`EvalResult`s for the card's model-index."""
    from huggingface_hub import EvalResult

    entries = []
    for config, result in sorted(run.results.items()):
        card = get_task(result.task).card
        entries.append(EvalResult(
            task_type=card.model_index_task, task_name=card.name,
            dataset_type=dataset_id, dataset_name=BENCHMARK_NAME, dataset_config=config, dataset_split="test",
            metric_type=result.primary_metric, metric_name=f"{result.primary_metric} ({config})",
            metric_value=result.score,
        ))
    for key, metric in AGGREGATE_METRICS.items():
        value = run.aggregates.get(key)
        if isinstance(value, (int, float)):
            entries.append(EvalResult(
                task_type="text-generation", task_name=BENCHMARK_NAME, dataset_type=dataset_id,
                dataset_name=BENCHMARK_NAME, dataset_config="all", dataset_split="test",
                metric_type=metric, metric_name=metric.replace("_", " "), metric_value=value,
            ))
    return entries


def eval_result_entries(run: RunResult, dataset_id: str) -> list[Any]:
    """`EvalResultEntry`s for `.eval_results/globmed-bench.yaml`."""
    from huggingface_hub import EvalResultEntry

    date = str(run.provenance.get("date") or "") or None
    backend = run.config.get("backend", "")
    return [
        EvalResultEntry(
            dataset_id=dataset_id, task_id=config, value=result.score, date=date,
            notes=", ".join(part for part in (result.primary_metric, f"n={result.n}", _interval(result),
                                              f"{run.config.get('shots', 0)}-shot", backend) if part),
        )
        for config, result in sorted(run.results.items())
    ]


def _interval(result: Any) -> str:
    """The cell's 95% bootstrap interval for the entry's notes (the format has no field for one), or ""."""
    low = result.metrics.get(f"{result.primary_metric}_ci_low")
    high = result.metrics.get(f"{result.primary_metric}_ci_high")
    return "" if low is None or high is None else f"95% CI {low:.4f}-{high:.4f}"


def eval_results_yaml(run: RunResult, dataset_id: str) -> str:
    import yaml
    from huggingface_hub import eval_result_entries_to_yaml

    entries = eval_result_entries_to_yaml(eval_result_entries(run, dataset_id))
    return yaml.safe_dump(entries, sort_keys=False, allow_unicode=True)
