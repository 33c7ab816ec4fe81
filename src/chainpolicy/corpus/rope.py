"""Text that remembers where every character came from in the raw source.

A ``Rope`` is a list of pieces. A *copy* piece is a verbatim slice ``raw[raw_start:raw_end]``; an
*edit* piece is text written by a repair step and stands for the whole raw range it replaced. Every
repair step is an edit on the current text, so after any number of steps each character of the
cleaned text still maps back to exact raw offsets, and the edits themselves form the repair log.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass


@dataclass(frozen=True, slots=True)
class Piece:
    text: str
    raw_start: int
    raw_end: int
    kind: str | None = None  # None: verbatim copy of the raw range; else the repair kind


@dataclass(frozen=True, slots=True, kw_only=True)
class Edit:
    """One change requested by a repair step, in the coordinates of the text it was computed on."""

    start: int
    end: int
    after: str
    kind: str
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Change:
    """One logged change, in raw coordinates."""

    kind: str
    raw_start: int
    raw_end: int
    before: str
    after: str
    note: str = ""

    def model_dump(self) -> dict[str, object]:
        return asdict(self)


class Rope:
    def __init__(self, raw: str, pieces: Sequence[Piece]) -> None:
        self.raw = raw
        self.pieces: list[Piece] = [p for p in pieces if p.text]
        self._starts: list[int] = []
        pos = 0
        for piece in self.pieces:
            self._starts.append(pos)
            pos += len(piece.text)
        self.length = pos
        self._text: str | None = None

    @classmethod
    def from_raw(cls, raw: str) -> Rope:
        return cls(raw, [Piece(raw, 0, len(raw))] if raw else [])

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = "".join(p.text for p in self.pieces)
        return self._text

    def _locate(self, offset: int) -> int:
        """Index of the piece holding character ``offset`` (offset < length)."""
        return bisect_right(self._starts, offset) - 1

    def raw_span(self, start: int, end: int) -> tuple[int, int]:
        """Raw ``[start, end)`` covering cleaned ``[start, end)`` (end > start).

        A boundary inside an edit piece widens to the whole raw range the edit replaced.
        """
        first = self.pieces[self._locate(start)]
        last = self.pieces[self._locate(end - 1)]
        i, j = self._locate(start), self._locate(end - 1)
        raw_start = first.raw_start + (start - self._starts[i] if first.kind is None else 0)
        raw_end = last.raw_start + (end - self._starts[j]) if last.kind is None else last.raw_end
        return raw_start, raw_end

    def slice_pieces(self, start: int, end: int) -> list[Piece]:
        """Pieces of cleaned ``[start, end)``: copy pieces cut exactly, edit pieces kept whole."""
        if start >= end:
            return []
        out: list[Piece] = []
        for idx in range(self._locate(start), self._locate(end - 1) + 1):
            piece, base = self.pieces[idx], self._starts[idx]
            lo, hi = max(start, base) - base, min(end, base + len(piece.text)) - base
            if piece.kind is None:
                out.append(Piece(piece.text[lo:hi], piece.raw_start + lo, piece.raw_start + hi))
            else:
                out.append(piece)
        return out

    def apply(self, edits: Iterable[Edit]) -> tuple[Rope, list[Change]]:
        """Apply non-overlapping edits (current-text coordinates); return new rope and the log.

        An edit that touches an earlier repair is widened to that whole repair (a repair is never
        cut in two), and edits that then share a repair become one edit piece; each is still
        logged on its own.
        """
        ordered = sorted(edits, key=lambda e: (e.start, e.end))
        groups: list[tuple[int, int, list[Edit]]] = []
        previous_end = -1
        for edit in ordered:
            if not 0 <= edit.start <= edit.end <= self.length:
                raise ValueError(f"edit out of range: {edit!r}")
            if edit.start < previous_end:
                raise ValueError(f"overlapping edits at {edit.start}: {edit!r}")
            previous_end = edit.end
            start, end = self._widen(edit.start, edit.end)
            if groups and start < groups[-1][1]:
                group_start, group_end, members = groups.pop()
                groups.append((group_start, max(end, group_end), [*members, edit]))
            else:
                groups.append((start, end, [edit]))

        text = self.text
        walk = _Walk(self)
        changes: list[Change] = []
        for start, end, members in groups:
            walk.copy_until(start)
            if start == end:  # pure insertion: anchor it to the raw position at that point
                raw_start = raw_end = self.raw_span(start - 1, start)[1] if start else 0
            else:
                raw_start, raw_end = walk.skip_until(end)
            parts, pos = [], start
            for edit in members:
                parts += [text[pos : edit.start], edit.after]
                pos = edit.end
            parts.append(text[pos:end])
            after = "".join(parts)
            if after:
                kinds = sorted({e.kind for e in members})
                walk.out.append(Piece(after, raw_start, raw_end, "+".join(kinds)))
            exact = len(members) == 1 and (start, end) == (members[0].start, members[0].end)
            for edit in members:
                changes.append(
                    Change(
                        kind=edit.kind,
                        raw_start=raw_start,
                        raw_end=raw_end,
                        before=self.raw[raw_start:raw_end]
                        if exact
                        else text[edit.start : edit.end],
                        after=edit.after if not exact else after,
                        note=edit.note
                        if exact
                        else f"{edit.note} (inside an earlier repair)".strip(),
                    )
                )
        walk.copy_until(self.length)
        return Rope(self.raw, _merge(walk.out)), changes

    def _widen(self, start: int, end: int) -> tuple[int, int]:
        """Grow [start, end) to whole edit pieces so an earlier repair is never cut in two."""
        if start < self.length:
            i = self._locate(start)
            if self.pieces[i].kind is not None and self._starts[i] < start:
                start = self._starts[i]
        if 0 < end < self.length:
            j = self._locate(end - 1)
            piece_end = self._starts[j] + len(self.pieces[j].text)
            if self.pieces[j].kind is not None and piece_end > end:
                end = piece_end
        return start, end

    def concat(self, other_pieces: Sequence[Piece]) -> Rope:
        return Rope(self.raw, _merge([*self.pieces, *other_pieces]))

    def check(self) -> None:
        """Every copy piece must equal its raw slice (the provenance invariant)."""
        for piece in self.pieces:
            if piece.kind is None and self.raw[piece.raw_start : piece.raw_end] != piece.text:
                raise AssertionError(f"copy piece does not match raw at {piece.raw_start}")


class _Walk:
    """One pass over a rope's pieces: copy up to an offset, or skip a range and report its raw span.

    Edits arrive sorted, so applying them is linear in pieces + edits (no search per edit).
    """

    def __init__(self, rope: Rope) -> None:
        self.pieces, self.starts = rope.pieces, rope._starts
        self.index, self.cursor = 0, 0
        self.out: list[Piece] = []

    def copy_until(self, pos: int) -> None:
        while self.cursor < pos:
            piece, base = self.pieces[self.index], self.starts[self.index]
            piece_end = base + len(piece.text)
            lo, hi = self.cursor - base, min(pos, piece_end) - base
            if lo == 0 and hi == len(piece.text):
                self.out.append(piece)
            else:  # only copy pieces are cut: edits were widened to whole repairs
                self.out.append(
                    Piece(piece.text[lo:hi], piece.raw_start + lo, piece.raw_start + hi)
                )
            self.cursor = base + hi
            if self.cursor == piece_end:
                self.index += 1

    def skip_until(self, pos: int) -> tuple[int, int]:
        """Skip ``[cursor, pos)``; return the raw range it covers."""
        piece, base = self.pieces[self.index], self.starts[self.index]
        raw_start = piece.raw_start + (self.cursor - base if piece.kind is None else 0)
        while True:
            piece, base = self.pieces[self.index], self.starts[self.index]
            piece_end = base + len(piece.text)
            if pos <= piece_end:
                raw_end = piece.raw_start + (pos - base) if piece.kind is None else piece.raw_end
                self.cursor = pos
                if pos == piece_end:
                    self.index += 1
                return raw_start, raw_end
            self.index += 1


def _merge(pieces: list[Piece]) -> list[Piece]:
    """Join adjacent copy pieces that are also adjacent in the raw text."""
    out: list[Piece] = []
    for piece in pieces:
        if not piece.text:
            continue
        if (
            out
            and piece.kind is None
            and out[-1].kind is None
            and out[-1].raw_end == piece.raw_start
        ):
            prev = out.pop()
            piece = Piece(prev.text + piece.text, prev.raw_start, piece.raw_end)
        out.append(piece)
    return out
