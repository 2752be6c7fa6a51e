"""Language-balanced training mixture.

GlobMed has far fewer rows in some languages than others, and proportional sampling would let the
high-resource languages dominate. The mixture gives each language a share p_l, then samples that many rows:

- temperature:  p_l ~ n_l^(1/T)   (T=1 proportional, large T close to uniform; as in multilingual MT/LM work)
- weights:      p_l ~ weights[l]  (explicit shares; a language not listed gets 1.0)
- proportional: p_l ~ n_l
then low-resource languages are multiplied by `low_resource_upsample` and the shares renormalised. A language
asked for more rows than it has is repeated (whole copies, then a seeded sample of the rest): upsampling.
Nothing is dropped silently: the plan lists available rows, chosen rows and the repeat factor per language.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from globmed.errors import GlobMedError
from globmed.languages import get_language

logger = logging.getLogger(__name__)


@dataclass
class LanguageShare:
    language: str
    available: int
    rows: int
    weight: float  # share of the mixture, sums to 1 over languages

    @property
    def repeat(self) -> float:
        return self.rows / self.available if self.available else 0.0


@dataclass
class MixturePlan:
    strategy: str
    shares: dict[str, LanguageShare] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        return sum(s.rows for s in self.shares.values())

    def as_json(self) -> dict[str, dict[str, float | int]]:
        return {lang: {"rows": s.rows, "weight": round(s.weight, 6)} for lang, s in self.shares.items()}

    def table(self) -> str:
        """A fixed-width table for the log: what will be trained on, before training starts."""
        lines = [f"mixture ({self.strategy}), {self.total_rows} rows",
                 f"{'lang':<5} {'res':<4} {'available':>9} {'rows':>7} {'share':>7} {'repeat':>7}"]
        for lang, s in self.shares.items():
            res = "low" if get_language(lang).low_resource else "high"
            lines.append(f"{lang:<5} {res:<4} {s.available:>9} {s.rows:>7} {s.weight:>7.1%} {s.repeat:>6.2f}x")
        return "\n".join(lines)


def mixture_weights(
    counts: dict[str, int],
    strategy: str = "temperature",
    temperature: float = 1.0,
    weights: dict[str, float] | None = None,
    low_resource_upsample: float = 1.0,
) -> dict[str, float]:
    """Shares per language (sum 1) from row counts; languages with no rows get 0."""
    unknown = sorted(set(weights or {}) - set(counts))
    if unknown:
        raise GlobMedError(f"data.weights names languages not in the training data: {', '.join(unknown)}")
    raw = {}
    for lang, n in counts.items():
        if n <= 0:
            raw[lang] = 0.0
            continue
        if strategy == "temperature":
            value = float(n) ** (1.0 / temperature)
        elif strategy == "weights":
            value = float((weights or {}).get(lang, 1.0))
            if value < 0:
                raise GlobMedError(f"data.weights.{lang} must be >= 0, got {value}")
        elif strategy == "proportional":
            value = float(n)
        else:
            raise GlobMedError(f"unknown mixture strategy {strategy!r}")
        if get_language(lang).low_resource:
            value *= low_resource_upsample
        raw[lang] = value
    total = sum(raw.values())
    if total <= 0:
        raise GlobMedError("the training mixture is empty: no language has rows (check data.languages/data.tasks)")
    return {lang: value / total for lang, value in raw.items()}


def plan_mixture(counts: dict[str, int], total_rows: int | None = None, **kwargs) -> MixturePlan:
    """Rows per language from the shares, rounded so they add up to `total_rows` exactly."""
    shares = mixture_weights(counts, **kwargs)
    total = total_rows if total_rows is not None else sum(counts.values())
    if total <= 0:
        raise GlobMedError(f"data.total_rows must be > 0, got {total}")
    exact = {lang: shares[lang] * total for lang in counts}
    rows = {lang: int(np.floor(v)) for lang, v in exact.items()}
    # largest remainders get the rows left over by flooring (deterministic tie-break by language order)
    leftover = total - sum(rows.values())
    for lang in sorted(exact, key=lambda k: (-(exact[k] - rows[k]), list(counts).index(k)))[:leftover]:
        rows[lang] += 1
    plan = MixturePlan(strategy=kwargs.get("strategy", "temperature"))
    for lang in counts:
        plan.shares[lang] = LanguageShare(lang, counts[lang], rows[lang] if counts[lang] else 0, shares[lang])
    return plan


def sample_indices(available: int, rows: int, rng: np.random.Generator) -> np.ndarray:
    """`rows` indices into `available` rows: whole shuffled copies, then a sample without replacement."""
    if available == 0 or rows == 0:
        return np.zeros(0, dtype=np.int64)
    copies, rest = divmod(rows, available)
    parts = [rng.permutation(available) for _ in range(copies)]
    parts.append(rng.choice(available, size=rest, replace=False))
    return np.concatenate(parts).astype(np.int64)


def build_mixture(dataset, plan: MixturePlan, seed: int = 42):
    """Select the planned rows from a dataset with a `language` column; shuffled, seeded."""
    rng = np.random.default_rng(seed)
    languages = np.asarray(dataset["language"])
    chosen = []
    for lang, share in plan.shares.items():
        positions = np.flatnonzero(languages == lang)
        if len(positions) != share.available:
            raise GlobMedError(f"mixture plan expects {share.available} {lang} rows, the data has {len(positions)}")
        chosen.append(positions[sample_indices(share.available, share.rows, rng)])
    order = np.concatenate(chosen) if chosen else np.zeros(0, dtype=np.int64)
    order = order[rng.permutation(len(order))]
    return dataset.select(order.tolist())


def count_languages(dataset) -> dict[str, int]:
    counts: dict[str, int] = {}
    for lang in dataset["language"]:
        counts[lang] = counts.get(lang, 0) + 1
    return counts
