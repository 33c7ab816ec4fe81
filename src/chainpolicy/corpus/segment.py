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


def _split(line: str, skip: frozenset[int], *, respect_quotes: bool) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start, depth, i, n = 0, 0, 0, len(line)
    while i < n:
        char = line[i]
        if respect_quotes and char in _OPEN:
            depth += 1
        elif respect_quotes and char in _CLOSE:
            depth = max(0, depth - 1)
            # “...。” closes a quoted sentence: the sentence ends after the closing mark.
            closes_sentence = depth == 0 and i > 0 and line[i - 1] in _ENDS and i - 1 not in skip
            j = i + 1
            while j < n and (line[j] in _ENDS or line[j] in _CLOSERS):
                j += 1
            # ...but not when the outer sentence goes on: 提出“要发展。”的要求
            if closes_sentence and (j == n or line[j] not in _CONTINUES):
                _add(line, start, j, spans)
                start, i = j, j
                continue
        if char in _ENDS and i not in skip and depth == 0:
            j = i + 1
            while j < n and (line[j] in _ENDS or line[j] in _CLOSERS):
                j += 1
            _add(line, start, j, spans)
            start, i = j, j
            continue
        i += 1
    _add(line, start, n, spans)
    return spans


def _add(line: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and line[start].isspace():
        start += 1
    while end > start and line[end - 1].isspace():
        end -= 1
    if start < end:
        spans.append((start, end))
