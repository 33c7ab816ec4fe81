"""A full disk during the build: one line naming the folder, the previous build intact.

The disk is a small tmpfs mounted for the test (needs root, as in CI; skipped otherwise), sized
from a build measured first, so the test follows the dataset as it grows.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from chainpolicy.paths import repo_root


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    mounted: list[Path] = []

    def mount(size: str) -> Path:
        folder = tmp_path / f"disk-{size}"
        folder.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
            capture_output=True,
            check=False,
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
        mounted.append(folder)
        return folder

    yield mount
    for folder in mounted:
        subprocess.run(["umount", str(folder)], check=False)


_PAGE = 4096


@pytest.fixture(scope="module")
def build_size(tmp_path_factory: pytest.TempPathFactory) -> int:
    """Bytes a complete build (dataset and report) takes, in whole pages as tmpfs counts them."""
    out = tmp_path_factory.mktemp("measure") / "ds"
    assert _build(out).returncode == 0
    files = [p for folder in (out, out.parent / "ds-report") for p in folder.rglob("*")]
    pages = sum(-(-p.stat().st_size // _PAGE) for p in files if p.is_file())
    return (pages + len(files)) * _PAGE


def _build(out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chainpolicy", "build", "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=repo_root(),
        check=False,
    )


def _hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("share", [0.02, 0.4, 0.9])
def test_a_full_disk_is_one_line_naming_the_folder_and_leaves_nothing(
    small_disk: Callable[[str], Path], build_size: int, share: float
) -> None:
    # Full at different moments: the scratch database, the Parquet files, the card.
    disk = small_disk(f"{int(build_size * share) // 1024}k")
    out = disk / "ds"
    done = _build(out)
    assert done.returncode == 1
    assert done.stderr.startswith(f"error: {out}") and done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr
    assert sorted(p.name for p in disk.iterdir()) == []  # no half-written folder


def test_a_full_disk_keeps_the_previous_build(
    small_disk: Callable[[str], Path], build_size: int
) -> None:
    # Room for one build while it is written (scratch included), not for a second beside it.
    disk = small_disk(f"{int(build_size * 1.6) // 1024}k")
    out = disk / "ds"
    first = _build(out)
    assert first.returncode == 0, first.stderr
    before = _hashes(out), _hashes(disk / "ds-report")
    second = _build(out)
    assert second.returncode == 1 and "Traceback" not in second.stderr
    assert (_hashes(out), _hashes(disk / "ds-report")) == before
    assert sorted(p.name for p in disk.iterdir()) == ["ds", "ds-report"]
