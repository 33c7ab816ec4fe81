"""Where the build reads sentence and article records: the committed corpus, or JSONL files.

The build reads the sentences twice (an index first, then the records in corpus order while
writing), so a source is re-iterable. A JSONL source streams its file each time and validates
every line with the ``SentenceRecord`` model; the corpus source builds the committed corpus once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

from pydantic import ValidationError

from chainpolicy.errors import InputError, describe_validation, utf8_lines
from chainpolicy.records import ArticleRecord, SentenceRecord


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


class RecordSource(Protocol):
    description: str

    def sentences(self) -> Iterator[SentenceRecord]: ...

    def articles(self) -> Iterator[ArticleInfo]: ...


class CorpusSource:
    """The committed corpus (``sources/`` + reviewed errata), built in this process."""

    def __init__(self, sources: Path | None = None, errata: Path | None = None) -> None:
        from chainpolicy.corpus import load_corpus

        self._corpus = load_corpus(sources, errata)
        self.description = "committed corpus (sources/ and annotations/errata.json)"

    def sentences(self) -> Iterator[SentenceRecord]:
        return iter(self._corpus.sentences)

    def articles(self) -> Iterator[ArticleInfo]:
        return (ArticleInfo.from_record(a) for a in self._corpus.articles)


class JsonlSource:
    """Sentence records from a JSONL file (``chainpolicy sentences``), articles optional.

    Without an articles file, each article is rebuilt from its sentences (text joined with the
    separators, which is exactly the cleaned article text); its metadata is then unknown (None).
    """

    def __init__(self, sentences: Path, articles: Path | None = None) -> None:
        self._sentences, self._articles = sentences, articles
        self.description = f"sentence records from {sentences}"
        self._validated = False

    def sentences(self) -> Iterator[SentenceRecord]:
        # The first pass validates every line; later passes (same file, same build) trust it and
        # only parse: the build checks ids and text digests against the first pass.
        if self._validated:
            return _trusted_jsonl(self._sentences)
        return self._first_pass()

    def _first_pass(self) -> Iterator[SentenceRecord]:
        yield from _read_jsonl(self._sentences, SentenceRecord)
        self._validated = True

    def articles(self) -> Iterator[ArticleInfo]:
        if self._articles is not None:
            return (ArticleInfo.from_record(a) for a in _read_jsonl(self._articles, ArticleRecord))
        return _rebuild_articles(self.sentences())


def _read_jsonl(path: Path, model: type[_Record]) -> Iterator[_Record]:
    for number, line in utf8_lines(path):
        if not line.strip():
            continue
        try:
            yield model.model_validate_json(line)
        except ValidationError as exc:
            raise InputError(
                f"{path}:{number}: not a {model.__name__}: {describe_validation(exc)}"
            ) from None


def _trusted_jsonl(path: Path) -> Iterator[SentenceRecord]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield SentenceRecord.model_construct(**json.loads(line))


def _rebuild_articles(sentences: Iterator[SentenceRecord]) -> Iterator[ArticleInfo]:
    current: str | None = None
    script, count = "", 0
    parts: list[str] = []
    for record in sentences:
        if record.article_id != current:
            if current is not None:
                yield ArticleInfo(current, script, "".join(parts), count)
            current, script, parts, count = record.article_id, record.script, [], 0
        parts += (record.text, record.sep)
        count += 1
    if current is not None:
        yield ArticleInfo(current, script, "".join(parts), count)
