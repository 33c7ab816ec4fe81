"""A compact index of the current sentence records, for validating tasks against them.

Per sentence it keeps the position in corpus order, the article, a digest of the text (to tell
whether a task's text is still the current text) and whether the sentence is annotatable.
Around 150 bytes per sentence, mostly the id in the lookup dict; the records themselves are
streamed and dropped.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field

from chainpolicy.errors import InputError
from chainpolicy.records import SentenceRecord
from chainpolicy.schema import ANNOTATED_ROLES

_ANNOTATED = frozenset(ANNOTATED_ROLES)


def text_digest(text: str) -> bytes:
    return hashlib.sha1(text.encode("utf-8")).digest()


@dataclass
class SentenceIndex:
    ids: dict[str, int] = field(default_factory=dict)
    article_of: array[int] = field(default_factory=lambda: array("i"))
    articles: list[str] = field(default_factory=list)
    annotatable_sentences: array[int] = field(default_factory=lambda: array("i"))
    annotatable: bytearray = field(default_factory=bytearray)
    digests: bytearray = field(default_factory=bytearray)
    duplicate_of: dict[int, int] = field(default_factory=dict)  # sentence -> first with its text
    article_scripts: list[str] = field(default_factory=list)
    article_numbers: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.article_of)

    @classmethod
    def build(cls, records: Iterable[SentenceRecord], origin: str) -> SentenceIndex:
        index = cls()
        article_numbers = index.article_numbers
        counts: list[int] = []
        for record in records:
            if record.id in index.ids:
                raise InputError(f"{origin}: sentence id {record.id!r} appears twice")
            number = article_numbers.get(record.article_id)
            if number is None:
                number = article_numbers[record.article_id] = len(index.articles)
                index.articles.append(record.article_id)
                index.article_scripts.append(record.script)
                counts.append(0)
            elif number != len(index.articles) - 1:
                raise InputError(
                    f"{origin}: the records of article {record.article_id!r} are not contiguous "
                    f"(sentence {record.id!r} comes after another article's records)"
                )
            idx = len(index.article_of)
            index.ids[record.id] = idx
            index.article_of.append(number)
            annotatable = record.role in _ANNOTATED
            index.annotatable.append(annotatable)
            counts[number] += annotatable
            index.digests += text_digest(record.text)
            if record.duplicate_of is not None:
                first = index.ids.get(record.duplicate_of)
                if first is None:
                    raise InputError(
                        f"{origin}: sentence {record.id!r} is a duplicate_of "
                        f"{record.duplicate_of!r}, which does not come before it"
                    )
                index.duplicate_of[idx] = first
        index.annotatable_sentences = array("i", counts)
        return index

    def digest(self, idx: int) -> bytes:
        return bytes(self.digests[20 * idx : 20 * idx + 20])

    def article_sizes(self) -> list[tuple[str, str, int]]:
        """(article id, script, annotatable records) per article, for the split rule."""
        return [
            (article, script, size)
            for article, script, size in zip(
                self.articles, self.article_scripts, self.annotatable_sentences, strict=True
            )
        ]
