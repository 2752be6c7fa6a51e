"""Read a GlobMed dataset folder (or its Hub repo) the way users do: `load_dataset(path, config)`.

Training and the benchmark read the dataset through this one function, so a local release folder and the
published Hub repo behave the same, and asking for the Hub while offline fails with a clear message.
"""

from __future__ import annotations

from pathlib import Path

from globmed.errors import GlobMedError, require_online
from globmed.log import library_bars_hidden
from globmed.parquet_io import check_footers, first_unreadable
from globmed.schema import SPLITS, TASKS


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
    if split not in SPLITS:
        raise GlobMedError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
    if task is not None and task not in TASKS:
        raise GlobMedError(f"unknown task {task!r}; expected one of {', '.join(TASKS)}")
    import datasets

    from globmed.schema import features

    local = Path(dataset)
    if local.exists():
        if not (local / "README.md").is_file():
            raise GlobMedError(f"{local}: not a GlobMed dataset folder (no README.md); run `globmed build --out DIR`")
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
    if "/" not in str(dataset):
        raise GlobMedError(f"dataset {dataset!s}: no such folder, and not a Hub repo id (ORG/NAME)")
    require_online(f"dataset {dataset}", "use a local dataset folder (globmed build --out DIR) or unset HF_HUB_OFFLINE")
    name = config_name(language, task)
    with library_bars_hidden():
        return datasets.load_dataset(str(dataset), name, split=split)


def _data_files(root: Path, language: str | None, task: str | None, split: str) -> list[str]:
    lang_glob = language or "*"
    task_glob = task or "*"
    return sorted(str(p) for p in root.glob(f"data/{lang_glob}/{task_glob}/{split}-*.parquet"))


def has_split(root: str | Path, split: str, language: str, task: str) -> bool:
    """Whether a dataset folder has files for this split of `<language>-<task>`; the lm-eval export names only
    those splits, since lm-eval fails on a split whose file pattern matches nothing."""
    return bool(_data_files(Path(root), language, task, split))
