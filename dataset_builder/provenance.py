"""Where each language's rows came from, counted at build time for `build_report.json` ("provenance").

The dataset card's "How it was built" states what happened to this build's rows, per language, from this
block alone (no parquet re-read): rows by translation method and the model(s) named for each, automatic quality
scores, reviewed rows and the mean expert scores where review sheets were imported (`globmed review import`
stores them in a row's `translation.expert`, which the builder keeps for this count but does not write as a
column), rejects by reason, and the minimal pairs kept. A step that no row went through shows as zero.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from dataset_builder.review.sheets import SCORES

EXPERT_SCORES = tuple(score.lower() for score in SCORES)  # accuracy, fluency, completeness: integers 1-5


def expert_scores(provenance: dict[str, Any] | None) -> dict[str, int] | None:
    """A row's imported expert scores, when its `translation.expert` holds all three as integers 1-5."""
    expert = (provenance or {}).get("expert")
    if not isinstance(expert, dict):
        return None
    scores = {key: expert.get(key) for key in EXPERT_SCORES}
    valid = all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 5 for v in scores.values())
    return scores if valid else None  # type: ignore[return-value]


def provenance_report(records: list[dict[str, Any]], rejects: list[dict[str, Any]],
                      minimal_pairs: list[list[str]]) -> dict[str, dict[str, Any]]:
    """{language: its provenance}, languages sorted, every key present (zero when nothing happened)."""
    rows: Counter[str] = Counter()
    methods: dict[str, Counter[str]] = defaultdict(Counter)
    models: dict[str, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    reviewed: Counter[str] = Counter()
    qc: dict[str, list[float]] = defaultdict(list)
    expert: dict[str, list[dict[str, int]]] = defaultdict(list)
    paired_ids = {first for first, _ in minimal_pairs}
    language_of = {}  # of the first id of each minimal pair only (dedup runs per language: both ids share it)
    for rec in records:
        lang, info = rec["language"], rec["translation"]
        rows[lang] += 1
        methods[lang][info["method"]] += 1
        if info["model"]:
            models[lang][info["method"]][info["model"]] += 1
        reviewed[lang] += bool(info["reviewed"])
        if info["qc_score"] >= 0:
            qc[lang].append(info["qc_score"])
        if info.get("expert"):
            expert[lang].append(info["expert"])
        if rec["id"] in paired_ids:
            language_of[rec["id"]] = lang
    rejected: dict[str, Counter[str]] = defaultdict(Counter)
    for rej in rejects:
        if rej.get("language"):
            rejected[rej["language"]][rej["reason"]] += 1
    pairs = Counter(language_of[first] for first, _ in minimal_pairs)
    return {
        lang: {
            "rows": rows[lang],
            "methods": dict(sorted(methods[lang].items())),
            "models": {method: dict(sorted(by.items())) for method, by in sorted(models[lang].items())},
            "qc_scored": len(qc[lang]),
            "qc_mean": _mean(qc[lang]),
            "reviewed": reviewed[lang],
            "expert_scored": len(expert[lang]),
            "expert_means": {key: _mean([s[key] for s in expert[lang]]) for key in EXPERT_SCORES},
            "rejected": dict(sorted(rejected[lang].items())),
            "minimal_pairs": pairs[lang],
        }
        for lang in sorted(set(rows) | set(rejected))
    }


def _mean(values: list[float]) -> float | None:
    """Rounded so the report is byte-identical across rebuilds (summation order cannot show)."""
    return round(sum(values) / len(values), 3) if values else None
