"""Submissions: check an uploaded results JSON, keep it as pending, approve or reject it.

An upload is checked by the results contract itself (`RunResult.from_json`: the kernel's pydantic dataclasses in
strict mode), with two rules only the Space knows: the size limit and the hosts `model.link` may point to
(settings.link_hosts), then against what the Space already has (`Known`: the same run id, or the same model,
revision and scores under a new run id). Every refusal is one line naming the JSON path, shown escaped.
Nothing in an upload is executed, and what is stored is the re-serialised run, never the uploaded bytes.

Stored files get generated names (`<UTC time>-<random hex>.json`) inside `DATA_DIR/pending`; the upload's own
filename is never used. Gradio writes uploads under `DATA_DIR/uploads` (GRADIO_TEMP_DIR, set by
`app.create_app`), and each is deleted once checked, accepted or not. A maintainer approves with
`globmed space --data-dir DIR --approve ID` (or `approve()`), which moves the file to `DATA_DIR/approved`, where
the leaderboard reads it. A pending file that no longer parses is skipped and reported, never fatal.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from globmed.atomic import atomic_write_json
from globmed.errors import GlobMedError, require_online
from globmed.results import RunResult
from space_app import text
from space_app.leaderboard import escape_markdown
from space_app.settings import DEFAULT_LINK_HOSTS, SpaceSettings

logger = logging.getLogger(__name__)

SUBMISSION_ID = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{12}$")


@dataclass(frozen=True)
class Check:
    ok: bool
    message: str = ""


OK = Check(True)


def fail(message: str) -> Check:
    return Check(False, message)


@dataclass
class Known:
    """What the Space already holds (leaderboard and pending): run ids, and each run's `RunResult.identity()`."""

    run_ids: set[str] = field(default_factory=set)
    identities: set[tuple[str, str, str]] = field(default_factory=set)

    @classmethod
    def of(cls, runs: Iterable[RunResult]) -> Known:
        known = cls()
        for run in runs:
            known.run_ids.add(run.run_id)
            known.identities.add(run.identity())
        return known


# ----- the checks --------------------------------------------------------------------------------------
def check_size(size: int, limit: int) -> Check:
    if size <= 0:
        return fail("the file is empty")
    if size > limit:
        return fail(f"the file is {size:,} bytes; the limit is {limit:,} bytes (upload one run's JSON, "
                    "not its samples file)")
    return OK


def check_new(run: RunResult, known: Known) -> Check:
    if run.run_id in known.run_ids:
        return fail(f"run {run.run_id!r} is already on the leaderboard or pending")
    if run.identity() in known.identities:
        return fail(f"{run.model.name!r} (revision {run.model.revision or 'none'!r}) with these exact scores is "
                    "already on the leaderboard or pending")
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


def validate_upload(raw: bytes, limit: int, known: Known,
                    link_hosts: Collection[str] = DEFAULT_LINK_HOSTS) -> tuple[RunResult | None, Check]:
    """Size, the results contract, then novelty; the first failure is the one line the submitter sees."""
    check = check_size(len(raw), limit)
    if not check.ok:
        return None, check
    try:
        run = RunResult.from_json(raw, origin="", link_hosts=link_hosts)
    except GlobMedError as err:
        return None, fail(str(err))
    check = check_new(run, known)
    return (run, OK) if check.ok else (None, check)


def is_samples_file(upload: str | Path) -> bool:
    """`<run_id>.samples.jsonl`, the per-question outputs `globmed bench` writes beside the results JSON: the
    upload box accepts only .json, but a client of the API can still send one."""
    return Path(upload).name.lower().endswith(".jsonl")


def discard_upload(upload: str | Path, upload_dir: Path) -> None:
    """Delete an upload Gradio stored under `upload_dir`, and the folder it made for it; nothing outside it."""
    path, root = Path(upload).resolve(), upload_dir.resolve()
    if root not in path.parents:
        return
    path.unlink(missing_ok=True)
    folder = path.parent
    while folder != root:
        try:
            folder.rmdir()  # only when empty
        except OSError:
            break
        folder = folder.parent


def submit_upload(upload: str | Path | None, settings: SpaceSettings, known: Known) -> str:
    """The Submit button: check the uploaded file, store it as pending, and say what happened (Markdown)."""
    if not upload:
        return text.SUBMIT_NO_FILE
    try:
        check, raw = (fail(text.SUBMIT_SAMPLES_FILE), b"") if is_samples_file(upload) else read_upload(
            upload, settings.max_upload_bytes)
        run = None
        if check.ok:
            run, check = validate_upload(raw, settings.max_upload_bytes, known, settings.link_hosts)
    finally:
        discard_upload(upload, settings.upload_dir)
    if not check.ok or run is None:
        logger.info("submission refused: %s", check.message)
        return text.SUBMIT_FAILED.format(reason=escape_message(check.message))
    submission_id = store_pending(run, settings.data_dir, settings.requests_repo)
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


@dataclass
class Pending:
    """The pending submissions that parse, oldest first, and the files skipped because they do not (with why)."""

    runs: list[tuple[str, RunResult]] = field(default_factory=list)  # (submission id, run)
    skipped: dict[str, str] = field(default_factory=dict)  # file name -> reason, one line


def list_pending(data_dir: Path) -> Pending:
    """Every `DATA_DIR/pending/<submission id>.json`; one that does not parse is logged and skipped."""
    pending = Pending()
    for path in sorted((data_dir / "pending").glob("*.json")):
        if not SUBMISSION_ID.match(path.stem):
            continue
        try:
            pending.runs.append((path.stem, RunResult.load(path)))
        except GlobMedError as err:
            logger.warning("skipping pending submission %s", err)
            pending.skipped[path.name] = str(err)
    return pending


def _move(data_dir: Path, submission_id: str, to_state: str, recheck: bool) -> Path:
    source = _submission_path(data_dir, "pending", submission_id)
    if not source.is_file():
        raise GlobMedError(f"no pending submission {submission_id} in {data_dir / 'pending'}")
    if recheck:
        RunResult.load(source)  # still a valid run (the folder may have been edited by hand)
    target_dir = data_dir / to_state
    target_dir.mkdir(parents=True, exist_ok=True)
    target = _inside(target_dir / source.name, target_dir)
    os.replace(source, target)
    logger.info("submission %s %s", submission_id, to_state)
    return target


def approve(data_dir: Path, submission_id: str) -> Path:
    """Move a pending submission to DATA_DIR/approved, where the leaderboard reads it on its next start."""
    return _move(data_dir, submission_id, "approved", recheck=True)


def reject(data_dir: Path, submission_id: str) -> Path:
    """Move a pending submission to DATA_DIR/rejected (kept for the record, never shown), even one that is broken."""
    return _move(data_dir, submission_id, "rejected", recheck=False)
