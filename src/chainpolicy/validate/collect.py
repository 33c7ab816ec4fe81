"""Pass 1 of the build: stream every export, validate every result, keep the valid annotations.

Each result is counted when read and ends in exactly one outcome (``reasons.OUTCOMES``): pass 1
settles cancelled, draft, prediction, collapsed and quarantined results; the rest are stored as
span rows and settled by adjudication in pass 2. Quarantined results are written one JSON line
each as they are found, so nothing here grows with the size of the exports.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from chainpolicy.records import SentenceRecord
from chainpolicy.schema import LABEL_NAMES, all_type_names
from chainpolicy.validate.export import LSAnnotation, LSPrediction, LSTask, iter_tasks
from chainpolicy.validate.index import SentenceIndex, text_digest
from chainpolicy.validate.regions import Checked, check_annotation
from chainpolicy.validate.report import (
    AnnotationCounts,
    ExportSummary,
    QuarantineEntry,
    escape_surrogates,
)
from chainpolicy.validate.store import (
    AnnotationStore,
    PackedSpan,
    PendingAnnotation,
    StoredAnnotation,
    pack,
)
from chainpolicy.validate.taskdata import task_ref

LABEL_INDEX = {name: i for i, name in enumerate(LABEL_NAMES)}
_NO_ANNOTATION = LSAnnotation(id=0)  # stands in for the annotation a prediction does not have
TYPE_INDEX = {name: i for i, name in enumerate(all_type_names())}


@dataclass
class Collector:
    index: SentenceIndex
    store: AnnotationStore
    quarantine_out: IO[str]
    outcomes: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    quarantined_per_sentence: Counter[int] = field(default_factory=Counter)
    annotations: AnnotationCounts = field(default_factory=AnnotationCounts)
    exports: list[ExportSummary] = field(default_factory=list)
    results_read: int = 0
    predicted_spans: int = 0  # valid prediction spans kept for the machine_preannotations config

    def read(self, path: Path, export_no: int) -> None:
        summary = ExportSummary(file=path.name, bytes=path.stat().st_size)
        self.exports.append(summary)
        for task_index, task in enumerate(iter_tasks(path)):
            summary.tasks += 1
            self._task(summary, export_no, task_index, task)

    def _task(self, summary: ExportSummary, export_no: int, task_index: int, task: LSTask) -> None:
        for draft in task.drafts:
            summary.drafts += 1
            if isinstance(draft, int):  # a bare id: the export did not include its results
                continue
            summary.results += len(draft.result)
            self.results_read += len(draft.result)
            self._settle("excluded_draft", len(draft.result))
        ref = task_ref(task.data)
        idx = self.index.ids.get(ref.sentence_id) if ref.sentence_id is not None else None
        for number, prediction in enumerate(task.predictions):
            summary.predictions += 1
            if not isinstance(prediction, int):  # sync exports give prediction ids only
                summary.results += len(prediction.result)
                self.results_read += len(prediction.result)
                self._settle("excluded_prediction", len(prediction.result))
                self._prediction(idx, ref.text, export_no, number, prediction)
        article = self.index.article_numbers.get(ref.article_id or "")
        for ann in task.annotations:
            summary.annotations += 1
            summary.results += len(ann.result)
            self.results_read += len(ann.result)
            if ann.was_cancelled:
                summary.cancelled_annotations += 1
                self.annotations.cancelled += 1
                self._settle("excluded_cancelled", len(ann.result))
                continue
            where = _Where(summary.file, task_index, task.id, ann, ref.sentence_id)
            if idx is None and article is not None and ref.text is not None:
                # The id is gone (e.g. the article was re-segmented): try the article offsets.
                self._annotation(where, export_no, None, article, ref.text, ref.article_start, ann)
            elif idx is None:
                self._reject_all(where, "unknown_sentence", ann, idx)
            elif not self.index.annotatable[idx]:
                self._reject_all(where, "not_annotatable", ann, idx)
            elif ref.text is None:
                self._reject_all(where, "missing_text", ann, idx)
                if ann.result:  # the sentence was annotated, but what was marked is unknown
                    self._mark_incomplete(idx, where, export_no)
            else:
                article = self.index.article_of[idx]
                self._annotation(where, export_no, idx, article, ref.text, ref.article_start, ann)

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
        spans = _stored(idx, 0, export_no, _NO_ANNOTATION, checked).spans
        self.predicted_spans += len(spans)
        self.store.add_prediction(
            idx,
            escape_surrogates(prediction.model_version or "unknown"),
            export_no,
            prediction.id if prediction.id is not None else number,
            pack(spans),
        )

    def _annotation(
        self,
        where: _Where,
        export_no: int,
        idx: int | None,
        article: int,
        text: str,
        article_start: int | None,
        ann: LSAnnotation,
    ) -> None:
        checked = check_annotation(ann.result, text)
        self._settle("collapsed_duplicate", checked.collapsed)
        for rejected in checked.rejected:
            self._quarantine(
                where,
                rejected.reason,
                rejected.result_index,
                rejected.region_id,
                rejected.detail,
                idx,
            )
        stored = _stored(-1 if idx is None else idx, where.task_id, export_no, ann, checked)
        if not ann.result:
            self.annotations.empty += 1
        if idx is not None and text_digest(text) == self.index.digest(idx):
            self.annotations.submitted += 1
            self.store.add(stored)
        elif not stored.spans:
            self.annotations.empty_on_changed_text += 1
            if checked.rejected and idx is not None:
                self._mark_incomplete(idx, where, export_no)
        elif article_start is None:
            if idx is not None:
                self._mark_incomplete(idx, where, export_no)
            for region in checked.regions:
                self._quarantine(
                    where,
                    "text_changed",
                    None,
                    region.region_id,
                    "the task gives no article offset to re-anchor through",
                    idx,
                    count=region.n_results,
                )
        else:
            pending = PendingAnnotation(
                article, article_start, text, where.sentence_id or "", stored
            )
            self.store.add_pending(pending)

    def _mark_incomplete(self, idx: int, where: _Where, export_no: int) -> None:
        """Record that an annotation of sentence ``idx`` lost results, though none of it is kept:
        the sentence must not be published as if this annotator had not seen it."""
        ann = where.annotation
        self.annotations.submitted += 1
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

    def _reject_all(self, where: _Where, reason: str, ann: LSAnnotation, idx: int | None) -> None:
        for number in range(len(ann.result)):
            self._quarantine(where, reason, number, None, "", idx)

    def _quarantine(
        self,
        where: _Where,
        reason: str,
        result_index: int | None,
        region_id: str | None,
        detail: str,
        idx: int | None,
        count: int = 1,
    ) -> None:
        entry = QuarantineEntry(
            reason=reason,
            export=where.export,
            task_index=where.task_index,
            task_id=where.task_id,
            annotation_id=where.annotation.id,
            annotator=where.annotation.annotator,
            sentence_id=where.sentence_id,
            result_index=result_index,
            region_id=region_id,
            detail=detail,
        )
        for _ in range(count):
            self.quarantine_out.write(entry.model_dump_json() + "\n")
        self.reasons[reason] += count
        self._settle("quarantined", count)
        if idx is not None:
            self.quarantined_per_sentence[idx] += count

    def _settle(self, outcome: str, count: int) -> None:
        if count:
            self.outcomes[outcome] += count

    def reanchor(self, sentences: Iterable[SentenceRecord]) -> None:
        """Move spans of changed tasks onto the current sentences through article offsets.

        A span is re-anchored when the current article has the annotated characters at the same
        article offsets and they lie inside one annotatable sentence; otherwise it is quarantined
        as ``text_changed``. Runs only if some task's text changed (one more pass over the
        sentences, keeping one article at a time).
        """
        if not self.store.has_pending():
            return
        pending = self.store.pending()  # in article order, like the sentences
        current = next(pending, None)
        for number, (article, records) in enumerate(_articles(sentences)):
            if current is None:
                break
            if current.article != number:
                continue
            view = _ArticleView(article, records, self.index)
            while current is not None and current.article == number:
                self._move(view, current)
                current = next(pending, None)

    def _move(self, view: _ArticleView, pending: PendingAnnotation) -> None:
        stored = pending.annotation
        per_sentence: dict[int, list[PackedSpan]] = {}
        where = _Where(
            self.exports[stored.export].file,
            -1,
            stored.task_id,
            LSAnnotation(id=stored.annotation_id, completed_by=stored.annotator),
            pending.sentence_id,
        )
        lost = False
        for span in stored.spans:
            start, end = pending.article_start + span[0], pending.article_start + span[1]
            target = view.locate(start, end, pending.text[span[0] : span[1]])
            if target is None:
                lost = True
                self._quarantine(
                    where,
                    "text_changed",
                    None,
                    None,
                    f"span {span[0]}:{span[1]} {pending.text[span[0] : span[1]]!r} not found at "
                    f"article offsets {start}:{end}",
                    None,
                    count=span[4],
                )
                continue
            idx, offset = target
            per_sentence.setdefault(idx, []).append(
                (start - offset, end - offset, span[2], span[3], span[4])
            )
        complete = stored.complete and not lost
        if not complete and stored.sentence >= 0:
            # Its own sentence (the id still exists) needs review even if no span moved there.
            per_sentence.setdefault(stored.sentence, [])
        for idx, spans in per_sentence.items():
            self.annotations.reanchored += bool(spans)
            self.annotations.submitted += 1
            self.store.add(
                StoredAnnotation(
                    idx,
                    stored.annotation_id,
                    stored.annotator,
                    stored.ground_truth,
                    stored.recency,
                    stored.task_id,
                    stored.export,
                    spans,
                    complete,
                )
            )


@dataclass(frozen=True, slots=True)
class _Where:
    export: str
    task_index: int
    task_id: int
    annotation: LSAnnotation
    sentence_id: str | None


def _stored(
    idx: int, task_id: int, export_no: int, ann: LSAnnotation, checked: Checked
) -> StoredAnnotation:
    spans = [
        (
            r.start,
            r.end,
            LABEL_INDEX[r.label],
            TYPE_INDEX[r.type] if r.type is not None else -1,
            r.n_results,
        )
        for r in checked.regions
    ]
    return StoredAnnotation(
        idx,
        ann.id,
        ann.annotator,
        ann.ground_truth,
        ann.recency()[0],
        task_id,
        export_no,
        spans,
        complete=not checked.rejected,
    )


class _ArticleView:
    """The current text of one article and where its sentences start."""

    def __init__(self, text: str, records: list[SentenceRecord], index: SentenceIndex) -> None:
        self.text = text
        self.records = records
        self.starts = [r.start for r in records]
        self.index = index

    def locate(self, start: int, end: int, chars: str) -> tuple[int, int] | None:
        """(sentence index, sentence start) holding ``chars`` at ``[start, end)``, if any."""
        if self.text[start:end] != chars:
            return None
        i = bisect_right(self.starts, start) - 1
        if i < 0:
            return None
        record = self.records[i]
        idx = self.index.ids[record.id]
        if end > record.end or not self.index.annotatable[idx]:
            return None
        return idx, record.start


def _articles(sentences: Iterable[SentenceRecord]) -> Iterator[tuple[str, list[SentenceRecord]]]:
    """(cleaned article text, its records) per article, rebuilt from the sentence stream."""
    records: list[SentenceRecord] = []
    for record in sentences:
        if records and record.article_id != records[0].article_id:
            yield "".join(r.text + r.sep for r in records), records
            records = []
        records.append(record)
    if records:
        yield "".join(r.text + r.sep for r in records), records
