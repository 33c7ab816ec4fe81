"""Text that remembers where every character came from in the raw source.

A ``Rope`` is a list of pieces. A *copy* piece is a verbatim slice ``raw[raw_start:raw_end]``; an
*edit* piece is text written by a repair step and stands for the whole raw range it replaced. Every
repair step is an edit on the current text, so after any number of steps each character of the
cleaned text still maps back to exact raw offsets, and the edits themselves form the repair log.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from itertools import accumulate
from typing import NamedTuple


class Piece(NamedTuple):
    # NamedTuples, not dataclasses: repairs make millions of these on big corpora, and a tuple
    # is several times cheaper to create.
    text: str
    raw_start: int
    raw_end: int
    kind: str | None = None  # None: verbatim copy of the raw range; else the repair kind


class Edit(NamedTuple):
    """One change requested by a repair step, in the coordinates of the text it was computed on."""

    start: int
    end: int
    after: str
    kind: str
    note: str = ""


class Change(NamedTuple):
    """One logged change, in raw coordinates."""

    kind: str
    raw_start: int
    raw_end: int
    before: str
    after: str
    note: str = ""

    def model_dump(self) -> dict[str, object]:
        return dict(self._asdict())


class Rope:
    def __init__(self, raw: str, pieces: Sequence[Piece]) -> None:
        self.raw = raw
        self.pieces: list[Piece] = [p for p in pieces if p.text]
        ends = list(accumulate(map(len, [p.text for p in self.pieces])))
        self._starts: list[int] = [0, *ends[:-1]] if ends else []
        self.length = ends[-1] if ends else 0
        self._text: str | None = None

    @classmethod
    def from_raw(cls, raw: str) -> Rope:
        return cls(raw, [Piece(raw, 0, len(raw))] if raw else [])

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = "".join([p.text for p in self.pieces])
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
        if not ordered:
            return self, []  # a rope never changes in place: sharing it is safe
        fast = self._apply_inside_copies(ordered)
        if fast is None:
            return self._apply_general(ordered)
        rope, changes, deferred = fast
        if not deferred:
            return rope, [change for _, change in changes]
        # The rest touch earlier repairs: apply them, moved to the new coordinates, by the
        # general path, and log every change in the order of its edit (as one pass would).
        shifted, moved, removed, k = [], [], 0, 0
        done = [(ordered[i].start, ordered[i].end, len(ordered[i].after)) for i, _ in changes]
        for i in deferred:
            edit = ordered[i]
            while k < len(done) and done[k][1] <= edit.start:
                removed += done[k][1] - done[k][0] - done[k][2]
                k += 1
            shifted.append(edit._replace(start=edit.start - removed, end=edit.end - removed))
            moved.append(i)
        rope, more = rope._apply_general(shifted)
        logged = changes + list(zip(moved, more, strict=True))
        return rope, [change for _, change in sorted(logged, key=lambda item: item[0])]

    def _apply_inside_copies(
        self, ordered: list[Edit]
    ) -> tuple[Rope, list[tuple[int, Change]], list[int]] | None:
        """The common case, piece by piece: edits that replace a non-empty range inside one
        verbatim piece, which never widen or merge. Returns the new rope, their changes (with
        the index of their edit) and the indices of the other edits (those touching an earlier
        repair, left for the general path); ``None`` when the general path must do it all
        (bad or overlapping edits, which it refuses, or insertions, whose raw anchor depends on
        the removal before them).
        """
        pieces, starts, raw, length = self.pieces, self._starts, self.raw, self.length
        # Which piece each edit falls in; an edit outside one verbatim piece is deferred.
        # (Fields by index: a NamedTuple's attribute lookup costs more, and this runs per gloss.)
        by_piece: dict[int, list[int]] = {}
        deferred: list[int] = []
        previous_end = -1
        for number, edit in enumerate(ordered):
            start, end = edit[0], edit[1]
            if not 0 <= start < end <= length or start < previous_end:
                return None
            previous_end = end
            index = bisect_right(starts, start) - 1
            piece = pieces[index]
            if piece[3] is None and end <= starts[index] + len(piece[0]):
                if index in by_piece:
                    by_piece[index].append(number)
                else:
                    by_piece[index] = [number]
            else:
                deferred.append(number)
        # tuple.__new__ makes the NamedTuples without their Python-level __new__: these run once
        # per gloss, millions of times on a big corpus.
        make = tuple.__new__
        out: list[Piece] = []
        changes: list[tuple[int, Change]] = []
        copied = 0  # pieces before this index are in ``out`` already
        for index, numbers in by_piece.items():
            out += pieces[copied:index]
            copied = index + 1
            text, raw_start = pieces[index][0], pieces[index][1]
            shift = raw_start - starts[index]  # clean offset -> raw offset inside this piece
            edits = [ordered[n] for n in numbers]
            cuts = [(e[0] + shift, e[1] + shift) for e in edits]  # raw ranges
            local = raw_start
            for edit, (lo, hi) in zip(edits, cuts, strict=True):
                if lo > local:
                    out.append(
                        make(Piece, (text[local - raw_start : lo - raw_start], local, lo, None))
                    )
                if edit[2]:
                    out.append(make(Piece, (edit[2], lo, hi, edit[3])))
                local = hi
            if local < raw_start + len(text):
                out.append(
                    make(Piece, (text[local - raw_start :], local, raw_start + len(text), None))
                )
            changes += [
                (n, make(Change, (e[3], lo, hi, raw[lo:hi], e[2], e[4])))
                for n, e, (lo, hi) in zip(numbers, edits, cuts, strict=True)
            ]
        out += pieces[copied:]
        # No merge needed: every cut is next to a removed raw range, and the pieces were merged.
        return Rope(self.raw, out), changes, deferred

    def _apply_general(self, ordered: list[Edit]) -> tuple[Rope, list[Change]]:
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
                walk.fresh.append(len(walk.out))
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
        return Rope(self.raw, _merge_at(walk.out, walk.fresh)), changes

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
        # Only the new pieces can merge (with each other or with the last piece before them).
        head = len(self.pieces)
        merged = _merge_at([*self.pieces, *other_pieces], range(head, head + len(other_pieces)))
        return Rope(self.raw, merged)

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
        self.fresh: list[int] = []  # indices in ``out`` of pieces made here (cut or new)

    def copy_until(self, pos: int) -> None:
        while self.cursor < pos:
            piece, base = self.pieces[self.index], self.starts[self.index]
            piece_end = base + len(piece.text)
            if self.cursor == base and pos >= piece_end:
                # Whole pieces before ``pos``, copied as one slice (most of a big rope).
                pieces, starts = self.pieces, self.starts
                last = bisect_right(starts, pos) - 1  # the last piece starting at or before pos
                whole = starts[last] == pos or starts[last] + len(pieces[last].text) <= pos
                stop = last + 1 if whole and starts[last] != pos else last
                self.out.extend(pieces[self.index : stop])
                self.index = stop
                self.cursor = starts[stop] if stop < len(pieces) else pos
                continue
            lo, hi = self.cursor - base, min(pos, piece_end) - base
            if lo == 0 and hi == len(piece.text):
                self.out.append(piece)
            else:  # only copy pieces are cut: edits were widened to whole repairs
                self.fresh.append(len(self.out))
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


def _rest(piece: Piece, lo: int) -> Piece:
    """The verbatim piece from offset ``lo`` of its text on."""
    return Piece(piece.text[lo:], piece.raw_start + lo, piece.raw_end)


def _merge_at(pieces: list[Piece], fresh: Iterable[int]) -> list[Piece]:
    """``_merge``, looking only at the junctions next to the pieces at ``fresh`` indices: runs
    of pieces taken whole from a merged rope need no merging among themselves."""
    candidates = sorted({j for i in fresh for j in (i, i + 1) if 0 < j < len(pieces)})
    if not any(_mergeable(pieces[j - 1], pieces[j]) or not pieces[j].text for j in candidates):
        return [p for p in pieces if p.text]
    return _merge(pieces)


def _mergeable(left: Piece, right: Piece) -> bool:
    return left.kind is None and right.kind is None and left.raw_end == right.raw_start


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
