"""The text repairs: a table of (kind, step), run in order on a provenance-keeping ``Rope``.

Each step computes edits on the current text and applies them; every change it logs carries its
kind, which must be the step's own (checked: a kind that is not in the table can never vanish
from the repair counts). The kinds and their descriptions are the schema's ``REPAIR_KINDS``;
adding a repair is a kind there, a step here, and their tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from chainpolicy.corpus import footnotes, glosses, mojibake
from chainpolicy.corpus.rope import Change, Edit, Piece, Rope
from chainpolicy.schema import REPAIR_KINDS


@dataclass
class RepairState:
    """What the steps work on: the rope, the reviewed errata, the log, and what later stages
    need (the footnotes moved, and their logged moves)."""

    rope: Rope
    errata: list[Edit]
    changes: list[Change] = field(default_factory=list)
    notes: list[footnotes.Footnote] = field(default_factory=list)
    moves: list[Change] = field(default_factory=list)

    def apply(self, edits: list[Edit]) -> list[Change]:
        self.rope, log = self.rope.apply(edits)
        self.changes += log
        return log


def _errata(state: RepairState) -> None:
    # Reviewed exact replacements for damage no rule can undo (corpus/errata.py).
    state.apply(state.errata)


def _mojibake(state: RepairState) -> None:
    # Runs decoded one byte off; only those whose bytes all survived are re-aligned here.
    edits = []
    for run in mojibake.find_runs(state.rope.text):
        fixed = mojibake.realign(run.text)
        if fixed is not None:
            edits.append(Edit(start=run.start, end=run.end, after=fixed, kind="mojibake"))
    state.apply(edits)


def _glosses(state: RepairState) -> None:
    state.apply(glosses.find(state.rope.text))


def _footnotes(state: RepairState) -> None:
    notes = footnotes.find(state.rope.text)
    moved = [state.rope.slice_pieces(note.start, note.end) for note in notes]
    log = state.apply(
        [
            Edit(
                start=n.anchor_start,
                end=n.end,
                after="",
                kind="footnote_moved",
                note=f"footnote ({n.number}) moved to its own record at the end of the article",
            )
            for n in notes
        ]
    )
    # Footnotes go to the end of the article, one line each, verbatim from the raw text.
    appended: list[Piece] = []
    for pieces, change in zip(moved, log, strict=True):
        appended += [Piece("\n", change.raw_start, change.raw_start, "footnote_separator"), *pieces]
    if appended:
        state.rope = state.rope.concat(appended)
    state.notes, state.moves = notes, log


Step = Callable[[RepairState], None]
REPAIRS: Final[tuple[tuple[str, Step], ...]] = (
    ("erratum", _errata),
    ("mojibake", _mojibake),
    ("pinyin_gloss", _glosses),
    ("footnote_moved", _footnotes),
)
if tuple(kind for kind, _ in REPAIRS) != tuple(REPAIR_KINDS):
    raise AssertionError("corpus.repairs.REPAIRS and schema.REPAIR_KINDS list different kinds")


def run(raw: str, errata: list[Edit]) -> RepairState:
    """Every repair step in order on the raw text (which is never modified)."""
    state = RepairState(Rope.from_raw(raw), errata)
    for kind, step in REPAIRS:
        before = len(state.changes)
        step(state)
        wrong = {c.kind for c in state.changes[before:]} - {kind}
        if wrong:
            raise AssertionError(f"repair step {kind!r} logged changes of kind(s) {wrong}")
    return state


def counts(changes: list[Change]) -> dict[str, int]:
    """Changes per repair kind, every kind listed, in table order."""
    out = dict.fromkeys(REPAIR_KINDS, 0)
    for change in changes:
        out[change.kind] += 1  # a kind outside the table is a KeyError, never dropped
    return out
