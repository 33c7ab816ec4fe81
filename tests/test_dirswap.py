"""Output folders replaced as a whole: refusal of foreign folders, swap, recovery, lock."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from chainpolicy import dirswap
from chainpolicy.errors import ChainpolicyError, InputError


def _folder(path: Path, files: dict[str, str], *, marked: bool = True) -> Path:
    path.mkdir(parents=True)
    for name, text in files.items():
        (path / name).write_text(text, "utf-8")
    if marked:
        (path / dirswap.MARKER).write_text(dirswap.MARKER_TEXT, "utf-8")
    return path


def _contents(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text("utf-8") for p in sorted(folder.iterdir()) if p.is_file()}


def _leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


@pytest.mark.parametrize(
    ("setup", "refused"),
    [
        ("missing", False),
        ("empty", False),
        ("earlier build", False),
        ("foreign files", True),
        ("a file", True),
    ],
)
def test_check_target_refuses_what_a_build_did_not_make(
    tmp_path: Path, setup: str, refused: bool
) -> None:
    target = tmp_path / "out"
    if setup == "empty":
        target.mkdir()
    elif setup == "earlier build":
        _folder(target, {"README.md": "old"})
    elif setup == "foreign files":
        _folder(target, {"notes.txt": "mine"}, marked=False)
    elif setup == "a file":
        target.write_text("x", "utf-8")
    if refused:
        with pytest.raises(InputError, match=str(target)):
            dirswap.check_target(target, "dataset")
    else:
        dirswap.check_target(target, "dataset")


def test_swap_in_replaces_every_target_and_leaves_nothing_behind(tmp_path: Path) -> None:
    data, report = tmp_path / "data", tmp_path / "sub" / "report"
    _folder(data, {"a": "old"})
    staged_data = dirswap.stage(data, [])
    (staged_data / "a").write_text("new", "utf-8")
    staged_report = dirswap.stage(report, [])  # the report target does not exist yet
    (staged_report / "r").write_text("new report", "utf-8")
    dirswap.swap_in([(staged_data, data), (staged_report, report)])
    assert _contents(data)["a"] == "new"
    assert _contents(report)["r"] == "new report"
    assert _leftovers(tmp_path) == []
    assert _leftovers(tmp_path / "sub") == []


def test_recover_rolls_a_half_done_swap_forward(tmp_path: Path) -> None:
    """Killed after the journal and the first exchange: the next start finishes the second."""
    data, report = tmp_path / "data", tmp_path / "report"
    _folder(data, {"a": "old"})
    _folder(report, {"r": "old"})
    staged_data, staged_report = dirswap.stage(data, []), dirswap.stage(report, [])
    (staged_data / "a").write_text("new", "utf-8")
    (staged_report / "r").write_text("new", "utf-8")
    entries = [
        {"staging": str(s), "target": str(t), "inode": s.stat().st_ino}
        for s, t in ((staged_data, data), (staged_report, report))
    ]
    (tmp_path / ".data.swap.json").write_text(json.dumps(entries), "utf-8")
    # The first exchange happened (by rename, as on a system without RENAME_EXCHANGE).
    os.rename(data, tmp_path / ".data.old-1")
    os.rename(staged_data, data)
    done = dirswap.recover(data)
    assert _contents(data)["a"] == "new" and _contents(report)["r"] == "new"
    assert any("completed the swap" in line for line in done)
    assert _leftovers(tmp_path) == []


def test_recover_restores_an_orphaned_old_copy_and_removes_leftovers(tmp_path: Path) -> None:
    data = tmp_path / "data"
    # Killed between "move the target aside" and "move the staging folder in".
    _folder(tmp_path / ".data.old-123", {"a": "complete old"})
    _folder(tmp_path / ".data.staging-abc", {"a": "half written"})
    (tmp_path / ".data.scratch-def").mkdir()
    done = dirswap.recover(data)
    assert _contents(data)["a"] == "complete old"
    assert _leftovers(tmp_path) == []
    assert len(done) == 2


def test_recover_leaves_other_folders_alone(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _folder(data, {"a": "x"})
    _folder(tmp_path / ".other.staging-1", {"b": "not ours to judge"})
    (tmp_path / "unrelated").mkdir()
    assert dirswap.recover(data) == []
    assert (tmp_path / ".other.staging-1").is_dir() and (tmp_path / "unrelated").is_dir()


def test_a_second_build_of_the_same_folder_is_refused_while_the_first_holds_it(
    tmp_path: Path,
) -> None:
    target = tmp_path / "data"
    with dirswap.lock(target), pytest.raises(ChainpolicyError, match="another"):  # noqa: SIM117
        with dirswap.lock(target):
            pass
    with dirswap.lock(target):  # released, and the lock file is gone afterwards
        pass
    assert _leftovers(tmp_path) == []
