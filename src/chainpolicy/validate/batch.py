"""Pass 2's decisions for a block of consecutive sentences, column-wise.

A sentence with exactly one stored annotation (the common case: one annotator per task) is
decided with array operations under the policy of ``validate.adjudicate`` for a single vote: a
complete annotation is the gold (method ``ground_truth`` if it is marked so, else ``single``), an
incomplete one makes the sentence need review (method ``none``). Every other sentence with
annotations goes through ``decide`` itself, so the policy has one implementation for the hard
cases; the tests compare the two paths on every shape of input.

Spans travel as ``FlatSpans``: parallel integer columns (owner, start, end, label index, type
index or -1, results), sorted by owner and then in schema order (``Span.key``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from chainpolicy.records import Span
from chainpolicy.schema import LABEL_INDEX, METHODS, STATUSES, TYPE_INDEX, VOTE_STATUSES
from chainpolicy.validate.adjudicate import Vote
from chainpolicy.validate.decide import SentenceDecision, decide
from chainpolicy.validate.store import AnnotationColumns, SpanColumns, StoredAnnotation

Ints = npt.NDArray[np.int64]

_METHOD = {name: i for i, name in enumerate(METHODS)}
_STATUS = {name: i for i, name in enumerate(STATUSES)}
_VOTE = {name: i for i, name in enumerate(VOTE_STATUSES)}


@dataclass(frozen=True)
class FlatSpans:
    owner: Ints  # the row (or vote) each span belongs to
    start: Ints
    end: Ints
    label: Ints  # schema label index
    type: Ints  # schema type index, -1 for none
    results: Ints  # valid results the span accounts for

    def __len__(self) -> int:
        return len(self.owner)

    @classmethod
    def empty(cls) -> FlatSpans:
        none = np.zeros(0, dtype=np.int64)
        return cls(none, none, none, none, none, none)

    @classmethod
    def of(cls, owners: Sequence[int], spans: Sequence[Sequence[Span]]) -> FlatSpans:
        """From Python spans (the ``decide`` path): ``spans[i]`` belongs to ``owners[i]``."""
        rows = [
            (owner, *span.key, 1)
            for owner, group in zip(owners, spans, strict=True)
            for span in group
        ]
        if not rows:
            return cls.empty()
        table = np.array(rows, dtype=np.int64).reshape(-1, 6)
        return cls(*(table[:, i] for i in range(6)))

    @classmethod
    def packed(cls, spans: SpanColumns, rows: Ints, owners: Ints) -> FlatSpans:
        """The packed spans of store rows ``rows``, owned by ``owners`` (one per row)."""
        sizes = spans.offsets[rows + 1] - spans.offsets[rows]
        take = _ranges(spans.offsets[rows], sizes)
        values = spans.values[take].astype(np.int64)
        return cls(
            np.repeat(owners, sizes),
            values[:, 0],
            values[:, 1],
            values[:, 2],
            values[:, 3],
            values[:, 4],
        )

    def take(self, keep: npt.NDArray[np.bool_]) -> FlatSpans:
        return FlatSpans(*(column[keep] for column in self._columns()))

    def sorted(self) -> FlatSpans:
        """By owner, then in schema order (start, end, label, type)."""
        order = np.lexsort((self.type, self.label, self.end, self.start, self.owner))
        return FlatSpans(*(column[order] for column in self._columns()))

    def renumbered(self, new_owner: Ints) -> FlatSpans:
        """Owners mapped through ``new_owner`` and re-sorted (stable within an owner)."""
        owner = new_owner[self.owner]
        order = np.argsort(owner, kind="stable")
        columns = (owner, *self._columns()[1:])
        return FlatSpans(*(column[order] for column in columns))

    @staticmethod
    def concat(parts: Sequence[FlatSpans]) -> FlatSpans:
        parts = [p for p in parts if len(p)]
        if not parts:
            return FlatSpans.empty()
        columns = [np.concatenate(c) for c in zip(*(p._columns() for p in parts), strict=True)]
        return FlatSpans(*columns)

    def _columns(self) -> tuple[Ints, ...]:
        return (self.owner, self.start, self.end, self.label, self.type, self.results)

    def counts(self, owners: int) -> Ints:
        """Spans per owner ``0 .. owners-1``."""
        return np.bincount(self.owner, minlength=owners).astype(np.int64)


@dataclass(frozen=True)
class Votes:
    """The annotations config's rows of a block: every annotation's newest copy, sorted by
    sentence, then as ``SentenceDecision.votes``."""

    row: Ints  # the sentence's row in the block
    annotation_id: Ints
    annotator: Ints
    anonymous: npt.NDArray[np.bool_]
    ground_truth: npt.NDArray[np.bool_]
    task_id: Ints
    status: Ints  # VOTE_STATUSES index
    recency: Ints  # -1: unknown
    spans: FlatSpans  # owner = vote number in this block

    def __len__(self) -> int:
        return len(self.row)


@dataclass
class BlockDecision:
    """Everything pass 2 needs about the sentences ``lo .. lo+n-1``."""

    status: Ints  # STATUSES index per row
    method: Ints  # METHODS index per row
    n_annotators: Ints
    gold: FlatSpans  # owner = row
    votes: Votes
    outcomes: Counter[str] = field(default_factory=Counter)
    superseded: int = 0
    excluded_results: int = 0  # valid results of cross-split duplicates, left out
    gold_seen: bool = False  # some sentence got gold
    # (row, kept votes) of sentences with several annotators, for the agreement
    agreement: list[tuple[int, tuple[Vote, ...]]] = field(default_factory=list)


def decide_block(
    lo: int,
    n: int,
    rows: AnnotationColumns,
    annotatable: npt.NDArray[np.bool_],
    excluded: npt.NDArray[np.bool_],
) -> BlockDecision:
    """Decide sentences ``lo .. lo+n-1`` from their stored annotations ``rows`` (all of them, in
    store order). ``excluded`` rows (cross-split duplicates) get no decision; their results are
    counted in ``excluded_results``."""
    local = rows.sentence - lo
    per_sentence = np.bincount(local, minlength=n)
    results = _results_per_row(rows.spans)
    kept_row = ~excluded[local]
    single = kept_row & (per_sentence[local] == 1)
    several = kept_row & (per_sentence[local] > 1)

    method = np.full(n, _METHOD["none"], dtype=np.int64)
    n_annotators = np.zeros(n, dtype=np.int64)
    review = np.zeros(n, dtype=bool)
    out = BlockDecision(
        status=np.zeros(n, dtype=np.int64),
        method=method,
        n_annotators=n_annotators,
        gold=FlatSpans.empty(),
        votes=_no_votes(),
    )
    out.excluded_results = int(results[~kept_row].sum())

    # One annotation: rule 5 (incomplete -> review), else rule 2 or 3.
    one = np.flatnonzero(single)
    one_rows = local[one]
    complete = rows.complete[one]
    truth = rows.ground_truth[one]
    n_annotators[one_rows] = 1
    method[one_rows] = np.where(
        complete, np.where(truth, _METHOD["ground_truth"], _METHOD["single"]), _METHOD["none"]
    )
    review[one_rows] = ~complete
    out.outcomes["adopted"] += int(results[one[complete]].sum())
    out.outcomes["held_for_review"] += int(results[one[~complete]].sum())
    out.gold_seen = bool(complete.any())
    one_spans = FlatSpans.packed(rows.spans, one, one_rows).sorted()
    gold_parts = [one_spans.take(~review[one_spans.owner])]
    vote_status = np.where(complete, _VOTE["counted"], _VOTE["incomplete"])
    vote_parts: list[_VoteBlock] = [
        _VoteBlock(
            one_rows,
            rows.annotation_id[one],
            rows.annotator[one],
            rows.anonymous[one],
            truth,
            rows.task_id[one],
            vote_status,
            rows.recency[one],
            FlatSpans.packed(rows.spans, one, np.arange(len(one))).sorted(),
        )
    ]

    # Several annotations: the full policy.
    many = np.flatnonzero(several)
    if len(many):
        groups = np.split(many, np.flatnonzero(np.diff(local[many])) + 1)
        decided: list[tuple[int, SentenceDecision]] = []
        for group in groups:
            row = int(local[group[0]])
            decided.append((row, decide([rows.stored(int(i)) for i in group])))
        gold_rows, vote_block = _from_decisions(decided, out, method, n_annotators, review)
        gold_parts.append(gold_rows)
        vote_parts.append(vote_block)

    out.gold = FlatSpans.concat(gold_parts).renumbered(np.arange(n))
    out.votes = _VoteBlock.merge(vote_parts)
    out.status = _statuses(annotatable, review, method, out.gold.counts(n))
    return out


def _from_decisions(
    decided: Sequence[tuple[int, SentenceDecision]],
    out: BlockDecision,
    method: Ints,
    n_annotators: Ints,
    review: npt.NDArray[np.bool_],
) -> tuple[FlatSpans, _VoteBlock]:
    gold_owners: list[int] = []
    gold_spans: list[Sequence[Span]] = []
    votes: list[tuple[int, Vote, str, int]] = []
    for row, d in decided:
        decision = d.decision
        method[row] = _METHOD[decision.method]
        n_annotators[row] = decision.n_annotators
        review[row] = d.needs_review
        out.outcomes.update(d.outcomes)
        out.superseded += d.superseded
        out.gold_seen = out.gold_seen or (bool(d.kept) and not d.needs_review)
        if not d.needs_review:
            out.agreement.append((row, d.kept))
        gold_owners.append(row)
        gold_spans.append(decision.spans)
        votes += [
            (row, v, d.vote_status[v.annotation_id], d.task_of[v.annotation_id]) for v in d.votes
        ]
    block = _VoteBlock(
        np.array([v[0] for v in votes], dtype=np.int64),
        np.array([v[1].annotation_id for v in votes], dtype=np.int64),
        np.array([v[1].annotator or 0 for v in votes], dtype=np.int64),
        np.array([v[1].annotator is None for v in votes], dtype=bool),
        np.array([v[1].ground_truth for v in votes], dtype=bool),
        np.array([v[3] for v in votes], dtype=np.int64),
        np.array([_VOTE[v[2]] for v in votes], dtype=np.int64),
        np.array([v[1].recency for v in votes], dtype=np.int64),
        # results per span are not needed for votes (1 each)
        FlatSpans.of(range(len(votes)), [v[1].spans for v in votes]).sorted(),
    )
    return FlatSpans.of(gold_owners, gold_spans), block


@dataclass(frozen=True)
class _VoteBlock:
    row: Ints
    annotation_id: Ints
    annotator: Ints
    anonymous: npt.NDArray[np.bool_]
    ground_truth: npt.NDArray[np.bool_]
    task_id: Ints
    status: Ints
    recency: Ints
    spans: FlatSpans  # owner = vote number within this block

    @staticmethod
    def merge(parts: Sequence[_VoteBlock]) -> Votes:
        """One ``Votes``: sorted by row (stable: a sentence's votes keep their order)."""
        base = 0
        shifted: list[FlatSpans] = []
        for part in parts:
            s = part.spans
            shifted.append(FlatSpans(s.owner + base, s.start, s.end, s.label, s.type, s.results))
            base += len(part.row)

        def cat(name: str) -> npt.NDArray[Any]:
            return np.concatenate([getattr(p, name) for p in parts])

        row = cat("row").astype(np.int64)
        order = np.argsort(row, kind="stable")
        position = np.empty(len(order), dtype=np.int64)
        position[order] = np.arange(len(order))
        return Votes(
            row=row[order],
            annotation_id=cat("annotation_id")[order],
            annotator=cat("annotator")[order],
            anonymous=cat("anonymous")[order],
            ground_truth=cat("ground_truth")[order],
            task_id=cat("task_id")[order],
            status=cat("status")[order],
            recency=cat("recency")[order],
            spans=FlatSpans.concat(shifted).renumbered(position),
        )


def _no_votes() -> Votes:
    none = np.zeros(0, dtype=np.int64)
    flags = np.zeros(0, dtype=bool)
    return Votes(none, none, none, flags, flags, none, none, none, FlatSpans.empty())


def _statuses(
    annotatable: npt.NDArray[np.bool_],
    review: npt.NDArray[np.bool_],
    method: Ints,
    gold_counts: Ints,
) -> Ints:
    """The record status: the same rule as one sentence at a time (not annotatable, needs
    review, not annotated, annotated, annotated but empty)."""
    status = np.where(gold_counts > 0, _STATUS["annotated"], _STATUS["annotated_empty"])
    status = np.where(method == _METHOD["none"], _STATUS["not_annotated"], status)
    status = np.where(review, _STATUS["needs_review"], status)
    return np.where(annotatable, status, _STATUS["not_annotatable"]).astype(np.int64)


def _results_per_row(spans: SpanColumns) -> Ints:
    """Valid results per store row (the sum of its spans' result counts)."""
    if not len(spans.values):
        return np.zeros(len(spans.offsets) - 1, dtype=np.int64)
    totals = np.concatenate(([0], np.cumsum(spans.values[:, 4], dtype=np.int64)))
    return totals[spans.offsets[1:]] - totals[spans.offsets[:-1]]


def _ranges(starts: Ints, sizes: Ints) -> Ints:
    """The indices ``starts[i] .. starts[i] + sizes[i] - 1`` for every i, concatenated."""
    total = int(sizes.sum())
    if not total:
        return np.zeros(0, dtype=np.int64)
    shift = np.repeat(starts - (np.cumsum(sizes) - sizes), sizes)
    return np.arange(total, dtype=np.int64) + shift


def span_key(label: str, type_: str | None) -> tuple[int, int]:
    """Schema indices of a label and type (-1: none), as ``FlatSpans`` holds them."""
    return LABEL_INDEX[label], -1 if type_ is None else TYPE_INDEX[type_]


__all__ = ["BlockDecision", "FlatSpans", "StoredAnnotation", "Votes", "decide_block", "span_key"]
