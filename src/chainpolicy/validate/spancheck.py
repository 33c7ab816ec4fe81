"""Rules on a single span: offsets, label and type, content. Pure functions over the text.

``check_span`` returns the first failing reason code (see ``reasons.REASONS``) or ``None``. The
rules are a table, in the order they run; each rule sees only the span.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from functools import lru_cache
from typing import Final

from chainpolicy.schema import LABELS_BY_NAME

# Numerals Unicode gives no numeric value to, but that count things in Chinese text (两家 = 2).
_EXTRA_NUMERALS: Final = frozenset("两半")


@lru_cache(maxsize=65536)
def _is_filler(char: str) -> bool:
    """Whitespace, punctuation, or invisible format/control characters."""
    return char.isspace() or unicodedata.category(char)[0] in "PZC"


@lru_cache(maxsize=65536)
def _is_numeral(char: str) -> bool:
    # unicodedata.numeric knows digits of every script, full-width digits and Chinese numerals
    # (〇一二...十百千万亿, also 壹贰叁); it does not know 两.
    return char in _EXTRA_NUMERALS or unicodedata.numeric(char, None) is not None


def has_numeral(text: str) -> bool:
    return any(_is_numeral(char) for char in text)


Rule = Callable[[str, int, int, str, "str | None"], bool]  # True = the span passes


def _offsets(text: str, start: int, end: int, _label: str, _type: str | None) -> bool:
    return 0 <= start < end <= len(text)


def _label(_text: str, _start: int, _end: int, label: str, _type: str | None) -> bool:
    return label in LABELS_BY_NAME


def _type(_text: str, _start: int, _end: int, label: str, type_: str | None) -> bool:
    return type_ is None or type_ in LABELS_BY_NAME[label].types


def _typed(_text: str, _start: int, _end: int, label: str, type_: str | None) -> bool:
    # Labels with types need one: the typed BIO tags and the card's counts depend on it.
    return type_ is not None or not LABELS_BY_NAME[label].types


def _content(text: str, start: int, end: int, _label: str, _type: str | None) -> bool:
    return not all(_is_filler(char) for char in text[start:end])


def _trimmed(text: str, start: int, end: int, _label: str, _type: str | None) -> bool:
    return not (text[start].isspace() or text[end - 1].isspace())


def _figure_numeral(text: str, start: int, end: int, label: str, _type: str | None) -> bool:
    return label != "figure" or has_numeral(text[start:end])


RULES: Final[tuple[tuple[str, Rule], ...]] = (
    ("bad_offsets", _offsets),
    ("unknown_label", _label),
    ("unknown_type", _type),
    ("missing_type", _typed),
    ("no_content", _content),
    ("untrimmed", _trimmed),
    ("figure_without_numeral", _figure_numeral),
)


def check_span(text: str, start: int, end: int, label: str, type_: str | None) -> str | None:
    """The reason code of the first rule the span fails, or ``None`` if it passes all."""
    for reason, passes in RULES:
        if not passes(text, start, end, label, type_):
            return reason
    return None


def loose_text(text: str) -> str:
    """``value.text`` as Label Studio may return it: whitespace runs collapsed, newlines as the
    two characters backslash-n. Both sides of the comparison go through this."""
    return " ".join(text.replace("\\n", " ").split())
