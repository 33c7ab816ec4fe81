"""Mis-decoded runs: detect them, and repair them by re-aligning their GB18030 bytes.

In the raw corpus a run such as ``?!兑巹潯穼⒋龠M`` is the GB18030 encoding of ``。《規劃》將促進``
decoded one byte off: the first byte of the sentence end was lost (shown as ``?``), the full-width
``！``/``？`` that the shifted decoder produced was later folded to half-width, and decoding
falls back into step at the first ASCII byte (``M``). Re-encoding the run, restoring the
full-width mark and putting a lead byte back in front gives the original text when no byte was
lost. When bytes were lost the result is not clean text; such runs need a reviewed erratum
(see errata.py).
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from functools import lru_cache

from chainpolicy.corpus.scriptview import to_hans

MARK = "?"
_MAX_RUN = 16
_TERMINATORS = "。！？"
_FULLWIDTH = {"!": "！", "?": "？"}
_PUNCT = set("。，、；：？！“”‘’（）《》〈〉【】—…·,.;:?!()[]%+-~/ ")
_ASCII_WORD = re.compile(r"[A-Za-z0-9]")


@lru_cache(maxsize=1)
def _gb2312() -> frozenset[str]:
    """GB2312: the ~7,000 characters of everyday simplified Chinese (levels 1 and 2)."""
    chars = set()
    for hi in range(0xB0, 0xF8):
        for lo in range(0xA1, 0xFF):
            with contextlib.suppress(UnicodeDecodeError):
                chars.add(bytes([hi, lo]).decode("gb2312"))
    return frozenset(chars)


def is_common(char: str) -> bool:
    """Everyday Chinese in either script, or punctuation/ASCII digits."""
    if char in _PUNCT or char.isdigit():
        return True
    common = _gb2312()
    return char in common or to_hans(char) in common


@dataclass(frozen=True)
class Run:
    start: int
    end: int
    text: str


def _run_end(text: str, start: int) -> int:
    """A run ends at the first ASCII byte the shifted decoder met: there it fell back in step."""
    limit = min(len(text), start + _MAX_RUN)
    for i in range(start + 2, limit):
        if text[i].isascii() and text[i] not in "\n":
            return i + 1
        if text[i] == "\n":
            return i
    return limit


def looks_misdecoded(text: str, pos: int) -> bool:
    """Does the ``?`` at ``pos`` start a mis-decoded run (rather than end a genuine question)?"""
    nxt = text[pos + 1 : pos + 2]
    if not nxt or nxt == "\n":
        return False
    if nxt in "!?！？" or (nxt.isascii() and nxt.isalpha()) or nxt in "^]\\":
        return True
    window = [c for c in text[pos + 1 : pos + 4] if c != "\n"]
    # A genuine question mark is followed by ordinary text; garbage is full of rare characters.
    return sum(not is_common(c) for c in window) >= 1 or not nxt.strip()


def find_runs(text: str) -> list[Run]:
    runs: list[Run] = []
    pos = text.find(MARK)
    while pos != -1:
        if looks_misdecoded(text, pos):
            end = _run_end(text, pos)
            runs.append(Run(pos, end, text[pos:end]))
            pos = text.find(MARK, end)
        else:
            pos = text.find(MARK, pos + 1)
    return runs


def realign(run: str) -> str | None:
    """The clean text a run decodes to when shifted back by one byte, or None."""
    body = _FULLWIDTH.get(run[1], run[1]) + run[2:]
    try:
        shifted = body.encode("gb18030")
    except UnicodeEncodeError:
        return None
    for lead in range(0x81, 0xFF):
        try:
            candidate = (bytes([lead]) + shifted).decode("gb18030")
        except UnicodeDecodeError:
            continue
        # The lost byte belonged to a sentence end (see module docstring), and the rest must read
        # as everyday text; anything else is a guess and is left to a reviewed erratum.
        if candidate[0] in _TERMINATORS and all(is_common(c) for c in candidate):
            return candidate
    return None
