"""Where the datatrove ingest writes, how it splits the corpus, and how to read the shards back.

Layout of an output folder ``OUT`` (paths relative to it; ``NNNNN`` a task's rank, ``BBBBB`` a
digest bucket, both zero-padded to five digits as datatrove names its files):

    records/NNNNN.parquet            the sentence records of task NNNNN (or NNNNN.jsonl)
    work/records/NNNNN.parquet       stage 1: the same records, duplicates marked within the shard
    work/digests/BBBBB/NNNNN.parquet stage 1: (text_sha1, id) of each text's first record in shard
                                     NNNNN, for the digests of bucket BBBBB
    work/duplicates/NNNNN/BBBBB.parquet
                                     stage 2: (text_sha1, duplicate_of) for the texts of shard
                                     NNNNN whose first record is in an earlier shard
    logs/<stage>/                    datatrove's logging folders (stats, completions, task logs)

**Shard order.** Task ``k`` of ``n`` builds the contiguous block of articles
``shard_bounds(len(articles), k, n)`` of the manifest's order, so the record files sorted by
name, each read from its first row to its last, give the records in corpus order: exactly the
lines of ``chainpolicy sentences`` (``jsonl_lines`` gives those bytes back). A task whose
block is empty writes no file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic_core import to_json

from chainpolicy.corpus.arrow_schema import record_schema
from chainpolicy.errors import InputError
from chainpolicy.scale import FORMATS

RECORDS = "records"
WORK = "work"
WORK_RECORDS = f"{WORK}/records"
DIGESTS = f"{WORK}/digests"
DUPLICATES = f"{WORK}/duplicates"
LOGS = "logs"

Row = dict[str, Any]


def rank_name(rank: int) -> str:
    """``00007``: how datatrove's writers spell a rank in ``${rank}``."""
    return f"{rank:05d}"


def shard_bounds(n_articles: int, rank: int, world_size: int) -> tuple[int, int]:
    """The articles ``[start, end)`` of task ``rank``: contiguous, in corpus order, sizes
    differing by at most one, every article in exactly one shard."""
    if not 0 <= rank < world_size:
        raise ValueError(f"rank {rank} outside 0..{world_size - 1}")
    return n_articles * rank // world_size, n_articles * (rank + 1) // world_size


def bucket_of(text_sha1: str, buckets: int) -> int:
    """The digest bucket of a text (its sha1 is uniform, so buckets are even)."""
    return int(text_sha1[:8], 16) % buckets


RECORD_SCHEMA = record_schema()  # chainpolicy.corpus.arrow_schema
DIGEST_SCHEMA = pa.schema([pa.field("text_sha1", pa.string(), False), pa.field("id", pa.string())])
DUPLICATE_SCHEMA = pa.schema(
    [pa.field("text_sha1", pa.string(), False), pa.field("duplicate_of", pa.string(), False)]
)


def record_files(out: Path) -> list[Path]:
    """The record shards of an output folder, in shard order (one format per folder)."""
    folder = out / RECORDS
    files = sorted(p for p in folder.glob("*") if p.suffix.lstrip(".") in FORMATS)
    if not files:
        raise InputError(f"{folder}: no record shards (*.parquet or *.jsonl)")
    kinds = {p.suffix for p in files}
    if len(kinds) > 1:
        raise InputError(f"{folder}: shards of more than one format ({', '.join(sorted(kinds))})")
    return files


def count_records(out: Path) -> int:
    """How many records the shards of an output folder hold (Parquet: from the footers)."""
    total = 0
    for path in record_files(out):
        if path.suffix == ".jsonl":
            with path.open("rb") as fh:
                total += sum(1 for _ in fh)
        else:
            total += pq.ParquetFile(path).metadata.num_rows
    return total


def iter_rows(out: Path) -> Iterator[Row]:
    """Every record of an output folder as a dict (SentenceRecord's fields), in corpus order."""
    for path in record_files(out):
        yield from iter_shard(path)


def iter_shard(path: Path) -> Iterator[Row]:
    """The records of one shard file (``.parquet`` or ``.jsonl``), in order."""
    if path.suffix == ".jsonl":
        with path.open("rb") as fh:
            yield from (json.loads(line) for line in fh)
        return
    for batch in pq.ParquetFile(path).iter_batches(batch_size=4096):
        yield from batch.to_pylist()


def jsonl_lines(out: Path) -> Iterator[bytes]:
    """The records of an output folder as ``chainpolicy sentences`` writes them: the same bytes
    (``pydantic_core.to_json`` of each record, in corpus order), for ``chainpolicy build
    --sentences``, which reads JSONL."""
    for path in record_files(out):
        if path.suffix == ".jsonl":
            with path.open("rb") as fh:
                yield from fh
        else:
            yield from (to_json(row) + b"\n" for row in iter_shard(path))
