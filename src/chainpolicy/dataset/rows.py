"""Rows of each config from one sentence record and its spans (pure; no I/O).

Spans become Arrow-ready tuples (``SpanRow``) here: the label and the type as their ClassLabel
ids (no type: null), the text slice, and for normalised labels (schema policy) the figure's
value, unit and qualifier.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import pyarrow as pa

from chainpolicy.contract.figures import normalise
from chainpolicy.corpus.scriptview import ScriptMap
from chainpolicy.dataset.features import char_bio_features, tag_names
from chainpolicy.dataset.writer import SpanRow, char_list_array, tag_list_array
from chainpolicy.records import FigureValue, SentenceRecord, Span
from chainpolicy.schema import LABEL_INDEX, LABEL_NAMES, LABELS, STATUSES, TYPE_INDEX

_NONE = FigureValue(None, None, None)
# B tag id of (label, type) in its layer's tag list; the I tag id is one more.
_B_TAG: dict[tuple[str, str | None], int] = {}
for _spec in LABELS:
    _tags = tag_names(_spec.name)
    for _type in _spec.types or (None,):
        _B_TAG[_spec.name, _type] = _tags.index(f"B-{_type or _spec.name}")


_NORMALISED = {spec.name: spec.normalised for spec in LABELS}


@lru_cache(maxsize=4096)  # figure texts repeat; bounded so memory stays flat
def _normalised(text: str) -> FigureValue:
    return normalise(text)


def span_rows(text: str, spans: Sequence[Span]) -> list[SpanRow]:
    rows: list[SpanRow] = []
    for span in spans:
        chunk = text[span.start : span.end]
        figure = _normalised(chunk) if _NORMALISED[span.label] else _NONE
        type_id = None if span.type is None else TYPE_INDEX[span.type]
        rows.append((span.start, span.end, LABEL_INDEX[span.label], type_id, chunk, *figure))
    return rows


def project_spans(record: SentenceRecord, spans: Sequence[Span]) -> list[Span]:
    """Spans on ``text`` moved onto ``text_hans`` (identity where OpenCC kept the length)."""
    if not spans or len(record.text) == len(record.text_hans):
        return list(spans)
    mapping = ScriptMap(record.text, record.text_hans)
    out = []
    for span in spans:
        start, end = mapping.to_dst(span.start, span.end)
        out.append(Span(start, end, span.label, span.type))
    return out


def sentence_row(
    record: SentenceRecord,
    text: str,
    spans: list[SpanRow],
    status: str,
    n_annotators: int,
    method: int,
    quarantined: int,
) -> dict[str, Any]:
    return {
        "id": record.id,
        "text": text,
        "spans": spans,
        "annotation_status": STATUSES.index(status),
        "n_annotators": n_annotators,
        "adjudication": method,
        "quarantined_results": quarantined,
        "article_id": record.article_id,
        "index": record.index,
        "role": record.role,
        "script": record.script,
        "start": record.start,
        "end": record.end,
        "raw_start": record.raw_start,
        "raw_end": record.raw_end,
        "text_sha1": record.text_sha1,
        "duplicate_of": record.duplicate_of,
        "footnote_anchor": record.footnote_anchor,
    }


@dataclass
class CharBioBuffer:
    """Rows of a token-classification config (``char_bio``, ``char_bio_hans``), turned into Arrow
    arrays a batch at a time. The caller decides which rows belong (gold only) and which text
    (original or simplified) the spans index."""

    ids: list[str] = field(default_factory=list)
    articles: list[str] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    # per layer: (row number, start, end, B tag id)
    layers: dict[str, list[tuple[int, int, int, int]]] = field(
        default_factory=lambda: {name: [] for name in LABEL_NAMES}
    )

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, record: SentenceRecord, text: str, spans: Sequence[Span], status: str) -> None:
        """One row: the characters of ``text`` and the tags of ``spans`` (offsets into it)."""
        row = len(self.ids)
        self.ids.append(record.id)
        self.articles.append(record.article_id)
        self.scripts.append(record.script)
        self.texts.append(text)
        self.statuses.append(STATUSES.index(status))
        for span in spans:
            self.layers[span.label].append(
                (row, span.start, span.end, _B_TAG[span.label, span.type])
            )

    def table(self) -> pa.Table:
        schema = char_bio_features().arrow_schema
        lengths = [len(t) for t in self.texts]
        columns = {
            "id": pa.array(self.ids, pa.string()),
            "article_id": pa.array(self.articles, pa.string()),
            "script": pa.array(self.scripts, pa.string()),
            "tokens": char_list_array(self.texts),
            **{spec.tag_column: tag_list_array(lengths, self.layers[spec.name]) for spec in LABELS},
            "annotation_status": pa.array(self.statuses, pa.int64()),
        }
        return pa.Table.from_arrays([columns[n] for n in schema.names], schema=schema)

    def clear(self) -> None:
        for column in (self.ids, self.articles, self.scripts, self.texts, self.statuses):
            column.clear()
        for layer in self.layers.values():
            layer.clear()
