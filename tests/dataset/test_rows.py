"""Columns from spans: the list<struct> span column, the simplified projection, BIO tags per
layer, all built column-wise from ``FlatSpans``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pytest

from chainpolicy.contract.figures import normalise
from chainpolicy.corpus.arrow_schema import record_schema
from chainpolicy.corpus.scriptview import to_hans
from chainpolicy.dataset.features import tag_names
from chainpolicy.dataset.rows import char_bio_table, project, span_column
from chainpolicy.dataset.writer import TextColumn
from chainpolicy.records import SentenceRecord, Span
from chainpolicy.schema import (
    LABEL_INDEX,
    LABEL_NAMES,
    LABELS_BY_NAME,
    STATUSES,
    TYPE_NAMES,
)
from chainpolicy.validate.batch import FlatSpans

TEXT = "𠀀蘇州市區塊鏈產業園入駐企業近100家。"


def _record(text: str) -> SentenceRecord:
    return SentenceRecord(
        id="a-p001-s01",
        article_id="a",
        index=0,
        line=1,
        role="body",
        script="Hant",
        text=text,
        text_hans=to_hans(text),
        sep="",
        start=0,
        end=len(text),
        raw_start=0,
        raw_end=len(text),
        text_sha1="0" * 40,
    )


SPANS = [
    Span(1, 4, "entity", "LOC"),
    Span(TEXT.index("近"), TEXT.index("家") + 1, "figure", "COUNT"),
    Span(1, len(TEXT) - 1, "claim"),
]


def _block(records: Sequence[SentenceRecord]) -> pa.RecordBatch:
    return pa.RecordBatch.from_pylist([r.model_dump() for r in records], schema=record_schema())


def _flat(spans_per_row: Sequence[Sequence[Span]]) -> FlatSpans:
    return FlatSpans.of(range(len(spans_per_row)), spans_per_row).sorted()


def test_span_column_carries_label_and_type_ids_the_text_and_only_normalised_labels_a_value() -> (
    None
):
    texts = pa.array([TEXT, "無。", TEXT])
    spans = _flat([SPANS, [], SPANS[:1]])
    column = span_column(TextColumn.of(texts), np.arange(3), spans, 3).to_pylist()
    assert [len(row) for row in column] == [3, 0, 1]
    for span, row in zip(sorted(SPANS, key=lambda s: s.key), column[0], strict=True):
        assert (row["start"], row["end"], LABEL_NAMES[row["label"]]) == (
            span.start,
            span.end,
            span.label,
        )
        assert row["label"] == LABEL_INDEX[span.label]
        # The type is a ClassLabel id over every type of the schema; a label without types: null.
        assert (None if row["type"] is None else TYPE_NAMES[row["type"]]) == span.type
        assert row["text"] == TEXT[span.start : span.end]
        expected = normalise(row["text"]) if LABELS_BY_NAME[span.label].normalised else (None,) * 3
        assert (row["value"], row["unit"], row["qualifier"]) == tuple(expected)
    figure = next(r for r in column[0] if LABEL_NAMES[r["label"]] == "figure")
    assert (figure["value"], figure["unit"], figure["qualifier"]) == ("100", "家", "近")


def test_a_figure_text_under_another_label_gets_no_figure_value() -> None:
    # The distinct figure texts are normalised once; the same text as an entity stays null.
    text = "近100家"
    spans = _flat([[Span(0, 5, "figure", "COUNT"), Span(0, 5, "claim")]])
    column = span_column(TextColumn.of(pa.array([text])), np.arange(1), spans, 1).to_pylist()
    by_label = {LABEL_NAMES[r["label"]]: r for r in column[0]}
    assert by_label["figure"]["value"] == "100" and by_label["claim"]["value"] is None


def test_spans_project_onto_a_simplified_text_of_another_length() -> None:
    # OpenCC t2s keeps the length of every text in this corpus; a view that does not (as phrase
    # tables can) must still move each span onto the converted form of what it covered.
    text = "甲乙區塊鏈產業"
    spans = _flat([[Span(2, 5, "entity", "PRODUCT"), Span(0, 1, "claim")], []])
    texts = pa.array([text, text])
    views = pa.array(["甲乙丙区块链产业", to_hans(text)])
    projected = project(texts, views, spans, 2)
    hans = "甲乙丙区块链产业"
    pairs = zip(projected.start.tolist(), projected.end.tolist(), strict=True)
    assert sorted(hans[a:b] for a, b in pairs) == ["区块链", "甲"]
    assert project(texts, pa.array([to_hans(text)] * 2), spans, 2) is spans  # same length


@pytest.mark.parametrize("label", LABEL_NAMES)
def test_bio_tags_follow_the_spans_of_each_layer(label: str) -> None:
    block = _block([_record(TEXT), _record("無標註。")])
    status = np.array([STATUSES.index("annotated"), STATUSES.index("annotated_empty")])
    table = char_bio_table(block, "text", _flat([SPANS, []]), status)
    tags = tag_names(label)
    rows = table.column(LABELS_BY_NAME[label].tag_column).to_pylist()
    expected = ["O"] * len(TEXT)
    for span in (s for s in SPANS if s.label == label):
        kind = span.type or span.label
        expected[span.start : span.end] = [f"B-{kind}"] + [f"I-{kind}"] * (
            span.end - span.start - 1
        )
    assert [tags[t] for t in rows[0]] == expected
    assert [tags[t] for t in rows[1]] == ["O"] * 4
    assert table.column("tokens").to_pylist()[0] == list(TEXT)  # the astral 𠀀 is one character
    assert table.column("annotation_status").to_pylist() == status.tolist()


def test_a_row_takes_the_text_column_it_is_given_and_tags_the_spans_on_it() -> None:
    # char_bio_hans rows: the simplified text and the spans projected onto it, not record.text.
    text = "甲乙區塊鏈產業"
    record = _record(text).model_copy(update={"text_hans": "甲乙丙区块链产业"})
    block = _block([record])
    spans = _flat([[Span(2, 5, "entity", "PRODUCT")]])
    projected = project(block.column("text"), block.column("text_hans"), spans, 1)
    table = char_bio_table(block, "text_hans", projected, np.array([0]))
    tags = tag_names("entity")
    row = table.column("ner_tags").to_pylist()[0]
    assert table.column("tokens").to_pylist()[0] == list(record.text_hans)
    assert [tags[t] for t in row] == [
        "O",
        "O",
        "O",
        "B-PRODUCT",
        "I-PRODUCT",
        "I-PRODUCT",
        "O",
        "O",
    ]
