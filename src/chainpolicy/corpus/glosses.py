"""Inserted pinyin glosses such as ``學(xué)``: find those that read the character before them.

A parenthesised group is removed only when its content is a valid tone-marked reading (pypinyin,
heteronyms included) of the character right before it, so genuine parentheticals such as ``(DBA)``,
``(1)`` or ``(相城)`` stay.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from pypinyin import Style, pinyin

from chainpolicy.corpus.rope import Edit

# Tone-marked pinyin letters only: a gloss never contains digits, capitals or CJK.
_GLOSS = re.compile(r"\(([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ]{1,7})\)")


@lru_cache(maxsize=8192)
def readings(char: str) -> frozenset[str]:
    found = pinyin(char, style=Style.TONE, heteronym=True, errors="ignore")
    return frozenset(unicodedata.normalize("NFC", r) for group in found for r in group)


_KIND = "pinyin_gloss"
# (character, gloss) -> whether the gloss reads the character: the same pairs recur across a
# corpus, and the lookup is far cheaper than normalising and asking pypinyin again.
_IS_READING: dict[tuple[str, str], bool] = {}


def _reads(char: str, gloss: str) -> bool:
    known = _IS_READING.get((char, gloss))
    if known is None:
        known = _IS_READING[char, gloss] = unicodedata.normalize("NFC", gloss) in readings(char)
        if len(_IS_READING) > 65536:  # bounded: memory stays flat on any corpus
            _IS_READING.clear()
    return known


def find(text: str) -> list[Edit]:
    edits = []
    for match in _GLOSS.finditer(text):
        start = match.start()
        if start and _reads(text[start - 1], match.group(1)):
            edits.append(Edit(start, match.end(), "", _KIND))
    return edits
