"""The dataset commands as users run them: exit codes, one-line errors, nothing half-written."""

from __future__ import annotations

import fcntl
import hashlib
import http.server
import json
import os
import pty
import signal
import socket
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import pytest

from chainpolicy.corpus import load_sentences
from chainpolicy.dataset.card_sections import fill_repository
from chainpolicy.paths import repo_root
from chainpolicy.records import Span
from chainpolicy.validate.synthetic import annotation, task, write_export


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
    # A second sentence that both annotate completely and alike.
    other = next(r for r in load_sentences() if r.text.startswith("习近平总书记"))
    both = [Span(0, 3, "entity", "PER")]
    agreed = task(
        2,
        other.id,
        other.article_id,
        other.text,
        other.start,
        [annotation(3, 1, other.text, both), annotation(4, 2, other.text, both)],
    )
    folder = tmp_path_factory.mktemp("exports")
    write_export(folder / "p-20240101T000000Z.json", [item, agreed])
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
    # A few lines by default; the full report with --verbose and in the report folder.
    assert "quarantined: 2 (figure_without_numeral 2; see " in done.stdout
    assert f"full report: {reports / 'build_report.md'}" in done.stdout
    assert len(done.stdout.splitlines()) <= 8 and "|" not in done.stdout
    assert done.stderr == ""  # no progress bar when stderr is not a terminal
    verbose = run("build", *common, "--verbose")
    assert verbose.returncode == 0, verbose.stderr
    assert "| quarantined | 2 |" in verbose.stdout and "figure_without_numeral" in verbose.stdout
    assert verbose.stdout.startswith((reports / "build_report.md").read_text("utf-8"))
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
    built = run("build", "--no-exports", "--out", str(out), *_reports(tmp_path))
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
    # The first sentence needs review (annotator 2 lost a figure to quarantine): an incomplete
    # vote is not compared. The second was annotated alike by both.
    assert report["sentences"] == 1 and report["annotators"] == 2
    entity = next(layer for layer in report["layers"] if layer["label"] == "entity")
    assert entity["strict_f1"] == 1.0 and entity["pairs"] == 1


def test_publish_dry_run_lists_the_files_as_published_and_upload_needs_a_token(
    tmp_path: Path,
) -> None:
    out = tmp_path / "ds"
    built = run("build", "--no-exports", "--out", str(out), *_reports(tmp_path))
    assert built.returncode == 0, built.stderr
    before = _hashes(out)
    copy = tmp_path / "as-published"
    done = run(
        "publish", "--repo-id", "org/name", "--dataset", str(out), "--dry-run",
        "--copy-to", str(copy),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    listed = {line.split()[-1]: line.split()[1] for line in lines if "sha256:" in line}
    # What is listed is what the copy holds: the built folder (hidden files, such as the
    # build's own marker, are never uploaded) with the card written for the repository.
    assert listed == {k: f"sha256:{v}" for k, v in _hashes(copy).items()}
    assert set(listed) == {k for k in before if not k.startswith(".")}
    card = (copy / "README.md").read_text("utf-8")
    assert card == fill_repository((out / "README.md").read_text("utf-8"), "org/name")
    for path in copy.rglob("*"):
        if path.suffix in (".md", ".json") or path.name in ("LICENSE", "NOTICE"):
            assert "<this repository>" not in path.read_text("utf-8"), path
    assert {k for k, v in _hashes(copy).items() if before[k] != v} == {
        "README.md",
        "croissant.json",
    }
    assert _hashes(out) == before  # dataset/ itself is never rewritten
    env = {k: v for k, v in os.environ.items() if k != "HF_TOKEN"}
    refused = run("publish", "--repo-id", "org/name", "--dataset", str(out), env=env)
    assert refused.returncode == 2 and "set HF_TOKEN" in refused.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--repo-id", "no-namespace"), "error: --repo-id 'no-namespace': must be ORG/NAME"),
        (("--repo-id", "org/bad name"), "error: --repo-id 'org/bad name': Repo id must use"),
        (("--repo-id", "org/name", "--revision", "v1"), "error: --revision 'v1': a release tag"),
    ],
)
def test_publish_checks_the_repo_id_and_revision_before_anything_else(
    tmp_path: Path, args: tuple[str, ...], expected: str
) -> None:
    # The folder does not exist: the id is refused first, and nothing is read or sent.
    done = run("publish", *args, "--dataset", str(tmp_path / "missing"), "--dry-run")
    assert done.returncode == 2
    assert done.stderr.startswith(expected) and done.stderr.count("\n") == 1


