"""Submissions: check an uploaded results JSON, keep it as pending, approve or reject it.

Each check returns a `Check` (ok, or a message that tells the submitter what to fix), in the order a
submitter would fix them. An upload is only ever parsed as JSON and rebuilt through `RunResult.from_dict`;
nothing in it is executed, and what is stored is the re-serialised run, never the uploaded bytes. Stored
files get generated names (`<UTC time>-<random hex>.json`) inside `DATA_DIR/pending`; the upload's own
filename is never used. A maintainer approves with `globmed space --data-dir DIR --approve ID` (or
`approve()`), which moves the file to `DATA_DIR/approved`, where the leaderboard reads it.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from globmed.atomic import atomic_write_json
from globmed.errors import GlobMedError, require_online
from globmed.languages import language_codes
from globmed.results import RunResult
from globmed.schema import TASKS
from space_app import text
from space_app.leaderboard import escape_markdown

logger = logging.getLogger(__name__)

SUBMISSION_ID = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{12}$")
RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:+-]{0,199}$")
MAX_NAME = 100
MAX_TEXT = 500
MAX_SIZE_B = 10_000.0
MAX_N = 10_000_000


@dataclass(frozen=True)
class Check:
    ok: bool
    message: str = ""


OK = Check(True)


def fail(message: str) -> Check:
    return Check(False, message)


# ----- the checks --------------------------------------------------------------------------------------
def check_size(size: int, limit: int) -> Check:
    if size <= 0:
        return fail("the file is empty")
    if size > limit:
        return fail(f"the file is {size:,} bytes; the limit is {limit:,} bytes (upload one run's JSON, "
                    "not its samples file)")
    return OK


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def check_json(raw: bytes) -> tuple[Check, dict | None]:
    """Strict JSON: UTF-8, an object, no NaN/Infinity (which Python's json would otherwise accept)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return fail("the file is not UTF-8 text"), None
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as err:
        return fail(f"the file is not valid JSON ({str(err)[:200]})"), None
    if not isinstance(data, dict):
        return fail("the JSON must be an object with the keys written by `globmed bench`"), None
    return OK, data


def check_schema(data: dict) -> tuple[Check, RunResult | None]:
    """The results contract itself (globmed/results.py): keys, types, scores in [0, 1]."""
    try:
        return OK, RunResult.from_dict(data, origin="upload")
    except GlobMedError as err:
        return fail(str(err)), None


def _in_range(value: Any, low: float, high: float) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) \
        and low <= value <= high


def check_ranges(run: RunResult) -> Check:
    """Numbers the schema does not bound: aggregates, CIs, counts and the model size."""
    if run.model.size_b is not None and not _in_range(run.model.size_b, 0.0, MAX_SIZE_B):
        return fail(f"model.size_b = {run.model.size_b!r} must be a number of billions in [0, {MAX_SIZE_B:g}]")
    for name, result in run.results.items():
        if not isinstance(result.n, int) or not 0 < result.n <= MAX_N:
            return fail(f"results[{name}].n = {result.n!r} must be a count in 1..{MAX_N:,}")
        low = result.metrics.get(f"{result.primary_metric}_ci_low")
        high = result.metrics.get(f"{result.primary_metric}_ci_high")
        if low is not None and high is not None and not low <= result.score <= high:
            return fail(f"results[{name}]: the CI [{low}, {high}] does not contain the score {result.score}")
        for source, metrics in result.by_source.items():
            for metric, value in metrics.items():
                upper = MAX_N if metric == "n" else 1.0
                if not _in_range(value, 0.0, upper):
                    return fail(f"results[{name}].by_source[{source}][{metric}] = {value!r} is out of range")
    aggregates = run.aggregates
    for code, value in (aggregates.get("per_language") or {}).items():
        if not _in_range(value, 0.0, 1.0):
            return fail(f"aggregates.per_language[{code}] = {value!r} is not a number in [0, 1]")
    for key, bounds in (("overall", (0.0, 1.0)), ("high_mean", (0.0, 1.0)), ("low_mean", (0.0, 1.0)),
                        ("gap", (-1.0, 1.0))):
        value = aggregates.get(key)
        if value is not None and not _in_range(value, *bounds):
            return fail(f"aggregates.{key} = {value!r} is not a number in [{bounds[0]:g}, {bounds[1]:g}]")
        ci = (aggregates.get("ci") or {}).get(key)
        if ci is not None and not (isinstance(ci, list) and len(ci) == 2
                                   and all(_in_range(v, bounds[0], bounds[1]) for v in ci) and ci[0] <= ci[1]):
            return fail(f"aggregates.ci.{key} = {ci!r} must be [low, high] within [{bounds[0]:g}, {bounds[1]:g}]")
    return OK


