"""Atomic writes: the target changes only when the whole write succeeds."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from chainpolicy import atomic


def test_text_and_bytes_replace_the_target_in_one_step(tmp_path: Path) -> None:
    target = tmp_path / "new" / "out.txt"
    atomic.write_text(target, "一\n")
    assert target.read_bytes() == "一\n".encode()
    with atomic.open_text(target) as fh:
        fh.write("二\n")
    assert target.read_text("utf-8") == "二\n"
    with atomic.open_binary(target) as fh:
        fh.write(b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.txt"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old", "utf-8")
    with pytest.raises(RuntimeError), atomic.open_text(target) as fh:
        fh.write("half")
        raise RuntimeError("interrupted")
    assert target.read_text("utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_outputs_get_the_usual_mode_not_mkstemps_0600(tmp_path: Path) -> None:
    mask = os.umask(0o022)
    try:
        atomic.write_bytes(tmp_path / "f", b"x")
    finally:
        os.umask(mask)
    assert stat.S_IMODE((tmp_path / "f").stat().st_mode) == 0o644
