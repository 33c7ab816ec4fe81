"""scripts/kill_build.py: a few real SIGKILLs of a build leave a complete build, and the checks
catch a damaged or out-of-step output."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

KILLS = 5


@pytest.fixture(scope="module")
def killed(kill: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Any:
    lines: list[str] = []
    harness = kill.Harness(tmp_path_factory.mktemp("kill"), seed=7, echo=lines.append)
    harness.run(KILLS, load_every=0, settle=0.5)  # one load_dataset check, at the end
    harness.lines = lines
    return harness


def test_every_kill_leaves_a_complete_build_and_no_leftovers(killed: Any) -> None:
    assert not killed.failures, "\n".join(killed.lines)
    assert len(killed.kills) == KILLS
    assert all(k.state in ("A/A", "B/B", "A/B", "B/A") for k in killed.kills)
    assert killed.loads == 1 and killed.settled >= 1
    assert killed.leftovers() == []  # the run ends with a complete build
    assert f"kills: {KILLS}" in killed.summary()


def test_a_kill_between_the_two_exchanges_is_rolled_forward(kill: ModuleType, killed: Any) -> None:
    # OUT already exchanged, REP not yet: out of step, with the journal to finish the swap.
    current = killed.which(killed.out, "dataset")
    other = "B" if current == "A" else "A"
    shot = killed.kill_once(99, other, mode="hook", hook=("_exchange", "after", 1))
    assert shot is not None and not shot.failures
    assert shot.state == f"{other}/{current}" and shot.phase == kill.PHASES[5]
    assert killed.journal().exists()
    before = dict(killed.recovered)
    killed.complete_build(current, "after the hooked kill")
    assert not killed.failures
    assert (
        killed.recovered["swap completed from the journal"]
        == before.get("swap completed from the journal", 0) + 1
    )


def test_a_damaged_output_is_reported(kill: ModuleType, killed: Any) -> None:
    current = killed.which(killed.out, "dataset")
    assert current is not None
    victim = next((killed.out / "data").rglob("*.parquet"))
    saved = victim.read_bytes()
    victim.write_bytes(saved[: len(saved) // 2])  # what a non-atomic writer would leave
    record = kill.Kill(0, current, "manual", 0.0)
    try:
        killed.check_after_kill(record)
    finally:
        victim.write_bytes(saved)
        killed.failures.clear()
    assert "OUT is not byte-identical to a complete build" in record.failures


def test_out_of_step_folders_without_a_journal_are_reported(
    kill: ModuleType, killed: Any, tmp_path: Path
) -> None:
    current = killed.which(killed.report, "report")
    other = "B" if current == "A" else "A"
    saved = tmp_path / "saved"
    shutil.move(killed.report, saved)
    shutil.copytree(killed.work / f"ref-{other}" / "ds-report", killed.report)
    record = kill.Kill(0, other, "manual", 0.0)
    try:
        killed.check_after_kill(record)
    finally:
        shutil.rmtree(killed.report)
        shutil.move(saved, killed.report)
        killed.failures.clear()
    assert any("out of step" in f and "no journal" in f for f in record.failures)
