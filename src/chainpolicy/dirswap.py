"""Output folders that are replaced as a whole: staged, swapped in together, recoverable.

A build writes each of its output folders (the dataset and its report) into a staging folder
beside the target, then swaps them all in. Each swap exchanges the staging folder with its target
in one system call (Linux ``renameat2(RENAME_EXCHANGE)``), so the target path always holds a
complete folder, old or new, whenever the process is killed. A journal, written before the first
exchange, lists the pairs: a build killed between two exchanges is rolled forward by the next
one (``recover``), so a dataset and its report never stay out of step. Where the exchange is not
available (other systems, some file systems) the target is renamed aside and the staging folder
renamed in; ``recover`` then puts an orphaned old copy back.

Every folder made here carries ``MARKER``. A non-empty target without it was not made by a build
and is never replaced (``check_target``): no command deletes files it did not make.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import json
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from chainpolicy.errors import ChainpolicyError, InputError

MARKER = ".chainpolicy-build"
MARKER_TEXT = (
    "Written by `chainpolicy build`. The next build replaces this folder as a whole: "
    "keep nothing else here.\n"
)
_KINDS = ("staging", "scratch", "old")
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _leftover(target: Path, kind: str) -> str:
    return f".{target.name}.{kind}-"


def _journal(target: Path) -> Path:
    return target.parent / f".{target.name}.swap.json"


def _lockfile(target: Path) -> Path:
    return target.parent / f".{target.name}.lock"


def is_build_folder(folder: Path) -> bool:
    return (folder / MARKER).is_file()


def check_target(target: Path, what: str) -> None:
    """Refuse a target that exists and is not an empty folder or a folder a build made."""
    if not target.exists():
        return
    if not target.is_dir():
        raise InputError(f"{target}: the {what} must be a folder, and this is a file")
    if is_build_folder(target) or not any(target.iterdir()):
        return
    raise InputError(
        f"{target}: the {what} folder is not empty and was not made by `chainpolicy build` "
        f"(no {MARKER} file); the build replaces its folder as a whole, so choose a new or "
        "empty folder"
    )


@contextlib.contextmanager
def lock(target: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``target`` for the block (two builds never share an output)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    path = _lockfile(target)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666 & ~_umask())
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ChainpolicyError(
                f"{target}: another `chainpolicy build` is writing this folder (lock {path})"
            ) from None
        try:
            yield
        finally:
            # Unlinked while still held, so that no lock file is left behind.
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
    finally:
        os.close(fd)


def scratch(target: Path, made: list[Path]) -> Path:
    """A new scratch folder beside ``target``, appended to ``made`` (which the caller removes;
    ``recover`` removes what a killed process left)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with _signals_held():  # between creating and recording it, Ctrl-C would leak the folder
        folder = Path(tempfile.mkdtemp(prefix=_leftover(target, "scratch"), dir=target.parent))
        made.append(folder)
    return folder


def stage(target: Path, made: list[Path]) -> Path:
    """A new, marked staging folder beside ``target``, appended to ``made``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with _signals_held():
        staging = Path(tempfile.mkdtemp(prefix=_leftover(target, "staging"), dir=target.parent))
        made.append(staging)
    staging.chmod(0o777 & ~_umask())
    (staging / MARKER).write_text(MARKER_TEXT, "utf-8")
    return staging


def discard(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two paths; False where the system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _put_in_place(staging: Path, target: Path) -> Path | None:
    """Move ``staging`` to ``target``; the old copy's path (to delete), or None if none."""
    if not target.exists():
        os.rename(staging, target)
        return None
    if _exchange(staging, target):
        return staging  # the old folder now sits at the staging path
    old = Path(tempfile.mkdtemp(prefix=_leftover(target, "old"), dir=target.parent))
    os.rmdir(old)
    os.rename(target, old)
    os.rename(staging, target)
    return old


def swap_in(pairs: Sequence[tuple[Path, Path]]) -> None:
    """Put every ``(staging, target)`` in place, all or (after ``recover``) none.

    The journal goes beside the first target; ``recover`` of that target completes a swap that
    was killed half-way.
    """
    journal = _journal(pairs[0][1])
    resolved = [(s.resolve(), t.resolve()) for s, t in pairs]
    entries: list[dict[str, object]] = [
        {"staging": str(s), "target": str(t), "inode": s.stat().st_ino} for s, t in resolved
    ]
    with _signals_held():
        _write_journal(journal, entries)
        olds = [_put_in_place(s, t) for s, t in resolved]
        journal.unlink()
        _fsync_dir(journal.parent)
    for old in olds:
        if old is not None:
            discard(old)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM until the block is done: a swap is never left half-way by them
    (a SIGKILL can still stop it; ``recover`` rolls it forward from the journal)."""
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _write_journal(path: Path, entries: list[dict[str, object]]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(entries, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def recover(target: Path) -> list[str]:
    """Finish or undo what a killed build left beside ``target``; what was done, in words."""
    done: list[str] = []
    journal = _journal(target)
    with contextlib.suppress(FileNotFoundError):
        journal.with_name(journal.name + ".tmp").unlink()
    if journal.exists():
        try:
            entries = json.loads(journal.read_text("utf-8"))
            pairs = [(Path(e["staging"]), Path(e["target"]), int(e["inode"])) for e in entries]
        except (ValueError, KeyError, TypeError) as exc:
            raise ChainpolicyError(
                f"{journal}: unreadable swap journal of a killed build ({exc}); move it away "
                "and check the folders it names"
            ) from None
        for staging, folder, inode in pairs:
            placed = folder.exists() and folder.stat().st_ino == inode
            if not placed and staging.exists() and staging.stat().st_ino == inode:
                old = _put_in_place(staging, folder)
                if old is not None:
                    discard(old)
                done.append(f"completed the swap of {folder} that a killed build began")
        journal.unlink()
    # Leftovers are named after the target they belong to (see ``_leftover``).
    return done + _sweep(target)


def _sweep(target: Path) -> list[str]:
    done: list[str] = []
    parent = target.parent
    if not parent.is_dir():
        return done
    olds = sorted(parent.glob(_leftover(target, "old") + "*"))
    if not target.exists() and olds and is_build_folder(olds[-1]):
        os.rename(olds[-1], target)
        olds = olds[:-1]
        done.append(f"restored {target} from the copy a killed build had moved aside")
    removed = 0
    for kind in _KINDS:
        for leftover in parent.glob(_leftover(target, kind) + "*"):
            if leftover.is_dir():
                discard(leftover)
                removed += 1
    if removed:
        done.append(f"removed {removed} leftover folder(s) of killed builds beside {target}")
    return done
