"""Parquet files of the dataset folder, written in row batches (memory stays flat).

One file per config and split, ``data/<config>/<split>-00000-of-00001.parquet``. Rows arrive as
plain column lists; each batch becomes one row group. The Arrow schema carries the ``huggingface``
metadata (features with ClassLabel names). Nothing time-dependent is written, and rows come in
corpus order, so the same inputs give the same bytes with the same pyarrow.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from datasets import Features

from chainpolicy.contract.layout import data_path

BATCH_ROWS: Final = 1024
# Article rows carry whole articles: a batch also ends at this many characters of text, so the
# buffer stays small whatever the rows hold (and the cut points depend only on the data).
BATCH_CHARS: Final = 1_000_000
_WRITE_OPTIONS: Final[dict[str, Any]] = {
    "compression": "zstd",
    "compression_level": 3,
    "write_statistics": True,
    "use_dictionary": True,
}

# A span as the Arrow struct of the span feature: start, end, label id, type id (None: no type),
# text, value, unit, qualifier. Spans become these tuples only here, at the Parquet edge.
SpanRow = tuple[int, int, int, int | None, str, str | None, str | None, str | None]


class SplitWriter:
    """Buffers rows of one config/split and writes them as row groups."""

    def __init__(self, root: Path, config: str, split: str, features: Features) -> None:
        self.path = root / data_path(config, split)
        self.schema = features.arrow_schema
        self.columns: dict[str, list[Any]] = {name: [] for name in self.schema.names}
        self.rows = 0
        self._chars = 0
        self._writer: pq.ParquetWriter | None = None

    def add(self, **row: Any) -> None:
        for name, column in self.columns.items():
            column.append(row[name])
        self._chars += len(row.get("text") or "")
        if len(next(iter(self.columns.values()))) >= BATCH_ROWS or self._chars >= BATCH_CHARS:
            self.flush()

    def add_table(self, table: pa.Table) -> None:
        self._write(table)

    def flush(self) -> None:
        first = next(iter(self.columns.values()))
        if not first:
            return
        arrays = [_array(self.columns[field.name], field.type) for field in self.schema]
        self._write(pa.Table.from_arrays(arrays, schema=self.schema))
        for column in self.columns.values():
            column.clear()
        self._chars = 0

    def _write(self, table: pa.Table) -> None:
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = pq.ParquetWriter(self.path, self.schema, **_WRITE_OPTIONS)
        self._writer.write_table(table, row_group_size=max(1, table.num_rows))
        self.rows += table.num_rows

    def close(self) -> None:
        self.flush()
        if self._writer is not None:
            self._writer.close()


def _array(values: list[Any], type_: pa.DataType) -> pa.Array:
    if pa.types.is_list(type_) and pa.types.is_struct(type_.value_type):
        return span_array(values, type_)
    return pa.array(values, type=type_)


def span_array(rows: Sequence[Sequence[SpanRow]], type_: pa.DataType) -> pa.Array:
    """list<struct> from per-row lists of span tuples, built column-wise (no dict per span)."""
    struct = type_.value_type
    offsets = np.zeros(len(rows) + 1, dtype=np.int32)
    np.cumsum([len(r) for r in rows], out=offsets[1:])
    flat = [span for row in rows for span in row]
    columns = list(zip(*flat, strict=True)) if flat else [() for _ in struct]
    children = [pa.array(column, type=struct.field(i).type) for i, column in enumerate(columns)]
    values = pa.StructArray.from_arrays(children, fields=list(struct))
    return pa.ListArray.from_arrays(pa.array(offsets), values, type=type_)


def char_list_array(texts: Sequence[str]) -> pa.Array:
    """list<string> of the characters (code points) of each text, from one UTF-8 buffer."""
    joined = "".join(texts).encode("utf-8")
    data = np.frombuffer(joined, dtype=np.uint8)
    # A code point starts at every byte that is not a UTF-8 continuation byte (10xxxxxx).
    starts = np.flatnonzero((data & 0xC0) != 0x80).astype(np.int32)
    value_offsets = np.append(starts, np.int32(len(joined))).astype(np.int32)
    chars = pa.StringArray.from_buffers(
        len(starts), pa.py_buffer(value_offsets.tobytes()), pa.py_buffer(joined)
    )
    list_offsets = np.zeros(len(texts) + 1, dtype=np.int32)
    np.cumsum([len(t) for t in texts], out=list_offsets[1:])
    return pa.ListArray.from_arrays(pa.array(list_offsets), chars)


def tag_list_array(lengths: Sequence[int], spans: Sequence[tuple[int, int, int, int]]) -> pa.Array:
    """list<int64> of BIO tag ids per text, from (text number, start, end, B tag id) spans.

    The I tag id of a span is its B tag id + 1 (see ``features.tag_names``). Spans of one layer
    never overlap (validated), so assignment order does not matter.
    """
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    tags = np.zeros(int(offsets[-1]), dtype=np.int64)
    if spans:
        table = np.asarray(spans, dtype=np.int64)
        begin = offsets[table[:, 0]] + table[:, 1]
        end = offsets[table[:, 0]] + table[:, 2]
        tags[begin] = table[:, 3]
        inner = end - begin - 1
        total = int(inner.sum())
        if total:
            first = np.repeat(begin + 1, inner)
            shift = np.arange(total) - np.repeat(np.cumsum(inner) - inner, inner)
            tags[first + shift] = np.repeat(table[:, 3] + 1, inner)
    return pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), pa.array(tags))
