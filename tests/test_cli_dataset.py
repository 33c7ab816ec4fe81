"""The dataset commands as users run them: exit codes, one-line errors, nothing half-written."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from chainpolicy.corpus import load_sentences
from chainpolicy.paths import repo_root
from chainpolicy.validate.synthetic import Span, annotation, task, write_export


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chainpolicy", *args],
        capture_output=True,
        text=True,
        cwd=repo_root(),
        env=env,
        check=False,
    )


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two annotators on one sentence, one of them with a figure that has no numeral."""
    record = next(r for r in load_sentences() if "共有20家" in r.text)
    text = record.text
    loc = Span(text.index("江苏省"), text.index("江苏省") + 3, "entity", "LOC")
    fig = Span(text.index("20家"), text.index("20家") + 3, "figure", "COUNT")
    bad = Span(0, 2, "figure", "COUNT")  # 目前: no numeral
    item = task(
        1,
        record.id,
        record.article_id,
        text,
        record.start,
        [annotation(1, 1, text, [loc, fig]), annotation(2, 2, text, [loc, bad])],
    )
    folder = tmp_path_factory.mktemp("exports")
    write_export(folder / "p-20240101T000000Z.json", [item])
    return folder


def _reports(tmp_path: Path) -> tuple[str, str]:
    # Without --report-dir the build writes the committed annotations/build_report/.
    return ("--report-dir", str(tmp_path / "reports"))


def _hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_build_prints_the_accounting_and_strict_fails_cleanly(
    exports: Path, tmp_path: Path
) -> None:
    out, reports = tmp_path / "ds", tmp_path / "reports"
    common = ("--exports", str(exports), "--out", str(out), "--report-dir", str(reports))
    done = run("build", *common)
    assert done.returncode == 0, done.stderr
    assert "| quarantined | 2 |" in done.stdout and "figure_without_numeral" in done.stdout
    before = _hashes(out)
    strict = run("build", *common, "--strict")
    assert strict.returncode == 1
    assert strict.stderr.startswith("error: --strict: 2 result(s) quarantined")
    assert "Traceback" not in strict.stderr
    assert _hashes(out) == before


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "found 'an empty file'"),
        (b'{"id": 1}', "expected a top-level array of tasks at byte 0, found '{'"),
        (b'[{"id": 1, "data": {}}, {"id": 2, "da', "truncated in task #1"),
        (b'[{"id": "x", "data": {}}]', "task #0 (id 'x') has the wrong shape at 'id'"),
        (b'[{"id": 1, "data": {}}]\xff', "not UTF-8 at byte 23"),
    ],
)
def test_malformed_export_is_named_and_the_folder_is_kept(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    out, reports = tmp_path / "ds", tmp_path / "reports"
    empty = ("--exports", str(tmp_path / "none"), "--out", str(out))
    built = run("build", *empty, *_reports(tmp_path))
    assert built.returncode == 0, built.stderr
    before = _hashes(out)
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "broken.json").write_bytes(content)
    done = run("build", "--exports", str(folder), "--out", str(out), "--report-dir", str(reports))
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: {folder / 'broken.json'}: ")
    assert expected in done.stderr
    assert "Traceback" not in done.stderr
    assert _hashes(out) == before
    assert not list(tmp_path.glob(".ds.*"))  # no staging or scratch folder left behind


def test_agreement_counts_the_doubly_annotated_sentence(exports: Path) -> None:
    done = run("agreement", "--exports", str(exports), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["sentences"] == 1 and report["annotators"] == 2
    entity = next(layer for layer in report["layers"] if layer["label"] == "entity")
    assert entity["strict_f1"] == 1.0  # both marked 江苏省 LOC; the bad figure was quarantined


def test_publish_dry_run_lists_files_with_hashes_and_upload_needs_a_token(
    tmp_path: Path,
) -> None:
    out = tmp_path / "ds"
    empty = ("--exports", str(tmp_path / "none"), "--out", str(out))
    built = run("build", *empty, *_reports(tmp_path))
    assert built.returncode == 0, built.stderr
    done = run("publish", "--repo-id", "org/name", "--dataset", str(out), "--dry-run")
    assert done.returncode == 0, done.stderr
    listed = {line.split()[-1]: line.split()[1] for line in done.stdout.splitlines()[:-1]}
    expected = {k: f"sha256:{v}" for k, v in _hashes(out).items()}
    assert listed == expected
    env = {k: v for k, v in os.environ.items() if k != "HF_TOKEN"}
    refused = run("publish", "--repo-id", "org/name", "--dataset", str(out), env=env)
    assert refused.returncode == 2 and "set HF_TOKEN" in refused.stderr


def test_splits_command_checks_the_committed_file() -> None:
    done = run("splits")
    assert done.returncode == 0, done.stderr
    assert "every article has a split" in done.stdout