def test_publish_to_an_unreachable_hub_is_one_line(tmp_path: Path) -> None:
    out = tmp_path / "ds"
    built = run("build", "--no-exports", "--out", str(out), *_reports(tmp_path))
    assert built.returncode == 0, built.stderr
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        endpoint = f"http://127.0.0.1:{sock.getsockname()[1]}"
    env = {**os.environ, "HF_ENDPOINT": endpoint, "HF_TOKEN": "hf_" + "x" * 30}
    done = run("publish", "--repo-id", "org/name", "--dataset", str(out), env=env)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith(
        f"error: upload to org/name failed: cannot reach the Hub at {endpoint}"
    )
    assert done.stderr.count("\n") == 1 and "hf_xxx" not in done.stderr
    tagged = run(
        "publish", "--repo-id", "org/name", "--dataset", str(out), "--revision", "v1.0", env=env
    )
    assert tagged.returncode == 1 and tagged.stderr.count("\n") == 1
    assert tagged.stderr.startswith(
        f"error: upload to org/name (tag v1.0) failed: cannot reach the Hub at {endpoint}"
    )


def test_splits_command_checks_the_committed_file() -> None:
    done = run("splits")
    assert done.returncode == 0, done.stderr
    assert "every article has a split" in done.stdout


def test_a_missing_or_empty_exports_folder_is_an_error_unless_no_exports_is_given(
    tmp_path: Path,
) -> None:
    out = tmp_path / "ds"
    missing = run("build", "--exports", str(tmp_path / "typo"), "--out", str(out))
    assert missing.returncode == 2
    assert missing.stderr == f"error: {tmp_path / 'typo'}: no such folder of Label Studio exports\n"
    (tmp_path / "empty").mkdir()
    empty = run("build", "--exports", str(tmp_path / "empty"), "--out", str(out))
    assert empty.returncode == 2 and "--no-exports" in empty.stderr
    assert not out.exists()  # nothing was built from a folder without gold
    both = run("build", "--no-exports", "--exports", str(tmp_path / "empty"), "--out", str(out))
    assert both.returncode == 2 and "exclude each other" in both.stderr
    built = run("build", "--no-exports", "--out", str(out))
    assert built.returncode == 0, built.stderr
    assert "gold annotations: none yet" in built.stdout


def test_out_refuses_a_folder_the_build_did_not_make(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("my own file", "utf-8")
    done = run("build", "--no-exports", "--out", str(out))
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: {out}: the dataset folder is not empty and was not ")
    assert (out / "notes.txt").read_text("utf-8") == "my own file"
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "keep.md").write_text("mine too", "utf-8")
    other = tmp_path / "ds"
    refused = run("build", "--no-exports", "--out", str(other), "--report-dir", str(reports))
    assert refused.returncode == 2 and "the report folder is not empty" in refused.stderr
    assert not other.exists() and (reports / "keep.md").exists()


def test_a_build_elsewhere_reports_beside_its_output_not_into_the_committed_report(
    tmp_path: Path,
) -> None:
    committed = repo_root() / "annotations" / "build_report"
    before = _hashes(committed)
    out = tmp_path / "elsewhere"
    done = run("build", "--no-exports", "--out", str(out))
    assert done.returncode == 0, done.stderr
    report = tmp_path / "elsewhere-report"
    assert done.stdout.rstrip().endswith(f"wrote {out} (report: {report})")
    data = json.loads((report / "build_report.json").read_text("utf-8"))
    assert data["gold_annotations"] is False
    assert _hashes(committed) == before


def test_sigterm_during_a_build_keeps_the_previous_folders_and_leaves_nothing(
    exports: Path, tmp_path: Path
) -> None:
    """A CI timeout or `kill` sends SIGTERM: it must clean up like Ctrl-C does."""
    out, reports = tmp_path / "ds", tmp_path / "reports"
    first = run("build", "--no-exports", "--out", str(out), "--report-dir", str(reports))
    assert first.returncode == 0, first.stderr
    before, report_before = _hashes(out), _hashes(reports)
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "chainpolicy", "build", "--exports", str(exports)),
            *("--out", str(out), "--report-dir", str(reports)),
        ],
        cwd=repo_root(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Wait until the build is under way (its scratch folder exists), then terminate it.
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".ds.scratch-*")) and process.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.005)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode != 0 and "Traceback" not in stderr
    assert _hashes(out) == before and _hashes(reports) == report_before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def _on_a_terminal(*args: str) -> tuple[int, str, str]:
    """Run the CLI with stderr on a pseudo-terminal (stdout piped): what a person sees."""
    master, slave = pty.openpty()
    # A terminal of 100 columns (a fresh pty has none, and tqdm draws nothing in 0 columns).
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    process = subprocess.Popen(
        [sys.executable, "-m", "chainpolicy", *args],
        stdout=subprocess.PIPE,
        stderr=slave,
        cwd=repo_root(),
    )
    os.close(slave)
    seen = bytearray()
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    assert process.stdout is not None
    out = process.stdout.read().decode("utf-8")
    process.wait(timeout=120)
    os.close(master)
    return process.returncode, out, seen.decode("utf-8", "replace")


