"""Inline footnotes (article 002): ``...發揮作用(1)數據作為...可供索取。,即:...``.

The source pasted each footnote's text right after its anchor ``(N)``. A footnote ends at the first
``。`` after which the interrupted body sentence visibly resumes: with punctuation (``,`` ``。``
``:`` ...) or with a particle that cannot start a sentence (``的``). Footnotes may hold several
sentences, so the first ``。`` alone is not enough.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ANCHOR = re.compile(r"(?<=[\u4e00-\u9fff\u3400-\u4dbf])\((\d{1,2})\)(?=[\u4e00-\u9fff0-9《“])")
_END = re.compile(r"。(?=[,，。;；:：、的])")


@dataclass(frozen=True)
class Footnote:
    number: int
    anchor_start: int  # offset of "(" of the anchor
    start: int  # footnote text [start, end), without the anchor
    end: int


def find(text: str) -> list[Footnote]:
    found: list[Footnote] = []
    pos = 0
    while match := _ANCHOR.search(text, pos):
        line_end = text.find("\n", match.end())
        line_end = len(text) if line_end == -1 else line_end
        end = _END.search(text, match.end(), line_end)
        if end is None:  # not a footnote: nothing resumes the sentence on this line
            pos = match.end()
            continue
        found.append(Footnote(int(match.group(1)), match.start(), match.end(), end.end()))
        pos = end.end()
    return found
