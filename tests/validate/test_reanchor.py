"""Re-anchoring spans of tasks whose text changed: a span moves onto the current sentence that
holds its characters at the same article offsets, inside one annotatable sentence; anything else
is quarantined as ``text_changed`` (one line per result) and makes the annotation incomplete.

Expectations are re-derived from the records by a linear scan (no bisect, no index)."""

from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainpolicy.contract.regions import Region
from chainpolicy.corpus.scriptview import to_hans
from chainpolicy.records import SentenceRecord, Span
from chainpolicy.schema import ANNOTATED_ROLES
from chainpolicy.validate.index import SentenceIndex
from chainpolicy.validate.ledger import Ledger
from chainpolicy.validate.reanchor import reanchor
from chainpolicy.validate.report import ExportSummary
from chainpolicy.validate.store import AnnotationStore, PendingAnnotation, StoredAnnotation

EXPORT = "project-1-at-2024.json"


def _article(article_id: str, parts: Sequence[tuple[str, str, str]]) -> list[SentenceRecord]:
    """Records of one article from (role, text, separator), offsets as the corpus sets them."""
    out, pos = [], 0
    for n, (role, text, sep) in enumerate(parts):
        out.append(
            SentenceRecord(
                id=f"{article_id}-p{n + 1:03d}-s01",
                article_id=article_id,
                index=n,
                line=n + 1,
                role=role,
                script="Hant",
                text=text,
                text_hans=to_hans(text),
                sep=sep,
                start=pos,
                end=pos + len(text),
                raw_start=pos,
                raw_end=pos + len(text),
                text_sha1="0" * 40,
            )
        )
        pos += len(text) + len(sep)
    return out


# "區塊鏈" and "產業園入駐企業" each occur in two sentences; the last record is boilerplate.
FIRST = _article(
    "zj",
    [
        ("title", "浙江省區塊鏈報告", "\n"),
        ("body", "杭州市區塊鏈產業園入駐企業12家。", ""),
        ("body", "寧波市產業園入駐企業15家。", "\n"),
        ("boilerplate", "責任編輯:張三", "\n"),
    ],
)
SECOND = _article("js", [("title", "江蘇省報告", "\n"), ("body", "南京市企業8家。", "\n")])
# Same offsets as FIRST's first records, other characters.
THIRD = _article(
    "ah",
    [("title", "安徽省區塊鏈報告", "\n"), ("body", "合肥市區塊鏈產業園入駐企業30家。", "\n")],
)
RECORDS = [*FIRST, *SECOND, *THIRD]
ARTICLES = [FIRST, SECOND, THIRD]


def _text(records: Sequence[SentenceRecord]) -> str:
    return "".join(r.text + r.sep for r in records)


def _by_id(sentence_id: str) -> SentenceRecord:
    return next(r for r in RECORDS if r.id == sentence_id)


def _target(article: int, start: int, end: int, chars: str) -> tuple[str, int] | None:
    """(sentence id, its start) holding ``chars`` at article offsets ``[start, end)``."""
    if _text(ARTICLES[article])[start:end] != chars:
        return None
    for r in ARTICLES[article]:
        if r.start <= start and end <= r.end:
            return (r.id, r.start) if r.role in ANNOTATED_ROLES else None
    return None  # across records, or in a separator


@dataclass
class Run:
    stored: list[StoredAnnotation]
    ledger: Ledger
    quarantine: list[dict[str, object]]


def _run(pending: Sequence[PendingAnnotation], scratch: Path) -> Run:
    index = SentenceIndex.build(RECORDS, "test")
    store = AnnotationStore(scratch / "store.sqlite")
    out = io.StringIO()
    ledger = Ledger(out, exports=[ExportSummary(file=EXPORT, bytes=0)])
    try:
        for p in pending:
            store.add_pending(p)
        reanchor(store, ledger, index, iter(RECORDS))
        stored = [a for _, group in store.by_sentence() for a in group]
    finally:
        store.close()
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    return Run(stored, ledger, lines)


def _stored(
    spans: Sequence[Span], sentence: int = -1, complete: bool = True, annotation_id: int = 41
) -> StoredAnnotation:
    regions = [Region(s, 2 if s.type else 1) for s in spans]  # typed: label + type result
    return StoredAnnotation(sentence, annotation_id, 7, False, 1_000, 9, 0, regions, complete)


