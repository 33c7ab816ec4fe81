"""Push, annotate as two users, cancel, pull, and read the export back: against a real server."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pyarrow.parquet as pq
import pytest

from chainpolicy.contract.results import region_results
from chainpolicy.contract.taskdata import TEXT_HASH_KEY
from chainpolicy.corpus import load_corpus
from chainpolicy.errors import ChainpolicyError
from chainpolicy.labelstudio import server
from chainpolicy.labelstudio.client import connect, health
from chainpolicy.labelstudio.config import label_config
from chainpolicy.labelstudio.sync import (
    ensure_user,
    existing_tasks,
    find_project,
    import_pass,
    pull,
    push,
)
from chainpolicy.labelstudio.tasks import make_tasks
from chainpolicy.paths import repo_root
from chainpolicy.prelabel import MODEL_VERSION
from chainpolicy.records import Span
from chainpolicy.schema import ANNOTATED_ROLES
from chainpolicy.validate.export import LSDraft, LSPrediction, iter_tasks

if TYPE_CHECKING:
    from label_studio_sdk import LabelStudio

A = "02dec154e1ac7468-p001-s02"  # 目前,江苏省在国家互联网信息办公室备案的...共有20家,...


def _tasks(limit: int = 12) -> list[dict[str, object]]:
    corpus = load_corpus()
    titles = {a.id: a.title for a in corpus.articles}
    return list(make_tasks(corpus.sentences, titles))[:limit]


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chainpolicy", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=repo_root(),
        check=False,
    )


class _Bars:
    """A progress factory that records what each bar was told (the CLI's bars, without a tty)."""

    def __init__(self) -> None:
        self.bars: dict[str, dict[str, Any]] = {}

    @contextmanager
    def __call__(self, what: str, total: int | None, unit: str) -> Iterator[Callable[[int], None]]:
        bar = self.bars[what] = {"total": total, "unit": unit, "done": 0}

        def advance(n: int) -> None:
            bar["done"] += n

        yield advance


def test_push_twice_annotate_as_two_users_cancel_and_pull(
    ls_env: server.Server, cli_env: dict[str, str], tmp_path: Path
) -> None:
    client, _ = connect()
    tasks = _tasks()
    bars = _Bars()
    first = push(client, "round trip", label_config(), tasks, progress=bars)
    assert (first.created_project, first.imported, first.unchanged) == (True, len(tasks), 0)
    assert bars.bars["importing tasks"] == {
        "total": len(tasks),
        "unit": "tasks",
        "done": len(tasks),
    }
    again = push(client, "round trip", label_config(), tasks)
    assert (again.created_project, again.imported, again.unchanged) == (False, 0, len(tasks))
    project = find_project(client, "round trip")
    assert len(list(client.tasks.list(project=project.id))) == len(tasks)

    # Two users: one through an offline pass, one directly through the API; one cancels.
    record_text = next(t["data"]["text"] for t in tasks if t["data"]["sentence_id"] == A)
    start = record_text.index("江苏省")
    spans = [Span(start, start + 3, "entity", "LOC")]
    texts = {A: record_text}
    made = import_pass(client, "round trip", "ann1@example.org", {A: spans}, texts)
    assert made.created == 1
    again = import_pass(client, "round trip", "ann1@example.org", {A: spans}, texts)
    assert again.skipped_existing == 1
    second = ensure_user(client, "ann2@example.org")
    task_ids = {
        t.data["sentence_id"]: t.id for t in client.tasks.list(project=project.id, fields="all")
    }
    fig = record_text.index("20家")
    client.annotations.create(
        id=task_ids[A],
        result=region_results(record_text, Span(fig, fig + 3, "figure", "COUNT"), "x1", None),
        completed_by=second,
    )
    other = next(s for s in task_ids if s != A)
    client.annotations.create(
        id=task_ids[other], result=[], completed_by=second, was_cancelled=True
    )

    path = pull(client, "round trip", tmp_path / "exports", progress=bars)
    assert path.name.startswith("round-trip-") and path.suffix == ".json"
    assert bars.bars["downloading the export"]["done"] == path.stat().st_size
    assert pull(client, "round trip", tmp_path / "exports") != path  # never overwritten
    exported = {t.data["sentence_id"]: t for t in iter_tasks(path)}
    assert len(exported) == len(tasks)
    annotations = exported[A].annotations
    assert sorted(a.annotator for a in annotations) == sorted([made.user_id, second])
    assert [a.was_cancelled for a in exported[other].annotations] == [True]
    prediction = exported[A].predictions[0]
    assert isinstance(prediction, LSPrediction) and prediction.model_version == MODEL_VERSION
    assert prediction.result  # full predictions, not ids

    # The export is what the build reads: the cancelled annotation is counted, not used.
    done = run(
        "build",
        "--exports",
        str(path.parent),
        "--out",
        str(tmp_path / "ds"),
        "--report-dir",
        str(tmp_path / "report"),
        env=cli_env,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "report" / "build_report.json").read_text("utf-8"))
    assert report["annotations"]["cancelled"] == 2  # one per pulled export
    assert report["outcomes"]["excluded_prediction"] > 0
    assert report["outcomes"]["quarantined"] == 0


