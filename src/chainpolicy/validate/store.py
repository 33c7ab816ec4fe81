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
from typing import TypeAlias

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
        self._flush()
        cursor = self._db.execute(
            "SELECT sentence, model_version, spans FROM pred p WHERE NOT EXISTS (SELECT 1 FROM"
            " pred q WHERE q.sentence = p.sentence AND (q.export, q.prediction_id, q.rowid) >"
            " (p.export, p.prediction_id, p.rowid)) ORDER BY sentence"
        )
        for sentence, version, spans in cursor:
            yield sentence, version, unpack(spans)

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
