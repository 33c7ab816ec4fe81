"""Validated annotations on disk between the two passes of the build (SQLite, stdlib).

Exports reach gigabytes and the annotations of one sentence may be anywhere in them (several
annotators, re-exports), so validated annotations are not kept in memory: each becomes one row
(spans packed as int32) in a temporary SQLite file, read back in corpus order. SQLite's page
cache is capped, so memory does not grow with the exports.
"""

from __future__ import annotations

import sqlite3
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Generic, TypeAlias, TypeVar

import numpy as np
import numpy.typing as npt

from chainpolicy.contract.regions import Region
from chainpolicy.records import Span
from chainpolicy.schema import LABEL_NAMES, TYPE_NAMES

# Per region: start, end, label index, type index (-1: none), results it accounts for. The
# schema's codec turns names into these indices here, at the storage edge.
_FIELDS = 5


def pack(regions: Sequence[Region]) -> bytes:
    values = array("i")
    for region in regions:
        span = region.span
        values.extend((*span.key, region.n_results))
    return values.tobytes()


def pack_rows(rows: npt.NDArray[np.intc], bounds: npt.NDArray[np.int64]) -> list[bytes]:
    """``pack`` for regions already in the codec's columns (``contract.batchcheck`` rows):
    the blob of group g is rows ``bounds[g]:bounds[g + 1]``."""
    data = np.ascontiguousarray(rows, dtype=np.intc).tobytes()
    size = _FIELDS * np.dtype(np.intc).itemsize
    ends = (bounds * size).tolist()
    return [data[a:b] for a, b in pairwise(ends)]


def unpack(blob: bytes) -> list[Region]:
    values = array("i")
    values.frombytes(blob)
    return [
        Region(
            Span(
                values[i],
                values[i + 1],
                LABEL_NAMES[values[i + 2]],
                TYPE_NAMES[values[i + 3]] if values[i + 3] >= 0 else None,
            ),
            values[i + 4],
        )
        for i in range(0, len(values), _FIELDS)
    ]


@dataclass(frozen=True, slots=True)
class StoredAnnotation:
    sentence: int
    annotation_id: int
    annotator: int | None
    ground_truth: bool
    recency: int
    task_id: int
    export: int
    regions: list[Region]
    complete: bool = True  # False: some of its results were quarantined (never a vote)

    @property
    def spans(self) -> tuple[Span, ...]:
        return tuple(region.span for region in self.regions)

    @property
    def results(self) -> int:
        """Valid results this annotation accounts for."""
        return sum(region.n_results for region in self.regions)


@dataclass(frozen=True, slots=True)
class PendingAnnotation:
    """An annotation of a task whose text is no longer the sentence text: to be re-anchored."""

    article: int
    article_start: int
    text: str
    sentence_id: str
    annotation: StoredAnnotation


_SCHEMA = """
CREATE TABLE ann (sentence INTEGER, annotation_id INTEGER, annotator INTEGER,
                  ground_truth INTEGER, recency INTEGER, task_id INTEGER, export INTEGER,
                  spans BLOB, complete INTEGER);
CREATE TABLE pred (sentence INTEGER, model_version TEXT, export INTEGER, prediction_id INTEGER,
                   spans BLOB);
CREATE TABLE pending (article INTEGER, article_start INTEGER, text TEXT, sentence_id TEXT,
                      sentence INTEGER, annotation_id INTEGER, annotator INTEGER,
                      ground_truth INTEGER, recency INTEGER, task_id INTEGER, export INTEGER,
                      spans BLOB, complete INTEGER);
"""
_BATCH = 4096
_FETCH = 8192  # rows per block read back column-wise
_READ_CACHE_KIB = 4096  # SQLite page cache while rows are read back


