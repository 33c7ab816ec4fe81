"""A compact index of the current sentence records, for validating tasks against them.

Per sentence it keeps the position in corpus order, the article, a digest of the text (to tell
whether a task's text is still the current text) and whether the sentence is annotatable. Ids are
looked up through sorted 64-bit digests (``IdLookup``) rather than a dict of strings: about 40
bytes per sentence in all instead of ~180, which keeps the build's memory flat on big corpora.
The records themselves are streamed and dropped.
"""

from __future__ import annotations

import hashlib
from array import array
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from chainpolicy.errors import InputError
from chainpolicy.records import SentenceRecord
from chainpolicy.schema import ANNOTATED_ROLES

_ANNOTATED = frozenset(ANNOTATED_ROLES)


def text_digest(text: str) -> bytes:
    return hashlib.sha1(text.encode("utf-8")).digest()


def id_key(sentence_id: str) -> int:
    """The 64-bit digest ``IdLookup`` keeps of a sentence id."""
    return _key(sentence_id)


def _key(sentence_id: str) -> int:
    digest = hashlib.blake2b(sentence_id.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


class IdLookup:
    """Sentence id -> position, from sorted 64-bit digests of the ids (12 bytes per id).

    Filled with ``append`` in corpus order, then ``freeze``; two ids with the same digest are
    reported as the same id appearing twice (a real 64-bit collision is out of reach here).
    """

    def __init__(self) -> None:
        self._keys = array("q")
        self._sorted = array("q")
        self._positions = array("i")

    def append(self, sentence_id: str) -> None:
        self._keys.append(_key(sentence_id))

    def freeze(self) -> int | None:
        """Sort the digests; the position of a repeated id, if any (else None)."""
        keys = np.frombuffer(self._keys, dtype=np.int64)
        order = np.argsort(keys, kind="stable").astype(np.int32)
        ordered = keys[order]
        repeats = np.flatnonzero(ordered[1:] == ordered[:-1])
        # Plain arrays: bisect on them costs ~1 us a lookup, a numpy scalar search ~10 us.
        self._sorted, self._positions = array("q", ordered.tobytes()), array("i", order.tobytes())
        self._keys = array("q")
        return int(order[repeats[0] + 1]) if len(repeats) else None

    def keys_in_order(self) -> npt.NDArray[np.int64]:
        """The id digest of every sentence, in corpus order (to check ids a block at a time)."""
        keys = np.empty(len(self._sorted), dtype=np.int64)
        keys[np.frombuffer(self._positions, dtype=np.int32)] = np.frombuffer(
            self._sorted, dtype=np.int64
        )
        return keys

    def get(self, sentence_id: str) -> int | None:
        key = _key(sentence_id)
        i = bisect_left(self._sorted, key)
        if i < len(self._sorted) and self._sorted[i] == key:
            return self._positions[i]
        return None

    def __contains__(self, sentence_id: str) -> bool:
        return self.get(sentence_id) is not None

    def __getitem__(self, sentence_id: str) -> int:
        found = self.get(sentence_id)
        if found is None:
            raise KeyError(sentence_id)
        return found


@dataclass
class SentenceIndex:
    ids: IdLookup = field(default_factory=IdLookup)
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
        last_ids: dict[str, int] = {}  # ids of the current article: duplicate_of points back
        pending: list[tuple[int, str, str]] = []  # duplicate_of outside the current article
        for record in records:
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
            if number != (index.article_of[-1] if idx else -1):
                last_ids.clear()
            if record.id in last_ids:
                raise InputError(f"{origin}: sentence id {record.id!r} appears twice")
            last_ids[record.id] = idx
            index.ids.append(record.id)
            index.article_of.append(number)
            annotatable = record.role in _ANNOTATED
            index.annotatable.append(annotatable)
            counts[number] += annotatable
            index.digests += text_digest(record.text)
            if record.duplicate_of is not None:
                first = last_ids.get(record.duplicate_of)
                if first is None:
                    pending.append((idx, record.id, record.duplicate_of))
                else:
                    index.duplicate_of[idx] = first
        repeated = index.ids.freeze()
        if repeated is not None:  # across articles (within one, the id is named above)
            raise InputError(
                f"{origin}: the id of sentence #{repeated} (0-based, in corpus order) appears twice"
            )
        for idx, sentence_id, duplicate_of in pending:
            first = index.ids.get(duplicate_of)
            if first is None or first >= idx:
                raise InputError(
                    f"{origin}: sentence {sentence_id!r} is a duplicate_of "
                    f"{duplicate_of!r}, which does not come before it"
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
