"""Rules on a single span: offsets, label and type, content. Pure functions over the text.

``check_span`` returns the first failing reason code (see ``reasons.REASONS``) or ``None``. The
rules are a table, in the order they run; each rule sees only the span. Label policy (has types,
needs a numeral) comes from the schema.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from functools import lru_cache
from typing import Final

from chainpolicy.records import Span
from chainpolicy.schema import LABELS, LABELS_BY_NAME

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


Rule = Callable[[str, Span], bool]  # True = the span passes


def _offsets(text: str, span: Span) -> bool:
    return 0 <= span.start < span.end <= len(text)


def _label(_text: str, span: Span) -> bool:
    return span.label in LABELS_BY_NAME


def _type(_text: str, span: Span) -> bool:
    return span.type is None or span.type in LABELS_BY_NAME[span.label].types


def _typed(_text: str, span: Span) -> bool:
    # Labels with types need one: the typed BIO tags and the card's counts depend on it.
    return span.type is not None or not LABELS_BY_NAME[span.label].types


def _content(text: str, span: Span) -> bool:
    return not all(_is_filler(char) for char in text[span.start : span.end])


def _trimmed(text: str, span: Span) -> bool:
    return not (text[span.start].isspace() or text[span.end - 1].isspace())


def _numeral(text: str, span: Span) -> bool:
    return not LABELS_BY_NAME[span.label].needs_numeral or has_numeral(text[span.start : span.end])


def numeral_reason(label: str) -> str:
    return f"{label}_without_numeral"


RULES: Final[tuple[tuple[str | None, Rule], ...]] = (
    ("bad_offsets", _offsets),
    ("unknown_label", _label),
    ("unknown_type", _type),
    ("missing_type", _typed),
    ("no_content", _content),
    ("untrimmed", _trimmed),
    (None, _numeral),  # the reason names the label: numeral_reason()
)
# The codes RULES can give, in order (``None`` above expands to one code per label that needs
# a numeral).
REASON_CODES: Final[tuple[str, ...]] = tuple(
    code
    for reason, _ in RULES
    for code in (
        (reason,)
        if reason is not None
        else tuple(numeral_reason(s.name) for s in LABELS if s.needs_numeral)
    )
)


def check_span(text: str, span: Span) -> str | None:
    """The reason code of the first rule the span fails, or ``None`` if it passes all."""
    for reason, passes in RULES:
        if not passes(text, span):
            return reason or numeral_reason(span.label)
    return None


def loose_text(text: str) -> str:
    """``value.text`` as Label Studio may return it: whitespace runs collapsed, newlines as the
    two characters backslash-n. Both sides of the comparison go through this."""
    return " ".join(text.replace("\\n", " ").split())
