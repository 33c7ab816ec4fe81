"""Adjudication: from the annotations of one sentence to its gold spans.

The policy (also in the dataset card):

1. One vote per annotator: if an annotator annotated the sentence more than once (two tasks, or
   the same annotation in several exports), only their most recent annotation counts (latest
   ``updated_at``, then the higher annotation id); the others are *superseded*.
2. An annotation marked ``ground_truth`` in Label Studio wins outright (the most recent one if
   several are marked): method ``ground_truth``.
3. A sentence seen by one annotator takes that annotation as it is: method ``single``.
4. Otherwise a span is gold when more than half of the annotators marked it exactly (same start,
   end, label and type): method ``majority``. A span marked by exactly half of them is gold when
   the most recent annotation has it (the tie-break). Every annotation is overlap-free, so this
   rule never adopts two spans that may not overlap: two such spans would need more than all
   annotators between them.

An annotation with no spans is a vote for "nothing here", so it counts like any other.

5. An annotation that lost any of its results to quarantine is *incomplete*: what its annotator
   marked is not fully known, so it is never a vote and never ground truth. A sentence whose gold
   would depend on one (an annotator's most recent annotation is incomplete, or the most recent
   ``ground_truth`` annotation is) gets no gold: it *needs review* (method ``none``), and the
   dataset marks it so. A complete ``ground_truth`` annotation still decides on its own.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from chainpolicy.records import Span, sorted_spans
from chainpolicy.schema import METHODS

Method = str  # one of schema.METHODS


@dataclass(frozen=True, slots=True)
class Vote:
    """One submitted annotation of a sentence, reduced to what adjudication needs."""

    annotation_id: int
    annotator: int | None
    ground_truth: bool
    recency: int  # microseconds since the epoch of updated_at (created_at); -1 if unknown
    spans: tuple[Span, ...]
    complete: bool = True  # False: some of its results were quarantined (rule 5)

    @property
    def order(self) -> tuple[int, int]:
        return self.recency, self.annotation_id

    @property
    def voter(self) -> tuple[str, int]:
        # An annotation without a known annotator is its own voter.
        return (
            ("user", self.annotator) if self.annotator is not None else ("anon", self.annotation_id)
        )


@dataclass(frozen=True, slots=True)
class Decision:
    spans: tuple[Span, ...]  # the gold spans, in schema order
    method: Method
    n_annotators: int
    needs_review: bool = False  # rule 5: no gold, the sentence needs review

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"unknown adjudication method {self.method!r}")

    @property
    def adjudicated(self) -> bool:
        return self.method in ("majority", "ground_truth") and self.n_annotators > 1


def one_per_annotator(votes: Sequence[Vote]) -> tuple[list[Vote], list[Vote]]:
    """(kept, superseded): the most recent vote of each annotator, ordered by annotator."""
    latest: dict[tuple[str, int], Vote] = {}
    for vote in votes:
        current = latest.get(vote.voter)
        if current is None or vote.order > current.order:
            latest[vote.voter] = vote
    kept = [latest[voter] for voter in sorted(latest)]
    kept_ids = {id(v) for v in kept}
    return kept, [v for v in votes if id(v) not in kept_ids]


def adjudicate(votes: Sequence[Vote]) -> Decision:
    """Gold spans from one vote per annotator (see the module docstring for the policy)."""
    if not votes:
        return Decision((), "none", 0)
    n = len(votes)
    truths = [v for v in votes if v.ground_truth]
    if truths:
        truth = max(truths, key=lambda v: v.order)
        if not truth.complete:
            return Decision((), "none", n, needs_review=True)
        return Decision(tuple(sorted_spans(truth.spans)), "ground_truth", n)
    if not all(v.complete for v in votes):
        return Decision((), "none", n, needs_review=True)
    if n == 1:
        return Decision(tuple(sorted_spans(votes[0].spans)), "single", 1)
    counts = Counter(key for vote in votes for key in set(vote.spans))
    latest = set(max(votes, key=lambda v: v.order).spans)
    gold = [
        key for key, count in counts.items() if 2 * count > n or (2 * count == n and key in latest)
    ]
    return Decision(tuple(sorted_spans(gold)), "majority", n)
