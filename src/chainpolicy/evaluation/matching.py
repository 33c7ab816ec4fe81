"""Span matching within one label layer: the SemEval-2013 counts nervaluate implements.

*strict*: the same start, end and type ("incorrect" when an overlapping true span differs);
*partial*: overlapping boundaries, type ignored, half credit for an inexact overlap. Counts are
summed over sentences (micro average). Both inter-annotator agreement and the scorer use these
functions; the tests check them against nervaluate.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from chainpolicy.records import Span, sorted_spans


@dataclass(slots=True)
class MatchCounts:
    correct: int = 0
    incorrect: int = 0
    partial: int = 0
    missed: int = 0
    spurious: int = 0

    def add(self, other: MatchCounts) -> None:
        self.correct += other.correct
        self.incorrect += other.incorrect
        self.partial += other.partial
        self.missed += other.missed
        self.spurious += other.spurious

    def prf(self, *, half_credit: bool) -> tuple[float, float, float]:
        actual = self.correct + self.incorrect + self.partial + self.spurious
        possible = self.correct + self.incorrect + self.partial + self.missed
        hits = self.correct + (0.5 * self.partial if half_credit else 0.0)
        precision = hits / actual if actual else 0.0
        recall = hits / possible if possible else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return precision, recall, f1


def layer(spans: Iterable[Span], label: str) -> list[Span]:
    """The spans of one label, in schema order (the order matching visits them)."""
    return sorted_spans(s for s in spans if s.label == label)


def match_strict(true: Sequence[Span], pred: Sequence[Span]) -> MatchCounts:
    """Exact boundaries and type; an overlapping miss is "incorrect" (nervaluate strict)."""
    counts, matched = MatchCounts(), set()
    for p in pred:
        exact = incorrect = None
        for i, t in enumerate(true):
            if i in matched:
                continue
            if t == p:
                exact = i
                break
            if incorrect is None and p.overlaps(t):
                incorrect = i
        if exact is not None:
            counts.correct += 1
            matched.add(exact)
        elif incorrect is not None:
            counts.incorrect += 1
            matched.add(incorrect)
        else:
            counts.spurious += 1
    counts.missed = len(true) - len(matched)
    return counts


def match_partial(true: Sequence[Span], pred: Sequence[Span]) -> MatchCounts:
    """Overlapping boundaries, type ignored, half credit if not exact (nervaluate partial)."""
    counts, matched = MatchCounts(), set()
    for p in pred:
        exact = partial = None
        for i, t in enumerate(true):
            if i in matched or not p.overlaps(t):
                continue
            if (t.start, t.end) == (p.start, p.end):
                exact = i
                break
            if partial is None:
                partial = i
        if exact is not None:
            counts.correct += 1
            matched.add(exact)
        elif partial is not None:
            counts.partial += 1
            matched.add(partial)
        else:
            counts.spurious += 1
    counts.missed = len(true) - len(matched)
    return counts
