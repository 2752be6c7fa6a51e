"""The build: sources YAML -> records -> dataset folder, with the counts that prove nothing was lost.

Stages (each timed in `BuildResult.stages`; timings stay out of the written files so rebuilds are byte-identical):
ingest (read, adapt, normalise, filter; files in parallel with --num-proc), splits (a repeated id within a
language is rejected first), exact dedup, near dedup and decontamination (per language, in parallel), write.
Invariant checked at the end of every build: rows read = rows kept + rows rejected.
"""

from __future__ import annotations

import gc
import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dataset_builder.config import BuildConfig
from dataset_builder.dedup_stage import drop_repeated_ids, remove_duplicates
from dataset_builder.ingest import FileResult, ingest_file
from dataset_builder.provenance import provenance_report
from dataset_builder.sources import BUNDLED, ROW_LANGUAGE, FileTask, SourceSpec, load_sources, resolve_sources_path
from dataset_builder.splits import assign_splits
from dataset_builder.stats import Stage, StageStats
from dataset_builder.writer import (
    REJECTS_FILE,
    REPORT_FILE,
    group_records,
    readme_text,
    write_manifest,
    write_rejects,
    write_shards,
)
from globmed.atomic import dumps_json, sha256_file
from globmed.errors import GlobMedError
from globmed.languages import known_language_codes, language_codes, parse_languages
from globmed.layout import DEFAULT_RELEASE_ROOT, dataset_dir
from globmed.outputs import atomic_dir, check_output_dir, output_lock

logger = logging.getLogger(__name__)


@dataclass
class BuildResult:
    out: Path
    report: dict[str, Any]
    stages: list[StageStats] = field(default_factory=list)


def resolve_config(sources: str | Path, overrides: dict[str, Any] | None = None
                   ) -> tuple[list[SourceSpec], BuildConfig]:
    """Defaults < the YAML's `build:` block < command-line overrides."""
    specs, build_block = load_sources(sources)
    config = BuildConfig.from_dict(build_block, str(resolve_sources_path(sources))).replace(**(overrides or {}))
    config.languages = parse_languages(config.languages)
    return specs, config


def plan_files(specs: list[SourceSpec], config: BuildConfig) -> list[tuple[SourceSpec, FileTask]]:
    """Every file the build will read; a local file that is missing fails now, before any work is done.

    Languages of the registry that were not selected are skipped; languages outside the registry are read and
    their rows rejected as language_not_in_registry (so they are counted, never silently ignored). A file whose
    rows carry their language is always read: its rows are routed (or rejected) one by one.
    """
    known = frozenset(known_language_codes())  # opt-in languages are in the registry, read only if selected
    selected = set(config.languages or known)
    default, opt_in = set(language_codes()), set()
    jobs = []
    for spec in specs:
        wanted = [lg for lg in spec.languages if lg in selected or lg not in known]
        skipped = [lg for lg in spec.languages if lg in known and lg not in selected]
        unknown = [lg for lg in spec.languages if lg not in known and lg != ROW_LANGUAGE]
        if unknown:
            logger.warning("source %s: languages %s are not in globmed/languages.yaml; their rows are read and "
                           "rejected as language_not_in_registry", spec.id, ",".join(unknown))
        opt_in.update(lg for lg in skipped if lg not in default)
        if skipped:
            logger.debug("%s: languages %s not selected, their files are not read", spec.id, ",".join(skipped))
        for task in spec.files_to_read(wanted):
            if spec.path is not None and not (spec.path / task.relpath).is_file():
                raise GlobMedError(f"{spec.path / task.relpath}: source file not found (source {spec.id!r} in "
                                   f"{spec.yaml_file})")
            jobs.append((spec, task))
    if opt_in and selected == default:  # the default build: say what it leaves out (a chosen subset says itself)
        logger.warning("the sources also hold opt-in languages %s (globmed/languages.yaml): they are built only "
                       "when named in --languages", ",".join(sorted(opt_in)))
    return jobs