def _pending(
    old: str, article_start: int, ann: StoredAnnotation, article: int = 0
) -> PendingAnnotation:
    return PendingAnnotation(article, article_start, old, "zj-p009-s01", ann)


def _span(
    old: str, chars: str, label: str = "claim", type_: str | None = None, nth: int = 0
) -> Span:
    start = -1
    for _ in range(nth + 1):
        start = old.index(chars, start + 1)
    return Span(start, start + len(chars), label, type_)


B, C = FIRST[1], FIRST[2]  # the two body sentences, one after the other (no separator)
ARTICLE = _text(FIRST)

# (case, the task's old text, its article_start, the annotated characters, the sentence that
# should receive the span or None for quarantine)
CASES = [
    ("the sentence only changed at its end", B.text + "X", B.start, "杭州市", B.id),
    (
        "a merged task: the span moved to the next sentence",
        B.text + C.text,
        B.start,
        "寧波市",
        C.id,
    ),
    (
        "a merged task: the span crosses the new boundary",
        B.text + C.text,
        B.start,
        "12家。寧波",
        None,
    ),
    # An insertion earlier in the article shifted the sentence: its characters are still in the
    # article, two places on, but re-anchoring goes by offsets and never searches.
    ("the characters moved elsewhere in the article", C.text, C.start - 2, "寧波市", None),
    # "區塊鏈" is in the title too: the offsets decide, not the first occurrence.
    (
        "ambiguous characters: the offsets pick the sentence",
        "X" + B.text,
        B.start - 1,
        "區塊鏈",
        B.id,
    ),
    ("the characters are gone", "溫州" + B.text[2:], B.start, "溫州市", None),
    ("the offsets fall on boilerplate", FIRST[3].text, FIRST[3].start, "張三", None),
    ("the offsets lie past the end of the article", B.text, len(ARTICLE) + 3, "杭州市", None),
]


@pytest.mark.parametrize(("case", "old", "article_start", "chars", "expected"), CASES)
def test_a_span_moves_only_where_the_article_has_its_characters_at_its_offsets(
    case: str, old: str, article_start: int, chars: str, expected: str | None, tmp_path: Path
) -> None:
    span = _span(old, chars, "entity", "LOC")
    start, end = article_start + span.start, article_start + span.end
    if case == "the characters moved elsewhere in the article":
        assert chars in ARTICLE and ARTICLE[start:end] != chars
    if case.startswith("ambiguous"):
        assert ARTICLE.count(chars) == 2
    assert _target(0, start, end, chars) == (
        None if expected is None else (expected, _by_id(expected).start)
    ), "the table agrees with the reference"
    run = _run([_pending(old, article_start, _stored([span]))], tmp_path)
    annotations = run.ledger.annotations
    if expected is None:
        assert run.stored == []  # the old id is gone (-1): nothing left to mark
        assert [q["reason"] for q in run.quarantine] == ["text_changed"] * 2  # one per result
        assert dict(run.ledger.reasons) == {"text_changed": 2}
        assert dict(run.ledger.outcomes) == {"quarantined": 2}
        assert (annotations.reanchored, annotations.submitted) == (0, 0)
        entry = run.quarantine[0]
        assert (entry["export"], entry["task_id"], entry["annotation_id"]) == (EXPORT, 9, 41)
        assert (entry["annotator"], entry["sentence_id"]) == (7, "zj-p009-s01")
        assert f"{span.start}:{span.end}" in str(entry["detail"])
        assert f"{start}:{end}" in str(entry["detail"])
        return
    record = _by_id(expected)
    index = SentenceIndex.build(RECORDS, "test")
    (ann,) = run.stored
    assert ann.sentence == index.ids[record.id]
    (region,) = ann.regions
    moved = region.span
    assert record.text[moved.start : moved.end] == chars
    assert (moved.start, moved.end) == (start - record.start, end - record.start)
    assert (moved.label, moved.type, region.n_results) == ("entity", "LOC", 2)
    assert ann.complete and (ann.annotation_id, ann.annotator, ann.task_id) == (41, 7, 9)
    assert run.quarantine == [] and not run.ledger.outcomes
    assert (annotations.reanchored, annotations.submitted) == (1, 1)


