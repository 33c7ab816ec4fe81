#!/usr/bin/env python
"""Capture tests/fixtures/ls_export_small.json from a real Label Studio server.

Starts a throwaway server, pushes three real sentences (with pre-annotations), annotates them
through the API as two users (one annotation cancelled, one result with a wrong from_name, which
the server accepts), pulls a snapshot export and writes it as the fixture. The server's own ids
and timestamps are kept: the fixture is what label-studio 1.23.2 really exports.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from chainpolicy.contract.results import region_results
from chainpolicy.corpus import load_corpus
from chainpolicy.labelstudio import server
from chainpolicy.labelstudio.client import connect
from chainpolicy.labelstudio.config import label_config
from chainpolicy.labelstudio.sync import ensure_user, find_project, pull, push
from chainpolicy.labelstudio.tasks import make_tasks
from chainpolicy.records import Span

ROOT = Path(__file__).resolve().parents[1]
WANTED = ("02dec154e1ac7468-p001-s02", "4f7741a2ad09df20-p002-s01", "02dec154e1ac7468-p001-s01")


def main() -> None:
    corpus = load_corpus()
    titles = {a.id: a.title for a in corpus.articles}
    tasks = [t for t in make_tasks(corpus.sentences, titles) if t["data"]["sentence_id"] in WANTED]
    with tempfile.TemporaryDirectory() as scratch:
        running = server.start(Path(scratch) / "data", port=server.free_port(), timeout=300)
        try:
            os.environ["CHAINPOLICY_LS_URL"] = running.url
            os.environ["CHAINPOLICY_LS_TOKEN"] = running.token_file.read_text("utf-8").strip()
            client, _ = connect()
            push(client, "fixture", label_config(), tasks)
            project = find_project(client, "fixture")
            by_id = {
                t.data["sentence_id"]: t
                for t in client.tasks.list(project=project.id, fields="all")
            }
            one, two = ensure_user(client, "a1@example.org"), ensure_user(client, "a2@example.org")
            a, b, c = (by_id[s] for s in WANTED)

            def span(task: object, chunk: str, label: str, type_: str | None) -> Span:
                start = task.data["text"].index(chunk)  # type: ignore[attr-defined]
                return Span(start, start + len(chunk), label, type_)

            def results(task: object, spans: list[Span], prefix: str) -> list[dict[str, object]]:
                text = task.data["text"]  # type: ignore[attr-defined]
                return [
                    r
                    for n, s in enumerate(spans)
                    for r in region_results(text, s, f"{prefix}{n}", None)
                ]

            loc, fig = span(a, "江苏省", "entity", "LOC"), span(a, "20家", "figure", "COUNT")
            client.annotations.create(id=a.id, result=results(a, [loc, fig], "a"), completed_by=one)
            client.annotations.create(id=a.id, result=results(a, [loc], "b"), completed_by=two)
            work = span(b, "關于加快推動區塊鏈技術應用和產業發展的指導意見", "entity", "WORK")
            bad = results(b, [span(b, "工信部", "entity", "ORG")], "x")
            bad[0]["from_name"] = "labels"  # the server stores it; our validator must not
            client.annotations.create(
                id=b.id, result=results(b, [work], "c") + bad, completed_by=one
            )
            client.annotations.create(id=c.id, result=[], completed_by=two, was_cancelled=True)
            path = pull(client, "fixture", Path(scratch) / "out")
            data = json.loads(path.read_text("utf-8"))
        finally:
            running.stop()
    target = ROOT / "tests" / "fixtures" / "ls_export_small.json"
    target.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", "utf-8")
    print(f"wrote {target}: {len(data)} tasks", file=sys.stderr)


if __name__ == "__main__":
    main()