@dataclass(frozen=True)
class SpanColumns:
    """The packed spans of a block of rows, column-wise: row ``i`` owns
    ``values[offsets[i]:offsets[i + 1]]``, each value ``(start, end, label index, type index or
    -1, results)`` as packed (the order the checks gave, not sorted)."""

    offsets: npt.NDArray[np.int64]
    values: npt.NDArray[np.int32]  # shape (n, 5)

    @classmethod
    def unpack(cls, blobs: Sequence[bytes]) -> SpanColumns:
        sizes = np.fromiter((len(b) for b in blobs), dtype=np.int64, count=len(blobs))
        offsets = np.zeros(len(blobs) + 1, dtype=np.int64)
        np.cumsum(sizes // (4 * _FIELDS), out=offsets[1:])
        values = np.frombuffer(b"".join(blobs), dtype=np.int32).reshape(-1, _FIELDS)
        return cls(offsets, values)

    def owners(self) -> npt.NDArray[np.int64]:
        """The row of every value."""
        return np.repeat(np.arange(len(self.offsets) - 1), np.diff(self.offsets))

    def slice(self, lo: int, hi: int) -> SpanColumns:
        """Rows ``lo .. hi-1``."""
        a, b = self.offsets[lo], self.offsets[hi]
        return SpanColumns(self.offsets[lo : hi + 1] - a, self.values[a:b])

    @staticmethod
    def concat(parts: Sequence[SpanColumns]) -> SpanColumns:
        sizes = np.concatenate([np.diff(p.offsets) for p in parts])
        offsets = np.zeros(len(sizes) + 1, dtype=np.int64)
        np.cumsum(sizes, out=offsets[1:])
        return SpanColumns(offsets, np.concatenate([p.values for p in parts]))


@dataclass(frozen=True)
class AnnotationColumns:
    """A block of ``ann`` rows (see ``AnnotationStore.annotation_columns``)."""

    sentence: npt.NDArray[np.int64]
    annotation_id: npt.NDArray[np.int64]
    annotator: npt.NDArray[np.int64]  # 0 where ``anonymous``
    anonymous: npt.NDArray[np.bool_]  # no annotator known
    ground_truth: npt.NDArray[np.bool_]
    recency: npt.NDArray[np.int64]
    task_id: npt.NDArray[np.int64]
    export: npt.NDArray[np.int64]
    complete: npt.NDArray[np.bool_]
    spans: SpanColumns

    def __len__(self) -> int:
        return len(self.sentence)

    def slice(self, lo: int, hi: int) -> AnnotationColumns:
        """Rows ``lo .. hi-1``."""
        arrays = {k: getattr(self, k)[lo:hi] for k in _ANNOTATION_ARRAYS}
        return AnnotationColumns(**arrays, spans=self.spans.slice(lo, hi))

    @staticmethod
    def concat(parts: Sequence[AnnotationColumns]) -> AnnotationColumns:
        arrays = {k: np.concatenate([getattr(p, k) for p in parts]) for k in _ANNOTATION_ARRAYS}
        return AnnotationColumns(**arrays, spans=SpanColumns.concat([p.spans for p in parts]))

    @staticmethod
    def empty() -> AnnotationColumns:
        none = np.zeros(0, dtype=np.int64)
        flags = np.zeros(0, dtype=bool)
        spans = SpanColumns(np.zeros(1, dtype=np.int64), np.zeros((0, _FIELDS), dtype=np.int32))
        return AnnotationColumns(none, none, none, flags, flags, none, none, none, flags, spans)

    def stored(self, i: int) -> StoredAnnotation:
        """Row ``i`` as the ``StoredAnnotation`` that ``by_sentence`` gives."""
        lo, hi = self.spans.offsets[i], self.spans.offsets[i + 1]
        return StoredAnnotation(
            int(self.sentence[i]),
            int(self.annotation_id[i]),
            None if self.anonymous[i] else int(self.annotator[i]),
            bool(self.ground_truth[i]),
            int(self.recency[i]),
            int(self.task_id[i]),
            int(self.export[i]),
            _regions(self.spans.values[lo:hi]),
            bool(self.complete[i]),
        )


_ANNOTATION_ARRAYS = (
    "sentence",
    "annotation_id",
    "annotator",
    "anonymous",
    "ground_truth",
    "recency",
    "task_id",
    "export",
    "complete",
)


@dataclass(frozen=True)
class PredictionColumns:
    """A block of the latest prediction per sentence (see ``AnnotationStore.predictions``)."""

    sentence: npt.NDArray[np.int64]
    model_version: list[str]
    spans: SpanColumns

    def __len__(self) -> int:
        return len(self.sentence)

    def slice(self, lo: int, hi: int) -> PredictionColumns:
        return PredictionColumns(
            self.sentence[lo:hi], self.model_version[lo:hi], self.spans.slice(lo, hi)
        )

    @staticmethod
    def concat(parts: Sequence[PredictionColumns]) -> PredictionColumns:
        return PredictionColumns(
            np.concatenate([p.sentence for p in parts]),
            [v for p in parts for v in p.model_version],
            SpanColumns.concat([p.spans for p in parts]),
        )

    @staticmethod
    def empty() -> PredictionColumns:
        spans = SpanColumns(np.zeros(1, dtype=np.int64), np.zeros((0, _FIELDS), dtype=np.int32))
        return PredictionColumns(np.zeros(0, dtype=np.int64), [], spans)


Block = TypeVar("Block", AnnotationColumns, PredictionColumns)


class Aligned(Generic[Block]):
    """Blocks of store rows (sorted by sentence) re-cut at sentence boundaries: ``upto(hi)``
    gives every row of a sentence below ``hi`` not given before."""

    def __init__(self, blocks: Iterator[Block], empty: Block) -> None:
        self._blocks: Iterator[Block] = blocks
        self._held: Block = empty
        self._done = False

    def upto(self, hi: int) -> Block:
        parts = [self._held]
        last = parts[-1]
        while not self._done and (not len(last) or last.sentence[-1] < hi):
            nxt = next(self._blocks, None)
            if nxt is None:
                self._done = True
                break
            parts.append(nxt)
            last = nxt
        held = type(self._held).concat(parts) if len(parts) > 1 else self._held
        cut = int(np.searchsorted(held.sentence, hi, side="left"))
        self._held = held.slice(cut, len(held))
        return held.slice(0, cut)


def _regions(values: npt.NDArray[np.int32]) -> list[Region]:
    return unpack(values.tobytes())


# A row of ``ann``: sentence, annotation_id, annotator, ground_truth, recency, task_id, export,
# spans (packed), complete.
AnnRow: TypeAlias = tuple[int, int, int | None, bool, int, int, int, bytes, bool]


def _annotation_columns(a: StoredAnnotation) -> tuple[object, ...]:
    """The columns ``ann`` and ``pending`` share, in table order."""
    return (
        a.annotation_id,
        a.annotator,
        a.ground_truth,
        a.recency,
        a.task_id,
        a.export,
        pack(a.regions),
        a.complete,
    )


class AnnotationStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None)
        # A scratch file: no journal, no fsync; a capped page cache (negative = KiB).
        self._db.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-16384;"
            "PRAGMA temp_store=FILE;" + _SCHEMA
        )
        self._rows: list[tuple[object, ...]] = []
        self._preds: list[tuple[object, ...]] = []
        self.count = 0

    def add(self, a: StoredAnnotation) -> None:
        self._rows.append((a.sentence, *_annotation_columns(a)))
        self.count += 1
        if len(self._rows) >= _BATCH:
            self._flush()

    def add_packed_many(self, rows: Sequence[AnnRow]) -> None:
        """``add`` for annotations already in table columns (spans packed), in the same
        sequence as ``add``: rows keep the order they were added in."""
        self._rows.extend(rows)
        self.count += len(rows)
        if len(self._rows) >= _BATCH:
            self._flush()

    def add_pending(self, p: PendingAnnotation) -> None:
        a = p.annotation
        self._db.execute(
            "INSERT INTO pending VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                p.article,
                p.article_start,
                p.text,
                p.sentence_id,
                a.sentence,
                *_annotation_columns(a),
            ),
        )

    def add_prediction(
        self,
        sentence: int,
        model_version: str,
        export: int,
        prediction_id: int,
        regions: Sequence[Region],
    ) -> None:
        self._preds.append((sentence, model_version, export, prediction_id, pack(regions)))
        if len(self._preds) >= _BATCH:
            self._flush()

    def add_prediction_packed(
        self, sentence: int, model_version: str, export: int, prediction_id: int, spans: bytes
    ) -> None:
        """``add_prediction`` with its regions already packed."""
        self._preds.append((sentence, model_version, export, prediction_id, spans))
        if len(self._preds) >= _BATCH:
            self._flush()

    def predictions(self) -> Iterator[tuple[int, str, list[Region]]]:
        """The latest valid prediction per sentence (latest export, then highest id, then the
        later one in the file: one row per sentence even when an id repeats), in order."""
        for sentence, version, spans in self._latest_predictions():
            yield sentence, version, unpack(spans)

    def _latest_predictions(self) -> sqlite3.Cursor:
        self._flush()
        self._reading()
        # A window, not a correlated NOT EXISTS: without an index that subquery scans the
        # table once per row (quadratic; every task of a pre-annotated project has a
        # prediction).
        return self._db.execute(
            "SELECT sentence, model_version, spans FROM (SELECT sentence, model_version, spans,"
            " ROW_NUMBER() OVER (PARTITION BY sentence ORDER BY export DESC,"
            " prediction_id DESC, rowid DESC) AS n FROM pred) WHERE n = 1 ORDER BY sentence"
        )

    def prediction_columns(self) -> Iterator[PredictionColumns]:
        """``predictions`` column-wise, in blocks (see ``annotation_columns``)."""
        cursor = self._latest_predictions()
        while rows := cursor.fetchmany(_FETCH):
            sentences, versions, blobs = zip(*rows, strict=True)
            yield PredictionColumns(
                np.array(sentences, dtype=np.int64), list(versions), SpanColumns.unpack(blobs)
            )

    def append_from(self, other: Path) -> None:
        """Append every row of another store's file (a worker's), in its order, after the
        rows added so far: as if they had been added here."""
        self._flush()
        self._db.execute("ATTACH DATABASE ? AS other", (str(other),))
        try:
            self._db.execute("BEGIN")
            for table in ("ann", "pred", "pending"):
                self._db.execute(f"INSERT INTO {table} SELECT * FROM other.{table} ORDER BY rowid")
            (added,) = self._db.execute("SELECT count(*) FROM other.ann").fetchone()
            self._db.execute("COMMIT")
        finally:
            self._db.execute("DETACH DATABASE other")
        self.count += added

    def flush(self) -> None:
        """Write the rows still buffered (before the file is read elsewhere)."""
        self._flush()

    def _flush(self) -> None:
        if self._rows or self._preds:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT INTO ann VALUES (?,?,?,?,?,?,?,?,?)", self._rows)
            self._db.executemany("INSERT INTO pred VALUES (?,?,?,?,?)", self._preds)
            self._db.execute("COMMIT")
            self._rows.clear()
            self._preds.clear()

    def pending(self) -> Iterator[PendingAnnotation]:
        """Pending annotations in article order."""
        cursor = self._db.execute("SELECT * FROM pending ORDER BY article, rowid")
        for row in cursor:
            article, start, text, sentence_id, *rest = row
            yield PendingAnnotation(article, start, text, sentence_id, _stored(*rest))

    def has_pending(self) -> bool:
        return self._db.execute("SELECT 1 FROM pending LIMIT 1").fetchone() is not None

    def by_sentence(self) -> Iterator[tuple[int, list[StoredAnnotation]]]:
        """All annotations grouped by sentence, in corpus order (rows in the order they came)."""
        self._flush()
        self._db.execute("CREATE INDEX IF NOT EXISTS ann_sentence ON ann (sentence)")
        cursor = self._db.execute(
            "SELECT sentence, annotation_id, annotator, ground_truth, recency, task_id, export,"
            " spans, complete FROM ann ORDER BY sentence, rowid"
        )
        group: list[StoredAnnotation] = []
        current = -1
        for row in cursor:
            if row[0] != current:
                if group:
                    yield current, group
                current, group = row[0], []
            group.append(_stored(*row))
        if group:
            yield current, group

    def annotation_columns(self) -> Iterator[AnnotationColumns]:
        """``by_sentence`` column-wise: the same rows in the same order (sentence, then the order
        they came), in blocks; a sentence's rows may span two blocks."""
        self._flush()
        self._reading()
        self._db.execute("CREATE INDEX IF NOT EXISTS ann_sentence ON ann (sentence)")
        cursor = self._db.execute(
            "SELECT sentence, annotation_id, COALESCE(annotator, 0), annotator IS NULL,"
            " ground_truth, recency, task_id, export, complete, spans FROM ann"
            " ORDER BY sentence, rowid"
        )
        while rows := cursor.fetchmany(_FETCH):
            columns = list(zip(*rows, strict=True))
            ints = np.array(columns[:9], dtype=np.int64)
            yield AnnotationColumns(
                sentence=ints[0],
                annotation_id=ints[1],
                annotator=ints[2],
                anonymous=ints[3].astype(bool),
                ground_truth=ints[4].astype(bool),
                recency=ints[5],
                task_id=ints[6],
                export=ints[7],
                complete=ints[8].astype(bool),
                spans=SpanColumns.unpack(columns[9]),
            )

    def _reading(self) -> None:
        # Read back in one ordered pass (rows were added mostly in sentence order): a cache
        # that big only holds pages no one reads again, and the build's peak memory falls in
        # this pass (about 15 MB less at 200,000 tasks than the 16 MiB of pass 1).
        self._db.execute(f"PRAGMA cache_size=-{_READ_CACHE_KIB}")

    def close(self) -> None:
        self._db.close()


def _stored(
    sentence: int,
    annotation_id: int,
    annotator: int | None,
    ground_truth: int,
    recency: int,
    task_id: int,
    export: int,
    spans: bytes,
    complete: int,
) -> StoredAnnotation:
    return StoredAnnotation(
        sentence,
        annotation_id,
        annotator,
        bool(ground_truth),
        recency,
        task_id,
        export,
        unpack(spans),
        bool(complete),
    )
