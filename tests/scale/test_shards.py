"""Shard order, digest buckets, the Arrow schema of a record shard, reading shards back."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from chainpolicy.errors import InputError
from chainpolicy.records import SentenceRecord
from chainpolicy.scale import shards


@pytest.mark.parametrize("world_size", range(1, 9))
@pytest.mark.parametrize("n_articles", [0, 1, 2, 5, 7, 16, 23])
def test_shards_are_contiguous_balanced_and_cover_the_corpus_once(
    n_articles: int, world_size: int
) -> None:
    blocks = [shards.shard_bounds(n_articles, k, world_size) for k in range(world_size)]
    covered = [i for start, end in blocks for i in range(start, end)]
    assert covered == list(range(n_articles))
    sizes = [end - start for start, end in blocks]
    assert max(sizes) - min(sizes) <= 1


def test_a_rank_outside_the_world_is_refused() -> None:
    with pytest.raises(ValueError, match=r"rank 3 outside 0\.\.2"):
        shards.shard_bounds(10, 3, 3)


def test_buckets_cover_their_range() -> None:
    digests = [hashlib.sha1(str(n).encode()).hexdigest() for n in range(200)]
    assert {shards.bucket_of(d, 5) for d in digests} == set(range(5))
    assert {shards.bucket_of(d, 1) for d in digests} == {0}


def test_the_schema_is_the_record_model() -> None:
    schema = shards.RECORD_SCHEMA
    assert schema.names == list(SentenceRecord.model_fields)
    optional = {n for n, f in SentenceRecord.model_fields.items() if not f.is_required()}
    assert {f.name for f in schema if f.nullable} == optional


def _record(**changes: object) -> dict[str, object]:
    text = "含𠀀字。"  # an astral character: offsets count it as one
    row: dict[str, object] = {
        "id": "00000000000000aa-p000-s01",
        "article_id": "00000000000000aa",
        "index": 0,
        "line": 0,
        "role": "body",
        "script": "Hans",
        "text": text,
        "text_hans": text,
        "sep": "\n",
        "start": 0,
        "end": len(text),
        "raw_start": 0,
        "raw_end": len(text),
        "text_sha1": "0" * 40,
        "duplicate_of": None,
        "footnote_anchor": None,
        "footnote_number": None,
        **changes,
    }
    return SentenceRecord.model_validate(row).model_dump()


def test_a_parquet_shard_round_trips_records(tmp_path: Path) -> None:
    rows = [_record(), _record(id="x-fn01-s01", footnote_number=1, duplicate_of="y")]
    (tmp_path / shards.RECORDS).mkdir()
    table = pa.Table.from_pylist(rows, schema=shards.RECORD_SCHEMA)
    pq.write_table(table, tmp_path / shards.RECORDS / "00000.parquet")
    assert list(shards.iter_rows(tmp_path)) == rows
    assert shards.count_records(tmp_path) == len(rows)


def test_jsonl_shards_are_read_in_file_name_order(tmp_path: Path) -> None:
    folder = tmp_path / shards.RECORDS
    folder.mkdir()
    first, second = _record(id="a"), _record(id="b")
    (folder / "00001.jsonl").write_text(json.dumps(second) + "\n", "utf-8")
    (folder / "00000.jsonl").write_text(json.dumps(first) + "\n", "utf-8")
    assert list(shards.iter_rows(tmp_path)) == [first, second]
    assert shards.count_records(tmp_path) == 2


def test_no_shards_or_mixed_formats_are_one_line_errors(tmp_path: Path) -> None:
    folder = tmp_path / shards.RECORDS
    folder.mkdir()
    with pytest.raises(InputError, match="no record shards"):
        shards.record_files(tmp_path)
    (folder / "00000.jsonl").write_text("", "utf-8")
    (folder / "00001.parquet").write_bytes(b"")
    with pytest.raises(InputError, match="more than one format"):
        shards.record_files(tmp_path)