def _snapshot_without_draft_option(client: LabelStudio, project_id: int, path: Path) -> Path:
    """A snapshot export as a client that does not ask for drafts gets it: drafts as bare ids."""
    snap = client.projects.exports.create(
        project_id,
        title="no drafts option",
        task_filter_options={"only_with_annotations": False},  # type: ignore[arg-type]
        serialization_options={"predictions": {"only_id": False}},  # type: ignore[arg-type]
    )
    assert snap.id is not None
    deadline = time.monotonic() + 120
    while client.projects.exports.get(project_id, snap.id).status != "completed":
        assert time.monotonic() < deadline, "the snapshot export did not complete"
        time.sleep(0.5)
    path.parent.mkdir(parents=True)
    data = client.projects.exports.download(project_id, snap.id, export_type="JSON")
    path.write_bytes(b"".join(data))
    return path


def _build(exports: Path, out: Path, env: dict[str, str]) -> dict[str, Any]:
    args = ("--exports", str(exports), "--out", str(out / "ds"), "--report-dir", str(out / "rep"))
    done = run("build", *args, env=env)
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads((out / "rep" / "build_report.json").read_text("utf-8"))
    return report


def test_a_saved_draft_is_pulled_counted_as_a_draft_and_kept_out_of_the_dataset(
    ls_env: server.Server, cli_env: dict[str, str], tmp_path: Path
) -> None:
    client, _ = connect()
    tasks = _tasks()
    push(client, "drafts", label_config(), tasks)
    project = find_project(client, "drafts")
    task_ids = {
        t.data["sentence_id"]: t.id for t in client.tasks.list(project=project.id, fields="all")
    }
    text = next(t["data"]["text"] for t in tasks if t["data"]["sentence_id"] == A)
    # Submitted: 江苏省. Left as a draft (edited, never submitted): 苏州市, as the UI saves it.
    submitted = Span(text.index("江苏省"), text.index("江苏省") + 3, "entity", "LOC")
    drafted = Span(text.index("苏州市"), text.index("苏州市") + 3, "entity", "LOC")
    client.annotations.create(id=task_ids[A], result=region_results(text, submitted, "s1", None))
    draft_result = region_results(text, drafted, "d1", None)
    token = cli_env["CHAINPOLICY_LS_TOKEN"]
    saved = httpx.post(
        f"{ls_env.url}/api/tasks/{task_ids[A]}/drafts",
        json={"result": draft_result, "lead_time": 3.0},
        headers={"Authorization": f"Token {token}"},
        timeout=60,
    )
    assert saved.status_code == 201, saved.text

    # `ls pull` asks for drafts in full: the export carries the draft's results.
    done = run("ls", "pull", "--project", "drafts", "--out", str(tmp_path / "exports"), env=cli_env)
    assert done.returncode == 0, done.stderr
    (path,) = (tmp_path / "exports").glob("drafts-*.json")
    (draft,) = next(t for t in iter_tasks(path) if t.id == task_ids[A]).drafts
    assert isinstance(draft, LSDraft) and draft.result == draft_result

    report = _build(path.parent, tmp_path / "full", cli_env)
    (summary,) = report["exports"]
    assert summary["drafts"] == 1
    assert report["outcomes"]["excluded_draft"] == len(draft_result)
    assert report["outcomes"].get("quarantined", 0) == 0
    gold = {r["id"]: r for r in _rows(tmp_path / "full" / "ds", "default")}[A]
    assert [(s["start"], s["end"]) for s in gold["spans"]] == [(submitted.start, submitted.end)]
    votes = [r for r in _rows(tmp_path / "full" / "ds", "annotations") if r["sentence_id"] == A]
    assert [[(s["start"], s["end"]) for s in v["spans"]] for v in votes] == [
        [(submitted.start, submitted.end)]
    ]

    # A client that does not ask for drafts gets bare ids: the build reads that export too,
    # counting the draft (its results are not in the file, so none are counted).
    bare = _snapshot_without_draft_option(client, project.id, tmp_path / "bare" / "bare.json")
    raw = {t["id"]: t for t in json.loads(bare.read_text("utf-8"))}
    assert raw[task_ids[A]]["drafts"] == [draft.id]
    report = _build(bare.parent, tmp_path / "ids", cli_env)
    assert report["exports"][0]["drafts"] == 1
    assert report["outcomes"].get("excluded_draft", 0) == 0
    assert report["outcomes"].get("quarantined", 0) == 0


