"""Keep a Label Studio project in step with the sentence records, and bring exports back.

- ``push`` is idempotent: tasks are keyed by sentence id (the server itself would happily import
  duplicates). A new sentence is added; one whose text hash differs from the pushed task is
  reported, never imported a second time (its annotations stay on the old text; the build
  re-anchors or quarantines them).
- ``pull`` uses the snapshot export with full predictions and drafts (the plain export gives
  prediction ids only and times out on big projects; drafts come as ids unless asked in full)
  and writes a new timestamped file, never replacing an earlier export.
- ``import_pass`` turns an offline annotation pass into annotations of one Label Studio user.

Long steps report progress through a callable (``push``: tasks imported; ``pull``: a factory of
bars for waiting on the export and for the bytes downloaded); the CLI passes progress bars on a
terminal and nothing otherwise.
"""

from __future__ import annotations

import codecs
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chainpolicy import atomic
from chainpolicy.contract.results import region_results
from chainpolicy.contract.taskdata import SENTENCE_ID_KEY, TEXT_HASH_KEY
from chainpolicy.errors import ChainpolicyError
from chainpolicy.labelstudio.client import describe
from chainpolicy.records import Span
from chainpolicy.schema import LS_TEXT_NAME

if TYPE_CHECKING:
    from label_studio_sdk import LabelStudio


BATCH = 200
EXPORT_POLL = 1.0
FULL_EXPORT = {"predictions": {"only_id": False}, "drafts": {"only_id": False}}

# (what, total or None, unit) -> a context whose value advances the bar by n.
Progress = Callable[[str, int | None, str], AbstractContextManager[Callable[[int], None]]]


def _ignore(_n: int) -> None:
    pass


def no_progress(
    _what: str, _total: int | None, _unit: str
) -> AbstractContextManager[Callable[[int], None]]:
    return nullcontext(_ignore)


def slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "project"


def find_project(client: LabelStudio, title: str) -> Any | None:
    project: Any
    for project in client.projects.list(title=title):
        if project.title == title:
            return project
    return None


def ensure_project(client: LabelStudio, title: str, config: str) -> tuple[Any, bool]:
    """(project, created): found by exact title, created if missing, config kept current."""
    project = find_project(client, title)
    if project is None:
        return client.projects.create(title=title, label_config=config), True
    if (project.label_config or "").strip() != config.strip():
        project = client.projects.update(id=project.id, label_config=config)
    return project, False


def existing_tasks(
    client: LabelStudio, project_id: int, page_size: int = 500
) -> dict[str, tuple[int, str | None]]:
    """sentence id -> (task id, text hash) of the project's tasks (all pages)."""
    out: dict[str, tuple[int, str | None]] = {}
    task: Any
    for task in client.tasks.list(project=project_id, fields="task_only", page_size=page_size):
        data = task.data or {}
        sentence_id = data.get(SENTENCE_ID_KEY)
        if isinstance(sentence_id, str):
            out[sentence_id] = (task.id, data.get(TEXT_HASH_KEY))
    return out


@dataclass
class PushReport:
    project_id: int
    created_project: bool
    imported: int = 0
    unchanged: int = 0
    changed: list[str] = field(default_factory=list)  # sentence ids whose text changed


def push(
    client: LabelStudio,
    title: str,
    config: str,
    tasks: Iterable[dict[str, Any]],
    *,
    progress: Progress = no_progress,
) -> PushReport:
    from label_studio_sdk.core.api_error import ApiError

    project, created = ensure_project(client, title, config)
    report = PushReport(project.id, created)
    known = existing_tasks(client, project.id)
    fresh: list[dict[str, Any]] = []
    for task in tasks:
        data = task["data"]
        seen = known.get(data[SENTENCE_ID_KEY])
        if seen is None:
            fresh.append(task)
        elif seen[1] == data[TEXT_HASH_KEY]:
            report.unchanged += 1
        else:
            report.changed.append(data[SENTENCE_ID_KEY])
    with progress("importing tasks", len(fresh), "tasks") as advance:
        for number, batch in enumerate(_batches(fresh, BATCH), 1):
            try:
                # The SDK serialises plain task dicts as they are (checked against a real server).
                client.projects.import_tasks(id=project.id, request=batch, return_task_ids=True)  # type: ignore[arg-type]
            except ApiError as exc:
                first = batch[0]["data"][SENTENCE_ID_KEY]
                last = batch[-1]["data"][SENTENCE_ID_KEY]
                raise ChainpolicyError(
                    f"import into project {title!r} failed at batch {number} (sentences {first} "
                    f".. {last}; {report.imported} tasks of earlier batches were imported, this "
                    f"batch and later ones were not): HTTP {exc.status_code}: "
                    f"{describe(exc.body)}"
                ) from None
            report.imported += len(batch)
            advance(len(batch))
    return report


