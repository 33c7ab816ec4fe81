"""The datatrove pipeline steps of the sharded ingest (needs the ``scale`` extra).

One ``Document`` per sentence record: ``text`` and ``id`` are the record's, ``metadata`` is the
record itself (a dict in SentenceRecord's field order, as ``corpus.ingest`` makes it), so the
writers' adapter ``record_row`` hands it on unchanged.

``duplicate_of`` (the first record in corpus order with the same text) depends on every earlier
article, so it is settled in three stages (``scale.pipeline`` chains them with ``depends=``):

1. ``ArticleShardReader`` + ``ShardDuplicates`` (one task per shard): build the shard's articles,
   mark duplicates whose first record is in the same shard, write the records and, per digest
   bucket, the (text_sha1, id) of each text's first record in the shard.
2. ``CrossShardFirsts`` (one task per bucket): read every shard's table of the bucket in shard
   order; a text whose first record is in an earlier shard gets, for each later shard holding
   it, a (text_sha1, duplicate_of) line.
3. ``ShardRecordReader`` + ``CrossShardDuplicates`` (one task per shard): read the shard's
   records, set ``duplicate_of`` from those lines (every record of such a text in the shard,
   its in-shard first included, is a duplicate of the earlier shard's record), write them.

Memory per task grows with the distinct texts of its shard (stages 1, 3) or bucket (stage 2),
never with the corpus.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from datatrove.data import Document, DocumentsPipeline
from datatrove.io import DataFolderLike, get_datafolder
from datatrove.pipeline.base import PipelineStep

from chainpolicy.corpus.ingest import build_one, jobs
from chainpolicy.corpus.jsonl import quiet_gc
from chainpolicy.scale.shards import (
    DIGEST_SCHEMA,
    DIGESTS,
    DUPLICATE_SCHEMA,
    DUPLICATES,
    WORK_RECORDS,
    Row,
    bucket_of,
    rank_name,
    shard_bounds,
)


def record_row(_writer: Any, document: Document) -> Row:
    """Writer adapter: the record itself (datatrove's default would drop null fields)."""
    return document.metadata


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

    def __init__(self, output_folder: DataFolderLike) -> None:
        super().__init__()
        self.output_folder = get_datafolder(output_folder)

    def run(
        self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1
    ) -> Iterator[Document]:
        if data:
            yield from data
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


class ShardRecordReader(PipelineStep):
    """Stage 3 reader: the records stage 1 wrote for this task's shard, in order.

    Not datatrove's ParquetReader: it deals files out round-robin over the tasks present and
    skips records with empty text, and a shard must reach exactly its own task, whole."""

    name = "📒 chainpolicy shard records"
    type = "📖 - READER"

    def __init__(self, output_folder: DataFolderLike, batch_size: int = 4096) -> None:
        super().__init__()
        self.output_folder = get_datafolder(output_folder)
        self.batch_size = batch_size

    def run(
        self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1
    ) -> Iterator[Document]:
        if data:
            yield from data
        path = f"{WORK_RECORDS}/{rank_name(rank)}.parquet"
        if not self.output_folder.isfile(path):
            return  # an empty shard: stage 1 wrote nothing
        count = 0
        with self.output_folder.open(path, "rb") as fh, pq.ParquetFile(fh) as parquet:
            for batch in parquet.iter_batches(batch_size=self.batch_size):
                rows = batch.to_pylist()
                count += len(rows)
                yield from map(_document, rows)
        self.stat_update("records", value=count)


class CrossShardDuplicates(PipelineStep):
    """Stage 3: ``duplicate_of`` for the texts whose first record is in an earlier shard."""

    name = "🔁 cross-shard duplicates"
    type = "🫂 - DEDUP"

    def __init__(self, output_folder: DataFolderLike) -> None:
        super().__init__()
        self.output_folder = get_datafolder(output_folder)

    def run(
        self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1
    ) -> Iterator[Document]:
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
        for document in data or ():
            original = earlier.get(document.metadata["text_sha1"])
            if original is not None:
                document.metadata["duplicate_of"] = original
                self.stat_update("duplicates_across_shards")
            yield document


def _write(folder: Any, path: str, columns: dict[str, list[str]], schema: pa.Schema) -> None:
    with folder.open(path, "wb") as fh:
        pq.write_table(pa.table(columns, schema=schema), fh)
