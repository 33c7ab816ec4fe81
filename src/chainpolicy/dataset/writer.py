"""Parquet files of the dataset folder, written in row batches (memory stays flat).

One file per config and split, ``data/<config>/<split>-00000-of-00001.parquet``. Rows arrive as
Arrow tables (or, for the few article rows, plain values); they are cut into row groups of
``BATCH_ROWS`` rows, a group also ending once it holds ``BATCH_CHARS`` characters of ``text``, so
the cut points depend only on the data, never on how the rows arrived. The Arrow schema carries the
``huggingface`` metadata (features with ClassLabel names). Nothing time-dependent is written, and
rows come in corpus order, so the same inputs give the same bytes with the same pyarrow.

The column builders below work on whole columns (``TextColumn``: a string column's UTF-8 bytes
indexed by code point), so no Python object is made per span or per character.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from datasets import Features

from chainpolicy.contract.layout import data_path

BATCH_ROWS: Final = 1024
# Article rows carry whole articles: a batch also ends at this many characters of text, so the
# buffer stays small whatever the rows hold (and the cut points depend only on the data).
BATCH_CHARS: Final = 1_000_000
_ROWS_PER_TABLE: Final = 256  # rows given one at a time are converted in tables of this size
_WRITE_OPTIONS: Final[dict[str, Any]] = {
    "compression": "zstd",
    "compression_level": 3,
    "write_statistics": True,
    "use_dictionary": True,
}

# A span as the Arrow struct of the span feature: start, end, label id, type id (None: no type),
# text, value, unit, qualifier. Spans become these tuples only here, at the Parquet edge.
SpanRow = tuple[int, int, int, int | None, str, str | None, str | None, str | None]


class Writes:
    """Row groups compressed and written on one background thread, in the order they come.

    pyarrow writes Parquet without the GIL, so the build assembles the next block while the
    last one is compressed (zstd): the second core does the writing. A bounded queue keeps at
    most a few row groups waiting; an error on the thread is raised by the next ``put`` or by
    ``close``.
    """

    def __init__(self, waiting: int = 8) -> None:
        self._queue: queue.Queue[Callable[[], None] | None] = queue.Queue(maxsize=waiting)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="parquet-writes", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (task := self._queue.get()) is not None:
            if self._error is None:
                try:
                    task()
                except BaseException as exc:  # handed to the main thread
                    self._error = exc

    def put(self, task: Callable[[], None]) -> None:
        self._raise()
        self._queue.put(task)

    def close(self) -> None:
        """Wait for every write; raise the first error."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        self._raise()

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error


def _now(task: Callable[[], None]) -> None:
    task()


class SplitWriter:
    """Buffers rows of one config/split and writes them as row groups."""

    def __init__(
        self,
        root: Path,
        config: str,
        split: str,
        features: Features,
        writes: Writes | None = None,
    ) -> None:
        self.path = root / data_path(config, split)
        self._run = writes.put if writes is not None else _now
        self.schema = features.arrow_schema
        self.rows = 0
        self._pending: list[pa.Table] = []
        self._pending_rows = 0
        self._chars = 0  # characters of ``text`` pending (the rule needs a text column)
        self._has_text = "text" in self.schema.names
        self._rows: list[dict[str, Any]] = []  # rows given one at a time, not yet a table
        self._writer: pq.ParquetWriter | None = None

    def add(self, **row: Any) -> None:
        """One row of plain values (article rows); turned into Arrow a batch at a time."""
        self._rows.append(row)
        if len(self._rows) >= _ROWS_PER_TABLE:
            self._add_rows()

    def _add_rows(self) -> None:
        if self._rows:
            rows, self._rows = self._rows, []
            arrays = [_array([r[f.name] for r in rows], f.type) for f in self.schema]
            self.add_table(pa.Table.from_arrays(arrays, schema=self.schema))

    def add_table(self, table: pa.Table) -> None:
        """Rows in schema order; written as row groups of ``BATCH_ROWS`` rows, or fewer where
        ``BATCH_CHARS`` characters of text are reached (the group ends after that row)."""
        table = table.select(self.schema.names).cast(self.schema)
        if self._has_text:
            chars = np.cumsum(
                pc.utf8_length(table.column("text")).fill_null(0).to_numpy(), dtype=np.int64
            )
        else:
            chars = np.zeros(table.num_rows, dtype=np.int64)
        done = 0
        while done < table.num_rows:
            by_rows = BATCH_ROWS - self._pending_rows
            base = chars[done - 1] if done else 0
            limit = BATCH_CHARS - self._chars + base
            by_chars = int(np.searchsorted(chars[done:], limit, side="left")) + 1
            take = min(by_rows, by_chars, table.num_rows - done)
            self._pending.append(table.slice(done, take))
            self._pending_rows += take
            self._chars += int(chars[done + take - 1] - base)
            done += take
            if self._pending_rows >= BATCH_ROWS or self._chars >= BATCH_CHARS:
                self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        table = pa.concat_tables(self._pending).combine_chunks()
        self._pending, self._pending_rows, self._chars = [], 0, 0
        self.rows += table.num_rows
        self._run(lambda: self._write(table))

    def _write(self, table: pa.Table) -> None:
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = pq.ParquetWriter(self.path, self.schema, **_WRITE_OPTIONS)
        self._writer.write_table(table, row_group_size=max(1, table.num_rows))

    def close(self) -> None:
        self._add_rows()
        self.flush()
        self._run(self._close)

    def _close(self) -> None:
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


