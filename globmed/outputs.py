"""Output folders: checked before any work, owned by the command that wrote them, replaced atomically, locked.

Every command that writes a folder goes through this module, so four promises hold everywhere:

- An unwritable `--out` (an existing file, a path under a file, a read-only folder) is one line, found by
  really creating a temporary entry where the output will go, before the command does any heavy work.
- A command writes only into a folder it wrote itself: each output folder carries a small marker
  (`.globmed-output`, naming the command), and a folder that holds other files is refused unless the user
  passes `--overwrite`. An existing file where a folder should go is always refused, never moved aside.
- A folder replaced as a whole (`atomic_dir`) is built in a temporary sibling `.NAME.tmp-*` and renamed into
  place; the previous version waits as `.NAME.old-PID` until the new one is in place. Files in it follow the
  umask (safetensors writes its files 0600), like every other file the kit writes.
- Writers of the same folder take a lock (`.NAME.lock` beside it, removed at the end): the second fails at once,
  naming the first one's PID. Under the lock, what a killed run left behind is cleaned up: its temporary
  folders are removed and an interrupted swap (no NAME, only `.NAME.old-PID`) is rolled back.

    with output_lock(out / "globmed"):                       # at the start: fails at once if another run holds it
        check_output_dir(out / "globmed", "build", overwrite, replaces=True)
        ...                                                  # the heavy work
        with atomic_dir(out / "globmed", "build", overwrite) as tmp:   # re-enters the lock this process holds
            (tmp / "x.parquet").write_bytes(...)

Commands that add files to a folder (bench results, translations, review sheets) call `claim_dir` instead.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from globmed.atomic import atomic_write_text, current_umask, dumps_json
from globmed.errors import GlobMedError

logger = logging.getLogger(__name__)

MARKER = ".globmed-output"  # no .json suffix: results folders are read with glob("*.json")
_SHOWN = 3  # foreign entries named in the refusal

# lock file -> (fd, depth, folders made for it): a process re-enters its own lock
_held: dict[str, tuple[int, int, list[Path]]] = {}


def writer_of(folder: str | os.PathLike[str]) -> str | None:
    """The command named by the folder's marker, or None (no marker, or one that cannot be read)."""
    try:
        data = json.loads((Path(folder) / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data.get("written_by") if isinstance(data, dict) else None


def mark(folder: Path, writer: str) -> None:
    """Record that `globmed WRITER` wrote `folder` (deterministic content: rebuilds stay byte-identical)."""
    if writer_of(folder) != writer:
        atomic_write_text(folder / MARKER, dumps_json({"written_by": writer}))


def check_writable(target: str | os.PathLike[str], inside: bool = True) -> None:
    """Fail with one line unless `target` is, or can become, a folder that this process can write in.

    `inside`: files are created in `target` itself (else beside it, as `atomic_dir` does). The test is real: a
    temporary folder is created and removed where the output will go, since permission bits alone do not say
    whether a write works (root ignores them; a read-only mount stops root too).
    """
    target = Path(target)
    folder = target if inside else target.parent
    for path in (target, *target.parents):
        if path.exists() or path.is_symlink():
            if not path.is_dir():
                where = "is a file" if path == target else f"is under {path}, which is a file"
                raise GlobMedError(f"{target}: {where}, not a folder; choose another output folder")
            break
    while not folder.exists():
        folder = folder.parent
    try:
        os.rmdir(tempfile.mkdtemp(prefix=f".{target.name}.probe-", dir=folder))
    except OSError as err:
        raise GlobMedError(f"{target}: cannot write in {folder}: {err.strerror or err}") from None


def check_output_dir(target: str | os.PathLike[str], writer: str, overwrite: bool = False, replaces: bool = False
                     ) -> None:
    """Fail with one line unless `globmed WRITER` may write the folder `target`; leaves nothing behind.

    `replaces`: the command replaces the folder as a whole (else it adds files to it). A folder that holds
    files is acceptable when its marker names `writer`, or when `overwrite` is given.
    """
    target = Path(target)
    check_writable(target, inside=not replaces)
    if overwrite or not target.is_dir():
        return
    found = writer_of(target)
    entries = [] if found == writer else sorted(p.name for p in target.iterdir() if p.name != MARKER)
    if not entries:
        return
    shown = ", ".join(entries[:_SHOWN]) + (f" and {len(entries) - _SHOWN} more" if len(entries) > _SHOWN else "")
    by = f"it was written by `globmed {found}`" if found else "no globmed command marked it as its output"
    action = "replace it as a whole" if replaces else "write into it anyway"
    raise GlobMedError(f"{target} holds files `globmed {writer}` did not write ({shown}; {by}); "
                       f"pass --overwrite to {action}, or choose another output folder")


def claim_dir(target: str | os.PathLike[str], writer: str, overwrite: bool = False) -> Path:
    """Check, create and mark a folder that `globmed WRITER` adds files to (results, translations, sheets)."""
    target = Path(target)
    check_output_dir(target, writer, overwrite)
    try:
        target.mkdir(parents=True, exist_ok=True)
        mark(target, writer)
    except OSError as err:  # a race with another process, or a disk that filled up since the probe
        raise GlobMedError(f"{target}: cannot write: {err.strerror or err}") from None
    return target


def check_output_file(path: str | os.PathLike[str], overwrite: bool = False) -> None:
    """A single output file: its folder can be written, and an existing file is replaced only with --overwrite."""
    path = Path(path)
    if path.is_dir():
        raise GlobMedError(f"{path}: is a folder; give a file name")
    check_writable(path.parent)
    if path.exists() and not overwrite:
        raise GlobMedError(f"{path} exists; pass --overwrite to replace it")


def _sibling(target: Path, kind: str) -> str:
    return f".{target.name}.{kind}"


@contextmanager
def output_lock(target: str | os.PathLike[str]) -> Iterator[None]:
    """Hold `.NAME.lock` beside `target` (fcntl.flock) and clean up after a killed run; re-entrant per process.

    The lock file holds the holder's PID, so a second writer fails at once naming it. It is removed when the
    outermost holder leaves; a waiter that locked a file removed under it retries on the new one.
    """
    target = Path(os.path.abspath(target))  # `--out .` has a parent and a name too
    check_writable(target, inside=False)
    lock = target.parent / _sibling(target, "lock")
    key = os.path.abspath(lock)
    if key in _held:
        fd, depth, created = _held[key]
        _held[key] = (fd, depth + 1, created)
    else:
        created = [p for p in (target.parent, *target.parent.parents) if not p.exists()]
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise GlobMedError(f"{target}: cannot create {target.parent}: {err.strerror or err}") from None
        _held[key] = (_acquire(lock, target, created), 1, created)
        try:
            recover(target)
        except BaseException:
            _release(key, lock)
            raise
    try:
        yield
    finally:
        fd, depth, created = _held[key]
        if depth > 1:
            _held[key] = (fd, depth - 1, created)
        else:
            _release(key, lock)


def _acquire(lock: Path, target: Path, created: list[Path]) -> int:
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as err:
            _remove_empty(created)
            raise GlobMedError(f"{target}: cannot write in {lock.parent}: {err.strerror or err}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise GlobMedError(f"{target}: another globmed process (PID {holder}) is writing it; wait for it to "
                               f"finish, or stop it and rerun") from None
        try:
            current = os.stat(lock).st_ino
        except FileNotFoundError:
            current = None
        if current == os.fstat(fd).st_ino:  # else the holder removed the file between our open and flock
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            return fd
        os.close(fd)


def _release(key: str, lock: Path) -> None:
    fd, _, created = _held.pop(key)
    try:
        lock.unlink(missing_ok=True)  # while still locked, so nobody locks a file that is about to vanish
    finally:
        os.close(fd)
    _remove_empty(created)


def _remove_empty(folders: list[Path]) -> None:
    """Remove the folders the lock made, deepest first, where they stayed empty (a run that failed early)."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return


def recover(target: Path) -> None:
    """Undo what a killed writer of `target` left (call it holding the lock): temp folders, an unfinished swap.

    A crash between the two renames of `atomic_dir` leaves no `target`, only `.NAME.old-PID`: the previous
    version is renamed back (the interrupted run never reported success, so the old one is what the user has).
    """
    parent = target.parent
    tmp_prefix, old_prefix = _sibling(target, "tmp-"), _sibling(target, "old-")
    leftovers = [p for p in parent.iterdir() if p.name.startswith((tmp_prefix, old_prefix))]
    olds = sorted((p for p in leftovers if p.name.startswith(old_prefix)), key=lambda p: p.stat().st_mtime)
    if olds and not (target.exists() or target.is_symlink()):
        restored = olds.pop()
        os.replace(restored, target)
        leftovers.remove(restored)
        logger.warning("%s: restored the previous version from %s (an earlier run was stopped while replacing it)",
                       target, restored.name)
    for path in leftovers:
        logger.info("%s: removing %s, left by an earlier run that was stopped", target, path.name)
        _remove(path)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def follow_umask(folder: Path) -> None:
    """Give every file and folder under `folder` the mode a plain open()/mkdir() would (0644/0755 under umask 022).

    Some writers make private files: safetensors writes model.safetensors 0600 (as tempfile.mkstemp does).
    An executable file stays executable.
    """
    umask = current_umask()
    for root, dirs, files in os.walk(folder):
        for name in dirs:
            os.chmod(os.path.join(root, name), 0o777 & ~umask)
        for name in files:
            path = os.path.join(root, name)
            if not os.path.islink(path):
                executable = os.stat(path).st_mode & 0o111
                os.chmod(path, (0o777 if executable else 0o666) & ~umask)
    os.chmod(folder, 0o777 & ~umask)


@contextmanager
def atomic_dir(target: str | os.PathLike[str], writer: str, overwrite: bool = False) -> Iterator[Path]:
    """Yield an empty temporary folder beside `target`; on success it replaces `target`, marked as `writer`'s.

    Holds the lock of `target` throughout (re-entering it when the caller took it first). The temporary folder
    is on the same filesystem, so the final step is a rename. An existing `target` is moved aside first and
    removed only once the new one is in place (logged, so a rerun says it replaced an output); an exception
    removes the temporary folder and keeps `target`.
    """
    target = Path(os.path.abspath(target))
    if target == target.parent:
        raise GlobMedError(f"{target}: a filesystem root cannot be replaced; choose a folder inside it")
    with output_lock(target):
        check_output_dir(target, writer, overwrite, replaces=True)
        tmp = Path(tempfile.mkdtemp(prefix=_sibling(target, "tmp-"), dir=target.parent))
        try:
            yield tmp
            follow_umask(tmp)
            mark(tmp, writer)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        old = None
        if target.exists():
            previous = writer_of(target)
            old = target.parent / _sibling(target, f"old-{os.getpid()}")
            os.replace(target, old)
        os.replace(tmp, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
            by = f"`globmed {previous}`" if previous else "no globmed command (--overwrite)"
            logger.info("%s: replaced the previous version, written by %s", target, by)