def _rows(root: Path, config: str) -> list[dict[str, Any]]:
    return [
        row
        for path in sorted((root / "data" / config).glob("*.parquet"))
        for row in pq.read_table(path).to_pylist()
    ]


def test_changed_sentence_is_reported_not_duplicated(ls_env: server.Server) -> None:
    client, _ = connect()
    tasks = _tasks(4)
    push(client, "changes", label_config(), tasks)
    changed = json.loads(json.dumps(tasks))
    changed[1]["data"][TEXT_HASH_KEY] = "0" * 40
    report = push(client, "changes", label_config(), changed)
    assert report.changed == [changed[1]["data"]["sentence_id"]]
    assert report.imported == 0
    project = find_project(client, "changes")
    assert len(list(client.tasks.list(project=project.id))) == 4
    # The comparison sees every task, also across pages of the task list.
    assert len(existing_tasks(client, project.id, page_size=3)) == 4

    # A pass resolved against another text is not entered: its offsets would land elsewhere.
    ids = [t["data"]["sentence_id"] for t in tasks]
    texts = {sid: t["data"]["text"] for sid, t in zip(ids, tasks, strict=True)}
    moved = Span(0, 2, "claim")
    report = import_pass(
        client,
        "changes",
        "ann3@example.org",
        {ids[0]: [moved], ids[2]: [], ids[3]: [], "no-such-sentence": []},
        {**texts, ids[0]: "前" + texts[ids[0]], ids[3]: texts[ids[3]] + "。"},
    )
    assert (report.created, report.changed, report.missing_tasks) == (
        1,
        [ids[0], ids[3]],
        ["no-such-sentence"],
    )


def test_cli_push_and_errors(cli_env: dict[str, str], tmp_path: Path) -> None:
    env = cli_env
    done = run("ls", "pull", "--project", "no such project", env=env)
    assert (
        done.returncode == 1 and "no Label Studio project titled 'no such project'" in done.stderr
    )
    wrong = {**env, "CHAINPOLICY_LS_TOKEN": "not-a-token"}
    done = run("ls", "push", env=wrong)
    assert done.returncode == 1 and "rejected the token" in done.stderr
    assert "not-a-token" not in done.stderr + done.stdout
    nowhere = f"http://127.0.0.1:{server.free_port()}"
    done = run("ls", "push", "--url", nowhere, env=env)
    assert done.returncode == 1 and f"not reachable at {nowhere}" in done.stderr
    assert "Traceback" not in done.stderr
    token = env["CHAINPOLICY_LS_TOKEN"]
    done = run("ls", "push", "--project", "cli", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no progress bar when stderr is not a terminal
    n_tasks = sum(1 for r in load_corpus().sentences if r.role in ANNOTATED_ROLES)
    assert f"{n_tasks} tasks imported" in done.stdout and token not in done.stdout
    # An offline pass enters as its annotator's annotations, once.
    items = [
        {"id": A, "spans": [{"text": "江苏省", "label": "entity", "type": "LOC"}]},
        {"id": "02dec154e1ac7468-p001-s01", "spans": []},
    ]
    pass_file = tmp_path / "pass.jsonl"
    pass_file.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), "utf-8")
    args = ("ls", "import-pass", str(pass_file), "--annotator", "p@example.org", "--project", "cli")
    done = run(*args, env=env)
    assert done.returncode == 0 and "2 annotations created" in done.stdout, done.stderr
    done = run(*args, env=env)
    assert done.returncode == 0 and "0 annotations created" in done.stdout
    assert "2 already there" in done.stdout
    # Server-side refusals are one line naming the server and what it said (no headers).
    done = run("ls", "push", "--project", "ab", "--no-predictions", env=env)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"at {env['CHAINPOLICY_LS_URL']}: HTTP 400" in done.stderr and "title" in done.stderr
    assert "sessionid" not in done.stderr
    # A real-size pull: the download arrives in chunks that cut multi-byte characters.
    done = run("ls", "pull", "--project", "cli", "--out", str(tmp_path), env=env)
    assert done.returncode == 0, done.stderr
    (path,) = tmp_path.glob("cli-*.json")
    assert sum(1 for _ in iter_tasks(path)) == n_tasks


