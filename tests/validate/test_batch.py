"""Block decisions against the per-sentence policy: ``decide_block`` must give, sentence by
sentence, what ``decide`` gives (gold spans, method, annotators, review, votes and their
statuses, outcomes), whatever the annotations, the block boundaries and the excluded rows."""

from __future__ import annotations

import tempfile
from collections import Counter
from itertools import pairwise
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainpolicy.contract.regions import Region
from chainpolicy.records import Span, sorted_spans
from chainpolicy.schema import LABEL_NAMES, LABELS, METHODS, STATUSES, TYPE_NAMES, VOTE_STATUSES
from chainpolicy.validate.batch import FlatSpans, decide_block
from chainpolicy.validate.decide import decide
from chainpolicy.validate.store import (
    Aligned,
    AnnotationColumns,
    AnnotationStore,
    StoredAnnotation,
)

KINDS = [(spec.name, t) for spec in LABELS for t in (spec.types or (None,))]
SENTENCES = 12

regions = st.lists(
    st.builds(
        lambda start, size, kind, n: Region(Span(start, start + size, *kind), n),
        st.integers(0, 6),
        st.integers(1, 3),
        st.sampled_from(KINDS),
        st.integers(1, 2),
    ),
    max_size=4,
    unique_by=lambda r: r.span,
)
annotations = st.lists(
    st.builds(
        StoredAnnotation,
        sentence=st.integers(0, SENTENCES - 1),
        annotation_id=st.integers(1, 8),  # small: the same annotation in several exports
        annotator=st.one_of(st.none(), st.integers(1, 3)),
        ground_truth=st.booleans(),
        recency=st.integers(-1, 4),
        task_id=st.integers(1, 3),
        export=st.integers(0, 1),
        regions=regions,
        complete=st.booleans(),
    ),
    max_size=30,
)


def _expected(stored: list[StoredAnnotation], annotatable: list[bool], excluded: list[bool]):  # type: ignore[no-untyped-def]
    """Per sentence what one-at-a-time decisions give, and the outcome totals."""
    by_sentence: dict[int, list[StoredAnnotation]] = {}
    for a in sorted(stored, key=lambda a: a.sentence):  # sorted is stable: store order kept
        by_sentence.setdefault(a.sentence, []).append(a)
    rows = []
    outcomes: Counter[str] = Counter()
    excluded_results = superseded = 0
    for idx in range(SENTENCES):
        group = by_sentence.get(idx, [])
        if excluded[idx]:
            excluded_results += sum(a.results for a in group)
            rows.append(None)
            continue
        d = decide(group)
        outcomes.update(d.outcomes)
        superseded += d.superseded
        if not annotatable[idx]:
            status = "not_annotatable"
        elif d.needs_review:
            status = "needs_review"
        elif d.decision.method == "none":
            status = "not_annotated"
        else:
            status = "annotated" if d.decision.spans else "annotated_empty"
        votes = [
            (v.annotation_id, v.annotator, d.vote_status[v.annotation_id], sorted_spans(v.spans))
            for v in d.votes
        ]
        rows.append((status, d.decision.method, d.decision.n_annotators, d.decision.spans, votes))
    return rows, outcomes, excluded_results, superseded


def _spans_of(flat: FlatSpans, owner: int) -> list[Span]:
    mine = flat.owner == owner
    return [
        Span(int(s), int(e), LABEL_NAMES[int(lab)], None if t < 0 else TYPE_NAMES[int(t)])
        for s, e, lab, t in zip(
            flat.start[mine], flat.end[mine], flat.label[mine], flat.type[mine], strict=True
        )
    ]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    stored=annotations,
    annotatable=st.lists(st.booleans(), min_size=SENTENCES, max_size=SENTENCES),
    excluded=st.lists(st.booleans(), min_size=SENTENCES, max_size=SENTENCES),
    cuts=st.sets(st.integers(1, SENTENCES - 1), max_size=4),
)
def test_block_decisions_are_the_per_sentence_decisions(
    stored: list[StoredAnnotation], annotatable: list[bool], excluded: list[bool], cuts: set[int]
) -> None:
    # Annotations on sentences that are not annotatable never reach the store (pass 1).
    stored = [a for a in stored if annotatable[a.sentence]]
    expected, outcomes, excluded_results, superseded = _expected(stored, annotatable, excluded)
    with tempfile.TemporaryDirectory() as scratch:
        store = AnnotationStore(Path(scratch) / "s.sqlite")
        for a in stored:
            store.add(a)
        aligned = Aligned(store.annotation_columns(), AnnotationColumns.empty())
        got_outcomes: Counter[str] = Counter()
        got_excluded = got_superseded = 0
        bounds = [0, *sorted(cuts), SENTENCES]
        for lo, hi in pairwise(bounds):
            n = hi - lo
            block = decide_block(
                lo,
                n,
                aligned.upto(hi),
                np.array(annotatable[lo:hi]),
                np.array(excluded[lo:hi]),
            )
            got_outcomes.update(block.outcomes)
            got_excluded += block.excluded_results
            got_superseded += block.superseded
            for row in range(n):
                want = expected[lo + row]
                if want is None:
                    assert not (block.votes.row == row).any()
                    continue
                status, method, n_annotators, gold, votes = want
                assert STATUSES[block.status[row]] == status
                assert METHODS[block.method[row]] == method
                assert block.n_annotators[row] == n_annotators
                assert _spans_of(block.gold, row) == list(gold)
                mine = np.flatnonzero(block.votes.row == row)
                got_votes = [
                    (
                        int(block.votes.annotation_id[i]),
                        None if block.votes.anonymous[i] else int(block.votes.annotator[i]),
                        VOTE_STATUSES[block.votes.status[i]],
                        _spans_of(block.votes.spans, int(i)),
                    )
                    for i in mine
                ]
                assert got_votes == votes
        store.close()
    assert +got_outcomes == +outcomes
    assert got_excluded == excluded_results
    assert got_superseded == superseded
