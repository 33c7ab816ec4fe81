"""Rows of each config from one sentence record and its decided spans."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import pyarrow as pa

from chainpolicy.corpus.scriptview import ScriptMap
from chainpolicy.dataset.features import STATUSES, char_bio_features, tag_names
from chainpolicy.dataset.figures import normalise
from chainpolicy.dataset.writer import SpanRow, char_list_array, tag_list_array
from chainpolicy.records import SentenceRecord
from chainpolicy.schema import LABEL_NAMES, all_type_names
from chainpolicy.validate.adjudicate import SpanKey

TYPE_NAMES = all_type_names()
_FIGURE = LABEL_NAMES.index("figure")
# B tag id of (label, type) in its layer's tag list; the I tag id is one more.
_B_TAG: dict[tuple[int, int], int] = {}
for _label, _name in enumerate(LABEL_NAMES):
    _tags = tag_names(_name)
    for _type, _type_name in enumerate(TYPE_NAMES):
        if f"B-{_type_name}" in _tags:
            _B_TAG[_label, _type] = _tags.index(f"B-{_type_name}")
    _B_TAG[_label, -1] = _tags.index(f"B-{_name}") if f"B-{_name}" in _tags else -1


@lru_cache(maxsize=4096)  # figure texts repeat; bounded so memory stays flat
def _figure_fields(text: str) -> tuple[str | None, str | None, str | None]:
    return normalise(text)


def span_rows(text: str, spans: Sequence[SpanKey]) -> list[SpanRow]:
    rows: list[SpanRow] = []
    for start, end, label, type_ in spans:
        chunk = text[start:end]
        value, unit, qualifier = _figure_fields(chunk) if label == _FIGURE else (None, None, None)
        type_name = TYPE_NAMES[type_] if type_ >= 0 else None
        rows.append((start, end, label, type_name, chunk, value, unit, qualifier))
    return rows


def project_spans(record: SentenceRecord, spans: Sequence[SpanKey]) -> list[SpanKey]:
    """Spans on ``text`` moved onto ``text_hans`` (identity where OpenCC kept the length)."""
    if not spans or len(record.text) == len(record.text_hans):
        return list(spans)
    mapping = ScriptMap(record.text, record.text_hans)
    out = []
    for start, end, label, type_ in spans:
        new_start, new_end = mapping.to_dst(start, end)
        out.append((new_start, new_end, label, type_))
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
    """Rows of the ``char_bio`` config, turned into Arrow arrays a batch at a time."""

    ids: list[str] = field(default_factory=list)
    articles: list[str] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    # per layer: (row number, start, end, B tag id)
    layers: list[list[tuple[int, int, int, int]]] = field(
        default_factory=lambda: [[] for _ in LABEL_NAMES]
    )

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, record: SentenceRecord, spans: Sequence[SpanKey], status: str) -> None:
        row = len(self.ids)
        self.ids.append(record.id)
        self.articles.append(record.article_id)
        self.scripts.append(record.script)
        self.texts.append(record.text)
        self.statuses.append(STATUSES.index(status))
        for start, end, label, type_ in spans:
            self.layers[label].append((row, start, end, _B_TAG[label, type_]))

    def table(self) -> pa.Table:
        schema = char_bio_features().arrow_schema
        lengths = [len(t) for t in self.texts]
        columns = {
            "id": pa.array(self.ids, pa.string()),
            "article_id": pa.array(self.articles, pa.string()),
            "script": pa.array(self.scripts, pa.string()),
            "chars": char_list_array(self.texts),
            **{
                f"{name}_tags": tag_list_array(lengths, self.layers[label])
                for label, name in enumerate(LABEL_NAMES)
            },
            "annotation_status": pa.array(self.statuses, pa.int64()),
        }
        return pa.Table.from_arrays([columns[n] for n in schema.names], schema=schema)

    def clear(self) -> None:
        for column in (self.ids, self.articles, self.scripts, self.texts, self.statuses):
            column.clear()
        for layer in self.layers:
            layer.clear()
