"""Names inside a release root (`--out DIR`), shared by every command that reads or writes one.

From DIR, `load_dataset("globmed")` and `from_pretrained("globmed-llm-<size>")` resolve to these folders.
"""

from __future__ import annotations

import re
from pathlib import Path

DEFAULT_RELEASE_ROOT = Path("release")
DATASET_DIRNAME = "globmed"
SPACE_DIRNAME = "globmed-space"
RESULTS_DIRNAME = "results"  # benchmark results JSON, read by the cards and the Space
LMEVAL_DIRNAME = "lm_eval_tasks"  # `globmed bench export-lmeval` task YAMLs (never the results folder)
HUB_DATASET_NAME = "globmed"  # repo name on the Hub, under the user's org
HUB_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")  # the shape of ORG/NAME (cards and Space link only these)


def model_dirname(size: str) -> str:
    """`globmed-llm-8b` for size "8b"; the tiny demo model is `globmed-llm-tiny`."""
    return f"globmed-llm-{size.lower()}"


def dataset_dir(root: str | Path) -> Path:
    return Path(root) / DATASET_DIRNAME


def space_dir(root: str | Path) -> Path:
    return Path(root) / SPACE_DIRNAME


def results_dir(root: str | Path) -> Path:
    return Path(root) / RESULTS_DIRNAME


def lmeval_dir(root: str | Path) -> Path:
    return Path(root) / LMEVAL_DIRNAME


def model_dir(root: str | Path, size: str) -> Path:
    return Path(root) / model_dirname(size)