def _ingest(jobs: list[tuple[SourceSpec, FileTask]], config: BuildConfig, progress: bool) -> list[FileResult]:
    from tqdm.auto import tqdm

    known = frozenset(known_language_codes())  # opt-in languages are in the registry, read only if selected
    selected = frozenset(config.languages or known)
    bar = tqdm(total=len(jobs), desc="read sources", unit="file", disable=None if progress else True)
    results: list[FileResult] = []
    if config.num_proc > 1 and len(jobs) > 1:
        import multiprocessing as mp

        ctx = mp.get_context("fork") if hasattr(mp, "get_context") else mp
        with ctx.Pool(min(config.num_proc, len(jobs))) as pool:
            for res in pool.imap(_ingest_job, [(s, t, known, selected) for s, t in jobs], chunksize=1):
                results.append(res)
                bar.update(1)
                bar.set_postfix(rows=sum(r.rows_read for r in results), refresh=False)
    else:
        for spec, task in jobs:
            results.append(ingest_file(spec, task, known, selected))
            bar.update(1)
            bar.set_postfix(rows=sum(r.rows_read for r in results), refresh=False)
    bar.close()
    return results


def _ingest_job(args):
    return ingest_file(*args)


def run_build(sources: str | Path = "sample", out_root: str | Path = DEFAULT_RELEASE_ROOT,
              overrides: dict[str, Any] | None = None, progress: bool = True, overwrite: bool = False
              ) -> BuildResult:
    """Build the dataset folder ROOT/globmed from a sources YAML; returns the report and per-stage stats.

    Before anything is read, the output folder is checked and locked (globmed.outputs): a second build into
    the same ROOT fails at once, and `overwrite` is needed to replace a ROOT/globmed that build did not write.

    The cyclic garbage collector is paused for the build: it keeps millions of small dicts and lists alive, none
    in a cycle, and each full collection re-scans all of them (measured: 2x rows took 2.3x the time with it on).
    """
    target = dataset_dir(out_root)
    with output_lock(target):
        check_output_dir(target, "build", overwrite, replaces=True)
        enabled = gc.isenabled()
        gc.disable()
        try:
            return _build(sources, out_root, overrides, progress, overwrite)
        finally:
            if enabled:
                gc.enable()


def _build(sources: str | Path, out_root: str | Path, overrides: dict[str, Any] | None, progress: bool,
           overwrite: bool) -> BuildResult:
    from tqdm.auto import tqdm

    stats: list[StageStats] = []
    specs, config = resolve_config(sources, overrides)
    from dataset_builder.field_check import check_source_fields
    from dataset_builder.hub import check_hub_sources
    from dataset_builder.local_sources import resolve_local

    specs, missing_sources = resolve_local(specs, config.local, config.allow_missing)  # stops unless given/allowed
    check_hub_sources(specs)
    jobs = plan_files(specs, config)
    check_source_fields(jobs)  # mapped fields checked against the files (Hub files fetched) before any work
    logger.debug("build config: %s", config.fingerprint())
    with Stage(stats, "ingest") as st:
        results = _ingest(jobs, config, progress)
        st.rows = sum(r.rows_read for r in results)
    rejects: list[dict[str, Any]] = [rej for res in results for rej in res.rejects]
    records = [rec for res in results for rec in res.records]
    rows_read = sum(r.rows_read for r in results)
    empty = [f"{r.task.source}/{r.task.label}" for r in results if r.rows_read == 0]
    if empty:
        logger.warning("%d source file(s) have no rows: %s", len(empty), ", ".join(empty[:5]))
    counters: Counter[str] = Counter()
    minimal_pairs: list[list[str]] = []
    with Stage(stats, "splits") as st:
        st.rows = len(records)
        records = drop_repeated_ids(records, rejects)
        ratios = {s.id: s.split_ratios or config.split_ratios for s in specs}
        moved = assign_splits(records, ratios, config.seed)
    records = remove_duplicates(records, config, rejects, counters, stats, minimal_pairs)

    counts: dict[str, dict[str, dict[str, int]]] = {}
    for rec in records:
        slot = counts.setdefault(rec["language"], {}).setdefault(rec["task"], {})
        slot[rec["split"]] = slot.get(rec["split"], 0) + 1
    if rows_read != len(records) + len(rejects):  # a bug, not a user error: keep the traceback
        raise RuntimeError(f"invariant broken: read {rows_read} != kept {len(records)} + rejected {len(rejects)}")
    report = _report(specs, config, sources, counts, rows_read, records, rejects, counters, moved, minimal_pairs)
    report["filters"] = _filter_totals(results)
    report["empty_files"] = empty
    report["missing_sources"] = missing_sources
    report["normalisation"] = dict(sorted(sum((r.normalisation for r in results), Counter()).items()))
    report["provenance"] = provenance_report(records, rejects, minimal_pairs)  # per language, for the card
    if not records:  # the evidence goes to ROOT/globmed.rejected; ROOT/globmed is left as it was
        from dataset_builder.rejected import all_rejected_error

        raise all_rejected_error(out_root, report, rejects, jobs, overwrite)
    target = dataset_dir(out_root)
    with atomic_dir(target, "build", overwrite) as tmp, Stage(stats, "write") as st:
        st.rows = len(records)
        bar = tqdm(total=len(records), desc="write parquet", unit="row", disable=None if progress else True)
        # sequential on purpose: measured slower in forked workers (copy-on-write faults outweigh the gain)
        data_rows = write_shards(tmp, group_records(records), config.max_shard_rows, bar)
        bar.close()
        # stage timings stay out of the written report: they would break byte-identical rebuilds
        (tmp / REPORT_FILE).write_text(dumps_json(report), encoding="utf-8")
        (tmp / "README.md").write_text(readme_text(counts, report), encoding="utf-8")
        write_rejects(tmp / REJECTS_FILE, rejects)
        write_manifest(tmp, data_rows, len(rejects), _inputs(sources, results))
    return BuildResult(out=target, report=report, stages=stats)


