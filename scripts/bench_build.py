#!/usr/bin/env python
"""Benchmark `chainpolicy build` against label_studio_sdk.converter's JSON_MIN conversion.

Generates a synthetic corpus (the committed sentence records repeated under new article ids) and
a valid Label Studio export over it (--tasks tasks, about 3.5 spans each, in the shape of real
label-studio 1.23.2 exports), then in the same run measures, each in a fresh child process:
  * build:     `chainpolicy build` (validation of every result, adjudication, all configs, card)
  * json_min:  `Converter(config).convert_to_json_min(export)`, which validates nothing
Prints wall time, peak RSS and the ratio, at two sizes (memory should not grow with the export).
On a terminal, progress (inputs made, runs done) is shown on stderr.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def make_inputs(folder: Path, tasks: int, seed: int = 7) -> dict[str, Any]:
    """sentences.jsonl, splits.json and exports/export.json with ``tasks`` annotated tasks."""
    from chainpolicy.cli_progress import bar
    from chainpolicy.contract.spanrules import check_span
    from chainpolicy.corpus import load_sentences
    from chainpolicy.dataset import splits
    from chainpolicy.records import Span
    from chainpolicy.schema import ANNOTATED_ROLES
    from chainpolicy.validate.synthetic import annotation, task, write_export

    base = load_sentences()
    spans_of = {r.id: _spans(r.text, check_span, Span) for r in base}
    per_copy = sum(r.role in ANNOTATED_ROLES for r in base)
    copies = -(-tasks // per_copy)
    folder.mkdir(parents=True)
    articles: list[tuple[str, str, int]] = []
    made = {"tasks": 0, "spans": 0}

    def records() -> Iterator[Any]:
        for copy in range(copies):
            for r in base:
                new = hashlib.sha256(f"{r.article_id}:{copy}".encode()).hexdigest()[:16]
                yield (
                    r.model_copy(
                        update={
                            "id": r.id.replace(r.article_id, new),
                            "article_id": new,
                            "duplicate_of": r.duplicate_of.replace(r.article_id, new)
                            if r.duplicate_of
                            else None,
                        }
                    ),
                    r.id,
                )

    with open(folder / "sentences.jsonl", "w", encoding="utf-8") as fh:
        seen: dict[str, int] = {}
        for record, _ in records():
            fh.write(record.model_dump_json() + "\n")
            if record.article_id not in seen:
                seen[record.article_id] = len(articles)
                articles.append((record.article_id, record.script, 0))
            if record.role in ANNOTATED_ROLES:
                i = seen[record.article_id]
                articles[i] = (articles[i][0], articles[i][1], articles[i][2] + 1)
    splits.write(folder / "splits.json", splits.assign(articles))

    rng = random.Random(seed)

    def export_tasks() -> Iterator[dict[str, Any]]:
        for record, base_id in records():
            if record.role not in ANNOTATED_ROLES or made["tasks"] >= tasks:
                continue
            made["tasks"] += 1
            spans = spans_of[base_id]
            made["spans"] += len(spans)
            ann = annotation(
                made["tasks"],
                rng.randint(1, 5),
                record.text,
                spans,
                task_id=made["tasks"],
                updated_at=f"2024-05-01T10:{made['tasks'] % 60:02d}:00.000000Z",
            )
            yield task(
                made["tasks"], record.id, record.article_id, record.text, record.start, [ann]
            )

    (folder / "exports").mkdir()
    with bar(f"making an export of {tasks} tasks", tasks, "tasks") as advance:

        def counted() -> Iterator[dict[str, Any]]:
            for item in export_tasks():
                advance(1)
                yield item

        write_export(folder / "exports" / "export.json", counted())
    return {**made, "bytes": (folder / "exports" / "export.json").stat().st_size}


def _spans(text: str, check: Any, span: Any) -> list[Any]:
    """Up to four valid, non-overlapping spans per sentence: figures where digits are, then
    entities and a claim on the rest (the benchmark needs valid volume, not linguistics)."""
    out: list[Any] = []
    taken = [False] * len(text)

    def add(start: int, end: int, label: str, type_: str | None) -> None:
        fits = end <= len(text) and not any(taken[start:end])
        candidate = span(start, end, label, type_)
        if fits and check(text, candidate) is None:
            out.append(candidate)
            for i in range(start, end):
                taken[i] = True

    digits = [i for i, ch in enumerate(text) if ch.isdigit()]
    if digits:
        add(digits[0], min(len(text), digits[0] + 3), "figure", "COUNT")
    for start in range(2, len(text) - 6, max(6, len(text) // 4)):
        if len(out) >= 4:
            break
        add(start, start + 4, "entity", "ORG")
    claim_start = len(text) // 2
    claim_end = len(text) - 1
    if claim_end - claim_start > 4 and not any(taken[claim_start:claim_end]):
        add(claim_start, claim_end, "claim", None)
    return sorted(out, key=lambda s: s.key)


def child_build(folder: Path, jobs: int = 1) -> None:
    from chainpolicy.dataset.build import BuildInputs, build, find_exports
    from chainpolicy.dataset.source import JsonlSource

    inputs = BuildInputs(
        source=JsonlSource(folder / "sentences.jsonl"),
        exports=find_exports(folder / "exports"),
        splits_file=folder / "splits.json",
        card_template=ROOT / "dataset_card.md",
    )
    result = build(inputs, folder / "dataset", folder / "report", jobs=jobs)
    if result.report.quarantined:
        raise SystemExit(f"benchmark export is not valid: {result.report.quarantine}")


def child_json_min(folder: Path) -> None:
    from label_studio_sdk.converter import Converter

    config = (ROOT / "annotations" / "label_config.xml").read_text("utf-8")
    converter = Converter(config=config, project_dir=None, download_resources=False)
    converter.convert_to_json_min(
        str(folder / "exports" / "export.json"), str(folder / "json_min"), is_dir=False
    )


def measure(kind: str, folder: Path, jobs: int = 1) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one child process (wait4 gives the child's own rusage;
    with --jobs, the largest of the build and its workers)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", kind, str(folder), "--jobs", str(jobs)],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
    )
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"{kind} failed:\n{err.decode(errors='replace')[-3000:]}")
    return wall, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tasks", type=int, default=200_000, help="tasks in the big export")
    parser.add_argument("--small-tasks", type=int, default=20_000, help="for the memory check")
    parser.add_argument("--jobs", type=int, default=1, help="processes for pass 1 of the build")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, folder = args.child
        if kind == "build":
            child_build(Path(folder), args.jobs)
        else:
            child_json_min(Path(folder))
        return

    from chainpolicy.cli_progress import bar, echo

    workdir = Path(tempfile.mkdtemp(prefix="bench-build-"))
    try:
        print(
            f"{'tasks':>8} {'spans':>8} {'export MB':>10} {'step':>9} {'wall s':>8} "
            f"{'peak RSS MB':>12}"
        )
        results: dict[tuple[int, str], tuple[float, float]] = {}
        with bar("benchmark runs", 4, "runs") as runs:
            for size in (args.small_tasks, args.tasks):
                folder = workdir / f"t{size}"
                made = make_inputs(folder, size)
                for kind in ("json_min", "build"):
                    results[size, kind] = measure(kind, folder, args.jobs)
                    runs(1)
                    wall, rss = results[size, kind]
                    echo(
                        f"{made['tasks']:8d} {made['spans']:8d} {made['bytes'] / 1e6:10.1f} "
                        f"{kind:>9} {wall:8.2f} {rss:12.1f}"
                    )
                shutil.rmtree(folder, ignore_errors=True)
        big_build, big_min = results[args.tasks, "build"], results[args.tasks, "json_min"]
        small_build = results[args.small_tasks, "build"]
        print(
            f"speed: build is x{big_min[0] / big_build[0]:.2f} the speed of JSON_MIN "
            f"at {args.tasks} tasks (wall {big_build[0]:.1f} s vs {big_min[0]:.1f} s)"
        )
        print(
            f"peak RSS build {args.small_tasks} -> {args.tasks} tasks: {small_build[1]:.1f} -> "
            f"{big_build[1]:.1f} MB (x{big_build[1] / small_build[1]:.2f} for "
            f"x{args.tasks / args.small_tasks:.0f} tasks); JSON_MIN {big_min[1]:.1f} MB"
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
