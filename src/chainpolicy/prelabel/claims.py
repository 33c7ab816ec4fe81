"""A conservative claim heuristic: a clause that states a figure.

The guidelines call a claim the smallest complete clause stating something checkable, "usually
between commas/semicolons", and their examples are figure-backed (``苏州市占有6家``,
``到2022年培育10家以上区块链骨干企业``). So a clause (a stretch between ,;。!? or the sentence
edges, never inside quotes or brackets, trimmed of edge punctuation, citation marks and leading
connectives such as 其中 and 且) is proposed as a claim when

- it holds a figure that is a quantity or a rank (COUNT, MONEY, PERCENT, RANK): a date alone
  dates a statement and a duration (三年多) frames one;
- it is not an exhortation or recommendation (应当, 要, 建议, 需要, 必须 ...), which the guidelines
  exclude;
- it is not a frame phrase (``在全国近100家区块链研究机构中``: 在 ... 中/里/内/方面/时) or a
  reporting clause (... 强调/指出/显示), which only set the scene for the next clause;
- it has at least ``MIN_CLAUSE`` characters.

Precision over recall: many claims (those without a figure) are left to the annotators.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Final

from chainpolicy.corpus.scriptview import to_hans
from chainpolicy.records import Span
from chainpolicy.schema import CLAIM

CLAIM_FIGURE_TYPES: Final = frozenset({"COUNT", "MONEY", "PERCENT", "RANK"})
# 应 and 要 as modal verbs only: not in 应用, 供应, 相应 ..., 主要, 重要, 要素 ...
EXHORTATION = re.compile(
    r"应当|应该|(?<![供响相适对效反])应(?![用])|(?<![主重纲只需])要(?![素求点])"
    r"|建议|需要|必须|务必|鼓励|希望|亟需|亟待"
)
# Scene-setting and reporting clauses: the claim is in the next clause, not in these.
FRAME = re.compile(
    r"^(?:在|从|据|截至|截止|经过|随着).*(?:中|里|内|方面|来看|看|时|下)$"
    r"|(?:强调|指出|表示|认为|称|显示|介绍)$"
)
# Connectives that open a clause but belong to no claim (其中苏州市占有6家 -> 苏州市占有6家).
CONNECTIVES: Final = (
    "其中",
    "并且",
    "而且",
    "同时",
    "此外",
    "另外",
    "但是",
    "然而",
    "且",
    "而",
    "并",
    "但",
)
MIN_CLAUSE: Final = 5
# Clause boundaries: , ; 。 ! ? : (full- and half-width) and line breaks, outside quotes/brackets.
_SEPARATORS: Final = frozenset("\uff0c,\uff1b;\u3002\uff01!\uff1f?\uff1a:\n")
_OPENERS: Final = {
    "\u201c": "\u201d",
    "\u300c": "\u300d",
    "(": ")",
    "\uff08": "\uff09",
    "\u300a": "\u300b",
}
_CITATION = re.compile(r"(?:\[\d+(?:[,,\-–]\d+)*\])+$")  # [4], [1,2] at a clause's end


def clauses(text: str) -> list[tuple[int, int]]:
    """Half-open clause spans of ``text``, trimmed (see ``_trim``); quotes and brackets are never
    split (“区块链核心业务收入超过5亿元、带动相关产业规模50亿元” is inside one clause)."""
    out = []
    start = 0
    closing: list[str] = []
    for i, char in enumerate(text):
        if closing and char == closing[-1]:
            closing.pop()
        elif char in _OPENERS and _OPENERS[char] in text[i + 1 :]:  # unclosed: no bracket
            closing.append(_OPENERS[char])
        elif char in _SEPARATORS and not closing:
            out.append(_trim(text, start, i))
            start = i + 1
    out.append(_trim(text, start, len(text)))
    return [(a, b) for a, b in out if a < b]


def _is_edge_filler(char: str) -> bool:
    # Punctuation, spaces, invisible characters; but % ends a figure (and so a claim).
    return char not in "%\uff05" and unicodedata.category(char)[0] in "PZC"


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop citation marks, edge punctuation and leading connectives (guidelines rule 2)."""
    while True:
        before = (start, end)
        while end > start and text[end - 1].isspace():
            end -= 1
        citation = _CITATION.search(text, start, end)
        if citation:
            end = citation.start()
        while start < end and _is_edge_filler(text[start]):
            start += 1
        while end > start and _is_edge_filler(text[end - 1]):
            end -= 1
        head = to_hans(text[start : start + 2])
        connective = next((c for c in CONNECTIVES if head.startswith(c)), None)
        if connective and end - start > len(connective):
            start += len(connective)
        if (start, end) == before:
            return start, end


def find_claims(text: str, figures: Sequence[Span]) -> list[Span]:
    out = []
    for start, end in clauses(text):
        if end - start < MIN_CLAUSE:
            continue
        if not any(
            start <= f.start and f.end <= end and f.type in CLAIM_FIGURE_TYPES for f in figures
        ):
            continue
        clause = to_hans(text[start:end])
        if EXHORTATION.search(clause) or FRAME.search(clause):
            continue
        out.append(Span(start, end, CLAIM))
    return out
