"""Chinese sentence segmentation of one line.

Decisions (documented in README):
- ``。`` and half/full-width ``?`` ``？`` ``!`` ``！`` end a sentence; runs of them stay together.
- ``;``/``；`` does NOT end a sentence: in this corpus it joins the clauses of one enumeration
  (``强化...攻关;构建...生态;打造...``), and splitting would leave fragments without a subject.
- Closing quotes and brackets after the end mark stay with the sentence (``...机制”。`` and
  ``...。”``).
- An end mark inside an open quotation “...” or parenthesis does not split (quoted speech with
  several sentences stays whole); unbalanced marks are ignored at the end of the line.
- A line without end punctuation (heading, byline) is one record.
- Positions listed in ``skip`` (mis-decoded ``?``) never end a sentence.
"""

from __future__ import annotations

import re

_ENDS = frozenset("。?？!！")
_CLOSERS = frozenset("”’」』)）》】]")
_OPEN = {"“": "”", "(": ")", "（": "）", "「": "」"}
_CLOSE = {v: k for k, v in _OPEN.items()}
_CONTINUES = frozenset("的之地得,，、:：;；")


def split(line: str, skip: frozenset[int] = frozenset()) -> list[tuple[int, int]]:
    """Sentence spans ``[start, end)`` of ``line``, without surrounding whitespace."""
    spans = _split(line, skip, respect_quotes=True)
    if any(end - start > 400 for start, end in spans):
        # An unbalanced quote swallowed the rest of the line: fall back to plain end marks.
        spans = _split(line, skip, respect_quotes=False)
    return spans


_EVENTS = re.compile("[" + re.escape("".join(_ENDS) + "".join(_OPEN) + "".join(_CLOSE)) + "]")


def _split(line: str, skip: frozenset[int], *, respect_quotes: bool) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start, depth, n = 0, 0, len(line)
    # Only end marks and brackets matter: visit those, not every character.
    for match in _EVENTS.finditer(line):
        i = match.start()
        if i < start:  # already taken by the closers after an end mark
            continue
        char = line[i]
        if char in _OPEN:
            depth += respect_quotes
            continue
        if char in _CLOSE:
            if not respect_quotes:
                continue
            depth = max(0, depth - 1)
            # “...。” closes a quoted sentence: the sentence ends after the closing mark...
            if not (depth == 0 and i > 0 and line[i - 1] in _ENDS and i - 1 not in skip):
                continue
            j = _after_closers(line, i + 1)
            # ...but not when the outer sentence goes on: 提出“要发展。”的要求
            if j < n and line[j] in _CONTINUES:
                continue
        elif i in skip or depth > 0:
            continue
        else:
            j = _after_closers(line, i + 1)
        _add(line, start, j, spans)
        start = j
    _add(line, start, n, spans)
    return spans


def _after_closers(line: str, j: int) -> int:
    n = len(line)
    while j < n and (line[j] in _ENDS or line[j] in _CLOSERS):
        j += 1
    return j


def _add(line: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and line[start].isspace():
        start += 1
    while end > start and line[end - 1].isspace():
        end -= 1
    if start < end:
        spans.append((start, end))
