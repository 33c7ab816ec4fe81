"""Record types shared by every layer: articles, sentences and spans.

Offset convention (the only one in this project): every offset is a half-open ``[start, end)``
interval counted in Unicode code points of the text the record carries, i.e. Python
``text[start:end]``. Astral characters (outside the BMP) count as one, never two (UTF-16) or four
(UTF-8). ``raw_start``/``raw_end`` count code points of the raw source file decoded as UTF-8.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from chainpolicy.schema import LABEL_INDEX, TYPE_INDEX

Script = Literal["Hans", "Hant"]


class SentenceRecord(BaseModel):
    """One sentence (or heading, byline, footnote ...) of a cleaned article."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(description="stable id: <article id>-p<raw line>-s<n> (see corpus.ingest)")
    article_id: str
    index: int = Field(ge=0, description="position of the record in its article")
    line: int = Field(ge=0, description="raw line the record comes from")
    role: str
    script: Script
    text: str = Field(description="cleaned text in the article's original script")
    text_hans: str = Field(description="OpenCC t2s view of text")
    sep: str = Field(description="separator that follows the record in the cleaned article")
    start: int = Field(ge=0, description="offset of text in the cleaned article text")
    end: int = Field(ge=0)
    raw_start: int = Field(ge=0, description="offset in the raw source where text begins")
    raw_end: int = Field(ge=0, description="offset in the raw source just after text")
    text_sha1: str = Field(description="sha1 of text (UTF-8), to detect changed sentences")
    duplicate_of: str | None = Field(
        default=None, description="id of the first record with the same text, if any"
    )
    footnote_anchor: str | None = Field(
        default=None, description="for footnotes: id of the body record whose anchor it carried"
    )
    footnote_number: int | None = None


@dataclass(frozen=True, slots=True)
class Span:
    """The one span type every layer takes and returns (converted at the edges: Label Studio
    results, submission lines, pass files, packed storage, Arrow rows).

    ``[start, end)`` in code points of the text it belongs to; ``label`` a schema label name;
    ``type`` one of the label's types (``None`` for labels without types). Equality is on these
    four; ``figure`` (the normalised value, unit and qualifier of a normalised label's text) is
    derived data that travels along when a step computed it.
    """

    start: int
    end: int
    label: str
    type: str | None = None
    figure: FigureValue | None = field(default=None, compare=False)

    @property
    def key(self) -> tuple[int, int, int, int]:
        """Sort key in schema order: start, end, label index, type index (-1: none)."""
        return (
            self.start,
            self.end,
            LABEL_INDEX[self.label],
            -1 if self.type is None else TYPE_INDEX[self.type],
        )

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end


class FigureValue(NamedTuple):
    """A figure's text normalised (see ``chainpolicy.contract.figures``); None where unreadable."""

    value: str | None
    unit: str | None
    qualifier: str | None


def sorted_spans(spans: Iterable[Span]) -> list[Span]:
    return sorted(spans, key=lambda span: span.key)


class ArticleRecord(BaseModel):
    """One cleaned article with its metadata and repair counts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    file: str
    sha256: str
    script: Script
    title: str | None
    authors: list[str]
    source: str | None
    text: str = Field(description="cleaned text: records joined with their separators")
    raw_chars: int
    repair_counts: dict[str, int]
    n_records: int
