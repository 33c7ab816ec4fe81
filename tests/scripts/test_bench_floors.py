"""scripts/bench_floors.py: its summary lines add up, and its skeleton uses the ingest's pattern."""

from __future__ import annotations

import re
from collections.abc import Callable
from subprocess import CompletedProcess
from types import ModuleType

from chainpolicy.corpus import glosses

Run = Callable[..., CompletedProcess[str]]
NUMBER = r"-?\d+\.\d+"
# Figures are printed with two decimals: sums and ratios of printed figures agree to this.
ROUNDING = 0.03


def test_the_skeleton_looks_for_glosses_with_the_ingests_own_pattern(
    bench_floors: ModuleType,
) -> None:
    assert bench_floors._GLOSS.pattern == glosses._GLOSS.pattern


def test_the_summary_lines_add_up(run_script: Run) -> None:
    result = run_script("bench_floors", "--tasks", "300", "--mb", "0.2")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 5, result.stdout
    build = re.fullmatch(
        rf"build at 300 tasks \({NUMBER} MB\): JSON_MIN ({NUMBER}) s, build ({NUMBER}) s "
        rf"\(x({NUMBER}), ({NUMBER}) s of CPU\)",
        lines[0],
    )
    assert build is not None, lines[0]
    json_min, wall, ratio, _ = map(float, build.groups())
    assert abs(json_min / wall - ratio) < ROUNDING
    parts = re.fullmatch(
        rf"build floor, each part alone, one after the other in one process: imports ({NUMBER}) "
        rf"s, validate_json ({NUMBER}) s, sentences ({NUMBER}) s, parquet ({NUMBER}) s; "
        rf"sum ({NUMBER}) s "
        rf"\(x{NUMBER} of JSON_MIN\)",
        lines[1],
    )
    assert parts is not None, lines[1]
    *each, total = map(float, parts.groups())
    assert all(part >= 0 for part in each) and each[0] > 0
    assert abs(sum(each) - total) < ROUNDING
    budget = re.match(
        rf"goal x3: ({NUMBER}) s; on one core the floor leaves ({NUMBER}) s", lines[2]
    )
    assert budget is not None, lines[2]
    assert abs(float(budget[1]) - json_min / 3) < ROUNDING
    assert abs(float(budget[1]) - total - float(budget[2])) < ROUNDING
    ingest = re.fullmatch(
        rf"ingest at {NUMBER} MB: OpenCC floor ({NUMBER}) s, ingest ({NUMBER}) s \({NUMBER} of "
        rf"the floor, (\d+) records\), skeleton ({NUMBER}) s \({NUMBER}; (\d+) records, (\d+) "
        r"gloss candidates\)",
        lines[3],
    )
    assert ingest is not None, lines[3]
    assert int(ingest[3]) > 0 and int(ingest[5]) > 0 and int(ingest[6]) > 0
    assert re.fullmatch(
        rf"goal 0\.333 of the floor: {NUMBER} s; the skeleton leaves {NUMBER} s for the rest of "
        rf"the ingest \(today it costs {NUMBER} s\)",
        lines[4],
    )


def test_a_size_that_is_not_above_zero_is_refused_in_one_line(run_script: Run) -> None:
    for args in (["--tasks", "0"], ["--mb", "-1"], ["--tasks", "many"]):
        result = run_script("bench_floors", *args)
        assert result.returncode == 2
        assert "Traceback" not in result.stderr
        assert result.stderr.strip().splitlines()[-1].startswith("bench_floors.py: error: argument")
