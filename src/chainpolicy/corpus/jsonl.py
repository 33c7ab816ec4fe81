"""The sentence records as JSON lines (``chainpolicy sentences``), in one process or several.

One process builds the articles in corpus order and marks each record's ``duplicate_of`` (the
first record, in corpus order, with the same text). With ``jobs > 1`` worker processes build the
articles and serialise their records; the parent keeps the corpus order and marks duplicates by
patching the one ``"duplicate_of":null`` of a line, so the bytes are exactly those of one process.

``pydantic_core.to_json`` of a record's row gives exactly ``SentenceRecord.model_dump_json()``
(a test keeps the two equal), without making a model per record.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from pathlib import Path

from pydantic_core import to_json

from chainpolicy.corpus.gcpause import quiet_gc
from chainpolicy.corpus.ingest import Job, build_one, iter_marked_builds, jobs

_NULL = b',"duplicate_of":null,'


def iter_jsonl(sources: Path, errata: Path, *, jobs_: int = 1) -> Iterator[bytes]:
    """Every record as one JSON line (bytes, newline included), in corpus order."""
    for lines in iter_jsonl_articles(sources, errata, jobs_=jobs_):
        yield from lines


def iter_jsonl_articles(sources: Path, errata: Path, *, jobs_: int = 1) -> Iterator[list[bytes]]:
    """The JSON lines of each article, article by article, in corpus order."""
    if jobs_ <= 1:
        with quiet_gc():
            for build in iter_marked_builds(sources, errata):
                yield [to_json(row) + b"\n" for row in build.rows]
        return
    first: dict[str, str] = {}
    work = jobs(sources, errata)
    # fork would copy whatever the caller holds; spawn starts clean workers everywhere.
    context = multiprocessing.get_context("spawn")
    with context.Pool(jobs_) as pool:
        for lines, ids, digests in pool.imap(_serialised, work, chunksize=4):
            for n, (sentence_id, digest) in enumerate(zip(ids, digests, strict=True)):
                original = first.setdefault(digest, sentence_id)
                if original != sentence_id:
                    patched = b',"duplicate_of":' + to_json(original) + b","
                    lines[n] = lines[n].replace(_NULL, patched, 1)
            yield lines


def _serialised(job: Job) -> tuple[list[bytes], list[str], list[str]]:
    """One article's records as JSON lines (not yet marked), their ids and text digests."""
    with quiet_gc():
        rows = build_one(job).rows
    return (
        [to_json(row) + b"\n" for row in rows],
        [row["id"] for row in rows],
        [row["text_sha1"] for row in rows],
    )
