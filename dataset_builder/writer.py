"""Write the dataset folder: parquet shards, README.md front matter, build_report.json, rejects, MANIFEST.json.

Everything written is a pure function of the records and the report (no timestamps, sorted keys, fixed shard
names), so building the same inputs twice gives byte-identical files. The caller writes into a temporary
folder (globmed.outputs.atomic_dir) that is renamed into place at the end.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from globmed.atomic import dumps_json, sha256_file
from globmed.schema import SPLITS, TASKS

logger = logging.getLogger(__name__)

REJECTS_FILE = "rejects.jsonl"
REPORT_FILE = "build_report.json"
MANIFEST_FILE = "MANIFEST.json"
_COLUMNS = ("id", "parallel_id", "language", "task", "source", "context", "question", "options", "answer_index",
            "answer", "explanation", "license")


def group_records(records: list[dict[str, Any]]) -> dict[tuple[str, str, str], list[dict[str, Any]]]:
    """(language, task, split) -> records in input order."""
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for rec in records:
        groups[(rec["language"], rec["task"], rec["split"])].append(rec)
    return groups


def to_table(records: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    """Columns straight from the dicts into Arrow arrays (no per-row dataclass or Dataset round trip)."""
    arrays = []
    for name in _COLUMNS:
        arrays.append(pa.array([r[name] for r in records], type=schema.field(name).type))
    trans = [r["translation"] for r in records]
    struct_type = schema.field("translation").type
    children = [
        pa.array([t[f.name] for t in trans], type=f.type) for f in struct_type
    ]
    arrays.append(pa.StructArray.from_arrays(children, fields=list(struct_type)))
    return pa.Table.from_arrays(arrays, schema=schema)


def write_group(out: Path, key: tuple[str, str, str], recs: list[dict[str, Any]], max_rows: int) -> dict[str, int]:
    """Write one (language, task, split) group as data/<lang>/<task>/<split>-NNNNN-of-NNNNN.parquet shards."""
    from globmed.schema import arrow_schema

    lang, task, split = key
    schema = arrow_schema()
    num = max(1, -(-len(recs) // max_rows))
    folder = out / "data" / lang / task
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for shard in range(num):
        part = recs[shard * max_rows:(shard + 1) * max_rows]
        rel = f"data/{lang}/{task}/{split}-{shard:05d}-of-{num:05d}.parquet"
        pq.write_table(to_table(part, schema), out / rel, compression="zstd", write_statistics=True)
        written[rel] = len(part)
    return written


def write_shards(out: Path, groups: dict[tuple[str, str, str], list[dict[str, Any]]], max_rows: int,
                 progress=None) -> dict[str, int]:
    """Write every group (sequentially); returns relpath -> rows."""
    written: dict[str, int] = {}
    for key in sorted(groups):
        written.update(write_group(out, key, groups[key], max_rows))
        if progress is not None:
            progress.update(len(groups[key]))
    return written


def config_entries(counts: dict[str, dict[str, dict[str, int]]]) -> list[tuple[str, str, str, dict[str, int]]]:
    """(config_name, lang_glob, task_glob, {split: rows}) for `all`, each language, task and language-task."""
    from globmed.languages import known_language_codes

    known = known_language_codes()
    langs = [code for code in known if code in counts] + sorted(set(counts) - set(known))

    def rows(lang_sel: list[str], task_sel: list[str]) -> dict[str, int]:
        out = {}
        for split in SPLITS:
            total = sum(counts.get(lg, {}).get(tk, {}).get(split, 0) for lg in lang_sel for tk in task_sel)
            if total:
                out[split] = total
        return out

    tasks = [t for t in TASKS if any(t in counts[lg] for lg in langs)]
    entries = [("all", "*", "*", rows(langs, tasks))]
    entries += [(lg, lg, "*", rows([lg], tasks)) for lg in langs]
    entries += [(tk, "*", tk, rows(langs, [tk])) for tk in tasks]
    entries += [(f"{lg}-{tk}", lg, tk, rows([lg], [tk])) for lg in langs for tk in tasks]
    return [e for e in entries if e[3]]


def readme_text(counts: dict[str, dict[str, dict[str, int]]], report: dict[str, Any]) -> str:
    """README.md: YAML front matter (configs, dataset_info, licence tags) and a short body."""
    import datasets
    import yaml
    from huggingface_hub import DatasetCardData

    from globmed.schema import features

    entries = config_entries(counts)
    configs = []
    infos = {}
    for name, lang_glob, task_glob, split_rows in entries:
        entry: dict[str, Any] = {"config_name": name}
        if name == "all":
            entry["default"] = True
        entry["data_files"] = [
            {"split": split, "path": f"data/{lang_glob}/{task_glob}/{split}-*.parquet"} for split in split_rows
        ]
        configs.append(entry)
        splits = datasets.SplitDict()
        for split, n in split_rows.items():
            splits.add(datasets.SplitInfo(split, num_examples=n))
        infos[name] = datasets.DatasetInfo(features=features(), splits=splits)
    card = DatasetCardData(
        language=report["languages"], license="other", multilinguality="multilingual",
        task_categories=["question-answering", "text-classification", "text-generation"], tags=["medical"],
        pretty_name="GlobMed",
    )
    datasets.info.DatasetInfosDict(infos).to_dataset_card_data(card)
    meta = card.to_dict()
    meta["configs"] = configs
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1000)
    sources = ", ".join(f"{s['name']} ({s['license'] or 'licence not stated'})" for s in report["sources"])
    per_language = ", ".join(
        f"{lang} {sum(n for splits in counts[lang].values() for n in splits.values())}" for lang in report["languages"]
    )
    body = (
        "# GlobMed\n\n"
        f"Multilingual medical dataset: {report['rows_kept']} rows in {len(report['languages'])} languages "
        f"({', '.join(report['languages'])}), tasks {', '.join(sorted({t for c in counts.values() for t in c}))}.\n\n"
        f"Rows per language: {per_language}.\n\n"
        f"Sources: {sources}.\n\n"
        "Load a config with `load_dataset(\"globmed\", \"sw\")` (a language), `\"mcqa\"` (a task), `\"sw-mcqa\"`, "
        "or the default `all`. Row counts, rejects by reason, dedup and decontamination figures are in "
        "`build_report.json`; checksums in `MANIFEST.json`; every rejected input row in `rejects.jsonl`.\n\n"
        "This is the short card written by `globmed build`; the full dataset card comes from "
        "`globmed card dataset`. Not medical advice.\n"
    )
    return f"---\n{front}---\n\n{body}"


def write_rejects(path: Path, rejects: list[dict[str, Any]]) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        for rej in rejects:
            handle.write(json.dumps(rej, ensure_ascii=False, sort_keys=True) + "\n")


def write_manifest(out: Path, data_rows: dict[str, int], rejects_rows: int, inputs: dict[str, Any]) -> None:
    files = {rel: {"sha256": sha256_file(out / rel), "rows": n} for rel, n in sorted(data_rows.items())}
    # README.md is left out: it is the card, rewritten by `globmed card dataset` after the build, and the
    # MANIFEST's hash is what benchmark results record as the dataset's identity.
    for name, rows in ((REPORT_FILE, None), (REJECTS_FILE, rejects_rows)):
        entry: dict[str, Any] = {"sha256": sha256_file(out / name)}
        if rows is not None:
            entry["rows"] = rows
        files[name] = entry
    (out / MANIFEST_FILE).write_text(dumps_json({"files": files, "inputs": inputs}), encoding="utf-8")
