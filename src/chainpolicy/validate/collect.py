"""Pass 1 of the build: stream every export, validate every result, keep the valid annotations.

Each result is recorded in the ledger when read. Pass 1 settles cancelled, draft, prediction,
collapsed and quarantined results; the valid regions of submitted annotations are stored (one
row per annotation) and settled by the per-sentence decisions of pass 2 (``validate.decide``).
Annotations of tasks whose text changed since are re-anchored (``validate.reanchor``).
``collect`` runs the whole pass; the build and ``chainpolicy agreement`` share it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from chainpolicy.contract.regions import check_annotation
from chainpolicy.contract.taskdata import task_ref
from chainpolicy.records import SentenceRecord
from chainpolicy.validate.export import LSAnnotation, LSPrediction, LSTask, iter_tasks
from chainpolicy.validate.index import SentenceIndex, text_digest
from chainpolicy.validate.ledger import Ledger
from chainpolicy.validate.reanchor import reanchor
from chainpolicy.validate.report import ExportSummary, QuarantineEntry, escape_surrogates
from chainpolicy.validate.store import AnnotationStore, PendingAnnotation, StoredAnnotation


def collect(
    index: SentenceIndex,
    store: AnnotationStore,
    ledger: Ledger,
    exports: Sequence[Path],
    sentences: Iterable[SentenceRecord],
    *,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Pass 1 over every export, then re-anchoring against the current ``sentences``.

    ``progress`` (a progress bar's update) is called with 1 after each task read.
    """
    collector = Collector(index, store, ledger, progress)
    for number, path in enumerate(exports):
        collector.read(path, number)
    reanchor(store, ledger, index, sentences)


@dataclass(frozen=True, slots=True)
class Where:
    """Where a result came from, for the quarantine list."""

    export: str
    task_index: int
    task_id: int
    annotation: LSAnnotation
    sentence_id: str | None

    def entry(
        self, reason: str, result_index: int | None, region_id: str | None, detail: str
    ) -> QuarantineEntry:
        return QuarantineEntry(
            reason=reason,
            export=self.export,
            task_index=self.task_index,
            task_id=self.task_id,
            annotation_id=self.annotation.id,
            annotator=self.annotation.annotator,
            sentence_id=self.sentence_id,
            result_index=result_index,
            region_id=region_id,
            detail=detail,
        )


@dataclass
class Collector:
    index: SentenceIndex
    store: AnnotationStore
    ledger: Ledger
    progress: Callable[[int], None] | None = None

    def read(self, path: Path, export_no: int) -> None:
        summary = ExportSummary(file=path.name, bytes=path.stat().st_size)
        self.ledger.exports.append(summary)
        for task_index, task in enumerate(iter_tasks(path)):
            summary.tasks += 1
            self._task(summary, export_no, task_index, task)
            if self.progress is not None:
                self.progress(1)

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
        for number, prediction in enumerate(task.predictions):
            summary.predictions += 1
            if not isinstance(prediction, int):  # sync exports give prediction ids only
                summary.results += len(prediction.result)
                ledger.read(len(prediction.result))
                ledger.settle("excluded_prediction", len(prediction.result))
                self._prediction(idx, ref.text, export_no, number, prediction)
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
            where = Where(summary.file, task_index, task.id, ann, ref.sentence_id)
            if idx is None and article is not None and ref.text is not None:
                # The id is gone (e.g. the article was re-segmented): try the article offsets.
                self._annotation(where, export_no, None, article, ref.text, ref.article_start)
            elif idx is None:
                self._reject_all(where, "unknown_sentence", idx)
            elif not self.index.annotatable[idx]:
                self._reject_all(where, "not_annotatable", idx)
            elif ref.text is None:
                self._reject_all(where, "missing_text", idx)
                if ann.result:  # the sentence was annotated, but what was marked is unknown
                    self._mark_incomplete(idx, where, export_no)
            else:
                article = self.index.article_of[idx]
                self._annotation(where, export_no, idx, article, ref.text, ref.article_start)

    def _prediction(
        self,
        idx: int | None,
        text: str | None,
        export_no: int,
        number: int,
        prediction: LSPrediction,
    ) -> None:
        """Keep the valid spans of a prediction on the current text for the machine config."""
        if idx is None or text is None or text_digest(text) != self.index.digest(idx):
            return
        checked = check_annotation(prediction.result, text)
        self.store.add_prediction(
            idx,
            escape_surrogates(prediction.model_version or "unknown"),
            export_no,
            prediction.id if prediction.id is not None else number,
            checked.regions,
        )

    def _annotation(
        self,
        where: Where,
        export_no: int,
        idx: int | None,
        article: int,
        text: str,
        article_start: int | None,
    ) -> None:
        ann, ledger = where.annotation, self.ledger
        checked = check_annotation(ann.result, text)
        ledger.settle("collapsed_duplicate", checked.collapsed)
        for rejected in checked.rejected:
            entry = where.entry(
                rejected.reason, rejected.result_index, rejected.region_id, rejected.detail
            )
            ledger.quarantine(entry, idx)
        stored = StoredAnnotation(
            -1 if idx is None else idx,
            ann.id,
            ann.annotator,
            ann.ground_truth,
            ann.recency()[0],
            where.task_id,
            export_no,
            checked.regions,
            complete=not checked.rejected,
        )
        if not ann.result:
            ledger.annotations.empty += 1
        if idx is not None and text_digest(text) == self.index.digest(idx):
            ledger.annotations.submitted += 1
            self.store.add(stored)
        elif not stored.regions:
            ledger.annotations.empty_on_changed_text += 1
            if checked.rejected and idx is not None:
                self._mark_incomplete(idx, where, export_no)
        elif article_start is None:
            if idx is not None:
                self._mark_incomplete(idx, where, export_no)
            for region in checked.regions:
                detail = "the task gives no article offset to re-anchor through"
                entry = where.entry("text_changed", None, region.region_id, detail)
                ledger.quarantine(entry, idx, count=region.n_results)
        else:
            pending = PendingAnnotation(
                article, article_start, text, where.sentence_id or "", stored
            )
            self.store.add_pending(pending)

    def _mark_incomplete(self, idx: int, where: Where, export_no: int) -> None:
        """Record that an annotation of sentence ``idx`` lost results, though none of it is kept:
        the sentence must not be published as if this annotator had not seen it."""
        ann = where.annotation
        self.ledger.annotations.submitted += 1
        self.store.add(
            StoredAnnotation(
                idx,
                ann.id,
                ann.annotator,
                ann.ground_truth,
                ann.recency()[0],
                where.task_id,
                export_no,
                [],
                complete=False,
            )
        )

    def _reject_all(self, where: Where, reason: str, idx: int | None) -> None:
        for number in range(len(where.annotation.result)):
            self.ledger.quarantine(where.entry(reason, number, None, ""), idx)
