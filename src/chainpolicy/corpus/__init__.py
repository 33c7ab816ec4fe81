"""The corpus layer: verbatim sources -> repaired text -> sentence records.

``load_sentences()`` / ``load_articles()`` build the committed corpus (cached per process).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from chainpolicy.paths import annotations_dir, sources_dir
from chainpolicy.records import ArticleRecord, SentenceRecord

if TYPE_CHECKING:
    from chainpolicy.corpus.ingest import Corpus

ERRATA_FILE = "errata.json"


@lru_cache(maxsize=4)
def _corpus(sources: Path, errata: Path) -> Corpus:
    from chainpolicy.corpus.ingest import build_corpus

    return build_corpus(sources, errata)


def load_corpus(sources: Path | None = None, errata: Path | None = None) -> Corpus:
    """The whole built corpus (``Corpus``: builds with records, repair logs and ropes)."""
    return _corpus(
        (sources or sources_dir()).resolve(),
        (errata or annotations_dir() / ERRATA_FILE).resolve(),
    )


def load_sentences(sources: Path | None = None, errata: Path | None = None) -> list[SentenceRecord]:
    return load_corpus(sources, errata).sentences


def load_articles(sources: Path | None = None, errata: Path | None = None) -> list[ArticleRecord]:
    return load_corpus(sources, errata).articles
