"""Model rosters: a YAML list of models to benchmark in one command, resumable.

    defaults: {shots: 0}            # optional: keys applied to every entry
    models:
      - name: Qwen3-8B               # display name (also the run id prefix)
        model: Qwen/Qwen3-8B         # local folder, Hub id or API model name
        type: open                   # proprietary | open | medical | globmed
        size_b: 8
      - name: gpt-4o
        model: gpt-4o
        type: proprietary
        backend: openai
        base_url: https://api.openai.com/v1
        api_key_env: OPENAI_API_KEY  # the variable's NAME; the key stays in the environment

Entry keys: the `ModelInfo` fields (name, type, size_b, base_model, link, revision), `model` (the path),
`backend`, run keys (shots, scoring, max_new_tokens, limit) and any `BackendConfig` field (dtype,
chat_template, tensor_parallel_size, concurrency, ...). An unknown key is an error naming the entry, the key and
the closest known one (globmed.yaml_io wording).
Resuming: a run whose results file exists with the same config hash is skipped (see `runner.run`).
"""

from __future__ import annotations

import copy
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from benchmark.backends import BACKENDS, BackendConfig
from benchmark.config import RunConfig
from globmed.errors import GlobMedError
from globmed.results import MODEL_TYPES, model_info
from globmed.yaml_io import check_keys, load_mapping

MODEL_KEYS = {"name", "type", "size_b", "base_model", "link", "revision"}
RUN_KEYS = {"model", "backend", "shots", "scoring", "max_new_tokens", "limit"}
BACKEND_KEYS = {f.name for f in fields(BackendConfig)} - {"model", "revision"}
ENTRY_KEYS = MODEL_KEYS | RUN_KEYS | BACKEND_KEYS


def load_roster(path: str | Path, base: RunConfig) -> list[RunConfig]:
    """One `RunConfig` per entry: `base` (CLI flags: dataset, tasks, languages, out) < defaults < entry."""
    data = load_mapping(path, "roster", ("defaults", "models"), required=("models",))
    if not isinstance(data["models"], list):
        raise GlobMedError(f"{path}: roster: models: expected a list of model entries")
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise GlobMedError(f"{path}: defaults: expected a mapping, got {type(defaults).__name__}")
    check_keys(defaults, ENTRY_KEYS, f"{path}: defaults")
    configs, names = [], set()
    for index, entry in enumerate(data["models"]):
        where = f"{path}: models[{index}]"
        if not isinstance(entry, dict):
            raise GlobMedError(f"{where}: expected a mapping, got {type(entry).__name__}")
        merged = {**defaults, **entry}
        check_keys(merged, None, where, required=("name",))
        where = f"{path}: models[{index}] ({merged['name']})"
        check_keys(merged, ENTRY_KEYS, where)
        if merged["name"] in names:
            raise GlobMedError(f"{where}: name {merged['name']!r} appears twice")
        names.add(merged["name"])
        if merged.get("type", "open") not in MODEL_TYPES:
            raise GlobMedError(f"{where}: type {merged['type']!r} is not one of {', '.join(MODEL_TYPES)}")
        if merged.get("backend", base.backend) not in BACKENDS:
            raise GlobMedError(f"{where}: {BACKENDS.unknown_message(merged['backend'])}")
        configs.append(_entry_config(merged, base, where))
    return configs


def _entry_config(entry: dict[str, Any], base: RunConfig, where: str) -> RunConfig:
    model_path = str(entry.get("model", entry["name"]))
    info = model_info(where, path=model_path, **{k: entry[k] for k in MODEL_KEYS if k in entry})
    backend_config = replace(
        copy.deepcopy(base.backend_config),
        model=model_path,
        revision=entry.get("revision"),
        **{k: entry[k] for k in BACKEND_KEYS if k in entry},
    )
    run_keys = {k: entry[k] for k in ("backend", "shots", "scoring", "max_new_tokens", "limit") if k in entry}
    return replace(base, model=info, backend_config=backend_config, **run_keys)