def test_spans_of_one_task_landing_on_two_sentences_make_one_vote_on_each(
    tmp_path: Path,
) -> None:
    old = B.text + C.text
    spans = [_span(old, "杭州市", "entity", "LOC"), _span(old, "寧波市", "entity", "LOC")]
    spans.append(_span(old, "產業園入駐企業", nth=1))  # the second one: in C
    run = _run([_pending(old, B.start, _stored(spans))], tmp_path)
    index = SentenceIndex.build(RECORDS, "test")
    assert [(a.sentence, a.complete, a.annotation_id) for a in run.stored] == [
        (index.ids[B.id], True, 41),
        (index.ids[C.id], True, 41),
    ]
    texts = [
        [_by_id(r.id).text[s.start : s.end] for s in a.spans]
        for a, r in zip(run.stored, (B, C), strict=True)
    ]
    assert texts == [["杭州市"], ["寧波市", "產業園入駐企業"]]
    assert run.quarantine == []
    assert (run.ledger.annotations.reanchored, run.ledger.annotations.submitted) == (2, 2)


def test_a_kept_id_that_lost_a_span_needs_review_even_where_nothing_moved(
    tmp_path: Path,
) -> None:
    """The task's sentence id still exists (B): a lost span makes every copy incomplete, and B
    gets an incomplete vote without spans so it is not published as unannotated."""
    old = "溫州" + B.text[2:] + C.text
    spans = [_span(old, "溫州市", "entity", "LOC"), _span(old, "寧波市", "entity", "LOC")]
    index = SentenceIndex.build(RECORDS, "test")
    b, c = index.ids[B.id], index.ids[C.id]
    run = _run([_pending(old, B.start, _stored(spans, sentence=b))], tmp_path)
    assert [
        (a.sentence, a.complete, len(a.regions))
        for a in sorted(run.stored, key=lambda a: a.sentence)
    ] == [
        (b, False, 0),
        (c, False, 1),
    ]
    assert [q["reason"] for q in run.quarantine] == ["text_changed"] * 2
    # Only the sentence that received a span counts as re-anchored; both rows are votes.
    assert (run.ledger.annotations.reanchored, run.ledger.annotations.submitted) == (1, 2)


def test_an_annotation_incomplete_before_re_anchoring_stays_incomplete(tmp_path: Path) -> None:
    old = B.text + "X"
    span = _span(old, "杭州市", "entity", "LOC")
    run = _run([_pending(old, B.start, _stored([span], complete=False))], tmp_path)
    (ann,) = run.stored
    assert not ann.complete and ann.spans == (span,)  # B starts where the task did
    assert run.quarantine == []


def test_an_annotation_with_nothing_left_and_no_sentence_is_not_stored(tmp_path: Path) -> None:
    old = "溫州" + B.text[2:]
    spans = [_span(old, "溫州市", "entity", "LOC"), _span(old, "溫州", "claim")]
    run = _run([_pending(old, B.start, _stored(spans))], tmp_path)
    assert run.stored == []
    assert len(run.quarantine) == 3 == run.ledger.outcomes["quarantined"]  # 2 + 1 results


def test_each_pending_annotation_is_matched_against_its_own_article(tmp_path: Path) -> None:
    """THIRD has FIRST's offsets but other characters; SECOND has no pending annotation. Added
    out of article order, they come back in it."""
    index = SentenceIndex.build(RECORDS, "test")
    third = THIRD[1]
    assert third.start == B.start
    old_third = third.text + "X"
    old_first = B.text + "X"
    pending = [
        _pending(old_third, third.start, _stored([_span(old_third, "合肥市", "entity", "LOC")]), 2),
        _pending(old_first, B.start, _stored([_span(old_first, "杭州市", "entity", "LOC")]), 0),
        # FIRST's characters against THIRD's text: not there.
        _pending(old_first, B.start, _stored([_span(old_first, "杭州市", "entity", "LOC")]), 2),
    ]
    run = _run(pending, tmp_path)
    assert [a.sentence for a in run.stored] == [index.ids[B.id], index.ids[third.id]]
    assert len(run.quarantine) == 2


