"""Re-anchoring: spans of tasks whose text changed since the push, moved onto current sentences.

A task records where its sentence began in the cleaned article (``article_start``). A span is
re-anchored when the current article has the annotated characters at the same article offsets
and they lie inside one annotatable sentence; otherwise it is quarantined as ``text_changed``,
and the annotation is incomplete (its sentences then need review, see ``validate.adjudicate``).
Runs only if some task's text changed: one more pass over the sentences, one article at a time.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator

from chainpolicy.contract.regions import Region
from chainpolicy.records import SentenceRecord, Span
from chainpolicy.validate.export import LSAnnotation
from chainpolicy.validate.index import SentenceIndex
from chainpolicy.validate.ledger import Ledger
from chainpolicy.validate.report import QuarantineEntry
from chainpolicy.validate.store import AnnotationStore, PendingAnnotation, StoredAnnotation


def reanchor(
    store: AnnotationStore,
    ledger: Ledger,
    index: SentenceIndex,
    sentences: Iterable[SentenceRecord],
) -> None:
    if not store.has_pending():
        return
    pending = store.pending()  # in article order, like the sentences
    current = next(pending, None)
    for number, (article, records) in enumerate(_articles(sentences)):
        if current is None:
            break
        if current.article != number:
            continue
        view = _ArticleView(article, records, index)
        while current is not None and current.article == number:
            _move(store, ledger, view, current)
            current = next(pending, None)


def _move(
    store: AnnotationStore, ledger: Ledger, view: _ArticleView, pending: PendingAnnotation
) -> None:
    stored = pending.annotation
    who = LSAnnotation(id=stored.annotation_id, completed_by=stored.annotator)
    per_sentence: dict[int, list[Region]] = {}
    lost = False
    for region in stored.regions:
        span = region.span
        start, end = pending.article_start + span.start, pending.article_start + span.end
        chars = pending.text[span.start : span.end]
        target = view.locate(start, end, chars)
        if target is None:
            lost = True
            entry = QuarantineEntry(
                reason="text_changed",
                export=ledger.exports[stored.export].file,
                task_index=-1,
                task_id=stored.task_id,
                annotation_id=who.id,
                annotator=who.annotator,
                sentence_id=pending.sentence_id,
                result_index=None,
                region_id=None,
                detail=f"span {span.start}:{span.end} {chars!r} not found at article offsets "
                f"{start}:{end}",
            )
            # Counted for the task's sentence when its id still exists, as pass 1 does.
            known = stored.sentence if stored.sentence >= 0 else None
            ledger.quarantine(entry, known, count=region.n_results)
            continue
        idx, offset = target
        moved = Span(start - offset, end - offset, span.label, span.type)
        per_sentence.setdefault(idx, []).append(Region(moved, region.n_results))
    complete = stored.complete and not lost
    if not complete and stored.sentence >= 0:
        # Its own sentence (the id still exists) needs review even if no span moved there.
        per_sentence.setdefault(stored.sentence, [])
    for idx, regions in per_sentence.items():
        ledger.annotations.reanchored += bool(regions)
        ledger.annotations.submitted += 1
        store.add(
            StoredAnnotation(
                idx,
                stored.annotation_id,
                stored.annotator,
                stored.ground_truth,
                stored.recency,
                stored.task_id,
                stored.export,
                regions,
                complete,
            )
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