@dataclass(frozen=True)
class TextColumn:
    """A string column as its UTF-8 bytes, indexed by code point.

    ``char_bytes[k]`` is the byte offset of code point ``k`` of the whole column (then the end of
    the data); row ``r`` holds code points ``first_char[r] .. first_char[r + 1] - 1``.
    """

    data: npt.NDArray[np.uint8]
    char_bytes: npt.NDArray[np.int64]
    first_char: npt.NDArray[np.int64]

    @classmethod
    def of(cls, column: pa.Array | pa.ChunkedArray) -> TextColumn:
        array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
        array = array.cast(pa.large_string())  # 64-bit offsets, whatever the column holds
        n = len(array)
        buffers = array.buffers()
        offsets = np.frombuffer(buffers[1], dtype=np.int64)[array.offset : array.offset + n + 1]
        data = np.frombuffer(buffers[2], dtype=np.uint8) if buffers[2] else np.zeros(0, np.uint8)
        data = data[offsets[0] : offsets[-1]] if n else data[:0]
        offsets = offsets - offsets[0] if n else np.zeros(1, dtype=np.int64)
        # A code point starts at every byte that is not a UTF-8 continuation byte (10xxxxxx).
        starts = np.flatnonzero((data & 0xC0) != 0x80)
        char_bytes = np.append(starts, len(data)).astype(np.int64)
        first_char = np.searchsorted(char_bytes, offsets, side="left").astype(np.int64)
        return cls(data, char_bytes, first_char)

    def lengths(self) -> npt.NDArray[np.int64]:
        """Code points per row."""
        return np.diff(self.first_char)

    def slices(
        self,
        rows: npt.NDArray[np.int64],
        starts: npt.NDArray[np.int64],
        ends: npt.NDArray[np.int64],
    ) -> pa.Array:
        """``text[rows[i]][starts[i]:ends[i]]`` for every i (offsets in code points)."""
        base = self.first_char[rows]
        begin = self.char_bytes[base + starts]
        size = self.char_bytes[base + ends] - begin
        offsets = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(size, out=offsets[1:])
        gather = np.arange(int(offsets[-1]), dtype=np.int64) + np.repeat(begin - offsets[:-1], size)
        return pa.LargeStringArray.from_buffers(
            len(rows), pa.py_buffer(offsets.tobytes()), pa.py_buffer(self.data[gather].tobytes())
        ).cast(pa.string())

    def chars(self) -> pa.Array:
        """list<string> of the code points of every row (``tokens``)."""
        chars = pa.LargeStringArray.from_buffers(
            len(self.char_bytes) - 1,
            pa.py_buffer(self.char_bytes.tobytes()),
            pa.py_buffer(self.data.tobytes()),
        ).cast(pa.string())
        return pa.ListArray.from_arrays(pa.array(self.first_char.astype(np.int32)), chars)


def char_list_array(texts: Sequence[str]) -> pa.Array:
    """list<string> of the characters (code points) of each text."""
    return TextColumn.of(pa.array(texts, pa.string())).chars()


def tag_list_array(
    lengths: Sequence[int] | npt.NDArray[np.int64],
    spans: Sequence[tuple[int, int, int, int]] | npt.NDArray[np.int64],
) -> pa.Array:
    """list<int64> of BIO tag ids per text, from (text number, start, end, B tag id) spans.

    The I tag id of a span is its B tag id + 1 (see ``features.tag_names``). Spans of one layer
    never overlap (validated), so assignment order does not matter.
    """
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    tags = np.zeros(int(offsets[-1]), dtype=np.int64)
    if len(spans):
        table = np.asarray(spans, dtype=np.int64).reshape(-1, 4)
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
