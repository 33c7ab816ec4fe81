"""The scratch store between the passes: the codec and every table round trip."""

from __future__ import annotations

from pathlib import Path

import pytest

from chainpolicy.contract.regions import Region
from chainpolicy.records import Span
from chainpolicy.schema import LABELS
from chainpolicy.validate.store import (
    AnnotationStore,
    PendingAnnotation,
    StoredAnnotation,
    pack,
    unpack,
)

EVERY_KIND = [
    Region(Span(i, i + 2, spec.name, type_), 1 + (type_ is not None))
    for i, (spec, type_) in enumerate((spec, t) for spec in LABELS for t in (spec.types or (None,)))
]


def test_the_codec_round_trips_every_label_and_type() -> None:
    assert unpack(pack(EVERY_KIND)) == EVERY_KIND
    assert [r.n_results for r in unpack(pack(EVERY_KIND))] == [r.n_results for r in EVERY_KIND]
    assert unpack(pack([])) == []


def _annotation(sentence: int, annotation_id: int, **kw: object) -> StoredAnnotation:
    fields: dict[str, object] = {
        "annotator": 7,
        "ground_truth": False,
        "recency": 10,
        "task_id": 3,
        "export": 0,
        "regions": EVERY_KIND[:2],
        "complete": True,
    }
    fields.update(kw)
    return StoredAnnotation(sentence, annotation_id, **fields)  # type: ignore[arg-type]


@pytest.fixture
def store(tmp_path: Path) -> AnnotationStore:
    made = AnnotationStore(tmp_path / "s.sqlite")
    yield made  # type: ignore[misc]
    made.close()


def test_annotations_come_back_grouped_by_sentence_in_corpus_order(store: AnnotationStore) -> None:
    added = [
        _annotation(5, 1),
        _annotation(2, 2, annotator=None, ground_truth=True, complete=False, regions=[]),
        _annotation(5, 3, recency=-1, export=1),
    ]
    for a in added:
        store.add(a)
    groups = list(store.by_sentence())
    assert [idx for idx, _ in groups] == [2, 5]
    assert groups[0][1] == [added[1]] and groups[1][1] == [added[0], added[2]]


def test_pending_annotations_keep_their_sentence_and_text(store: AnnotationStore) -> None:
    assert not store.has_pending()
    pending = [
        PendingAnnotation(1, 40, "𠀀江苏省", "a-p001-s01", _annotation(-1, 9)),
        PendingAnnotation(0, 0, "old text", "b-p002-s01", _annotation(4, 8, complete=False)),
    ]
    for p in pending:
        store.add_pending(p)
    assert store.has_pending()
    assert list(store.pending()) == [pending[1], pending[0]]  # in article order


def test_the_latest_prediction_of_each_sentence_wins(store: AnnotationStore) -> None:
    store.add_prediction(3, "v1", 0, 10, EVERY_KIND[:1])
    store.add_prediction(3, "v2", 1, 2, EVERY_KIND[1:2])  # a later export
    store.add_prediction(1, "v1", 0, 5, [])
    store.add_prediction(1, "v1", 0, 6, EVERY_KIND[2:3])  # same export, higher id
    assert list(store.predictions()) == [(1, "v1", EVERY_KIND[2:3]), (3, "v2", EVERY_KIND[1:2])]


def test_packed_rows_are_the_rows_add_would_write(store: AnnotationStore, tmp_path: Path) -> None:
    import numpy as np

    from chainpolicy.validate.store import pack_rows

    rows = np.array([(*r.span.key, r.n_results) for r in EVERY_KIND], dtype=np.intc)
    blobs = pack_rows(rows, np.array([0, 2, 2, len(EVERY_KIND)]))
    assert blobs == [pack(EVERY_KIND[:2]), b"", pack(EVERY_KIND[2:])]
    first = _annotation(4, 1)
    store.add(first)
    store.add_packed_many([(4, 2, 7, False, 10, 3, 0, blobs[2], True)])
    store.add_prediction_packed(4, "v1", 0, 1, blobs[0])
    ((_, group),) = store.by_sentence()
    assert group == [first, _annotation(4, 2, regions=EVERY_KIND[2:])]
    assert list(store.predictions()) == [(4, "v1", EVERY_KIND[:2])]


def test_rows_of_another_store_are_appended_in_their_order(
    store: AnnotationStore, tmp_path: Path
) -> None:
    other = AnnotationStore(tmp_path / "other.sqlite")
    theirs = [_annotation(5, 10), _annotation(2, 11)]
    for a in theirs:
        other.add(a)
    other.add_prediction(2, "v2", 0, 1, EVERY_KIND[:1])
    pending = PendingAnnotation(0, 0, "text", "x-p001-s01", _annotation(-1, 12))
    other.add_pending(pending)
    other.flush()
    other.close()
    mine = _annotation(5, 1)
    store.add(mine)
    store.append_from(tmp_path / "other.sqlite")
    assert [(i, [a.annotation_id for a in g]) for i, g in store.by_sentence()] == [
        (2, [11]),
        (5, [1, 10]),
    ]
    assert list(store.predictions()) == [(2, "v2", EVERY_KIND[:1])]
    assert list(store.pending()) == [pending] and store.count == 3
