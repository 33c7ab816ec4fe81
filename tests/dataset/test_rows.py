"""Rows from spans: Arrow span tuples, the simplified projection, BIO tags per layer."""

from __future__ import annotations

import pytest

from chainpolicy.contract.figures import normalise
from chainpolicy.corpus.scriptview import to_hans
from chainpolicy.dataset.features import tag_names
from chainpolicy.dataset.rows import CharBioBuffer, project_spans, span_rows
from chainpolicy.records import SentenceRecord, Span
from chainpolicy.schema import LABEL_INDEX, LABEL_NAMES, LABELS_BY_NAME, TYPE_NAMES

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


def test_span_rows_carry_label_and_type_ids_the_text_and_only_normalised_labels_a_value() -> None:
    rows = span_rows(TEXT, SPANS)
    for span, row in zip(SPANS, rows, strict=True):
        start, end, label, type_, chunk, *figure = row
        assert (start, end, LABEL_NAMES[label]) == (span.start, span.end, span.label)
        assert label == LABEL_INDEX[span.label]
        # The type is a ClassLabel id over every type of the schema; a label without types: null.
        assert (None if type_ is None else TYPE_NAMES[type_]) == span.type
        assert chunk == TEXT[span.start : span.end]
        expected = normalise(chunk) if LABELS_BY_NAME[span.label].normalised else (None,) * 3
        assert tuple(figure) == tuple(expected)
    assert rows[1][5:] == ("100", "家", "近")


def test_spans_project_onto_a_simplified_text_of_another_length() -> None:
    # OpenCC t2s keeps the length of every text in this corpus; a view that does not (as phrase
    # tables can) must still move each span onto the converted form of what it covered.
    text = "甲乙區塊鏈產業"
    record = _record(text).model_copy(update={"text_hans": "甲乙丙区块链产业"})
    spans = [Span(2, 5, "entity", "PRODUCT"), Span(0, 1, "claim")]
    projected = project_spans(record, spans)
    assert [record.text_hans[s.start : s.end] for s in projected] == ["区块链", "甲"]
    assert [(s.label, s.type) for s in projected] == [(s.label, s.type) for s in spans]
    assert project_spans(_record(text), spans) == spans  # same length: the identity


@pytest.mark.parametrize("label", LABEL_NAMES)
def test_bio_tags_follow_the_spans_of_each_layer(label: str) -> None:
    buffer = CharBioBuffer()
    buffer.add(_record(TEXT), TEXT, SPANS, "annotated")
    buffer.add(_record("無標註。"), "無標註。", [], "annotated_empty")
    table = buffer.table()
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


def test_a_row_takes_the_text_it_is_given_and_tags_the_spans_on_it() -> None:
    # char_bio_hans rows: the simplified text and the spans projected onto it, not record.text.
    text = "甲乙區塊鏈產業"
    record = _record(text).model_copy(update={"text_hans": "甲乙丙区块链产业"})
    projected = project_spans(record, [Span(2, 5, "entity", "PRODUCT")])
    buffer = CharBioBuffer()
    buffer.add(record, record.text_hans, projected, "annotated")
    table = buffer.table()
    assert table.column("tokens").to_pylist() == [list(record.text_hans)]
    label = projected[0].label
    tags = tag_names(label)
    row = table.column(LABELS_BY_NAME[label].tag_column).to_pylist()[0]
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