@pytest.mark.parametrize(
    ("signal_name", "env_token"), [("SIGINT", None), ("SIGTERM", "a-different-token-0123456789")]
)
def test_serve_command_starts_prints_the_url_and_stops(
    ls_template: Path, tmp_path: Path, signal_name: str, env_token: str | None
) -> None:
    data = tmp_path / "data"
    shutil.copytree(ls_template, data)
    port = server.free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAINPOLICY_LS_")}
    if env_token:
        env["CHAINPOLICY_LS_TOKEN"] = env_token
    args = ["ls", "serve", "--port", str(port), "--data-dir", str(data)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "chainpolicy", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=repo_root(),
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith(f"Label Studio is up at {url}"), proc.stderr.read()  # type: ignore[union-attr]
        assert health(url)
        token = (data / server.TOKEN_FILE).read_text("utf-8").strip()
        password = (data / server.PASSWORD_FILE).read_text("utf-8").strip()
        rest = "".join(proc.stdout.readline() for _ in range(4))
        assert "CHAINPOLICY_LS_TOKEN" in rest and str(data / server.PASSWORD_FILE) in rest
        proc.send_signal(getattr(signal, signal_name))
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        for secret in (token, password):
            assert secret not in first + rest + out + err
            assert secret not in (data / "server.log").read_text("utf-8")
        # A data folder keeps its token: a different one in the environment is only warned about.
        assert ("is not the token of" in err) == bool(env_token)
        assert not env_token or env_token not in err
        assert not health(url)  # the server stopped with the command, also on SIGTERM
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
            _kill_servers_in(data)
    assert stat.S_IMODE((data / server.TOKEN_FILE).stat().st_mode) == 0o600


def _kill_servers_in(data: Path) -> None:
    """A failed test killed the command: also stop the server it started (cwd = the data dir)."""
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "cwd").resolve() == data.resolve():
                os.kill(int(entry.name), signal.SIGKILL)
        except OSError:
            continue


@pytest.mark.parametrize("token", ["has spaces in it, 0123456789", "short", "é" * 30])
def test_a_bad_token_is_refused_without_echoing_it(tmp_path: Path, token: str) -> None:
    with pytest.raises(ChainpolicyError, match=f"has {len(token)} characters") as caught:
        server.start(tmp_path / "data", port=server.free_port(), token=token)
    assert token not in str(caught.value)
    assert not (tmp_path / "data").exists()


def test_a_busy_port_or_a_server_that_rejects_our_token_is_refused(
    ls_template: Path, ls_server: server.Server, tmp_path: Path
) -> None:
    port = int(ls_server.url.rsplit(":", 1)[1])
    with pytest.raises(ChainpolicyError, match=f"port {port} on 127.0.0.1 is in use"):
        server.start(tmp_path / "unused", port=port)
    # The server answers /health, but is not the one this folder's token belongs to.
    data = tmp_path / "data"
    shutil.copytree(ls_template, data, ignore=shutil.ignore_patterns("server.log"))
    (data / server.TOKEN_FILE).write_text("x" * 40 + "\n", "utf-8")
    with pytest.raises(ChainpolicyError, match="rejects the admin token kept in"):
        server.start(data, port=server.free_port())
