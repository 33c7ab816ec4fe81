"""The corpus commands as a user runs them: real subprocesses, exit codes, no tracebacks."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import click
import pytest

from chainpolicy.cli import main
from chainpolicy.corpus.manifest import MANIFEST_FILE, load
from chainpolicy.paths import repo_root, sources_dir
from chainpolicy.schema import ANNOTATED_ROLES


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


@pytest.mark.parametrize(
    "command", [[], ["sentences"], ["repairs"], ["scan"], ["add-article"], ["splits"]]
)
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
    assert {r["article_id"] for r in rows} == {a.id for a in load(sources_dir()).articles}


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


def test_debug_shows_the_traceback_and_keeps_the_exit_code(tmp_path: Path) -> None:
    plain = run("repairs", "--article", "nope")
    debug = run("--debug", "repairs", "--article", "nope")
    assert plain.returncode == debug.returncode == 2
    assert "Traceback" in debug.stderr and "Traceback" not in plain.stderr
    assert debug.stderr.endswith(plain.stderr)  # the same one line, after the traceback


def test_scan_says_when_a_file_is_not_utf8_and_help_states_the_exit_code(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("區塊鏈".encode() + b"\xff\xfe")
    result = run("scan", str(path))
    assert result.returncode == 2
    assert result.stderr == f"error: {path}: not UTF-8 (byte 0xff at offset 9)\n"
    assert "exits 2" in " ".join(run("scan", "--help").stdout.split())


def test_a_bad_manifest_is_one_line_without_pydantic_dump(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text('{"articles": [{"id": "x"}]}', "utf-8")
    result = run("sentences", "--sources", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "errors.pydantic.dev" not in result.stderr
    assert "articles.0.id: String should match pattern" in result.stderr


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


def _jsonl(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def test_add_article_lists_the_file_and_sentences_build_it(
    repo_copy: Path, synthetic_article: Path, tmp_path: Path
) -> None:
    title = synthetic_article.read_text("utf-8").splitlines()[0]
    done = run(
        "add-article",
        str(synthetic_article),
        "--title",
        title,
        "--line-role",
        "0=title",
        "--authors",
        "张三,李四",
        "--authors",
        "王五",
        cwd=repo_copy,
    )
    assert done.returncode == 0, done.stderr
    article = load(repo_copy / "sources").articles[-1]
    assert f"added article {article.id}" in done.stdout and "script Hans" in done.stdout
    assert (article.title, article.authors, article.line_roles) == (
        title,
        ["张三", "李四", "王五"],
        {0: "title"},
    )
    assert "warning" not in done.stderr  # the new file is listed: nothing stray
    out = tmp_path / "s.jsonl"
    assert run("sentences", "--out", str(out), cwd=repo_copy).returncode == 0
    assert article.id in {r["article_id"] for r in _jsonl(out)}
    again = run("add-article", str(synthetic_article), cwd=repo_copy)
    assert again.returncode == 2 and again.stderr.startswith("error: ")
    assert f"already article {article.id}" in again.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["sentences", "--out", "{tmp}/s.jsonl"],
        ["repairs", "--counts"],
        ["scan"],
        ["tasks", "--out", "{tmp}/t.json"],
        ["pass", "sheet", "--out", "{tmp}/sheet.jsonl"],
        ["splits"],
        ["agreement"],
        ["build", "--out", "{tmp}/ds", "--report-dir", "{tmp}/rep"],
    ],
)
def test_every_command_that_reads_the_corpus_warns_about_an_unlisted_file(
    repo_copy: Path, tmp_path: Path, command: list[str]
) -> None:
    stray = repo_copy / "sources" / "new-article.txt"
    stray.write_text("区块链。\n", "utf-8")
    done = run(*(arg.format(tmp=tmp_path) for arg in command), cwd=repo_copy)
    assert done.returncode == 0, done.stderr
    warning = (
        f"warning: {stray} is not listed in {repo_copy / 'sources' / MANIFEST_FILE} "
        "(add it with `chainpolicy add-article`)"
    )
    assert done.stderr.splitlines().count(warning) == 1, done.stderr


@pytest.mark.parametrize("command", [["sentences"], ["tasks", "--out", "{tmp}/t.json"]])
def test_a_duplicate_id_in_the_manifest_is_refused(
    repo_copy: Path, tmp_path: Path, command: list[str]
) -> None:
    path = repo_copy / "sources" / MANIFEST_FILE
    data = json.loads(path.read_text("utf-8"))
    first, second = data["articles"][0], data["articles"][1]
    second["id"] = first["id"]
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    done = run(*(arg.format(tmp=tmp_path) for arg in command), cwd=repo_copy)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith(f"error: {path}: duplicate article id '{first['id']}'")
    assert first["file"] in done.stderr and second["file"] in done.stderr
    assert not (tmp_path / "t.json").exists()


def test_a_sixth_article_goes_through_the_pipeline(
    repo_copy: Path, synthetic_article: Path, tmp_path: Path
) -> None:
    """Adding an article changes only what it should: the counts follow the manifest."""

    def build(name: str) -> dict[str, object]:
        out, reports = tmp_path / name, tmp_path / f"{name}-report"
        done = run("build", "--out", str(out), "--report-dir", str(reports), cwd=repo_copy)
        assert done.returncode == 0, done.stderr
        report: dict[str, object] = json.loads((reports / "build_report.json").read_text("utf-8"))
        return report

    before = build("before")
    assert run("add-article", str(synthetic_article), cwd=repo_copy).returncode == 0
    refused = run("build", "--out", str(tmp_path / "x"), cwd=repo_copy)
    assert refused.returncode == 2 and "chainpolicy splits --write" in refused.stderr
    written = run("splits", "--write", cwd=repo_copy)
    assert written.returncode == 0, written.stderr
    after = build("after")

    manifest = load(repo_copy / "sources")
    new = manifest.articles[-1].id
    assert run("sentences", "--out", str(tmp_path / "s.jsonl"), cwd=repo_copy).returncode == 0
    records = _jsonl(tmp_path / "s.jsonl")
    mine = [r for r in records if r["article_id"] == new]
    annotatable = [r for r in records if r["role"] in ANNOTATED_ROLES]
    assert mine and {r["article_id"] for r in records} == {a.id for a in manifest.articles}
    assert run("tasks", "--out", str(tmp_path / "t.json"), cwd=repo_copy).returncode == 0
    tasks = json.loads((tmp_path / "t.json").read_text("utf-8"))
    assert len(tasks) == len(annotatable)

    assert (after["articles"], after["sentences"]) == (len(manifest.articles), len(records))
    split = json.loads((repo_copy / "annotations" / "splits.json").read_text("utf-8"))[new]
    assert split in ("train", "validation")
    old_splits, new_splits = before["splits"], after["splits"]
    assert isinstance(old_splits, dict) and isinstance(new_splits, dict)
    for name, counts in new_splits.items():
        assert counts["records"] == old_splits[name]["records"] + (
            len(mine) if name == split else 0
        )


def _maintainer_commands() -> list[list[str]]:
    text = (repo_root() / "README.md").read_text("utf-8")
    section = text.split("## Maintainer workflow", 1)[1].split("\n## ", 1)[0]
    quoted = re.findall(r"`(chainpolicy [^`]+)`", " ".join(section.split()))
    return [shlex.split(q)[1:] for q in quoted]


def test_the_readme_maintainer_workflow_names_real_commands_and_options() -> None:
    commands = _maintainer_commands()
    assert len(commands) >= 10  # the section was found and read
    for words in commands:
        command: click.Command = main
        while isinstance(command, click.Group) and words and words[0] in command.commands:
            command = command.commands[words.pop(0)]
        assert command is not main, words
        options = {o for p in command.params for o in getattr(p, "opts", [])}
        assert {w for w in words if w.startswith("--")} <= options, (command.name, words)