def test_build_shows_progress_on_a_terminal_and_the_same_summary(
    exports: Path, tmp_path: Path
) -> None:
    common = ("--exports", str(exports), "--out", str(tmp_path / "ds"))
    code, out, terminal = _on_a_terminal("build", *common, *_reports(tmp_path))
    assert code == 0, terminal
    assert "reading exports" in terminal and "writing records" in terminal
    assert "sentences" in terminal and "\r" in terminal  # a bar, redrawn in place
    assert "quarantined: 2 (figure_without_numeral 2; see " in out
    assert "reading exports" not in out  # progress never goes to stdout


class _FakeHub:
    """A tiny HTTP server on 127.0.0.1 answering the Hub API calls publish makes, as told."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        self.answers: dict[tuple[str, str], tuple[int, object]] = {}
        hub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                path = self.path.split("?", 1)[0]
                hub.requests.append((self.command, path))
                status, body = hub.answers.get((self.command, path), (404, {"error": "Not found"}))
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_HEAD = _answer

            def log_message(self, *_args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> _FakeHub:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def built_folder(tmp_path: Path) -> Path:
    out = tmp_path / "ds"
    built = run("build", "--no-exports", "--out", str(out), *_reports(tmp_path))
    assert built.returncode == 0, built.stderr
    return out


def test_publish_refuses_to_move_an_existing_release_tag_before_uploading(
    built_folder: Path,
) -> None:
    with _FakeHub() as hub:
        hub.answers = {
            ("POST", "/api/repos/create"): (200, {"url": f"{hub.url}/datasets/org/name"}),
            ("GET", "/api/datasets/org/name/refs"): (
                200,
                {
                    "branches": [],
                    "converts": [],
                    "tags": [{"name": "v1.0", "ref": "refs/tags/v1.0", "targetCommit": "abc"}],
                },
            ),
        }
        env = {**os.environ, "HF_ENDPOINT": hub.url, "HF_TOKEN": "hf_" + "y" * 30}
        args = ("--repo-id", "org/name", "--dataset", str(built_folder), "--revision", "v1.0")
        done = run("publish", *args, env=env)
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert done.stderr.startswith("error: tag v1.0 already exists in org/name")
    # The refs were read, and nothing was uploaded (no pre-upload, no commit call).
    asked = {path for _, path in hub.requests}
    assert "/api/datasets/org/name/refs" in asked
    assert not any("preupload" in p or "commit" in p for p in asked), asked


def test_publish_turns_a_refusal_of_the_hub_into_one_line_without_the_token(
    built_folder: Path,
) -> None:
    refused = (401, {"error": "Invalid credentials in Authorization header"})
    with _FakeHub() as hub:
        hub.answers = {
            ("POST", "/api/repos/create"): refused,
            ("GET", "/api/datasets/org/name"): refused,
        }
        env = {**os.environ, "HF_ENDPOINT": hub.url, "HF_TOKEN": "hf_" + "z" * 30}
        done = run("publish", "--repo-id", "org/name", "--dataset", str(built_folder), env=env)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith("error: upload to org/name failed: ")
    assert "401" in done.stderr and done.stderr.count("\n") == 1 and "hf_zzz" not in done.stderr


def test_build_and_splits_read_a_shard_folder_of_sentences(tmp_path: Path) -> None:
    # The folder `chainpolicy sentences --datatrove OUT` writes: OUT/records/*.jsonl here.
    records = load_sentences()
    (tmp_path / "shards" / "records").mkdir(parents=True)
    (tmp_path / "shards" / "records" / "00000.jsonl").write_text(
        "".join(r.model_dump_json() + "\n" for r in records), "utf-8"
    )
    shards, out = tmp_path / "shards", tmp_path / "ds"
    done = run("build", "--no-exports", "--sentences", str(shards), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert f"{len(records)} sentences" in done.stdout
    assert run("splits", "--sentences", str(shards)).returncode == 0
    articles = tmp_path / "articles.jsonl"
    articles.write_text("", "utf-8")
    refused = run(
        "build", "--sentences", str(shards), "--articles", str(articles), "--out", str(out)
    )
    assert refused.returncode == 2 and "not a shard folder" in refused.stderr
