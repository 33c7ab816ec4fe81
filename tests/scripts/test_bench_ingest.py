"""scripts/bench_ingest.py: its table, its summary lines (kept as they were), its memory probe."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from types import ModuleType

import pytest


def test_the_table_and_the_summary_lines(
    run_script: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    pytest.importorskip("datatrove", reason="datatrove is the optional extra chainpolicy[scale]")
    result = run_script("bench_ingest", "--mb", "0.12", "--small-mb", "0.06")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == [
        "size",
        "step",
        "MB/s",
        "wall",
        "s",
        "cpu",
        "s",
        "peak",
        "RSS",
        "MB",
        "tree",
        "MB",
    ]
    kinds = ["floor", "ingest", "ingest-2", "datatrove-1", "datatrove-2"]
    assert [line.split()[1] for line in lines[1:11]] == kinds * 2
    number = r"\d+\.\d+"
    # The first two summary lines are exactly as they were before the datatrove runs.
    assert re.fullmatch(rf"throughput ratio ingest/floor at 0\.12 MB: {number}", lines[11])
    assert re.fullmatch(
        rf"peak RSS ingest 0\.06 MB -> 0\.12 MB: {number} -> {number} MB "
        rf"\(x{number} for x2 input\)",
        lines[12],
    )
    # Two workers must write the bytes one writes (the benchmark compares the files).
    assert re.fullmatch(
        rf"sentences --jobs 2 at 0\.12 MB: {number} of the speed of one worker; "
        "output byte-identical",
        lines[13],
    )
    assert re.fullmatch(
        rf"datatrove ingest with 1 / 2 tasks at 0\.12 MB: {number} / {number} "
        "of the in-process speed",
        lines[14],
    )
    assert len(lines) == 15


def test_the_memory_probe_counts_a_grandchild(bench_ingest: ModuleType) -> None:
    # A child that starts a grandchild holding 200 MB: the tree's PSS holds it.
    script = textwrap.dedent(
        """
        import subprocess, sys
        holder = "b = bytearray(200 * 2**20); print('ready', flush=True); input()"
        child = subprocess.Popen([sys.executable, "-c", holder], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True)
        child.stdout.readline()
        print("ready", flush=True)
        input()
        child.communicate("")
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
        assert bench_ingest._tree_pss(proc.pid) >= 200 * 2**20
    finally:
        proc.communicate("")
    deadline = time.monotonic() + 5
    while proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
