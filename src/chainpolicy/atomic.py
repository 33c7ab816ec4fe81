"""Atomic writes: a failed or interrupted run never leaves a half-written output behind."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, TextIO


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _publishable(fd: int) -> None:
    # mkstemp creates 0600 files; outputs are published and shared, so use the usual mode.
    os.fchmod(fd, 0o666 & ~_umask())


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def write_bytes(path: Path, data: bytes) -> None:
    with open_binary(path) as fh:
        fh.write(data)


@contextlib.contextmanager
def open_binary(path: Path) -> Iterator[BinaryIO]:
    """Like ``open_text``, for bytes."""
    with _replacing(path, "wb") as fh:
        yield fh


@contextlib.contextmanager
def open_text(path: Path) -> Iterator[TextIO]:
    """Open a temporary file next to ``path``; it replaces ``path`` only if the block succeeds."""
    with _replacing(path, "w", encoding="utf-8", newline="\n") as fh:
        yield fh


@contextlib.contextmanager
def _replacing(path: Path, mode: str, **options: Any) -> Iterator[Any]:
    # A temporary file in the same folder (so that os.replace is atomic), synced before it
    # replaces ``path``; removed if the block fails or is interrupted.
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        _publishable(fd)
        with os.fdopen(fd, mode, **options) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
