"""Seeded percentile bootstrap, the aggregate levels it is run on, and the one rule for "significant".

Kept in the kernel because three parts read the same numbers: the benchmark (one run's intervals, and
`bench compare`), the model cards (every score and gain with its interval) and the Space (which may import
only the kernel). A difference counts as significant in all three for one reason only: its 95% interval
excludes the value of no change (`significant`).

Aggregate levels (`summarize`): a cell is one language x task; `per_language` is the mean of a language's
cell scores; `per_task` the mean of a task over languages; `high_mean` / `low_mean` the mean of per-language
scores over the high- / low-resource languages of the registry; `gap` = high_mean - low_mean; `overall` the
mean of per-language scores (every language weighs the same, whatever its size).
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence

import numpy as np

from globmed.languages import get_language, language_codes

DEFAULT_RESAMPLES = 1000
LEVEL = 0.95


def cell_rng(seed: int, name: str) -> np.random.Generator:
    """A generator seeded by (seed, name), so one cell's draws do not move when another cell is added."""
    return np.random.default_rng([seed, zlib.crc32(name.encode("utf-8"))])


def resample_indices(n: int, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """(resamples, n) matrix of item indices drawn with replacement."""
    return rng.integers(0, n, size=(resamples, n))


def interval(draws: np.ndarray, level: float = LEVEL) -> tuple[float, float]:
    """Percentile interval of bootstrap draws."""
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(draws, [tail, 100 - tail])
    return float(low), float(high)


def finite_interval(draws: np.ndarray, level: float = LEVEL) -> tuple[list[float] | None, int]:
    """(interval of the finite draws or None, how many draws were undefined: NaN where a ratio had a 0 base)."""
    finite = draws[np.isfinite(draws)]
    undefined = int(draws.size - finite.size)
    return (list(interval(finite, level)) if finite.size else None), undefined


def significant(ci: Sequence[float] | None, null: float = 0.0) -> bool:
    """The rule: a change is significant when its 95% interval excludes `null` (0 for a difference or a
    relative change, 1 for a fold change). No interval, no claim: without one nothing is significant."""
    return ci is not None and (ci[0] > null or ci[1] < null)


def summarize(cells: Mapping[tuple[str, str], np.ndarray | float]) -> dict[str, object]:
    """Aggregates of cell scores keyed (language, task); values are floats or (B,) arrays of draws."""
    languages = sorted({lang for lang, _ in cells}, key=_registry_order)
    tasks = sorted({task for _, task in cells})
    per_language = {lang: _mean([v for (lg, _), v in cells.items() if lg == lang]) for lang in languages}
    per_task = {task: _mean([v for (_, t), v in cells.items() if t == task]) for task in tasks}
    high = [per_language[x] for x in languages if not get_language(x).low_resource]
    low = [per_language[x] for x in languages if get_language(x).low_resource]
    high_mean = _mean(high) if high else None
    low_mean = _mean(low) if low else None
    gap = high_mean - low_mean if high_mean is not None and low_mean is not None else None
    return {
        "per_language": per_language,
        "per_task": per_task,
        "high_mean": high_mean,
        "low_mean": low_mean,
        "gap": gap,
        "overall": _mean(list(per_language.values())) if per_language else None,
    }


def in_level(language: str, task: str, level: str, key: str | None = None) -> bool:
    """Whether the cell (language, task) counts towards an aggregate of `summarize` ("cell": the one named
    `<language>-<task>`; "gap" and "overall": every cell)."""
    low = get_language(language).low_resource
    return {"cell": f"{language}-{task}" == key, "per_language": language == key, "per_task": task == key,
            "high_mean": not low, "low_mean": low}.get(level, True)


def _mean(values: list) -> np.ndarray | float:
    if isinstance(values[0], np.ndarray):
        return np.mean(np.stack(values), axis=0)
    return float(np.mean(values))


def _registry_order(code: str) -> int:
    codes = language_codes()
    return codes.index(code) if code in codes else len(codes)
