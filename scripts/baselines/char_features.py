"""Character features shared by the CRF and the neural tagger (both scripts of Chinese).

Every character is read in simplified form (OpenCC t2s, character by character, so the length
never changes), so the traditional and simplified articles share their statistics. A character
class says what kind of character it is; the context marks say whether it stands inside 《》 or
quotes, and where it stands in its clause (the stretch between ,;。!?: marks of either width),
which is what a claim, a clause-long span, needs.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import Final

from opencc import OpenCC

CN_NUMERALS: Final = frozenset("零〇一二两兩三四五六七八九十百千万萬亿億")
CLASSES: Final = ("digit", "cjk_numeral", "percent", "punct", "space", "latin", "cjk", "other")
CLAUSE_MARKS: Final = frozenset(",;!?:\u3002\uff0c\uff1b\uff01\uff1f\uff1a")  # both widths
_OPEN_CLOSE: Final = {"《": "》", "“": "”", "「": "」"}


@lru_cache(maxsize=1)
def _t2s() -> OpenCC:
    return OpenCC("t2s.json")


@lru_cache(maxsize=65536)
def simplified(char: str) -> str:
    out: str = _t2s().convert(char)
    return out if len(out) == 1 else char


def char_class(char: str) -> str:
    if char in "%\uff05":
        return "percent"
    if unicodedata.category(char) == "Nd":  # ASCII and full-width digits
        return "digit"
    if char in CN_NUMERALS:
        return "cjk_numeral"
    if char.isspace():
        return "space"
    category = unicodedata.category(char)
    if category[0] in "PS":
        return "punct"
    if (char.isascii() and char.isalpha()) or "\uff21" <= char <= "\uff5a":
        return "latin"
    if category == "Lo" and unicodedata.name(char, "").startswith("CJK"):
        return "cjk"
    return "other"


def bracket_marks(text: str) -> list[str]:
    """Per character: "book" inside 《》, "quote" inside quotes, "" elsewhere (a bracket with
    no closing partner later in the text opens nothing)."""
    marks = [""] * len(text)
    i = 0
    while i < len(text):
        closing = _OPEN_CLOSE.get(text[i])
        end = text.find(closing, i + 1) if closing else -1
        if end > i:
            kind = "book" if text[i] == "《" else "quote"
            for j in range(i + 1, end):
                marks[j] = kind
            i = end
        i += 1
    return marks


def clause_positions(text: str) -> list[tuple[int, int, bool]]:
    """Per character: (characters since the clause start, characters to its end, whether the
    clause holds a digit or a Chinese numeral)."""
    out: list[tuple[int, int, bool]] = []
    start = 0
    for i in range(len(text) + 1):
        if i == len(text) or text[i] in CLAUSE_MARKS:
            clause = text[start:i]
            numeric = any(char_class(c) in ("digit", "cjk_numeral") for c in clause)
            out += [(j - start, i - j - 1, numeric) for j in range(start, i)]
            if i < len(text):
                out.append((0, 0, numeric))  # the mark itself
            start = i + 1
    return out


def bucket(distance: int) -> str:
    for limit in (0, 1, 2, 4, 8, 16):
        if distance <= limit:
            return str(limit)
    return "more"


def crf_features(text: str) -> list[dict[str, str | float]]:
    """crfsuite feature dicts, one per character."""
    chars = [simplified(c) for c in text]
    classes = [char_class(c) for c in text]
    marks = bracket_marks(text)
    clauses = clause_positions(text)

    def char_at(i: int) -> str:
        return chars[i] if 0 <= i < len(chars) else ("<s>" if i < 0 else "</s>")

    def class_at(i: int) -> str:
        return classes[i] if 0 <= i < len(classes) else "edge"

    out: list[dict[str, str | float]] = []
    for i in range(len(text)):
        since, until, numeric = clauses[i]
        feats: dict[str, str | float] = {
            "bias": 1.0,
            "c0": chars[i],
            "c-1": char_at(i - 1),
            "c+1": char_at(i + 1),
            "c-2": char_at(i - 2),
            "c+2": char_at(i + 2),
            "c-1c0": char_at(i - 1) + chars[i],
            "c0c+1": chars[i] + char_at(i + 1),
            "c-1c+1": char_at(i - 1) + char_at(i + 1),
            "k0": classes[i],
            "k-1": class_at(i - 1),
            "k+1": class_at(i + 1),
            "k-1k0k+1": f"{class_at(i - 1)}|{classes[i]}|{class_at(i + 1)}",
            "mark": marks[i] or "none",
            "since": bucket(since),
            "until": bucket(until),
            "numeric_clause": "yes" if numeric else "no",
        }
        out.append(feats)
    return out
