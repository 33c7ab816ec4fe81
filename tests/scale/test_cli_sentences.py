"""``chainpolicy sentences --datatrove OUT`` as a user runs it: a real subprocess, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from chainpolicy.cli import main
from chainpolicy.corpus.jsonl import iter_jsonl
from chainpolicy.paths import repo_root
from chainpolicy.scale import shards


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chainpolicy", *args],
        capture_output=True,
        text=True,
        cwd=repo_root(),
        env=dict(os.environ),
        check=False,
    )


def test_sentences_datatrove_writes_the_same_records(
    committed: tuple[Path, Path], tmp_path: Path
) -> None:
    pytest.importorskip("datatrove", reason="datatrove is the optional extra chainpolicy[scale]")
    out = tmp_path / "out"
    result = run("sentences", "--datatrove", str(out), "--tasks", "2", "--workers", "2")
    assert result.returncode == 0, result.stderr
    expected = [json.loads(line) for line in iter_jsonl(*committed)]
    assert list(shards.iter_rows(out)) == expected
    # datatrove's console log goes to a file: the command prints its one summary line.
    assert result.stderr == (
        f"wrote {len(expected)} records in 2 shard(s) to {out / shards.RECORDS} "
        f"(datatrove logs: {out / shards.LOGS})\n"
    )
    assert "Stats: All 2 tasks" in (out / shards.LOGS / "console.log").read_text("utf-8")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--datatrove", "D", "--out", "x.jsonl"],
            "--datatrove writes shards; it does not take --out",
        ),
        (["--datatrove", "D", "--jobs", "2"], "--datatrove writes shards; it does not take --jobs"),
        (["--tasks", "2"], "--tasks needs --datatrove OUT_DIR"),
        (["--shard-format", "jsonl"], "--shard-format needs --datatrove OUT_DIR"),
    ],
)
def test_options_that_do_not_go_together(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["sentences", *args])
    assert result.exit_code == 2
    assert message in result.output


def test_an_existing_folder_is_refused_in_one_line(tmp_path: Path) -> None:
    pytest.importorskip("datatrove", reason="datatrove is the optional extra chainpolicy[scale]")
    (tmp_path / "keep.txt").write_text("mine", "utf-8")
    result = run("sentences", "--datatrove", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr == (
        f"error: {tmp_path}: exists and is not an empty folder "
        "(the datatrove ingest writes a new one)\n"
    )


def test_without_the_extra_the_error_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "datatrove", None)  # import datatrove -> ImportError
    result = CliRunner().invoke(main, ["sentences", "--datatrove", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert result.output == (
        "error: the datatrove ingest needs datatrove: install chainpolicy[scale] "
        "(pip install -e '.[scale]')\n"
    )
    assert not (tmp_path / "out").exists()
