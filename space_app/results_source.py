"""Where the leaderboard's runs come from: a results folder, a Hub dataset repo of results, approved uploads.

A folder (or a Hub repo, downloaded with `snapshot_download` into the data folder) holds `<run_id>.json`
files in the GlobMed-Bench format; approved submissions live in `DATA_DIR/approved/`. A file that does not
parse is skipped with a warning naming it and the reason (the Space must still start), and counted.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from globmed.errors import GlobMedError, require_online
from globmed.results import RunResult

logger = logging.getLogger(__name__)


@dataclass
class LoadReport:
    """The runs read and the files rejected, with reasons (shown on the About tab)."""

    runs: list[RunResult] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)  # file -> reason


def read_folder(folder: Path, report: LoadReport) -> None:
    """Every `*.json` directly in `folder` (samples files are `.jsonl` and so ignored)."""
    if not folder.is_dir():
        return
    for path in sorted(folder.glob("*.json")):
        try:
            report.runs.append(RunResult.load(path))
        except GlobMedError as err:
            logger.warning("skipping %s: %s", path, err)
            report.rejected[str(path)] = str(err)


def download_results(repo_id: str, cache_dir: Path) -> Path:
    """Fetch the `*.json` files of a Hub dataset repo of results into `cache_dir`; fail clearly offline."""
    require_online(f"results dataset {repo_id}", "pass a local folder with --results DIR instead")
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    try:
        path = snapshot_download(repo_id=repo_id, repo_type="dataset", allow_patterns=["*.json", "**/*.json"],
                                 local_dir=cache_dir)
    except (HfHubHTTPError, LocalEntryNotFoundError, OSError) as err:
        raise GlobMedError(f"cannot download results dataset {repo_id} ({type(err).__name__}: {err}); "
                           "check the repo id and HF_TOKEN, or pass --results DIR") from None
    return Path(path)


def load_runs(results_dir: Path | None, results_repo: str, approved_dir: Path, cache_dir: Path) -> LoadReport:
    """Runs from the folder (or else the Hub repo) plus approved submissions; duplicate run ids keep the first.

    The results files of a Hub repo may sit in sub-folders, so those are searched one level deep.
    """
    report = LoadReport()
    if results_dir is not None:
        if not results_dir.is_dir():
            raise GlobMedError(f"results folder {results_dir} does not exist; run `globmed bench --out DIR` first")
        read_folder(results_dir, report)
    elif results_repo:
        root = download_results(results_repo, cache_dir)
        read_folder(root, report)
        for sub in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
            read_folder(sub, report)
    read_folder(approved_dir, report)
    seen: set[str] = set()
    unique = []
    for run in report.runs:
        if run.run_id in seen:
            logger.warning("run %s appears twice; keeping the first", run.run_id)
            report.rejected[run.run_id] = "duplicate run id"
            continue
        seen.add(run.run_id)
        unique.append(run)
    report.runs = sorted(unique, key=lambda run: run.run_id)
    logger.info("leaderboard: %d runs, %d files rejected", len(report.runs), len(report.rejected))
    return report