def _filter_totals(results: list[FileResult]) -> dict[str, dict[str, Any]]:
    """Seen / kept / dropped-per-reason of each quality filter, summed over files (datatrove-style stats)."""
    totals: dict[str, dict[str, Any]] = {}
    for res in results:
        for name, stats in res.filter_counts.items():
            slot = totals.setdefault(name, {"seen": 0, "kept": 0, "dropped": Counter()})
            slot["seen"] += stats["seen"]
            slot["kept"] += stats["kept"]
            slot["dropped"].update(stats["dropped"])
    return {name: {**v, "dropped": dict(sorted(v["dropped"].items()))} for name, v in totals.items()}


def _inputs(sources: str | Path, results: list[FileResult]) -> dict[str, Any]:
    path = resolve_sources_path(sources)
    files = {f"{r.task.source}/{r.task.label}": {"sha256": r.sha256, "rows": r.rows_read} for r in results}
    return {"sources": _sources_label(sources), "sources_sha256": sha256_file(path),
            "files": dict(sorted(files.items()))}


def _sources_label(sources: str | Path) -> str:
    return str(sources) if str(sources) in BUNDLED else Path(sources).name


def _report(specs, config, sources, counts, rows_read, records, rejects, counters, moved, minimal_pairs
            ) -> dict[str, Any]:
    by_reason = Counter(r["reason"] for r in rejects)
    by_source = Counter(r["source"] for r in rejects)
    langs_with_rows = [code for code in known_language_codes() if code in counts]
    source_langs: dict[str, set[str]] = {}
    for rec in records:
        source_langs.setdefault(rec["source"], set()).add(rec["language"])
    cfg = config.fingerprint()
    cfg["sources"] = _sources_label(sources)
    return {
        "counts": counts,
        "rows_read": rows_read,
        "rows_kept": len(records),
        "rows_rejected": len(rejects),
        "rejects_by_reason": dict(sorted(by_reason.items())),
        "rejects_by_source": dict(sorted(by_source.items())),
        "dedup": {"exact_removed": counters["exact_duplicate"], "near_removed": counters["near_duplicate"],
                  "exact_conflicting_answers": counters["exact_conflicting_answers"]},
        "minimal_pairs": {"count": len(minimal_pairs), "pairs": minimal_pairs},  # near-identical, answers differ
        "decontamination": {"removed": counters["test_contamination"]},
        "split_alignment": {"rows_moved": moved},
        "sources": [
            {"id": s.id, "name": s.name, "task": s.task, "license": s.license, "hub_license": s.hub_license,
             "access": s.access, "citation": s.citation, "homepage": s.homepage,
             "languages": [lg for lg in langs_with_rows if lg in source_langs.get(s.id, ())]}
            for s in specs
        ],
        "languages": langs_with_rows,
        "config": cfg,
    }