def check_registry(run: RunResult) -> Check:
    """Every result is `<language>-<task>` for a registered language and task, and agrees with its key."""
    if not run.results:
        return fail("the run has no results")
    languages, tasks = set(language_codes()), set(TASKS)
    for name, result in run.results.items():
        if result.language not in languages:
            known = ", ".join(language_codes())
            return fail(f"results[{name}]: unknown language {result.language!r} (known: {known})")
        if result.task not in tasks:
            return fail(f"results[{name}]: unknown task {result.task!r} (known: {', '.join(TASKS)})")
        if name != f"{result.language}-{result.task}":
            return fail(f"results key {name!r} must be '{result.language}-{result.task}'")
    return OK


def _clean_text(value: str, field_name: str, limit: int) -> Check:
    if len(value) > limit:
        return fail(f"{field_name} is {len(value)} characters; at most {limit}")
    if any(unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co"} for ch in value):
        return fail(f"{field_name} contains control or invisible characters")
    if re.search(r"[<>]", value):
        return fail(f"{field_name} must not contain HTML ('<' or '>')")
    return OK


def check_text(run: RunResult) -> Check:
    """Names, ids and links a visitor will read: short, printable, no markup, http(s) links only."""
    if not RUN_ID.match(run.run_id):
        return fail(f"run_id {run.run_id[:60]!r} must be 1-200 letters, digits or _.:+- (as `globmed bench` writes)")
    for field_name, value, limit in (
        ("model.name", run.model.name, MAX_NAME), ("model.path", run.model.path, MAX_TEXT),
        ("model.revision", run.model.revision, MAX_TEXT), ("model.base_model", run.model.base_model or "", MAX_NAME),
        ("model.link", run.model.link, MAX_TEXT), ("config.backend", str(run.config.get("backend", "")), MAX_NAME),
    ):
        check = _clean_text(value, field_name, limit)
        if not check.ok:
            return check
    if run.model.link and not re.match(r"^https?://[^\s\"'`]+$", run.model.link):
        return fail("model.link must be an http(s) URL")
    return OK


def check_new(run: RunResult, known_run_ids: set[str]) -> Check:
    if run.run_id in known_run_ids:
        return fail(f"run {run.run_id!r} is already on the leaderboard or pending")
    return OK


def escape_message(message: str) -> str:
    """A message that may quote the upload, made inert for the Markdown it is shown in."""
    return escape_markdown(message)


# ----- reading an upload -------------------------------------------------------------------------------
def read_upload(path: str | Path, limit: int) -> tuple[Check, bytes]:
    """Read at most `limit + 1` bytes: a huge upload is refused by its size, never loaded whole."""
    path = Path(path)
    try:
        size = path.stat().st_size
        size_check = check_size(size, limit)
        if not size_check.ok:
            return size_check, b""
        with path.open("rb") as handle:
            raw = handle.read(limit + 1)
    except OSError as err:
        return fail(f"the upload could not be read ({err.strerror})"), b""
    size_check = check_size(len(raw), limit)
    return size_check, raw if size_check.ok else b""


def validate_upload(raw: bytes, limit: int, known_run_ids: set[str]) -> tuple[RunResult | None, Check]:
    """Run every check in order; the first failure is the message the submitter sees."""
    check = check_size(len(raw), limit)
    if not check.ok:
        return None, check
    check, data = check_json(raw)
    if not check.ok or data is None:
        return None, check
    check, run = check_schema(data)
    if not check.ok or run is None:
        return None, check
    for step in (check_registry, check_ranges, check_text):
        check = step(run)
        if not check.ok:
            return None, check
    check = check_new(run, known_run_ids)
    return (run, OK) if check.ok else (None, check)


def submit_upload(upload: str | Path | None, data_dir: Path, limit: int, known_run_ids: set[str],
                  requests_repo: str = "") -> str:
    """The Submit button: check the uploaded file, store it as pending, and say what happened (Markdown)."""
    if not upload:
        return text.SUBMIT_NO_FILE
    check, raw = read_upload(upload, limit)
    run = None
    if check.ok:
        run, check = validate_upload(raw, limit, known_run_ids)
    if not check.ok or run is None:
        logger.info("submission refused: %s", check.message)
        return text.SUBMIT_FAILED.format(reason=escape_message(check.message))
    submission_id = store_pending(run, data_dir, requests_repo)
    return text.SUBMIT_OK.format(submission_id=submission_id, model=escape_message(run.model.name))


# ----- the store ---------------------------------------------------------------------------------------
def new_submission_id() -> str:
    return f"{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}-{secrets.token_hex(6)}"


def _inside(path: Path, folder: Path) -> Path:
    """Resolve `path` and refuse it unless it lies in `folder` (defence in depth: names are generated)."""
    resolved, root = path.resolve(), folder.resolve()
    if resolved.parent != root:
        raise GlobMedError(f"refusing to write {path}: outside {folder}")
    return resolved


def store_pending(run: RunResult, data_dir: Path, requests_repo: str = "") -> str:
    """Write the validated run to DATA_DIR/pending/<generated id>.json (and to the Hub requests repo if set)."""
    submission_id = new_submission_id()
    pending = data_dir / "pending"
    pending.mkdir(parents=True, exist_ok=True)
    target = _inside(pending / f"{submission_id}.json", pending)
    atomic_write_json(target, run.to_dict())
    logger.info("submission %s stored as pending (%s)", submission_id, run.run_id)
    if requests_repo:
        push_request(target, requests_repo)
    return submission_id


def push_request(path: Path, requests_repo: str) -> None:
    """Upload a pending submission to the Hub requests dataset (token from HF_TOKEN, never logged)."""
    require_online(f"requests dataset {requests_repo}", "unset GLOBMED_REQUESTS_REPO to keep submissions local")
    from huggingface_hub import HfApi

    HfApi().upload_file(path_or_fileobj=str(path), path_in_repo=f"pending/{path.name}", repo_id=requests_repo,
                        repo_type="dataset", commit_message=f"Pending submission {path.stem}")


def _submission_path(data_dir: Path, state: str, submission_id: str) -> Path:
    if not SUBMISSION_ID.match(submission_id):
        raise GlobMedError(f"{submission_id!r} is not a submission id (like 20261125T130000Z-0123456789ab); "
                           "list them with --list-pending")
    return data_dir / state / f"{submission_id}.json"


def list_pending(data_dir: Path) -> list[tuple[str, RunResult]]:
    """(submission id, run) for each pending submission, oldest first."""
    out = []
    for path in sorted((data_dir / "pending").glob("*.json")):
        if SUBMISSION_ID.match(path.stem):
            out.append((path.stem, RunResult.load(path)))
    return out


def _move(data_dir: Path, submission_id: str, to_state: str) -> Path:
    source = _submission_path(data_dir, "pending", submission_id)
    if not source.is_file():
        raise GlobMedError(f"no pending submission {submission_id} in {data_dir / 'pending'}")
    RunResult.load(source)  # still a valid run (the folder may have been edited by hand)
    target_dir = data_dir / to_state
    target_dir.mkdir(parents=True, exist_ok=True)
    target = _inside(target_dir / source.name, target_dir)
    os.replace(source, target)
    logger.info("submission %s %s", submission_id, to_state)
    return target


def approve(data_dir: Path, submission_id: str) -> Path:
    """Move a pending submission to DATA_DIR/approved, where the leaderboard reads it on its next start."""
    return _move(data_dir, submission_id, "approved")


def reject(data_dir: Path, submission_id: str) -> Path:
    """Move a pending submission to DATA_DIR/rejected (kept for the record, never shown)."""
    return _move(data_dir, submission_id, "rejected")
