"""CLI of the Label Studio layer: ``tasks``, ``ls config|serve|push|pull|import-pass``."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

import click

from chainpolicy import atomic
from chainpolicy.errors import ChainpolicyError, InputError
from chainpolicy.paths import annotations_dir, repo_root

DEFAULT_PROJECT = "ChainPolicy-ZH"
_url = click.option("--url", default=None, help="Server URL [default: $CHAINPOLICY_LS_URL].")
_project = click.option(
    "--project", "title", default=DEFAULT_PROJECT, show_default=True, help="Project title."
)


def _tasks(predictions: bool) -> list[dict[str, Any]]:
    from chainpolicy.cli_corpus import warn_unlisted
    from chainpolicy.corpus import load_corpus
    from chainpolicy.labelstudio.tasks import make_tasks

    warn_unlisted()
    corpus = load_corpus()
    titles = {a.id: a.title for a in corpus.articles}
    return list(make_tasks(corpus.sentences, titles, predictions=predictions))


@click.command("tasks")
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="JSON file."
)
@click.option("--no-predictions", is_flag=True, help="Leave out the machine pre-annotations.")
def tasks_command(out: Path, no_predictions: bool) -> None:
    """Write the Label Studio import JSON: one task per sentence (boilerplate excluded)."""
    tasks = _tasks(not no_predictions)
    atomic.write_text(out, json.dumps(tasks, ensure_ascii=False, indent=1) + "\n")
    spans = sum(len(p["result"]) for t in tasks for p in t.get("predictions", []))
    click.echo(f"wrote {len(tasks)} tasks ({spans} pre-annotation results) to {out}")


@click.group("ls")
def ls_group() -> None:
    """Label Studio: labelling config, local server, push tasks, pull exports."""


@ls_group.command("config")
@click.option("--write", is_flag=True, help="Write annotations/label_config.xml.")
def config_command(write: bool) -> None:
    """Print the labelling config generated from the label schema (or write it)."""
    from chainpolicy.labelstudio.config import CONFIG_FILE, label_config

    xml = label_config()
    if write:
        atomic.write_text(annotations_dir() / CONFIG_FILE, xml)
        click.echo(f"wrote {annotations_dir() / CONFIG_FILE}")
    else:
        click.echo(xml, nl=False)


@ls_group.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="SQLite database and files [default: .labelstudio/ in the repository, git-ignored].",
)
def serve_command(host: str, port: int, data_dir: Path | None) -> None:
    """Start a local Label Studio, wait until it is healthy, print how to connect.

    The admin's API token is $CHAINPOLICY_LS_TOKEN when it is set as the data folder is first
    used, else generated; it and the admin password are kept in owner-only files in the data
    folder and never printed (the command prints which file to read).
    """
    from chainpolicy.labelstudio import server
    from chainpolicy.labelstudio.client import TOKEN_ENV, URL_ENV

    folder = (data_dir or repo_root() / ".labelstudio").resolve()
    given = os.environ.get(TOKEN_ENV) or None
    stored = server.stored_token(folder)
    # The server runs in its own session (a Ctrl-C meant for us must not kill it half-way), so a
    # plain SIGTERM/SIGHUP of this process would orphan it: treat them like Ctrl-C. SIGINT is set
    # explicitly because shells start background jobs (CI, `cmd &`) with it ignored, and then
    # Python installs no KeyboardInterrupt handler; an inherited ignored SIGHUP (nohup) is kept.
    # Installed before the "up" lines, so a signal sent as soon as they appear is not lost.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    if signal.getsignal(signal.SIGHUP) is not signal.SIG_IGN:
        signal.signal(signal.SIGHUP, _interrupt)
    running = server.start(folder, host, port, token=given if stored is None else None)
    try:
        click.echo(f"Label Studio is up at {running.url}")
        click.echo(f"  export {URL_ENV}={running.url}")
        click.echo(f'  export {TOKEN_ENV}="$(cat {running.token_file})"')
        click.echo(f"  web login: {server.ADMIN_EMAIL}, password in {running.password_file}")
        if stored is not None and given is not None and given != stored:
            click.echo(
                f"warning: {TOKEN_ENV} is set but is not the token of {folder} (a data folder "
                "keeps the token it was created with): export it from the file above",
                err=True,
            )
        click.echo("Press Ctrl-C to stop.")
        code = running.process.wait()
    except KeyboardInterrupt:
        click.echo("stopping")
        return
    finally:
        running.stop()
    raise ChainpolicyError(
        f"Label Studio exited on its own with code {code}; see {folder / 'server.log'}"
    )


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


@ls_group.command("push")
@_url
@_project
@click.option("--no-predictions", is_flag=True, help="Push tasks without pre-annotations.")
def push_command(url: str | None, title: str, no_predictions: bool) -> None:
    """Create or find the project, set the config, import new sentences (idempotent).

    On a terminal, progress is shown on stderr.
    """
    from chainpolicy.cli_progress import bar
    from chainpolicy.labelstudio.client import api_errors, connect
    from chainpolicy.labelstudio.config import label_config
    from chainpolicy.labelstudio.sync import push

    tasks = _tasks(not no_predictions)
    client, base = connect(url)
    with api_errors(base, f"push to project {title!r}"):
        report = push(client, title, label_config(), tasks, progress=bar)
    state = "created" if report.created_project else "found"
    click.echo(
        f"project {title!r} (id {report.project_id}, {state}) at {base}: {report.imported} "
        f"tasks imported, {report.unchanged} already there"
    )
    if report.changed:
        click.echo(
            f"{len(report.changed)} sentence(s) changed since they were pushed (not re-imported; "
            f"their annotations are re-anchored or quarantined by the build): "
            + ", ".join(report.changed[:20]),
            err=True,
        )


@ls_group.command("pull")
@_url
@_project
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the export [default: annotations/exports/].",
)
def pull_command(url: str | None, title: str, out: Path | None) -> None:
    """Snapshot-export the project (full predictions and drafts) to a new timestamped file.

    On a terminal, progress is shown on stderr.
    """
    from chainpolicy.cli_progress import bar
    from chainpolicy.labelstudio.client import api_errors, connect
    from chainpolicy.labelstudio.sync import pull

    client, base = connect(url)
    with api_errors(base, f"pull of project {title!r}"):
        path = pull(client, title, out or annotations_dir() / "exports", progress=bar)
    click.echo(f"wrote {path}")


@ls_group.command("import-pass")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--annotator", required=True, help="Email of the annotator (created if missing).")
@_url
@_project
def import_pass_command(file: Path, annotator: str, url: str | None, title: str) -> None:
    """Enter an offline annotation pass as that annotator's annotations (idempotent)."""
    from chainpolicy import annotation_pass
    from chainpolicy.cli_corpus import warn_unlisted
    from chainpolicy.corpus import load_sentences
    from chainpolicy.labelstudio.client import api_errors, connect
    from chainpolicy.labelstudio.sync import import_pass

    if "@" not in annotator:
        raise InputError(f"--annotator must be an email address, got {annotator!r}")
    warn_unlisted()
    records = load_sentences()
    resolved = annotation_pass.load(file, records)
    texts = {r.id: r.text for r in records}
    client, base = connect(url)
    with api_errors(base, f"import of {file} into project {title!r}"):
        report = import_pass(client, title, annotator, resolved, texts)
    click.echo(
        f"{file}: {report.created} annotations created as user {report.user_id} "
        f"({annotator}), {report.skipped_existing} already there"
    )
    problems = []
    if report.missing_tasks:
        problems.append(
            f"{len(report.missing_tasks)} sentence(s) have no task in {title!r} (push first): "
            + ", ".join(report.missing_tasks[:10])
        )
    if report.changed:
        problems.append(
            f"{len(report.changed)} sentence(s) changed since they were pushed (the pass was "
            f"not entered for them): " + ", ".join(report.changed[:10])
        )
    if problems:
        raise InputError(f"{file}: " + "; ".join(problems))


COMMANDS: list[click.Command] = [tasks_command, ls_group]
