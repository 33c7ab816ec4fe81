"""The corpus commands as a user runs them: real subprocesses, exit codes, no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from chainpolicy.paths import repo_root


def run(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chainpolicy", *args],
        capture_output=True,
        text=True,
        cwd=cwd or repo_root(),
        env={**os.environ, **(env or {})},
        check=False,
    )


@pytest.mark.parametrize("command", [[], ["sentences"], ["repairs"], ["scan"]])
def test_help(command: list[str]) -> None:
    result = run(*command, "--help")
    assert result.returncode == 0
    assert "Usage:" in result.stdout


def test_sentences_to_file(tmp_path: Path) -> None:
    out = tmp_path / "s.jsonl"
    result = run("sentences", "--out", str(out))
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert {"id", "article_id", "index", "role", "script", "text", "text_hans", "raw_start"} <= set(
        rows[0]
    )
    assert len({r["article_id"] for r in rows}) == 5


def test_stale_erratum_is_one_clear_line(tmp_path: Path) -> None:
    errata = tmp_path / "errata.json"
    errata.write_text(
        json.dumps(
            [
                {
                    "article": "f478772a199041ff",
                    "before": "不存在的文字",
                    "after": "x",
                    "reason": "a reason long enough",
                    "reviewed_by": "t",
                }
            ]
        ),
        "utf-8",
    )
    out = tmp_path / "s.jsonl"
    out.write_text("earlier output\n", "utf-8")
    result = run("sentences", "--errata", str(errata), "--out", str(out))
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr
    assert "stale" in result.stderr and str(errata) in result.stderr
    assert out.read_text("utf-8") == "earlier output\n"  # nothing half-written


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    result = run("--debug", "repairs", "--article", "nope")
    assert result.returncode != 0 and "Traceback" in result.stderr


def test_repairs_json_counts() -> None:
    result = run("repairs", "--json", "--counts")
    counts = {a["article_id"]: a["counts"] for a in json.loads(result.stdout)}
    assert counts["f478772a199041ff"] == {
        "erratum": 4,
        "mojibake": 2,
        "pinyin_gloss": 1086,
        "footnote_moved": 7,
    }


def test_scan_raw_sources_finds_runs() -> None:
    result = run("scan", "sources/001_4f7741a2ad09df20.txt")
    assert result.returncode == 2
    assert "offset 461" in result.stdout
    assert run("scan").returncode == 0
