"""The dataset card (README.md of the dataset folder), written from the builder's own outputs.

Numbers come from `build_report.json` and `MANIFEST.json`; the builder's `configs` and `dataset_info` front matter
is kept exactly as written (that is what makes `load_dataset(folder, "sw")` work), and the card adds languages,
licence, task categories and the Markdown body. An `eval.yaml` beside it registers the test splits as the
GlobMed-Bench tasks that model repos' `.eval_results/*.yaml` point at.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from globmed.atomic import atomic_write_text, sha256_file
from globmed.errors import GlobMedError
from globmed.languages import get_language, known_language_codes
from globmed.schema import SPLITS, TRANSLATION_METHODS
from globmed.tasks import get_task, task_names
from globmed.text_io import read_json
from model_cards.common import DISCLAIMER, card_versions, dataset_repo_id, read_front_matter, render_card

logger = logging.getLogger(__name__)

REQUIRED_REPORT_KEYS = ("counts", "rows_read", "rows_kept", "rows_rejected", "dedup", "decontamination", "sources",
                        "provenance")
SIZE_CATEGORIES = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"))
# Front matter keys owned by the builder: copied verbatim, never regenerated.
BUILDER_KEYS = ("configs", "dataset_info")


@dataclass
class BuildInfo:
    """What the card needs from a dataset folder, read and validated once."""

    folder: Path
    report: dict[str, Any]
    manifest: dict[str, Any]
    manifest_sha256: str
    front_matter: dict[str, Any]

    @classmethod
    def read(cls, folder: Path) -> BuildInfo:
        folder = Path(folder)
        report = _read_json(folder / "build_report.json")
        missing = [key for key in REQUIRED_REPORT_KEYS if key not in report]
        if missing:
            raise GlobMedError(f"{folder / 'build_report.json'}: missing key(s) {', '.join(missing)}; rebuild the "
                               "folder with `globmed build` (the card states only what its report records)")
        manifest_path = folder / "MANIFEST.json"
        manifest = _read_json(manifest_path)
        if not isinstance(manifest.get("files"), dict):
            raise GlobMedError(f"{manifest_path}: missing 'files' mapping")
        front = read_front_matter(folder / "README.md")
        if "configs" not in front:
            raise GlobMedError(f"{folder / 'README.md'}: no `configs` front matter; rebuild with `globmed build`")
        return cls(folder, report, manifest, sha256_file(manifest_path), front)

    def languages(self) -> list[str]:
        present = set(self.report.get("languages") or self.report["counts"])
        return [code for code in known_language_codes() if code in present]  # opt-in languages built too

    def rows(self, lang: str, task: str | None = None, split: str | None = None) -> int:
        by_task = self.report["counts"].get(lang, {})
        return sum(
            int(n)
            for t, splits in by_task.items() if task in (None, t)
            for s, n in splits.items() if split in (None, s)
        )

    def tasks(self) -> list[str]:
        """The tasks the build holds rows of, in task-file order; each is named on the card by its task file."""
        counts = self.report["counts"]
        held = {task for code in self.languages() for task in counts.get(code, {}) if self.rows(code, task)}
        unknown = sorted(held - set(task_names()))
        if unknown:
            raise GlobMedError(
                f"{self.folder}: rows of task(s) {', '.join(unknown)} but no task file benchmark/tasks/<task>.yaml "
                "to describe them"
            )
        return [task for task in task_names() if task in held]


def _read_json(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise GlobMedError(f"{path}: not found; the dataset folder must come from `globmed build`")
    return read_json(path, expect=dict)


def size_category(total: int) -> str:
    return next((label for limit, label in SIZE_CATEGORIES if total < limit), "n>1M")


def card_license(sources: list[dict[str, Any]]) -> dict[str, str]:
    """One Hub licence id when every source shares it, else `other` (the body lists each source's licence)."""
    licences = {str(src.get("license", "")).strip().lower() for src in sources}
    if len(licences) == 1 and "" not in licences:
        return {"license": licences.pop()}
    return {"license": "other", "license_name": "globmed-per-source"}


def config_groups(configs: list[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    names = [str(c.get("config_name")) for c in configs]
    langs = set(known_language_codes())
    groups = [
        ("default", [n for n in names if n == "all"]),
        ("language", [n for n in names if n in langs]),
        ("task", [n for n in names if n in task_names()]),
        ("language-task", [n for n in names if "-" in n and n.split("-", 1)[0] in langs]),
    ]
    return [(kind, members) for kind, members in groups if members]


METHOD_WORDS = {"original": "in their source language", "machine": "machine translations",
                "machine+expert": "machine translations revised by a human expert", "human": "human translations"}


def construction(info: BuildInfo) -> dict[str, Any]:
    """What happened to this build's rows, per language and in total, from the report's `provenance` block.

    Only counts: a step no row went through shows as 0 or "none", so the card never describes it as done.
    """
    provenance = info.report["provenance"]
    rows, methods, models = 0, Counter(), Counter()
    reviewed = expert_scored = qc_scored = 0
    per_language = []
    for code in info.languages():
        lang = provenance.get(code) or {}
        rows += lang.get("rows", 0)
        methods.update(lang.get("methods") or {})
        for by_model in (lang.get("models") or {}).values():
            models.update(by_model)
        reviewed += lang.get("reviewed", 0)
        expert_scored += lang.get("expert_scored", 0)
        qc_scored += lang.get("qc_scored", 0)
        per_language.append({"code": code, **lang})
    return {
        "languages": per_language,
        "rows": rows,
        "methods": [(method, methods[method], METHOD_WORDS[method]) for method in TRANSLATION_METHODS
                    if methods[method]],
        "models": sorted(models.items(), key=lambda kv: (-kv[1], kv[0])),
        "reviewed": reviewed,
        "expert_scored": expert_scored,
        "qc_scored": qc_scored,
        "filters": sorted((info.report.get("filters") or {}).items()),
        "config": info.report.get("config") or {},
    }


def build_dataset_card(folder: Path, org: str | None = None):
    """A `DatasetCard` for the dataset folder (not written)."""
    from huggingface_hub import DatasetCard, DatasetCardData

    info = BuildInfo.read(folder)
    report = info.report
    codes = info.languages()
    tasks_present = info.tasks()
    cards = {task: get_task(task).card for task in tasks_present}
    total = sum(info.rows(code) for code in codes)
    sources = list(report["sources"])
    # Keys the builder or a person added stay; ours are regenerated; the builder's configs/dataset_info win.
    regenerated = {"license", "license_name", "license_link", *BUILDER_KEYS}
    meta: dict[str, Any] = {key: value for key, value in info.front_matter.items() if key not in regenerated}
    meta.update(
        language=codes,
        pretty_name="GlobMed",
        multilinguality="multilingual" if len(codes) > 1 else "monolingual",
        size_categories=[size_category(total)],
        task_categories=sorted({card.hub_task_category for card in cards.values()}),
        **card_license(sources),
        tags=["medical", "multilingual", "low-resource-languages", "benchmark", "globmed"],
    )
    meta.update({key: info.front_matter[key] for key in BUILDER_KEYS if key in info.front_matter})
    data = DatasetCardData(**meta)
    languages = [
        {**vars(get_language(code)), "rows": info.rows(code)} for code in codes
    ]
    count_rows = [
        {"language": code, "task": task, "splits": [info.rows(code, task, s) for s in SPLITS],
         "total": info.rows(code, task)}
        for code in codes for task in tasks_present if info.rows(code, task)
    ]
    dedup = report.get("dedup") or {}
    return render_card(
        DatasetCard, data, "dataset_card.md.jinja",
        languages=languages,
        high=[lang for lang in languages if lang["resource"] == "high"],
        low=[lang for lang in languages if lang["resource"] == "low"],
        total_rows=total,
        tasks=[{"key": task, **vars(card)} for task, card in cards.items()],
        splits=list(SPLITS),
        count_rows=count_rows,
        sources=[{**src, "languages": src.get("languages") or []} for src in sources],
        missing_sources=list(report.get("missing_sources") or []),
        citations=[str(src["citation"]).strip() for src in sources if src.get("citation")],
        report={
            "rows_read": int(report["rows_read"]), "rows_kept": int(report["rows_kept"]),
            "rows_rejected": int(report["rows_rejected"]),
            "exact_removed": int(dedup.get("exact_removed", 0)), "near_removed": int(dedup.get("near_removed", 0)),
            "decontaminated": int((report.get("decontamination") or {}).get("removed", 0)),
        },
        rejects_by_reason=sorted((report.get("rejects_by_reason") or {}).items(), key=lambda kv: (-kv[1], kv[0])),
        built=construction(info),
        manifest_files=len(info.manifest["files"]),
        manifest_sha256=info.manifest_sha256,
        repo_id=dataset_repo_id(org),
        config_groups=config_groups(info.front_matter.get("configs") or []),
        disclaimer=DISCLAIMER,
        versions=card_versions(),
    )


def benchmark_eval_yaml(folder: Path) -> dict[str, Any]:
    """The dataset's `eval.yaml`: one benchmark task per language-task config, on its test split."""
    info = BuildInfo.read(folder)
    held = info.tasks()
    tasks = [
        {"id": f"{code}-{task}", "config": f"{code}-{task}", "split": "test"}
        for code in info.languages() for task in held if info.rows(code, task, "test")
    ]
    return {
        "name": "GlobMed-Bench",
        "description": "Medical multiple-choice QA, inference and long-form QA in 12 languages, "
        "high- and low-resource; one task per language and task family.",
        "evaluation_framework": "globmed",
        "tasks": tasks,
    }


def write_dataset_card(folder: Path, org: str | None = None) -> Path:
    """Write README.md (and eval.yaml) in the dataset folder, check the card, return the README path."""
    from model_cards.checks import check_dataset_card

    folder = Path(folder)
    card = build_dataset_card(folder, org)
    original = read_front_matter(folder / "README.md")
    text = str(card)
    check_dataset_card(text, str(folder / "README.md"), original=original)
    atomic_write_text(folder / "README.md", text)
    eval_yaml = yaml.safe_dump(benchmark_eval_yaml(folder), sort_keys=False, allow_unicode=True)
    atomic_write_text(folder / "eval.yaml", eval_yaml)
    logger.info("wrote dataset card %s", folder / "README.md")
    return folder / "README.md"
