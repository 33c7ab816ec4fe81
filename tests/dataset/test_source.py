"""Record sources: the Arrow blocks are the records, and rebuilt articles are the corpus's."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from chainpolicy.corpus.arrow_schema import record_schema
from chainpolicy.dataset.build import BuildInputs, build, find_exports
from chainpolicy.dataset.source import (
    BLOCK_ROWS,
    ArticleInfo,
    CorpusSource,
    JsonlSource,
    ShardSource,
    open_source,
)
from chainpolicy.errors import InputError
from chainpolicy.paths import annotations_dir, repo_root
from chainpolicy.records import SentenceRecord


def _jsonl(tmp_path: Path, records: list[SentenceRecord], blank: str = "") -> Path:
    path = tmp_path / "sentences.jsonl"
    path.write_text("".join(r.model_dump_json() + "\n" + blank for r in records), "utf-8")
    return path


def test_the_schema_is_the_record_model_field_by_field() -> None:
    schema = record_schema()
    assert schema.names == list(SentenceRecord.model_fields)
    nullable = {n for n, f in SentenceRecord.model_fields.items() if not f.is_required()}
    assert {f.name for f in schema if f.nullable} == nullable


@pytest.mark.parametrize("blank", ["", "\n", "  \r\n"])
def test_jsonl_blocks_hold_exactly_the_records(
    tmp_path: Path, corpus_source: CorpusSource, blank: str
) -> None:
    records = list(corpus_source.sentences())
    source = JsonlSource(_jsonl(tmp_path, records, blank))
    assert list(source.sentences()) == records  # the validating pass
    rows = [row for block in source.sentence_blocks() for row in block.to_pylist()]
    assert rows == [r.model_dump() for r in records]
    assert list(source.sentences()) == records  # later passes read the blocks


def test_corpus_blocks_hold_the_corpus_records(corpus_source: CorpusSource) -> None:
    blocks = list(corpus_source.sentence_blocks())
    assert all(b.num_rows <= BLOCK_ROWS for b in blocks)
    rows = [row for block in blocks for row in block.to_pylist()]
    assert rows == [r.model_dump() for r in corpus_source.sentences()]


def test_articles_rebuilt_from_sentences_are_the_corpus_articles(
    tmp_path: Path, corpus_source: CorpusSource
) -> None:
    source = JsonlSource(_jsonl(tmp_path, list(corpus_source.sentences())))
    assert not source.has_article_records and corpus_source.has_article_records
    rebuilt = list(source.articles())
    expected = [ArticleInfo(a.id, a.script, a.text, a.n_records) for a in corpus_source.articles()]
    assert rebuilt == expected


def test_a_jsonl_file_changed_after_the_first_pass_is_an_input_error(
    tmp_path: Path, corpus_source: CorpusSource
) -> None:
    records = list(corpus_source.sentences())
    path = _jsonl(tmp_path, records)
    source = JsonlSource(path)
    list(source.sentences())
    path.write_text(path.read_text("utf-8") + '{"id": 1}\n', "utf-8")
    with pytest.raises(InputError, match="changed during the build"):
        list(source.sentence_blocks())


def _shards(folder: Path, records: list[SentenceRecord], fmt: str) -> Path:
    """The layout of `chainpolicy sentences --datatrove`: article-contiguous shards in order."""
    (folder / "records").mkdir(parents=True)
    articles = list(dict.fromkeys(r.article_id for r in records))
    half = set(articles[: len(articles) // 2])
    parts = [
        [r for r in records if r.article_id in half],
        [r for r in records if r.article_id not in half],
    ]
    for number, part in enumerate(parts):
        path = folder / "records" / f"{number:05d}.{fmt}"
        if fmt == "jsonl":
            path.write_text("".join(r.model_dump_json() + "\n" for r in part), "utf-8")
        else:
            rows = [r.model_dump() for r in part]
            pq.write_table(pa.Table.from_pylist(rows, schema=record_schema()), path)
    return folder


@pytest.mark.parametrize("fmt", ["parquet", "jsonl"])
def test_a_build_from_shards_writes_the_rows_a_build_from_one_jsonl_file_writes(
    tmp_path: Path, corpus_source: CorpusSource, fmt: str
) -> None:
    records = list(corpus_source.sentences())
    exports = find_exports(annotations_dir() / "exports")
    built = {}
    for name, source in (
        ("jsonl", JsonlSource(_jsonl(tmp_path, records))),
        ("shards", open_source(_shards(tmp_path / "out", records, fmt))),
    ):
        inputs = BuildInputs(
            source=source,
            exports=exports,
            splits_file=annotations_dir() / "splits.json",
            card_template=repo_root() / "dataset_card.md",
        )
        out = build(inputs, tmp_path / f"{name}-ds", tmp_path / f"{name}-report").out
        assert out is not None
        built[name] = {
            p.relative_to(out): p.read_bytes() for p in sorted((out / "data").rglob("*.parquet"))
        }
        built[name][Path("NOTICE")] = (out / "NOTICE").read_bytes()
    assert isinstance(open_source(tmp_path / "out"), ShardSource)
    assert built["shards"] == built["jsonl"] and len(built["jsonl"]) > 10


def test_a_bad_record_in_a_parquet_shard_names_the_file_and_record(
    tmp_path: Path, corpus_source: CorpusSource
) -> None:
    records = list(corpus_source.sentences())
    records[3] = records[3].model_copy(update={"start": -1})
    folder = _shards(tmp_path / "out", records, "parquet")
    with pytest.raises(InputError, match=r"00000\.parquet: record #4: not a SentenceRecord: start"):
        list(open_source(folder).sentences())
