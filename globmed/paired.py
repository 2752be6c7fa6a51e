"""A base run A against a tuned run B on the items both answered: gains and headline figures with paired
95% bootstrap intervals, for `globmed bench compare`, the model card and the Space alike.

Figures, over the language x task cells present in both runs (primary metric of each cell):

- average relative improvement (ARI) = mean over cells c with A_c > 0 of (B_c - A_c) / A_c. Cells where A
  scored 0 have no relative change; they are left out and counted (`cells_skipped`).
- low- (high-) resource fold change = mean of B over the low- (high-) resource cells / mean of A over them
  ("more than threefold" means > 3.0); None if A's mean is 0.
- a gain on any aggregate level of `globmed.bootstrap.summarize` (a cell, a language, a task, the high- and
  low-resource means, their gap, overall): B's score minus A's, and B / A - 1.

Intervals: a paired percentile bootstrap over test items. Both runs answered the same items, so A's and B's
scores on an item are correlated; resampling them together (the same indices for A and B) keeps that
correlation, which makes the interval on B - A much tighter than two independent intervals would. Items are
paired by sample id from each run's `<run_id>.samples.jsonl` (whose `score` is the item's primary-metric
score: 0/1 accuracy for mcqa/nli, per-answer ROUGE-L for lfqa; every primary metric is the mean of these),
resampled within each cell with a generator seeded by (seed, cell), and every figure is recomputed on each
replicate. On a replicate where a cell's A mean is 0 that cell drops out of the ARI, as in the point
estimate; a ratio that is undefined on a replicate leaves that replicate out, and the count is reported.
A figure is significant when its interval excludes no change (`globmed.bootstrap.significant`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from globmed.bootstrap import (
    DEFAULT_RESAMPLES,
    cell_rng,
    finite_interval,
    in_level,
    resample_indices,
    significant,
    summarize,
)
from globmed.errors import GlobMedError
from globmed.languages import get_language
from globmed.results import RunResult

DEFAULT_SEED = 1234
# Headline figure -> its value of no change (what its interval must exclude to be significant).
HEADLINES = {"average_relative_improvement": 0.0, "low_resource_fold_change": 1.0, "high_resource_fold_change": 1.0}
# Aggregate levels a gain can be asked for (`PairedRuns.gain`); "cell" is one `<lang>-<task>`.
LEVELS = ("cell", "per_language", "per_task", "high_mean", "low_mean", "gap", "overall")
# A cell's primary score in the results JSON is the mean of its samples' scores, up to float rounding.
_SCORE_TOLERANCE = 1e-6


class SamplesUnusable(Exception):
    """Why per-sample predictions cannot give intervals; shown as one line, point estimates still given."""


@dataclass(frozen=True)
class Estimate:
    """A figure with its 95% paired-bootstrap interval (None: not computed); `null` is its value of no change."""

    value: float | None
    ci: list[float] | None = None
    null: float = 0.0

    @property
    def significant(self) -> bool:
        return self.value is not None and significant(self.ci, self.null)


@dataclass(frozen=True)
class Gain:
    """B against A on one aggregate: both scores, B - A with its interval, B / A - 1, and the paired items."""

    base: float | None
    tuned: float | None
    difference: Estimate
    relative: float | None
    items: int

    @property
    def significant(self) -> bool:
        return self.difference.significant


@dataclass
class PairedRuns:
    """Runs A and B on the cells both hold, with (cells, replicates) matrices of paired cell means when the
    samples files allow it (`note` says why not otherwise)."""

    run_a: RunResult
    run_b: RunResult
    cells: list[str]
    resamples: int = 0
    seed: int = DEFAULT_SEED
    draws_a: np.ndarray | None = None
    draws_b: np.ndarray | None = None
    note: str | None = None
    undefined: dict[str, int] = field(default_factory=dict)

    @classmethod
    def build(cls, a: RunResult, b: RunResult, samples_a: Path | None = None, samples_b: Path | None = None,
              resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED) -> PairedRuns:
        """Pair two runs; intervals need both samples files and `resamples` > 0, else point estimates only."""
        cells = sorted(set(a.results) & set(b.results))
        if not cells:
            raise GlobMedError(f"runs {a.run_id} and {b.run_id} share no language-task results to compare")
        paired = cls(a, b, cells, resamples, seed)
        if resamples <= 0:
            paired.note = "bootstrap skipped (0 replicates, `--bootstrap 0`); point estimates only"
        elif samples_a is None or samples_b is None:
            paired.note = "no confidence intervals: per-sample predictions not given; point estimates only"
        else:
            try:
                paired._draw(load_samples(samples_a), load_samples(samples_b))
            except SamplesUnusable as why:
                paired.note = f"no confidence intervals: {why}; point estimates only"
        return paired

    def _draw(self, samples_a: dict[str, dict[str, float]], samples_b: dict[str, dict[str, float]]) -> None:
        scores_a = paired_scores(samples_a, self.run_a, self.cells)
        scores_b = paired_scores(samples_b, self.run_b, self.cells)
        for cell in self.cells:
            if scores_a[cell][0] != scores_b[cell][0]:
                only_a = len(set(scores_a[cell][0]) - set(scores_b[cell][0]))
                only_b = len(set(scores_b[cell][0]) - set(scores_a[cell][0]))
                raise SamplesUnusable(
                    f"cell {cell} was not run on the same items ({only_a} sample ids only in A, {only_b} only in B); "
                    "items cannot be paired"
                )
        self.draws_a = np.empty((len(self.cells), self.resamples))
        self.draws_b = np.empty((len(self.cells), self.resamples))
        for row, cell in enumerate(self.cells):
            xa, xb = scores_a[cell][1], scores_b[cell][1]
            indices = resample_indices(xa.size, self.resamples, cell_rng(self.seed, f"compare-{cell}"))
            self.draws_a[row] = xa[indices].mean(axis=1)
            self.draws_b[row] = xb[indices].mean(axis=1)

    @property
    def has_intervals(self) -> bool:
        return self.draws_a is not None

    @property
    def paired_items(self) -> int:
        return sum(self.run_a.results[cell].n for cell in self.cells)

    @cached_property
    def _points(self) -> tuple[np.ndarray, np.ndarray]:
        return (np.array([self.run_a.results[c].score for c in self.cells]),
                np.array([self.run_b.results[c].score for c in self.cells]))

    @cached_property
    def _summaries(self) -> tuple[dict, dict, dict | None, dict | None]:
        keys = [(self.run_a.results[c].language, self.run_a.results[c].task) for c in self.cells]
        point_a, point_b = self._points

        def summary(values) -> dict:
            return summarize(dict(zip(keys, values, strict=True)))

        if not self.has_intervals:
            return summary(point_a), summary(point_b), None, None
        return summary(point_a), summary(point_b), summary(list(self.draws_a)), summary(list(self.draws_b))

    def gain(self, level: str, key: str | None = None) -> Gain:
        """B against A on one aggregate: `gain("per_language", "sw")`, `gain("cell", "sw-mcqa")`, `gain("overall")`."""
        if level not in LEVELS:
            raise ValueError(f"level {level!r} is not one of {', '.join(LEVELS)}")
        base, tuned, draws_a, draws_b = self._values(level, key)
        if base is None or tuned is None:
            return Gain(None, None, Estimate(None), None, 0)
        ci = None if draws_a is None else finite_interval(np.asarray(draws_b) - np.asarray(draws_a))[0]
        relative = (tuned - base) / base if base > 0 and level != "gap" else None  # a gap has no "relative"
        cells = [self.run_a.results[c] for c in self.cells]
        items = sum(r.n for r in cells if in_level(r.language, r.task, level, key))
        return Gain(float(base), float(tuned), Estimate(float(tuned - base), ci), relative, items)

    def _values(self, level: str, key: str | None) -> tuple:
        """(A's point, B's point, A's draws, B's draws) of one aggregate; draws are None without intervals."""
        if level == "cell":
            if key not in self.cells:
                return None, None, None, None
            row = self.cells.index(key)
            point_a, point_b = self._points
            if not self.has_intervals:
                return point_a[row], point_b[row], None, None
            return point_a[row], point_b[row], self.draws_a[row], self.draws_b[row]

        def at(summary: dict | None):
            value = None if summary is None else summary[level]
            return value.get(key) if isinstance(value, dict) else value

        return tuple(at(summary) for summary in self._summaries)

    def headlines(self) -> dict[str, Estimate]:
        """ARI and the two fold changes, each with its interval (where samples allowed one)."""
        low = np.array([get_language(self.run_a.results[c].language).low_resource for c in self.cells])
        point_a, point_b = self._points
        points = headline_matrix(point_a[:, None], point_b[:, None], low)
        draws = headline_matrix(self.draws_a, self.draws_b, low) if self.has_intervals else None
        out = {}
        for name, null in HEADLINES.items():
            value = float(points[name][0]) if np.isfinite(points[name][0]) else None
            ci = None
            if draws is not None:
                ci, self.undefined[name] = finite_interval(draws[name])
            out[name] = Estimate(value, ci if value is not None else None, null)
        return out

    @property
    def cells_skipped(self) -> int:
        """Cells left out of the ARI because A scored 0 there."""
        return int((self._points[0] <= 0).sum())


def figure_text(name: str, figure: Estimate) -> str:
    """A headline figure as the CLI and the cards print it: `+12.9%  (95% CI -0.6% to +108.2%; not significant:
    includes +0.0%)` for the ARI, `1.07x  (...)` for a fold change; without an interval, the value alone."""

    def fmt(value: float | None) -> str:
        if value is None:
            return "n/a"
        return f"{value:.2f}x" if HEADLINES[name] == 1.0 else f"{value * 100:+.1f}%"

    if figure.ci is None:
        return fmt(figure.value)
    verdict = "significant" if figure.significant else f"not significant: includes {fmt(figure.null)}"
    return f"{fmt(figure.value)}  (95% CI {fmt(figure.ci[0])} to {fmt(figure.ci[1])}; {verdict})"


def headline_matrix(means_a: np.ndarray, means_b: np.ndarray, low: np.ndarray) -> dict[str, np.ndarray]:
    """The headline figures of each column of (cells, replicates) matrices of cell scores; NaN where undefined."""
    positive = means_a > 0
    relative = np.divide(means_b - means_a, means_a, out=np.zeros_like(means_a), where=positive)
    counted = positive.sum(axis=0)
    ari = np.where(counted > 0, relative.sum(axis=0) / np.maximum(counted, 1), np.nan)

    def fold(mask: np.ndarray) -> np.ndarray:
        if not mask.any():
            return np.full(means_a.shape[1], np.nan)
        mean_a, mean_b = means_a[mask].mean(axis=0), means_b[mask].mean(axis=0)
        return np.divide(mean_b, mean_a, out=np.full_like(mean_a, np.nan), where=mean_a > 0)

    return {
        "average_relative_improvement": ari,
        "low_resource_fold_change": fold(low),
        "high_resource_fold_change": fold(~low),
    }


def samples_path(results_json: str | Path, run: RunResult) -> Path:
    """`<run_id>.samples.jsonl` beside the results JSON (named after the file, else after the run id)."""
    results_json = Path(results_json)
    by_file = results_json.with_name(f"{results_json.stem}.samples.jsonl")
    by_id = results_json.with_name(f"{run.run_id}.samples.jsonl")
    return by_file if by_file.exists() or not by_id.exists() else by_id


def load_samples(path: Path) -> dict[str, dict[str, float]]:
    """{"<lang>-<task>": {sample id: primary score}} from a samples JSONL; problems raise `SamplesUnusable`."""
    if not path.exists():
        raise SamplesUnusable(f"per-sample predictions {path} not found")
    cells: dict[str, dict[str, float]] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise SamplesUnusable(f"cannot read {path} ({err})") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            row = json.loads(line)
            cell, sample_id, score = f"{row['language']}-{row['task']}", str(row["id"]), row["score"]
        except json.JSONDecodeError as err:
            raise SamplesUnusable(f"{where}: not JSON ({err.msg})") from None
        except (KeyError, TypeError) as err:
            raise SamplesUnusable(f"{where}: a sample needs id, language, task and score (missing {err})") from None
        if isinstance(score, bool) or not isinstance(score, (int, float)) or not 0.0 <= score <= 1.0:
            raise SamplesUnusable(f"{where}: score {score!r} is not a number in [0, 1]")
        if sample_id in cells.setdefault(cell, {}):
            raise SamplesUnusable(f"{where}: sample id {sample_id!r} appears twice in cell {cell}")
        cells[cell][sample_id] = float(score)
    return cells


def paired_scores(
    samples: dict[str, dict[str, float]], run: RunResult, cells: list[str]
) -> dict[str, tuple[list[str], np.ndarray]]:
    """Per cell, the sorted sample ids and their scores (sorting by id is what pairs A's items with B's).

    The samples must be the ones the results were computed from: same count and same mean per cell.
    """
    out: dict[str, tuple[list[str], np.ndarray]] = {}
    for cell in cells:
        result = run.results[cell]
        items = samples.get(cell, {})
        ids = sorted(items)
        scores = np.array([items[i] for i in ids], dtype=float)
        mean = float(scores.mean()) if ids else 0.0
        if len(ids) != result.n or (ids and not math.isclose(mean, result.score, abs_tol=_SCORE_TOLERANCE)):
            raise SamplesUnusable(
                f"the samples of run {run.run_id} do not match its results in cell {cell} "
                f"({len(ids)} samples with mean {mean:.6f}; results say n={result.n}, "
                f"{result.primary_metric}={result.score:.6f})"
            )
        out[cell] = (ids, scores)
    return out
