"""The datatrove pipeline steps of the sharded ingest (needs the ``scale`` extra).

One ``Document`` per sentence record: ``text`` and ``id`` are the record's, ``metadata`` is the
record itself (a dict in SentenceRecord's field order, as ``corpus.ingest`` makes it).

``duplicate_of`` (the first record in corpus order with the same text) depends on every earlier
article, so it is settled in three stages (``scale.pipeline`` chains them with ``depends=``):

1. ``ArticleShardReader`` -> ``ShardDuplicates`` -> ``RecordShardWriter`` (one task per shard):
   build the shard's articles, mark duplicates whose first record is in the same shard, write
   the records to ``work/records`` and, per digest bucket, the (text_sha1, id) of each text's
   first record in the shard.
2. ``CrossShardFirsts`` (one task per bucket): read every shard's table of the bucket in shard
   order; a text whose first record is in an earlier shard gets, for each later shard holding
   it, a (text_sha1, duplicate_of) line.
3. ``CrossShardDuplicates`` (one task per shard): read the shard's records as Arrow batches,
   set ``duplicate_of`` from those lines (every record of such a text in the shard, its
   in-shard first included, is a duplicate of the earlier shard's record), write the shard.

The records are written by ``RecordShards``, not datatrove's ParquetWriter/JsonlWriter: their
per-document bookkeeping (a filename template and four stats per document) cost more than the
Parquet encoding itself (profiled: 2.5 s of stage 3's 4.4 s at 25 MB), and the JSONL lines are
``pydantic_core.to_json`` of the record, the serialiser of ``chainpolicy sentences``, so the
shards are byte for byte its output. Files still go through datatrove's ``DataFolder`` (fsspec):
``out`` may be remote.

Memory per task grows with the distinct texts of its shard (stages 1, 3) or bucket (stage 2),
never with the corpus.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from datatrove.data import Document, DocumentsPipeline
from datatrove.io import DataFolderLike, get_datafolder
from datatrove.pipeline.base import PipelineStep
from pydantic_core import to_json

from chainpolicy.corpus.gcpause import quiet_gc
from chainpolicy.corpus.ingest import build_one, jobs
from chainpolicy.errors import InputError
from chainpolicy.scale.shards import (
    DIGEST_SCHEMA,
    DIGESTS,
    DUPLICATE_SCHEMA,
    DUPLICATES,
    RECORD_SCHEMA,
    RECORDS,
    WORK_RECORDS,
    Row,
    bucket_of,
    rank_name,
    shard_bounds,
)

BATCH = 4096  # records per Arrow batch (a Parquet row group holds one or more)


class RecordShards:
    """One task's shard file ``<folder>/NNNNN.parquet`` (or ``.jsonl``), written in batches and
    opened at the first record, so an empty shard leaves no file (as datatrove's writers do)."""

    def __init__(self, output_folder: Any, folder: str, rank: int, output_format: str) -> None:
        self._folder, self._format = output_folder, output_format
        self._path = f"{folder}/{rank_name(rank)}.{output_format}"
        self._file: Any = None
        self._parquet: pq.ParquetWriter | None = None
        self._rows: list[Row] = []
        self.count = 0

    def add(self, row: Row) -> None:
        self._rows.append(row)
        if len(self._rows) >= BATCH:
            self._flush()

    def add_batch(self, batch: pa.RecordBatch) -> None:
        self._flush()
        self._open()
        self.count += batch.num_rows
        if self._parquet is not None:
            self._parquet.write_batch(batch)
        else:
            self._file.write(b"".join(to_json(row) + b"\n" for row in batch.to_pylist()))

    def _open(self) -> None:
        if self._file is None:
            self._file = self._folder.open(self._path, "wb")
            if self._format == "parquet":
                self._parquet = pq.ParquetWriter(self._file, RECORD_SCHEMA)

    def _flush(self) -> None:
        if not self._rows:
            return
        rows, self._rows = self._rows, []
        self._open()
        self.count += len(rows)
        if self._parquet is not None:
            self._parquet.write_batch(pa.RecordBatch.from_pylist(rows, schema=RECORD_SCHEMA))
        else:
            self._file.write(b"".join(to_json(row) + b"\n" for row in rows))

    def __enter__(self) -> RecordShards:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        _value: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        if kind is None:
            self._flush()
        if self._parquet is not None:
            self._parquet.close()
        if self._file is not None:
            self._file.close()


def _document(row: Row) -> Document:
    return Document(text=row["text"], id=row["id"], metadata=row)


class ArticleShardReader(PipelineStep):
    """Stage 1 reader: the task's contiguous block of articles (``shards.shard_bounds``), each
    built by ``corpus.ingest.build_one``, one Document per record in article order."""

    name = "📰 chainpolicy articles"
    type = "📖 - READER"

    def __init__(self, sources: Path | str, errata: Path | str) -> None:
        super().__init__()
        self.sources, self.errata = Path(sources), Path(errata)

    def run(
        self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1
    ) -> Iterator[Document]:
        if data:
            yield from data
        # Every task reads the whole manifest and errata (validated the same way as in one
        # process) and keeps its own block.
        work = jobs(self.sources, self.errata)
        start, end = shard_bounds(len(work), rank, world_size)
        with quiet_gc():
            for job in work[start:end]:
                with self.track_time("article"):
                    rows = build_one(job).rows
                self.stat_update("articles")
                for row in rows:
                    yield _document(row)


class ShardDuplicates(PipelineStep):
    """Stage 1: ``duplicate_of`` within the shard, then the shard's first-record tables."""

    name = "🔁 in-shard duplicates"
    type = "🫂 - DEDUP"

    def __init__(self, output_folder: DataFolderLike, buckets: int) -> None:
        super().__init__()
        if buckets < 1:
            raise ValueError(f"buckets must be at least 1, got {buckets}")
        self.output_folder = get_datafolder(output_folder)
        self.buckets = buckets

    def run(
        self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1
    ) -> Iterator[Document]:
        first: dict[str, str] = {}
        for document in data or ():
            row = document.metadata
            original = first.setdefault(row["text_sha1"], row["id"])
            if original != row["id"]:
                row["duplicate_of"] = original
                self.stat_update("duplicates_in_shard")
            yield document
        tables: dict[int, tuple[list[str], list[str]]] = {}
        for digest, sentence_id in first.items():
            digests, ids = tables.setdefault(bucket_of(digest, self.buckets), ([], []))
            digests.append(digest)
            ids.append(sentence_id)
        for bucket, (digests, ids) in sorted(tables.items()):
            path = f"{DIGESTS}/{rank_name(bucket)}/{rank_name(rank)}.parquet"
            _write(self.output_folder, path, {"text_sha1": digests, "id": ids}, DIGEST_SCHEMA)
        self.stat_update("distinct_texts", value=len(first))


class CrossShardFirsts(PipelineStep):
    """Stage 2 (task = digest bucket): which texts of a shard were first seen in an earlier one."""

    name = "🔗 cross-shard first records"
    type = "🫂 - DEDUP"

    def __init__(self, output_folder: DataFolderLike, buckets: int) -> None:
        super().__init__()
        self.output_folder = get_datafolder(output_folder)
        self.buckets = buckets

    def run(
        self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1
    ) -> Iterator[Document]:
        if data:
            yield from data
        # A bucket without its task would leave its duplicates unmarked, silently.
        _check_world("firsts", world_size, self.buckets, "buckets")
        folder = f"{DIGESTS}/{rank_name(rank)}"
        first: dict[str, str] = {}
        later: dict[str, tuple[list[str], list[str]]] = {}
        # File names are the shard ranks, zero-padded: sorted names are shard order.
        for path in self.output_folder.list_files(folder, recursive=False):
            shard = path.rsplit("/", 1)[-1].removesuffix(".parquet")
            with self.output_folder.open(path, "rb") as fh:
                table = pq.read_table(fh, schema=DIGEST_SCHEMA)
            for digest, sentence_id in zip(
                table.column("text_sha1").to_pylist(), table.column("id").to_pylist(), strict=True
            ):
                original = first.setdefault(digest, sentence_id)
                if original != sentence_id:
                    digests, originals = later.setdefault(shard, ([], []))
                    digests.append(digest)
                    originals.append(original)
        for shard, (digests, originals) in later.items():
            self.stat_update("cross_shard_texts", value=len(digests))
            _write(
                self.output_folder,
                f"{DUPLICATES}/{shard}/{rank_name(rank)}.parquet",
                {"text_sha1": digests, "duplicate_of": originals},
                DUPLICATE_SCHEMA,
            )
        self.stat_update("distinct_texts", value=len(first))


class RecordShardWriter(PipelineStep):
    """Stage 1 writer: each Document's record into the task's shard of ``work/records``."""

    name = "📒 record shard"
    type = "💽 - WRITER"

    def __init__(self, output_folder: DataFolderLike, folder: str = WORK_RECORDS) -> None:
        super().__init__()
        self.output_folder = get_datafolder(output_folder)
        self.folder = folder

    def run(
        self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1
    ) -> Iterator[Document]:
        with RecordShards(self.output_folder, self.folder, rank, "parquet") as shard:
            for document in data or ():
                shard.add(document.metadata)
                yield document
        self.stat_update("records", value=shard.count)


class CrossShardDuplicates(PipelineStep):
    """Stage 3: ``duplicate_of`` for the texts whose first record is in an earlier shard, set
    on the shard's records batch by batch (no Document per record), written to ``records``."""

    name = "🔁 cross-shard duplicates"
    type = "🫂 - DEDUP"

    def __init__(
        self, output_folder: DataFolderLike, tasks: int, output_format: str = "parquet"
    ) -> None:
        super().__init__()
        self.output_folder = get_datafolder(output_folder)
        self.tasks = tasks
        self.output_format = output_format

    def run(
        self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1
    ) -> Iterator[Document]:
        if data:
            yield from data
        # Task k reads stage 1's shard k: another task count would drop or misplace shards.
        _check_world("mark", world_size, self.tasks, "tasks")
        source = f"{WORK_RECORDS}/{rank_name(rank)}.parquet"
        if not self.output_folder.isfile(source):
            return  # an empty shard: stage 1 wrote nothing
        earlier = self._earlier(rank)
        column = RECORD_SCHEMA.get_field_index("duplicate_of")
        marked = 0
        with (
            self.output_folder.open(source, "rb") as fh,
            pq.ParquetFile(fh) as parquet,
            RecordShards(self.output_folder, RECORDS, rank, self.output_format) as shard,
        ):
            for batch in parquet.iter_batches(batch_size=BATCH):
                if earlier:
                    digests = batch.column("text_sha1").to_pylist()
                    before = batch.column(column).to_pylist()
                    after = [earlier.get(d, o) for d, o in zip(digests, before, strict=True)]
                    marked += sum(1 for b, a in zip(before, after, strict=True) if a != b)
                    batch = batch.set_column(
                        column, RECORD_SCHEMA.field(column), pa.array(after, pa.string())
                    )
                shard.add_batch(batch)
        self.stat_update("records", value=shard.count)
        self.stat_update("duplicates_across_shards", value=marked)

    def _earlier(self, rank: int) -> dict[str, str]:
        """text_sha1 -> the id of its first record, for texts first seen in an earlier shard."""
        earlier: dict[str, str] = {}
        for path in self.output_folder.list_files(f"{DUPLICATES}/{rank_name(rank)}"):
            with self.output_folder.open(path, "rb") as fh:
                table = pq.read_table(fh, schema=DUPLICATE_SCHEMA)
            earlier.update(
                zip(
                    table.column("text_sha1").to_pylist(),
                    table.column("duplicate_of").to_pylist(),
                    strict=True,
                )
            )
        return earlier


def _check_world(stage: str, world_size: int, expected: int, name: str) -> None:
    if world_size != expected:
        raise InputError(
            f"the {stage} stage runs with {world_size} tasks; it needs {name}={expected} tasks "
            "(scale.pipeline.Stages)"
        )


def _write(folder: Any, path: str, columns: dict[str, list[str]], schema: pa.Schema) -> None:
    with folder.open(path, "wb") as fh:
        pq.write_table(pa.table(columns, schema=schema), fh)