def test_without_pending_annotations_the_sentences_are_not_read(tmp_path: Path) -> None:
    def sentences() -> Iterator[SentenceRecord]:
        raise AssertionError("read the sentences")
        yield  # pragma: no cover

    store = AnnotationStore(tmp_path / "store.sqlite")
    ledger = Ledger(io.StringIO())
    try:
        reanchor(store, ledger, SentenceIndex.build(RECORDS, "test"), sentences())
        assert list(store.by_sentence()) == []
    finally:
        store.close()
    assert ledger.annotations.reanchored == 0


def test_a_result_lost_on_a_kept_sentence_is_counted_for_that_sentence(tmp_path: Path) -> None:
    old = "溫州" + B.text[2:]
    b = SentenceIndex.build(RECORDS, "test").ids[B.id]
    run = _run(
        [_pending(old, B.start, _stored([_span(old, "溫州", "claim")], sentence=b))], tmp_path
    )
    assert len(run.quarantine) == 1
    assert run.ledger.quarantined_per_sentence == {b: 1}


# Any task text near a sentence of any article, possibly edited at one place, spans anywhere
# on it: every result ends either in exactly one moved span or one quarantine line.
edits = st.tuples(
    st.integers(0, 2),  # article
    st.integers(-3, 40),  # article_start
    st.integers(1, 25),  # length of the old text
    st.one_of(st.none(), st.integers(0, 24)),  # position of an edited character
    st.lists(
        st.tuples(st.integers(0, 24), st.integers(1, 6), st.booleans()), min_size=1, max_size=4
    ),
    st.booleans(),  # complete before re-anchoring
)


@settings(max_examples=60, deadline=None)
@given(tasks=st.lists(edits, min_size=1, max_size=4))
def test_every_result_is_moved_to_the_sentence_a_linear_scan_finds_or_quarantined(
    tasks: list[tuple[int, int, int, int | None, list[tuple[int, int, bool]], bool]],
) -> None:
    pending: list[PendingAnnotation] = []
    want_moved: list[tuple[str, int, int, int]] = []
    want_lost = 0
    want_complete: dict[int, bool] = {}
    for number, (article, start, size, edit, raw_spans, complete) in enumerate(tasks):
        start = max(0, min(start, len(_text(ARTICLES[article]))))
        old = _text(ARTICLES[article])[start : start + size].ljust(size, "Z")
        if edit is not None and edit < size:
            old = old[:edit] + "Ж" + old[edit + 1 :]
        spans = sorted(
            {
                Span(s, min(s + n, size), "entity", "ORG")
                if typed
                else Span(s, min(s + n, size), "claim")
                for s, n, typed in raw_spans
                if s < size
            },
            key=lambda s: s.key,
        )
        if not spans:
            continue
        ann = _stored(spans, complete=complete, annotation_id=number)
        pending.append(PendingAnnotation(article, start, old, "x", ann))
        lost = 0
        for region in ann.regions:
            s = region.span
            target = _target(article, start + s.start, start + s.end, old[s.start : s.end])
            if target is None:
                lost += region.n_results
            else:
                shift = start - target[1]  # task offsets -> sentence offsets
                want_moved.append((target[0], s.start + shift, s.end + shift, region.n_results))
        want_lost += lost
        want_complete[number] = complete and not lost
    if not pending:
        return
    with tempfile.TemporaryDirectory() as scratch:
        run = _run(pending, Path(scratch))  # in any article order
    index = SentenceIndex.build(RECORDS, "test")
    ids = {index.ids[r.id]: r.id for r in RECORDS}
    got = [
        (ids[a.sentence], r.span.start, r.span.end, r.n_results)
        for a in run.stored
        for r in a.regions
    ]
    assert sorted(got) == sorted(want_moved)
    assert len(run.quarantine) == want_lost == run.ledger.outcomes.get("quarantined", 0)
    assert all(q["reason"] == "text_changed" for q in run.quarantine)
    # Every row is a vote of one sentence; the ids of tasks are gone (-1), so no empty rows.
    assert all(a.regions for a in run.stored)
    assert all(a.complete == want_complete[a.annotation_id] for a in run.stored)
    assert run.ledger.annotations.submitted == len(run.stored)
