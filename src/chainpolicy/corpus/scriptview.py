"""The simplified-script view of a text (OpenCC t2s) with an exact offset map in both directions."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

import opencc


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s.json")


def to_hans(text: str) -> str:
    """OpenCC t2s of ``text`` (phrase-aware: not the same as converting character by character)."""
    return _t2s().convert(text) if text else text


@dataclass(frozen=True)
class Block:
    """``src[a:a+la]`` converts to ``dst[b:b+lb]``; ``same`` blocks match char by char."""

    a: int
    la: int
    b: int
    lb: int
    same: bool


class ScriptMap:
    """Maps half-open spans between a text and its OpenCC view.

    Where conversion keeps length (nearly always) the map is the identity. Where a phrase changes
    length, the two sides are aligned per character and the differing stretch becomes one block;
    a span boundary inside such a block widens to the whole block, so a projected span always
    covers the converted form of what it covered before.
    """

    def __init__(self, src: str, dst: str) -> None:
        self.src, self.dst = src, dst
        self.blocks: list[Block] = _align(src, dst)
        self._a = [blk.a for blk in self.blocks]
        self._b = [blk.b for blk in self.blocks]

    def to_dst(self, start: int, end: int) -> tuple[int, int]:
        """Project ``src[start:end]`` onto the converted text."""
        return self._point(start, True, left=True), self._point(end, True, left=start == end)

    def to_src(self, start: int, end: int) -> tuple[int, int]:
        """Project ``dst[start:end]`` back onto the original text."""
        return self._point(start, False, left=True), self._point(end, False, left=start == end)

    def _point(self, offset: int, forward: bool, *, left: bool) -> int:
        if not self.blocks:
            return offset
        keys = self._a if forward else self._b
        i = bisect_right(keys, offset) - 1
        blk = self.blocks[i]
        base, size, obase, osize = (
            (blk.a, blk.la, blk.b, blk.lb) if forward else (blk.b, blk.lb, blk.a, blk.la)
        )
        inside = offset - base
        if blk.same or inside == 0:
            return obase + inside
        if inside >= size:  # only at the very end of the text
            return obase + osize
        return obase if left else obase + osize


def _align(src: str, dst: str) -> list[Block]:
    if len(src) == len(dst):
        return []
    # Converting character by character keeps length, so it lines up with src 1:1 and differs
    # from dst only where a phrase rule changed length.
    per_char = "".join(c if len(to_hans(c)) != 1 else to_hans(c) for c in src)
    matcher = SequenceMatcher(None, per_char, dst, autojunk=False)
    return [
        Block(i1, i2 - i1, j1, j2 - j1, tag == "equal")
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
    ]
