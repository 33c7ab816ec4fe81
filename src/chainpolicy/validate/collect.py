"""Pass 1 of the build: stream every export, validate every result, keep the valid annotations.

Each result is recorded in the ledger when read. Pass 1 settles cancelled, draft, prediction,
collapsed and quarantined results; the valid regions of submitted annotations are stored (one
row per annotation) and settled by the per-sentence decisions of pass 2 (``validate.decide``).
Annotations of tasks whose text changed since are re-anchored (``validate.reanchor``).
``collect`` runs the whole pass; the build and ``chainpolicy agreement`` share it.

Two paths give the same results, rows and quarantine lines in the same order. The exact path
(``fast=False``) reads task by task (``export.iter_tasks``) and checks annotation by annotation
(``contract.regions.check_annotation``). The fast path (the default) reads batches of tasks
validated in one compiled call (``validate.fastread``), decides column-wise which annotations
are clean (``contract.batchcheck``) and stores those in bulk; every other annotation, and every
task the fast reader hands back, goes through the exact path's code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from chainpolicy.contract.batchcheck import check_batch
from chainpolicy.contract.regions import check_annotation
from chainpolicy.contract.taskdata import TaskRef, task_ref
from chainpolicy.records import SentenceRecord
from chainpolicy.validate.export import LSAnnotation, LSTask, iter_tasks, timestamp_micros
from chainpolicy.validate.fastread import FastAnnotation, FastBatch, Piece, read_export
from chainpolicy.validate.index import SentenceIndex, text_digest
from chainpolicy.validate.ledger import Ledger
from chainpolicy.validate.reanchor import reanchor
from chainpolicy.validate.report import ExportSummary, QuarantineEntry, escape_surrogates
from chainpolicy.validate.store import (
    AnnotationStore,
    AnnRow,
    PendingAnnotation,
    StoredAnnotation,
    pack_rows,
)


def collect(
    index: SentenceIndex,
    store: AnnotationStore,
    ledger: Ledger,
    exports: Sequence[Path],
    sentences: Iterable[SentenceRecord],
    *,
    progress: Callable[[int], None] | None = None,
    fast: bool = True,
    jobs: int = 1,
) -> None:
    """Pass 1 over every export, then re-anchoring against the current ``sentences``.

    ``progress`` (a progress bar's update) is called with the number of tasks read, after each
    task or batch. ``fast=False`` runs the exact path only (the reference the tests compare
    the fast path with). ``jobs`` > 1 reads each big export in that many processes
    (``validate.parallel``), with the same results.
    """
    collector = Collector(index, store, ledger, progress, fast)
    for number, path in enumerate(exports):
        if jobs > 1 and fast:
            from chainpolicy.validate.parallel import read_in_parallel  # (it imports this)

            if read_in_parallel(collector, path, number, jobs):
                continue
        collector.read(path, number)
    reanchor(store, ledger, index, sentences)


@dataclass(frozen=True, slots=True)
class Where:
    """Where a result came from, for the quarantine list."""

    export: str
    task_index: int
    task_id: int
    annotation_id: int
    annotator: int | None
    sentence_id: str | None

    def entry(
        self, reason: str, result_index: int | None, region_id: str | None, detail: str
    ) -> QuarantineEntry:
        return QuarantineEntry(
            reason=reason,
            export=self.export,
            task_index=self.task_index,
            task_id=self.task_id,
            annotation_id=self.annotation_id,
            annotator=self.annotator,
            sentence_id=self.sentence_id,
            result_index=result_index,
            region_id=region_id,
            detail=detail,
        )


class Submitted(NamedTuple):
    """What pass 1 keeps of a submitted annotation (from a model or a validated dict)."""

    annotation_id: int
    annotator: int | None
    ground_truth: bool
    recency: int
    results: Sequence[object]


def _from_model(ann: LSAnnotation) -> Submitted:
    return Submitted(ann.id, ann.annotator, ann.ground_truth, ann.recency()[0], ann.result)


def _annotator(ann: FastAnnotation) -> int | None:
    user = ann["completed_by"]
    return user["id"] if isinstance(user, dict) else user


def _from_dict(ann: FastAnnotation) -> Submitted:
    recency = timestamp_micros(ann["updated_at"] or ann["created_at"])
    return Submitted(ann["id"], _annotator(ann), ann["ground_truth"], recency, ann["result"])


@dataclass
class Collector:
    index: SentenceIndex
    store: AnnotationStore
    ledger: Ledger
    progress: Callable[[int], None] | None = None
    fast: bool = True

    def read(self, path: Path, export_no: int) -> None:
        summary = ExportSummary(file=path.name, bytes=path.stat().st_size)
        self.ledger.exports.append(summary)
        if not self.fast:
            for task_index, task in enumerate(iter_tasks(path)):
                summary.tasks += 1
                self._task(summary, export_no, task_index, task)
                if self.progress is not None:
                    self.progress(1)
            return
        self.read_pieces(summary, export_no, read_export(path))

    def read_pieces(self, summary: ExportSummary, export_no: int, pieces: Iterable[Piece]) -> None:
        """Pass 1 over tasks as the chunked reader gives them (an export, or a range of one)."""
        for piece in pieces:
            if isinstance(piece, FastBatch):
                self._batch(summary, export_no, piece)
                read = len(piece.tasks)
            else:  # a task the exact reader read
                task_index, task = piece
                summary.tasks += 1
                self._task(summary, export_no, task_index, task)
                read = 1
            if self.progress is not None:
                self.progress(read)

    def _current(self, idx: int | None, ref: TaskRef) -> int | None:
        """The sentence ``idx`` if the task's text is still its text, else None."""
        if idx is None or ref.text is None or text_digest(ref.text) != self.index.digest(idx):
            return None
        return idx

    def _task(self, summary: ExportSummary, export_no: int, task_index: int, task: LSTask) -> None:
        ledger = self.ledger
        for draft in task.drafts:
            summary.drafts += 1
            if isinstance(draft, int):  # a bare id: the export did not include its results
                continue
            summary.results += len(draft.result)
            ledger.read(len(draft.result))
            ledger.settle("excluded_draft", len(draft.result))
        ref = task_ref(task.data)
        idx = self.index.ids.get(ref.sentence_id) if ref.sentence_id is not None else None
        current = self._current(idx, ref)
        for number, prediction in enumerate(task.predictions):
            summary.predictions += 1
            if not isinstance(prediction, int):  # sync exports give prediction ids only
                summary.results += len(prediction.result)
                ledger.read(len(prediction.result))
                ledger.settle("excluded_prediction", len(prediction.result))
                if current is not None and ref.text is not None:
                    # Keep its valid spans on the current text for the machine config.
                    self.store.add_prediction(
                        current,
                        escape_surrogates(prediction.model_version or "unknown"),
                        export_no,
                        prediction.id if prediction.id is not None else number,
                        check_annotation(prediction.result, ref.text).regions,
                    )
        article = self.index.article_numbers.get(ref.article_id or "")
        for ann in task.annotations:
            summary.annotations += 1
            summary.results += len(ann.result)
            ledger.read(len(ann.result))
            if ann.was_cancelled:
                summary.cancelled_annotations += 1
                ledger.annotations.cancelled += 1
                ledger.settle("excluded_cancelled", len(ann.result))
                continue
            where = Where(summary.file, task_index, task.id, ann.id, ann.annotator, ref.sentence_id)
            self._route(where, export_no, idx, article, ref, _from_model(ann))

    def _route(
        self,
        where: Where,
        export_no: int,
        idx: int | None,
        article: int | None,
        ref: TaskRef,
        ann: Submitted,
    ) -> None:
        """Where a submitted annotation goes: checked and stored, or rejected whole."""
        if idx is None and article is not None and ref.text is not None:
            # The id is gone (e.g. the article was re-segmented): try the article offsets.
            self._annotation(where, export_no, None, article, ref.text, ref.article_start, ann)
        elif idx is None:
            self._reject_all(where, "unknown_sentence", idx, len(ann.results))
        elif not self.index.annotatable[idx]:
            self._reject_all(where, "not_annotatable", idx, len(ann.results))
        elif ref.text is None:
            self._reject_all(where, "missing_text", idx, len(ann.results))
            if ann.results:  # the sentence was annotated, but what was marked is unknown
                self._mark_incomplete(idx, where, export_no, ann)
        else:
            article = self.index.article_of[idx]
            self._annotation(where, export_no, idx, article, ref.text, ref.article_start, ann)

    def _batch(self, summary: ExportSummary, export_no: int, batch: FastBatch) -> None:
        """The exact path's ``_task`` for a batch of validated dicts, in the same order, with
        the annotations (and predictions) of current texts checked column-wise first: a clean
        one is stored as checked, any other goes through the exact path's code."""
        index, ledger, store = self.index, self.ledger, self.store
        tasks = batch.tasks
        refs = [task_ref(task["data"]) for task in tasks]
        known = [
            index.ids.get(ref.sentence_id) if ref.sentence_id is not None else None for ref in refs
        ]
        digest = index.digest
        current = [
            idx
            if idx is not None and ref.text is not None and text_digest(ref.text) == digest(idx)
            else None
            for idx, ref in zip(known, refs, strict=True)
        ]  # (Collector._current, inline: it runs for every task)
        # Phase 1: the results check_annotation would see on a current text, as groups.
        texts: list[str] = []
        text_of: list[int] = []
        groups: list[Sequence[object]] = []
        for task, ref, idx in zip(tasks, refs, current, strict=True):
            if idx is None or ref.text is None:
                continue
            texts.append(ref.text)
            number = len(texts) - 1
            for prediction in task["predictions"]:
                if not isinstance(prediction, int):
                    groups.append(prediction["result"])
                    text_of.append(number)
            if index.annotatable[idx]:
                for ann in task["annotations"]:
                    if not ann["was_cancelled"]:
                        groups.append(ann["result"])
                        text_of.append(number)
        checked = check_batch(texts, text_of, groups)  # type: ignore[arg-type]
        clean = checked.clean.tolist()
        spans = pack_rows(checked.rows, checked.bounds)
        # Phase 2: _task, task by task. The counters the clean annotations touch are summed
        # here and added once (they are pydantic models, slow to update one by one).
        rows: list[AnnRow] = []
        group = results_read = annotations = submitted = empty = 0
        for offset, task in enumerate(tasks):
            ref, idx = refs[offset], current[offset]
            for draft in task["drafts"]:
                summary.drafts += 1
                if isinstance(draft, int):
                    continue
                summary.results += len(draft["result"])
                ledger.read(len(draft["result"]))
                ledger.settle("excluded_draft", len(draft["result"]))
            for number, prediction in enumerate(task["predictions"]):
                summary.predictions += 1
                if isinstance(prediction, int):
                    continue
                results = prediction["result"]
                summary.results += len(results)
                ledger.read(len(results))
                ledger.settle("excluded_prediction", len(results))
                if idx is None or ref.text is None:
                    continue
                version = escape_surrogates(prediction["model_version"] or "unknown")
                pid = prediction["id"] if prediction["id"] is not None else number
                if clean[group]:
                    store.add_prediction_packed(idx, version, export_no, pid, spans[group])
                else:
                    regions = check_annotation(results, ref.text).regions
                    store.add_prediction(idx, version, export_no, pid, regions)
                group += 1
            article = index.article_numbers.get(ref.article_id or "")
            for ann in task["annotations"]:
                results = ann["result"]
                annotations += 1
                results_read += len(results)
                if ann["was_cancelled"]:
                    summary.cancelled_annotations += 1
                    ledger.annotations.cancelled += 1
                    ledger.settle("excluded_cancelled", len(results))
                    continue
                if idx is not None and index.annotatable[idx]:
                    group += 1
                    if clean[group - 1]:  # the exact path would store it, complete, as is
                        empty += not results
                        submitted += 1
                        recency = timestamp_micros(ann["updated_at"] or ann["created_at"])
                        user = ann["completed_by"]
                        rows.append(
                            (
                                idx,
                                ann["id"],
                                user["id"] if isinstance(user, dict) else user,
                                ann["ground_truth"],
                                recency,
                                task["id"],
                                export_no,
                                spans[group - 1],
                                True,
                            )
                        )
                        continue
                store.add_packed_many(rows)  # keep the rows in the exact path's order
                rows.clear()
                where = Where(
                    summary.file,
                    batch.first_index + offset,
                    task["id"],
                    ann["id"],
                    _annotator(ann),
                    ref.sentence_id,
                )
                self._route(where, export_no, known[offset], article, ref, _from_dict(ann))
        store.add_packed_many(rows)
        summary.tasks += len(tasks)
        summary.annotations += annotations
        summary.results += results_read
        ledger.read(results_read)
        ledger.annotations.submitted += submitted
        ledger.annotations.empty += empty

    def _annotation(
        self,
        where: Where,
        export_no: int,
        idx: int | None,
        article: int,
        text: str,
        article_start: int | None,
        ann: Submitted,
    ) -> None:
        ledger = self.ledger
        checked = check_annotation(ann.results, text)
        ledger.settle("collapsed_duplicate", checked.collapsed)
        for rejected in checked.rejected:
            entry = where.entry(
                rejected.reason, rejected.result_index, rejected.region_id, rejected.detail
            )
            ledger.quarantine(entry, idx)
        stored = StoredAnnotation(
            -1 if idx is None else idx,
            ann.annotation_id,
            ann.annotator,
            ann.ground_truth,
            ann.recency,
            where.task_id,
            export_no,
            checked.regions,
            complete=not checked.rejected,
        )
        if not ann.results:
            ledger.annotations.empty += 1
        if idx is not None and text_digest(text) == self.index.digest(idx):
            ledger.annotations.submitted += 1
            self.store.add(stored)
        elif not stored.regions:
            ledger.annotations.empty_on_changed_text += 1
            if checked.rejected and idx is not None:
                self._mark_incomplete(idx, where, export_no, ann)
        elif article_start is None:
            if idx is not None:
                self._mark_incomplete(idx, where, export_no, ann)
            for region in checked.regions:
                detail = "the task gives no article offset to re-anchor through"
                entry = where.entry("text_changed", None, region.region_id, detail)
                ledger.quarantine(entry, idx, count=region.n_results)
        else:
            pending = PendingAnnotation(
                article, article_start, text, where.sentence_id or "", stored
            )
            self.store.add_pending(pending)

    def _mark_incomplete(self, idx: int, where: Where, export_no: int, ann: Submitted) -> None:
        """Record that an annotation of sentence ``idx`` lost results, though none of it is kept:
        the sentence must not be published as if this annotator had not seen it."""
        self.ledger.annotations.submitted += 1
        self.store.add(
            StoredAnnotation(
                idx,
                ann.annotation_id,
                ann.annotator,
                ann.ground_truth,
                ann.recency,
                where.task_id,
                export_no,
                [],
                complete=False,
            )
        )

    def _reject_all(self, where: Where, reason: str, idx: int | None, results: int) -> None:
        for number in range(results):
            self.ledger.quarantine(where.entry(reason, number, None, ""), idx)