def _batches(items: Sequence[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for i in range(0, len(items), size):
        yield list(items[i : i + size])


def export_path(folder: Path, title: str, now: datetime | None = None) -> Path:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    path = folder / f"{slug(title)}-{stamp}.json"
    number = 1
    while path.exists():  # never overwrite an earlier export, even within one second
        number += 1
        path = folder / f"{slug(title)}-{stamp}-{number}.json"
    return path


def pull(
    client: LabelStudio,
    title: str,
    folder: Path,
    *,
    timeout: float = 1800,
    progress: Progress = no_progress,
) -> Path:
    project = find_project(client, title)
    if project is None:
        raise ChainpolicyError(f"no Label Studio project titled {title!r}; push first")
    snapshot = client.projects.exports.create(
        project.id,
        title=f"chainpolicy pull {datetime.now(UTC).isoformat(timespec='seconds')}",
        # Plain dicts are what the SDK sends on the wire; its request models add nothing here.
        task_filter_options={"only_with_annotations": False},  # type: ignore[arg-type]
        # In full, not as ids: predictions for the machine config, drafts (what the UI saved
        # when an annotator left a task unsubmitted) so that the build can count their results.
        serialization_options=FULL_EXPORT,  # type: ignore[arg-type]
    )
    if snapshot.id is None:
        raise ChainpolicyError(f"the server created no snapshot export for {title!r}")
    export_id: int = snapshot.id
    deadline = time.monotonic() + timeout
    with progress("waiting for the server's export", None, "polls") as waited:
        while True:
            status = client.projects.exports.get(project.id, export_id).status
            if status == "completed":
                break
            if status == "failed":
                raise ChainpolicyError(
                    f"the snapshot export of project {title!r} failed on the server"
                )
            if time.monotonic() > deadline:
                raise ChainpolicyError(
                    f"the snapshot export of {title!r} took over {timeout:.0f} s"
                )
            time.sleep(EXPORT_POLL)
            waited(1)
    path = export_path(folder, title)
    # Chunks are bytes cut anywhere, also inside a multi-byte character.
    decoder = codecs.getincrementaldecoder("utf-8")()
    chunks = client.projects.exports.download(project.id, export_id, export_type="JSON")
    with atomic.open_text(path) as fh, progress("downloading the export", None, "B") as received:
        for chunk in chunks:
            fh.write(decoder.decode(chunk))
            received(len(chunk))
        fh.write(decoder.decode(b"", final=True))
    return path


def ensure_user(client: LabelStudio, email: str) -> int:
    for user in client.users.list():
        if (user.email or "").lower() == email.lower():
            return int(user.id)
    username = re.sub(r"[^A-Za-z0-9_.-]", "_", email.split("@")[0]) or "annotator"
    return int(client.users.create(username=username, email=email).id)


@dataclass
class ImportReport:
    user_id: int
    created: int = 0
    skipped_existing: int = 0
    missing_tasks: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # task text is not the text of the pass


def import_pass(
    client: LabelStudio,
    title: str,
    email: str,
    resolved: Mapping[str, list[Span]],
    texts: Mapping[str, str],
) -> ImportReport:
    """One annotation per sentence of the pass, by ``email`` (created as a user if missing).

    ``texts`` are the sentence texts the pass was resolved against: a task whose text differs
    (the sentence changed after the push) gets no annotation, since the offsets would land on
    other characters; it is reported in ``changed``.
    """
    project = find_project(client, title)
    if project is None:
        raise ChainpolicyError(f"no Label Studio project titled {title!r}; push first")
    user_id = ensure_user(client, email)
    report = ImportReport(user_id)
    done: set[int] = set()
    tasks: dict[str, tuple[int, str]] = {}
    task: Any
    for task in client.tasks.list(project=project.id, fields="all", page_size=500):
        data = task.data or {}
        tasks[str(data.get(SENTENCE_ID_KEY))] = (task.id, str(data.get(LS_TEXT_NAME, "")))
        if any(_annotator(a) == user_id for a in (task.annotations or [])):
            done.add(task.id)
    for sentence_id, spans in resolved.items():
        found = tasks.get(sentence_id)
        if found is None:
            report.missing_tasks.append(sentence_id)
            continue
        task_id, text = found
        if task_id in done:
            report.skipped_existing += 1
            continue
        if texts.get(sentence_id) != text:
            report.changed.append(sentence_id)
            continue
        result = [
            r for n, s in enumerate(spans) for r in region_results(text, s, f"u{user_id}r{n}", None)
        ]
        client.annotations.create(id=task_id, result=result, completed_by=user_id)
        report.created += 1
    return report


def _annotator(annotation: Any) -> int | None:
    who = annotation.get("completed_by") if isinstance(annotation, dict) else None
    if isinstance(who, dict):
        who = who.get("id")
    return who if isinstance(who, int) else None
