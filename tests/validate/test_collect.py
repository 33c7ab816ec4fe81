"""Pass 1 branch by branch: where each kind of task and annotation ends (ledger and store)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from chainpolicy.corpus import load_sentences
from chainpolicy.records import SentenceRecord, Span
from chainpolicy.validate.collect import Collector, collect
from chainpolicy.validate.index import SentenceIndex
from chainpolicy.validate.ledger import Ledger
from chainpolicy.validate.store import AnnotationStore, StoredAnnotation
from chainpolicy.validate.synthetic import annotation, prediction, task, write_export


@pytest.fixture(scope="module")
def records() -> list[SentenceRecord]:
    return load_sentences()


@pytest.fixture(scope="module")
def index(records: list[SentenceRecord]) -> SentenceIndex:
    return SentenceIndex.build(records, "corpus")


def _body(records: list[SentenceRecord]) -> SentenceRecord:
    return next(r for r in records if r.role == "body" and "江苏省" in r.text)


def _boilerplate(records: list[SentenceRecord]) -> SentenceRecord:
    return next(r for r in records if r.role == "boilerplate")


def _loc(record: SentenceRecord) -> list[Span]:
    start = record.text.index("江苏省")
    return [Span(start, start + 3, "entity", "LOC")]


Run = Callable[[list[dict[str, Any]]], tuple[Ledger, list[StoredAnnotation], str]]


@pytest.fixture
def run(tmp_path: Path, index: SentenceIndex, records: list[SentenceRecord]) -> Run:
    def go(tasks: list[dict[str, Any]]) -> tuple[Ledger, list[StoredAnnotation], str]:
        path = tmp_path / "export.json"
        write_export(path, tasks)
        store = AnnotationStore(tmp_path / "store.sqlite")
        out = io.StringIO()
        ledger = Ledger(out)
        try:
            collect(index, store, ledger, [path], records)
            stored = [a for _, group in store.by_sentence() for a in group]
        finally:
            store.close()
            (tmp_path / "store.sqlite").unlink()
        return ledger, stored, out.getvalue()

    return go


def _task(record: SentenceRecord, anns: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
    return task(1, record.id, record.article_id, record.text, record.start, anns, **kw)


def test_a_valid_annotation_is_stored_complete_and_left_to_pass_2(
    run: Run, records: list[SentenceRecord]
) -> None:
    record = _body(records)
    ledger, stored, quarantine = run([_task(record, [annotation(5, 1, record.text, _loc(record))])])
    (ann,) = stored
    assert ann.complete and ann.spans == tuple(_loc(record)) and ann.results == 2
    assert ledger.results_read == 2 and dict(ledger.outcomes) == {} and quarantine == ""
    assert ledger.annotations.submitted == 1


def test_cancelled_drafts_and_predictions_are_settled_in_pass_1(
    run: Run, records: list[SentenceRecord]
) -> None:
    record = _body(records)
    spans = _loc(record)
    item = _task(
        record,
        [annotation(5, 1, record.text, spans, cancelled=True)],
        drafts=[{"id": 9, "result": annotation(6, 1, record.text, spans)["result"]}],
        predictions=[prediction(record.text, spans)],
    )
    item["drafts"].append(10)  # a bare draft id (snapshot export without the drafts option)
    ledger, stored, _ = run([item])
    assert stored == []
    assert dict(ledger.outcomes) == {
        "excluded_cancelled": 2,
        "excluded_draft": 2,
        "excluded_prediction": 2,
    }
    assert ledger.results_read == 6 and ledger.annotations.cancelled == 1
    (summary,) = ledger.exports
    assert (summary.drafts, summary.predictions, summary.cancelled_annotations) == (2, 1, 1)


def _reasons(quarantine: str) -> list[str]:
    return [json.loads(line)["reason"] for line in quarantine.splitlines()]


@pytest.mark.parametrize(
    ("name", "change", "reason", "marker"),
    [
        # (the task is changed so that every result of its annotation is rejected)
        ("unknown id", {"sentence_id": "nope", "article_id": "nope"}, "unknown_sentence", False),
        ("no text", {"text": None}, "missing_text", True),
        ("a lone surrogate", {"text": "江苏省\ud800"}, "missing_text", True),
        ("changed text, no offset", {"text": "江苏省 changed", "article_start": None}, None, True),
    ],
)
def test_every_result_of_an_annotation_that_cannot_be_placed_is_quarantined(
    run: Run,
    records: list[SentenceRecord],
    name: str,
    change: dict[str, Any],
    reason: str | None,
    marker: bool,
) -> None:
    record = _body(records)
    item = _task(record, [annotation(5, 1, "江苏省", [Span(0, 3, "entity", "LOC")])])
    for key, value in change.items():
        if value is None:
            item["data"].pop(key)
        else:
            item["data"][key] = value
    ledger, stored, quarantine = run([item])
    assert _reasons(quarantine) == [reason or "text_changed"] * 2, name
    assert ledger.outcomes == {"quarantined": 2}
    # Where the sentence is known, it must not look unannotated: an incomplete vote marks it.
    assert [(a.complete, a.spans) for a in stored] == ([(False, ())] if marker else [])


def test_boilerplate_is_never_annotated(run: Run, records: list[SentenceRecord]) -> None:
    record = _boilerplate(records)
    ann = annotation(5, 1, record.text, [Span(0, 2, "claim")])
    _, stored, quarantine = run([_task(record, [ann])])
    assert _reasons(quarantine) == ["not_annotatable"] and stored == []


def test_an_annotation_that_lost_a_result_is_stored_incomplete(
    run: Run, records: list[SentenceRecord]
) -> None:
    record = _body(records)
    spans = [*_loc(record), Span(0, 2, "figure", "COUNT")]  # 目前: no numeral
    ledger, stored, quarantine = run([_task(record, [annotation(5, 1, record.text, spans)])])
    (ann,) = stored
    assert not ann.complete and ann.spans == tuple(_loc(record))
    assert _reasons(quarantine) == ["figure_without_numeral"] * 2
    assert ledger.quarantined_per_sentence == {ann.sentence: 2}


def test_a_changed_text_is_reanchored_through_article_offsets(
    run: Run, records: list[SentenceRecord]
) -> None:
    record = _body(records)
    old = record.text + "X"  # the task was made when the sentence ended differently
    item = task(1, "old-id", record.article_id, old, record.start)
    item["annotations"] = [annotation(5, 1, old, _loc(record))]
    ledger, stored, quarantine = run([item])
    (ann,) = stored
    assert ann.complete and ann.spans == tuple(_loc(record)) and quarantine == ""
    assert ledger.annotations.reanchored == 1


def test_a_kept_id_whose_span_cannot_be_reanchored_needs_review(
    run: Run, records: list[SentenceRecord]
) -> None:
    """The sentence still exists, but a span of its old text is gone: its vote is incomplete."""
    record = _body(records)
    old = record.text[:-1] + "Y" + record.text[-1]
    gone = Span(len(old) - 2, len(old) - 1, "claim")  # "Y": not in the current text
    item = _task(record, [annotation(5, 1, old, [*_loc(record), gone])])
    item["data"]["text"] = old
    _, stored, quarantine = run([item])
    assert _reasons(quarantine) == ["text_changed"]
    assert [(a.complete, a.spans) for a in stored] == [(False, tuple(_loc(record)))]


def test_a_bare_id_draft_is_counted_as_a_draft_with_no_results(
    tmp_path: Path, index: SentenceIndex, records: list[SentenceRecord]
) -> None:
    record = _body(records)
    full = annotation(8, 1, record.text, _loc(record))["result"]
    bare = _task(record, [])
    bare["drafts"] = [17]
    whole = _task(record, [], drafts=[{"id": 18, "result": full}])
    path = tmp_path / "drafts.json"
    write_export(path, [bare, whole])
    store = AnnotationStore(tmp_path / "store.sqlite")
    ledger = Ledger(io.StringIO())
    try:
        Collector(index, store, ledger).read(path, 0)
    finally:
        store.close()
    (summary,) = ledger.exports
    assert (summary.tasks, summary.drafts, summary.results) == (2, 2, len(full))
    assert ledger.results_read == len(full)
    assert dict(ledger.outcomes) == {"excluded_draft": len(full)}
    assert ledger.annotations.submitted == 0
