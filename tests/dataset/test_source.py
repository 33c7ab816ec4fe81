"""Record sources: the Arrow blocks are the records, and rebuilt articles are the corpus's."""

from __future__ import annotations

from pathlib import Path

import pytest

from chainpolicy.corpus.arrow_schema import record_schema
from chainpolicy.dataset.source import (
    BLOCK_ROWS,
    ArticleInfo,
    CorpusSource,
    JsonlSource,
)
from chainpolicy.errors import InputError
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
