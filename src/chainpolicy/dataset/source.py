"""Where the build reads sentence and article records: the committed corpus, or JSONL files.

The build reads the sentences twice (an index first, then the records in corpus order while
writing), so a source is re-iterable. A JSONL source streams its file each time and validates
every line with the ``SentenceRecord`` model on the first pass; the later passes read it as Arrow
record batches (``sentence_blocks``, pyarrow's JSON reader, no Python object per record). The
corpus source builds the committed corpus once.

A source without article records (a JSONL file of sentences only) has its articles rebuilt
from the sentences by the pass that writes them (``ArticleAssembler``): each article's text is
its records' texts joined with their separators, which is exactly the cleaned article text.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Protocol, TypeVar

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json
import pyarrow.parquet as pq
from pydantic import ValidationError

from chainpolicy.corpus.arrow_schema import record_schema
from chainpolicy.errors import InputError, describe_validation, utf8_lines
from chainpolicy.records import ArticleRecord, SentenceRecord
from chainpolicy.scale.shards import iter_shard, record_files


@dataclass(frozen=True)
class ArticleInfo:
    """An article as the ``articles`` config needs it; metadata is None when the source lacks it."""

    id: str
    script: str
    text: str
    n_records: int
    file: str | None = None
    sha256: str | None = None
    title: str | None = None
    authors: tuple[str, ...] = ()
    source: str | None = None
    raw_chars: int | None = None
    repair_counts: tuple[tuple[str, int], ...] = ()

    @classmethod
    def from_record(cls, record: ArticleRecord) -> ArticleInfo:
        return cls(
            id=record.id,
            script=record.script,
            text=record.text,
            n_records=record.n_records,
            file=record.file,
            sha256=record.sha256,
            title=record.title,
            authors=tuple(record.authors),
            source=record.source,
            raw_chars=record.raw_chars,
            repair_counts=tuple(sorted(record.repair_counts.items())),
        )


_Record = TypeVar("_Record", SentenceRecord, ArticleRecord)


# Records per block handed on (fewer at the end of the records). The build's peak memory is
# in its blocks: 2048 rows keep it under 300 MB at 200,000 tasks (4096: 309 MB). Time: within
# run-to-run noise at 200,000 tasks, about 17% more at 2,000,000 (more blocks, each with its
# fixed cost).
BLOCK_ROWS: Final = 2048
# Bytes of JSONL pyarrow parses at a time. Its reader's memory grows with this (measured: RSS
# +140 MB at 4 MiB, +20 MB at 256 KiB), so it reads small pieces that are joined into blocks.
_READ_BYTES: Final = 1 << 18


class RecordSource(Protocol):
    description: str

    def sentences(self) -> Iterator[SentenceRecord]: ...

    def sentence_blocks(self) -> Iterator[pa.RecordBatch]:
        """The same records as ``sentences``, in order, as record batches of ``record_schema``."""
        ...

    def articles(self) -> Iterator[ArticleInfo]: ...

    @property
    def has_article_records(self) -> bool:
        """False: ``articles`` rebuilds them from the sentences (``ArticleAssembler``)."""
        ...


class CorpusSource:
    """The committed corpus (``sources/`` + reviewed errata), built in this process."""

    def __init__(self, sources: Path | None = None, errata: Path | None = None) -> None:
        from chainpolicy.corpus import load_corpus

        self._corpus = load_corpus(sources, errata)
        self.description = "committed corpus (sources/ and annotations/errata.json)"

    def sentences(self) -> Iterator[SentenceRecord]:
        return iter(self._corpus.sentences)

    def sentence_blocks(self) -> Iterator[pa.RecordBatch]:
        schema = record_schema()
        records = self._corpus.sentences
        for lo in range(0, len(records), BLOCK_ROWS):
            rows = [r.model_dump() for r in records[lo : lo + BLOCK_ROWS]]
            yield pa.RecordBatch.from_pylist(rows, schema=schema)

    def articles(self) -> Iterator[ArticleInfo]:
        return (ArticleInfo.from_record(a) for a in self._corpus.articles)

    @property
    def has_article_records(self) -> bool:
        return True


class JsonlSource:
    """Sentence records from a JSONL file (``chainpolicy sentences``), articles optional.

    Without an articles file, each article is rebuilt from its sentences (text joined with the
    separators, which is exactly the cleaned article text); its metadata is then unknown (None).
    """

    def __init__(self, sentences: Path, articles: Path | None = None) -> None:
        self._sentences, self._articles = sentences, articles
        self.description = f"sentence records from {sentences}"
        self._validated = False
        self._longest = 0  # bytes of the longest line (pyarrow's block must hold one line)

    def sentences(self) -> Iterator[SentenceRecord]:
        # The first pass validates every line; later passes (same file, same build) trust it and
        # only parse: the build checks ids and text digests against the first pass.
        if self._validated:
            return (SentenceRecord.model_construct(None, **row) for row in self._rows())
        return self._first_pass()

    def _first_pass(self) -> Iterator[SentenceRecord]:
        longest = 0
        for record, size in _read_jsonl(self._sentences, SentenceRecord):
            longest = max(longest, size)
            yield record
        self._validated, self._longest = True, longest

    def _rows(self) -> Iterator[dict[str, Any]]:
        for block in self.sentence_blocks():
            yield from block.to_pylist()

    def sentence_blocks(self) -> Iterator[pa.RecordBatch]:
        if not self._validated:
            for _ in self._first_pass():
                pass
        yield from _jsonl_blocks(self._sentences, self._longest, self.description)

    def articles(self) -> Iterator[ArticleInfo]:
        if self._articles is not None:
            return (
                ArticleInfo.from_record(a) for a, _ in _read_jsonl(self._articles, ArticleRecord)
            )
        return ArticleAssembler.rebuild(self.sentence_blocks())

    @property
    def has_article_records(self) -> bool:
        return self._articles is not None


class ShardSource:
    """Sentence records from the shards of ``chainpolicy sentences --datatrove OUT`` (Parquet or
    JSONL files in ``OUT/records/``, read in shard order, which is corpus order): the records of
    a corpus too big for one file, built without converting them first.

    Like a JSONL source, the first pass validates every record with ``SentenceRecord`` and the
    later passes read Arrow blocks; the articles are rebuilt from the sentences.
    """

    def __init__(self, folder: Path) -> None:
        self._files = record_files(folder)
        self.description = f"sentence records from the shards in {folder}"
        self._validated = False
        self._longest = 0

    def sentences(self) -> Iterator[SentenceRecord]:
        if self._validated:
            return (
                SentenceRecord.model_construct(None, **row)
                for block in self.sentence_blocks()
                for row in block.to_pylist()
            )
        return self._first_pass()

    def _first_pass(self) -> Iterator[SentenceRecord]:
        for path in self._files:
            if path.suffix == ".jsonl":
                for record, size in _read_jsonl(path, SentenceRecord):
                    self._longest = max(self._longest, size)
                    yield record
                continue
            for number, row in enumerate(iter_shard(path), 1):
                try:
                    yield SentenceRecord.model_validate(row)
                except ValidationError as exc:
                    raise InputError(
                        f"{path}: record #{number}: not a SentenceRecord: "
                        f"{describe_validation(exc)}"
                    ) from None
        self._validated = True

    def sentence_blocks(self) -> Iterator[pa.RecordBatch]:
        if not self._validated:
            for _ in self._first_pass():
                pass
        schema = record_schema()
        for path in self._files:
            if path.suffix == ".jsonl":
                yield from _jsonl_blocks(path, self._longest, self.description)
                continue
            try:
                for batch in pq.ParquetFile(path).iter_batches(batch_size=BLOCK_ROWS):
                    yield batch.select(schema.names).cast(schema)
            except (pa.ArrowException, OSError, KeyError) as exc:
                raise InputError(
                    f"{self.description}: the records changed during the build ({exc})"
                ) from None

    def articles(self) -> Iterator[ArticleInfo]:
        return ArticleAssembler.rebuild(self.sentence_blocks())

    @property
    def has_article_records(self) -> bool:
        return False


def open_source(sentences: Path | None, articles: Path | None = None) -> RecordSource:
    """The committed corpus (no path), a JSONL file of records (with its articles, if given),
    or the shard folder of a datatrove ingest."""
    if sentences is None:
        return CorpusSource()
    if sentences.is_dir():
        return ShardSource(sentences)
    return JsonlSource(sentences, articles)


def _jsonl_blocks(path: Path, longest: int, description: str) -> Iterator[pa.RecordBatch]:
    """A validated JSONL file of records as blocks of ``BLOCK_ROWS`` records."""
    size = max(_READ_BYTES, 2 * longest + 2)  # a line must fit in one piece
    try:
        reader = pa_json.open_json(
            path,
            read_options=pa_json.ReadOptions(use_threads=False, block_size=size),
            parse_options=pa_json.ParseOptions(
                explicit_schema=record_schema(), unexpected_field_behavior="error"
            ),
        )
        held: list[pa.RecordBatch] = []
        rows = 0
        for piece in reader:
            held.append(piece)
            rows += piece.num_rows
            if rows >= BLOCK_ROWS:
                yield pa.concat_batches(held)
                held, rows = [], 0
        if rows:
            yield pa.concat_batches(held)
    except (pa.ArrowInvalid, OSError) as exc:
        # The file was validated at the start of the build: it changed since.
        raise InputError(f"{description}: the records changed during the build ({exc})") from None


def _read_jsonl(path: Path, model: type[_Record]) -> Iterator[tuple[_Record, int]]:
    """(record, bytes of its line) for every non-blank line."""
    for number, line in utf8_lines(path):
        if not line.strip():
            continue
        try:
            yield model.model_validate_json(line), len(line)
        except ValidationError as exc:
            raise InputError(
                f"{path}:{number}: not a {model.__name__}: {describe_validation(exc)}"
            ) from None


@dataclass
class ArticleAssembler:
    """Articles rebuilt from blocks of sentence records in corpus order (articles are
    contiguous): ``add`` returns the articles a block completes, ``finish`` the last one."""

    _current: str | None = None
    _script: str = ""
    _parts: list[str] = field(default_factory=list)

    def add(self, block: pa.RecordBatch) -> list[ArticleInfo]:
        done: list[ArticleInfo] = []
        articles = block.column("article_id").to_pylist()
        scripts = block.column("script").to_pylist()
        pieces = pc.binary_join_element_wise(block.column("text"), block.column("sep"), "")
        for article, script, piece in zip(articles, scripts, pieces.to_pylist(), strict=True):
            if article != self._current:
                done += self.finish()
                self._current, self._script = article, script
            self._parts.append(piece)
        return done

    @classmethod
    def rebuild(cls, blocks: Iterable[pa.RecordBatch]) -> Iterator[ArticleInfo]:
        """Every article of ``blocks`` (all the records, in corpus order)."""
        assembler = cls()
        for block in blocks:
            yield from assembler.add(block)
        yield from assembler.finish()

    def finish(self) -> list[ArticleInfo]:
        if self._current is None:
            return []
        article = ArticleInfo(self._current, self._script, "".join(self._parts), len(self._parts))
        self._current, self._parts = None, []
        return [article]
