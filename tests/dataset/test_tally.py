"""Counts per split: recomputed record by record in plain Python, whatever the block cuts and
the rows left out, and the invariants between the counts (records = statuses = scripts, typed
spans within spans, articles counted once)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import pairwise

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainpolicy.contract.layout import SPLITS
from chainpolicy.corpus.arrow_schema import record_schema
from chainpolicy.dataset.report import SplitCounts
from chainpolicy.dataset.source import ArticleInfo
from chainpolicy.dataset.tally import Tally
from chainpolicy.records import SentenceRecord, Span
from chainpolicy.schema import LABELS, METHODS, REPAIR_KINDS, STATUSES
from chainpolicy.validate.batch import FlatSpans

KINDS = [(spec.name, t) for spec in LABELS for t in (spec.types or (None,))]
# Code points, not bytes: the astral 𠀀 is one character, CJK three bytes each.
TEXTS = ("𠀀蘇州市區塊鏈產業園。", "杭州", "", "近100家企业入驻。", "責任編輯:張三")


@dataclass(frozen=True)
class Row:
    article: str
    script: str
    text: str
    split: int
    keep: bool
    status: int
    method: int
    spans: tuple[Span, ...]


def _record(row: Row, n: int) -> SentenceRecord:
    return SentenceRecord(
        id=f"{row.article}-p{n:03d}-s01",
        article_id=row.article,
        index=n,
        line=n,
        role="body",
        script=row.script,
        text=row.text,
        text_hans=row.text,
        sep="\n",
        start=0,
        end=len(row.text),
        raw_start=0,
        raw_end=len(row.text),
        text_sha1="0" * 40,
    )


def _tally(rows: Sequence[Row], cuts: Sequence[int] = ()) -> Tally:
    """``Tally.block`` over the rows cut into blocks at ``cuts`` (owners numbered per block)."""
    tally = Tally()
    bounds = [0, *sorted(set(cuts)), len(rows)]
    for lo, hi in pairwise(bounds):
        part = rows[lo:hi]
        block = pa.RecordBatch.from_pylist(
            [_record(r, lo + i).model_dump() for i, r in enumerate(part)], schema=record_schema()
        )
        tally.block(
            block,
            np.array([r.split for r in part], dtype=np.int64),
            np.array([r.keep for r in part], dtype=bool),
            np.array([r.status for r in part], dtype=np.int64),
            np.array([r.method for r in part], dtype=np.int64),
            FlatSpans.of(range(len(part)), [r.spans for r in part]).sorted(),
        )
    return tally


def _bump(counts: dict[str, int], key: str) -> None:
    counts[key] = counts.get(key, 0) + 1


def _expected(rows: Sequence[Row]) -> tuple[dict[str, SplitCounts], dict[str, int]]:
    """The counts row by row (keys in the order first met), and the methods of kept rows."""
    out = {split: SplitCounts() for split in SPLITS}
    articles: dict[str, set[str]] = {split: set() for split in SPLITS}
    methods = dict.fromkeys(METHODS, 0)
    for row in (r for r in rows if r.keep):
        split = SPLITS[row.split]
        counts = out[split]
        methods[METHODS[row.method]] += 1
        counts.records += 1
        counts.characters += len(row.text)
        _bump(counts.status, STATUSES[row.status])
        _bump(counts.scripts, row.script)
        articles[split].add(row.article)
        for span in sorted(row.spans, key=lambda s: s.key):
            _bump(counts.spans, span.label)
            if span.type is not None:
                _bump(counts.types, f"{span.label}/{span.type}")
    for split, seen in articles.items():
        out[split].articles = len(seen)
    return out, methods


spans = st.lists(
    st.builds(
        lambda start, size, kind: Span(start, start + size, *kind),
        st.integers(0, 8),
        st.integers(1, 3),
        st.sampled_from(KINDS),
    ),
    max_size=4,
    unique=True,
)
rows = st.lists(
    st.builds(
        Row,
        article=st.sampled_from("abcd"),
        script=st.sampled_from(("Hans", "Hant")),
        text=st.sampled_from(TEXTS),
        split=st.integers(0, len(SPLITS) - 1),
        keep=st.booleans(),
        status=st.integers(0, len(STATUSES) - 1),
        method=st.integers(0, len(METHODS) - 1),
        spans=spans.map(tuple),
    ),
    max_size=25,
)


@settings(max_examples=80, deadline=None)
@given(rows=rows, cuts=st.lists(st.integers(1, 24), max_size=4))
def test_counts_are_the_counts_of_the_kept_records_whatever_the_blocks(
    rows: list[Row], cuts: list[int]
) -> None:
    tally = _tally(rows, [c for c in cuts if c < len(rows)])
    expected, methods = _expected(rows)
    got = tally.splits()
    assert list(got) == list(SPLITS)  # every split, also one without records
    for split in SPLITS:
        mine, want = got[split], expected[split]
        assert mine.model_dump() == want.model_dump(), split
        # The report lists keys in the order they are first met, row by row.
        for name in ("status", "scripts", "spans", "types"):
            assert list(getattr(mine, name)) == list(getattr(want, name)), (split, name)
    assert tally.adjudication() == methods
    assert list(tally.adjudication()) == list(METHODS)


@settings(max_examples=40, deadline=None)
@given(rows=rows)
def test_the_counts_add_up(rows: list[Row]) -> None:
    tally = _tally(rows)
    counts = tally.splits()
    kept = [r for r in rows if r.keep]
    assert sum(c.records for c in counts.values()) == len(kept)
    assert sum(tally.adjudication().values()) == len(kept)
    for split, c in counts.items():
        assert sum(c.status.values()) == c.records == sum(c.scripts.values()), split
        assert sum(c.types.values()) <= sum(c.spans.values())
        for key, n in c.types.items():  # a typed span is also a span of its label
            assert n <= c.spans[key.split("/")[0]]
        assert c.articles <= c.records
        assert (c.records == 0) == (c.articles == 0)
    # Each kept article counted once in each split it has records in, never more.
    assert sum(c.articles for c in counts.values()) == len({(r.article, r.split) for r in kept})


@pytest.mark.parametrize(("label", "type_"), KINDS)
def test_a_span_counts_under_its_label_and_under_label_slash_type_if_typed(
    label: str, type_: str | None
) -> None:
    row = Row("a", "Hant", TEXTS[0], 0, True, STATUSES.index("annotated"), 1, ())
    span = Span(1, 3, label, type_)
    counts = _tally([replace(row, spans=(span, span))]).splits()
    train = counts[SPLITS[0]]
    assert train.spans == {label: 2}
    assert train.types == ({} if type_ is None else {f"{label}/{type_}": 2})


def test_left_out_rows_count_nowhere_not_even_their_spans_or_methods() -> None:
    gold = (Span(0, 2, "claim"),)
    rows = [
        Row("a", "Hant", TEXTS[0], 0, False, STATUSES.index("annotated"), 1, gold),
        Row("b", "Hans", TEXTS[1], 2, False, STATUSES.index("annotated"), 3, gold),
    ]
    tally = _tally(rows)
    assert all(c == SplitCounts() for c in tally.splits().values())
    assert tally.adjudication() == dict.fromkeys(METHODS, 0)


def test_an_article_across_blocks_is_counted_once() -> None:
    rows = [Row("a", "Hant", t, 1, True, 0, 0, ()) for t in TEXTS]
    for cuts in ([], [1], [1, 2, 3, 4]):
        validation = _tally(rows, cuts).splits()[SPLITS[1]]
        assert (validation.articles, validation.records) == (1, len(TEXTS)), cuts
        assert validation.characters == sum(len(t) for t in TEXTS)


def test_repairs_add_up_per_split_over_the_articles() -> None:
    kinds = list(REPAIR_KINDS)
    articles = [
        (SPLITS[0], ArticleInfo("a", "Hant", "", 3, repair_counts=((kinds[0], 2), (kinds[1], 1)))),
        (SPLITS[0], ArticleInfo("b", "Hans", "", 1, repair_counts=((kinds[1], 4),))),
        (SPLITS[2], ArticleInfo("c", "Hant", "", 2, repair_counts=((kinds[0], 5),))),
        (SPLITS[2], ArticleInfo("d", "Hant", "", 2)),  # no repairs
    ]
    tally = Tally()
    expected: dict[str, dict[str, int]] = {split: {} for split in SPLITS}
    for split, article in articles:
        tally.article(split, article)
        for kind, n in article.repair_counts:
            expected[split][kind] = expected[split].get(kind, 0) + n
    counts = tally.splits()
    assert {split: c.repairs for split, c in counts.items()} == expected
    assert sum(sum(c.repairs.values()) for c in counts.values()) == sum(
        n for _, a in articles for _, n in a.repair_counts
    )
    assert all(c.records == 0 for c in counts.values())  # articles are not sentence records
