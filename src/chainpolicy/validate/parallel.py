"""Pass 1 of one export on several processes, with the results of one process.

The export is cut at guessed task boundaries into ranges of about equal size
(``fastread.split_export``). This process reads the first range itself, into the build's store
and ledger; each other range is read by a forked worker (the sentence index is shared by the
fork, not copied or pickled) into its own scratch store and quarantine file, and is then merged
in file order: its rows appended after the rows before it (``AnnotationStore.append_from``),
its counters added to the ledger, its quarantine lines copied with their task numbers moved
by the tasks before its range. So the store's readers, the ledger and ``quarantine.jsonl`` see
exactly what one process would have produced.

Whatever goes wrong in a range other than the first (its start was not a task boundary after
all, the export is broken there, the worker died) makes this process read the export from that
range's start to its end itself: the exact path then finds the error, with the task numbers
and bytes of a single process. A wrong guess for the first cut is noticed by the first range's
reader and handled the same way.
"""

from __future__ import annotations

import os
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

from chainpolicy.validate.collect import Collector
from chainpolicy.validate.fastread import NotABoundary, Range, read_range, split_export
from chainpolicy.validate.ledger import Counts, Ledger
from chainpolicy.validate.report import ExportSummary, QuarantineEntry
from chainpolicy.validate.store import AnnotationStore

_COUNTED = ("tasks", "annotations", "cancelled_annotations", "drafts", "predictions", "results")
_shared: Collector | None = None  # set before forking: the workers' index


@dataclass(frozen=True)
class _Unit:
    path: Path
    export_no: int
    part: Range
    scratch: Path  # <scratch>.sqlite and <scratch>.jsonl


@dataclass(frozen=True)
class _Done:
    counts: Counts
    summary: dict[str, int]


def _work(unit: _Unit) -> _Done:
    """In a worker: read one range into a scratch store and quarantine file."""
    assert _shared is not None
    store = AnnotationStore(unit.scratch.with_suffix(".sqlite"))
    try:
        with open(unit.scratch.with_suffix(".jsonl"), "w", encoding="utf-8") as out:
            ledger = Ledger(out)
            collector = Collector(_shared.index, store, ledger)
            summary = ExportSummary(file=unit.path.name, bytes=0)
            collector.read_pieces(summary, unit.export_no, read_range(unit.path, unit.part))
        store.flush()
    finally:
        store.close()
    return _Done(ledger.counts(), {name: getattr(summary, name) for name in _COUNTED})


def read_in_parallel(collector: Collector, path: Path, export_no: int, jobs: int) -> bool:
    """Pass 1 over ``path`` in ``jobs`` processes; False (nothing read) if it does not pay."""
    global _shared
    parts = split_export(path, jobs)
    if parts is None:
        return False
    summary = ExportSummary(file=path.name, bytes=path.stat().st_size)
    collector.ledger.exports.append(summary)
    collector.store.flush()
    collector.ledger.quarantine_out.flush()  # nothing buffered may be copied into a worker
    scratch = collector.store.path.parent
    units = [
        _Unit(path, export_no, part, scratch / f"pass1-{os.getpid()}-{export_no}-{number}")
        for number, part in enumerate(parts[1:], 1)
    ]
    _shared = collector
    try:
        with ProcessPoolExecutor(len(units), mp_context=get_context("fork")) as pool:
            futures = [pool.submit(_work, unit) for unit in units]
            _merge(collector, summary, path, export_no, parts, units, futures)
    finally:
        _shared = None
        for unit in units:
            for suffix in (".sqlite", ".jsonl"):
                unit.scratch.with_suffix(suffix).unlink(missing_ok=True)
    return True


def _merge(
    collector: Collector,
    summary: ExportSummary,
    path: Path,
    export_no: int,
    parts: list[Range],
    units: list[_Unit],
    futures: list[Future[_Done]],
) -> None:
    try:
        collector.read_pieces(summary, export_no, read_range(path, parts[0]))
    except NotABoundary as wrong:
        # The first cut was a wrong guess. Its reader read on to the end of a task past it:
        # this process reads the rest of the export from there.
        rest = Range(-1, wrong.after, None, parts[0].boundary)
        collector.read_pieces(summary, export_no, read_range(path, rest, wrong.index))
        return
    for unit, future in zip(units, futures, strict=True):
        try:
            done = future.result()
        except Exception:  # any failure: this process reads the rest itself
            rest = Range(unit.part.start, unit.part.after, None, unit.part.boundary)
            collector.read_pieces(summary, export_no, read_range(path, rest, summary.tasks))
            return
        _absorb(collector, summary, unit, done)


def _absorb(collector: Collector, summary: ExportSummary, unit: _Unit, done: _Done) -> None:
    """Merge a worker's range after what was read before it."""
    offset = summary.tasks  # tasks of the export before this range
    collector.store.append_from(unit.scratch.with_suffix(".sqlite"))
    collector.ledger.add(done.counts)
    out = collector.ledger.quarantine_out
    with open(unit.scratch.with_suffix(".jsonl"), encoding="utf-8") as lines:
        for line in lines:
            entry = QuarantineEntry.model_validate_json(line)
            moved = entry.model_copy(update={"task_index": entry.task_index + offset})
            out.write(moved.model_dump_json() + "\n")
    for name, value in done.summary.items():
        setattr(summary, name, getattr(summary, name) + value)
    if collector.progress is not None:
        collector.progress(done.summary["tasks"])
