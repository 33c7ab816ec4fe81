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


def find(text: str) -> list[Edit]:
    edits = []
    for match in _GLOSS.finditer(text):
        start = match.start()
        if start == 0:
            continue
        reading = unicodedata.normalize("NFC", match.group(1))
        if reading in readings(text[start - 1]):
            edits.append(Edit(start=start, end=match.end(), after="", kind="pinyin_gloss"))
    return edits
