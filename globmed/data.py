"""Read a GlobMed dataset folder (or its Hub repo) the way users do: `load_dataset(path, config)`.

Training and the benchmark read the dataset through these functions, so a local release folder and the
published Hub repo behave the same, and asking for the Hub while offline fails with a clear message.
`load_split` gives a `datasets.Dataset`; `load_cells` gives the rows of many language x task cells at once as
plain dicts, reading a local folder with pyarrow alone (the benchmark's path: no `datasets` import or build).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from globmed.errors import GlobMedError, require_online
from globmed.log import library_bars_hidden
from globmed.parquet_io import check_footers, first_unreadable, read_rows
from globmed.schema import SPLITS, TASKS

Cell = tuple[str, str]  # (language, task)


def config_name(language: str | None = None, task: str | None = None) -> str:
    """Config of the published dataset: `sw-mcqa`, `sw`, `mcqa` or `all`."""
    if language and task:
        return f"{language}-{task}"
    return language or task or "all"


def load_split(dataset: str | Path, split: str, language: str | None = None, task: str | None = None):
    """Load one split of one config as a `datasets.Dataset`.

    `dataset` is a dataset folder written by `globmed build` (it has a README.md with `configs`) or a Hub
    repo id such as `ORG/globmed`. A config with no rows for that split gives an empty dataset, not an error.
    Callers read one split per language and task, so `datasets`' per-read progress bars are hidden unless -v.
    """
    _check_names(split, [task])
    import datasets

    from globmed.schema import features

    local = _local_folder(dataset)
    if local is not None:
        pattern = _data_files(local, language, task, split)
        if not pattern:
            schema = features()
            return datasets.Dataset.from_dict({key: [] for key in schema}, features=schema)
        check_footers(pattern)
        try:
            with library_bars_hidden():
                return datasets.load_dataset("parquet", data_files={split: pattern}, split=split, features=features())
        except datasets.exceptions.DatasetGenerationError:
            bad = first_unreadable(pattern)  # the error names no file; find the one that cannot be read
            if bad is None:
                raise
            raise bad from None
    name = config_name(language, task)
    with library_bars_hidden():
        return datasets.load_dataset(str(dataset), name, split=split)


def load_cells(dataset: str | Path, split: str, cells: Iterable[Cell]) -> dict[Cell, list[dict[str, Any]]]:
    """One split of many (language, task) cells, as rows (dicts) per cell, each in `load_split`'s order.

    A local folder is read with pyarrow, every parquet file once and checked against the record schema
    (`globmed.parquet_io.read_rows`): the benchmark used to run one `datasets` build per cell and split, 72
    of them for 12 languages x 3 tasks with shots, before anything was scored. A Hub repo id goes through
    `load_split`, one config per cell. A cell without files for the split has no rows.
    """
    cells = list(dict.fromkeys(cells))
    _check_names(split, [task for _, task in cells])
    local = _local_folder(dataset)
    if local is None:
        return {cell: load_split(dataset, split, *cell).to_list() for cell in cells}
    from globmed.schema import record_schema

    schema = record_schema()
    return {
        cell: [row for path in _data_files(local, *cell, split) for row in read_rows(path, schema)] for cell in cells
    }


def _check_names(split: str, tasks: Iterable[str | None]) -> None:
    if split not in SPLITS:
        raise GlobMedError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
    for task in tasks:
        if task is not None and task not in TASKS:
            raise GlobMedError(f"unknown task {task!r}; expected one of {', '.join(TASKS)}")


def _local_folder(dataset: str | Path) -> Path | None:
    """The dataset folder, or None for a Hub repo id (which needs the network); other paths fail in one line."""
    local = Path(dataset)
    if local.exists():
        if not (local / "README.md").is_file():
            raise GlobMedError(f"{local}: not a GlobMed dataset folder (no README.md); run `globmed build --out DIR`")
        return local
    if "/" not in str(dataset):
        raise GlobMedError(f"dataset {dataset!s}: no such folder, and not a Hub repo id (ORG/NAME)")
    require_online(f"dataset {dataset}", "use a local dataset folder (globmed build --out DIR) or unset HF_HUB_OFFLINE")
    return None


def _data_files(root: Path, language: str | None, task: str | None, split: str) -> list[str]:
    lang_glob = language or "*"
    task_glob = task or "*"
    return sorted(str(p) for p in root.glob(f"data/{lang_glob}/{task_glob}/{split}-*.parquet"))


def has_split(root: str | Path, split: str, language: str, task: str) -> bool:
    """Whether a dataset folder has files for this split of `<language>-<task>`; the lm-eval export names only
    those splits, since lm-eval fails on a split whose file pattern matches nothing."""
    return bool(_data_files(Path(root), language, task, split))
