"""Span matching within one label layer, written down once for agreement and the scorer.

The counts follow the SemEval-2013 scheme that nervaluate implements (correct, incorrect,
partial, missed, spurious), with one difference: pairs are chosen by the **best one-to-one
assignment**, not greedily in file order, so the result never depends on the order of the spans
(or of the types).

- *strict*: a predicted span is *correct* when a true span has the same start, end and type
  (exact matches are taken first, as a set intersection); the remaining predictions and true
  spans are paired by a maximum one-to-one matching of overlapping spans (*incorrect*); what is
  left is *spurious* (predictions) or *missed* (truth). F1 counts only correct spans.
- *partial*: type ignored; a pairing maximises the credit, 1 for the same boundaries
  (*correct*) and 1/2 for an overlap (*partial*), one-to-one.

Both layers hold non-overlapping spans (validated annotations, validated submissions), so the
overlap graph has no crossing pairs and the best assignment is an alignment of the two sorted
lists: a small dynamic programme, exact and deterministic (ties prefer the earlier pairs).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
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

    @property
    def actual(self) -> int:
        """Predicted spans."""
        return self.correct + self.incorrect + self.partial + self.spurious

    @property
    def possible(self) -> int:
        """True spans."""
        return self.correct + self.incorrect + self.partial + self.missed

    def prf(self, *, half_credit: bool) -> tuple[float, float, float]:
        hits = self.correct + (0.5 * self.partial if half_credit else 0.0)
        return prf(hits, self.actual, self.possible)


def prf(hits: float, actual: float, possible: float) -> tuple[float, float, float]:
    precision = hits / actual if actual else 0.0
    recall = hits / possible if possible else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def layer(spans: Iterable[Span], label: str) -> list[Span]:
    """The spans of one label, in schema order."""
    return sorted_spans(s for s in spans if s.label == label)


Weight = Callable[[Span, Span], float]


def _align(true: Sequence[Span], pred: Sequence[Span], weight: Weight) -> list[tuple[int, int]]:
    """The best one-to-one pairing (pred index, true index) of spans with weight > 0.

    Both lists are sorted by position and hold no overlapping spans, so an optimal pairing has
    no crossing pairs and this alignment finds it.
    """
    n, m = len(pred), len(true)
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            w = weight(pred[i - 1], true[j - 1])
            paired = best[i - 1][j - 1] + w if w > 0 else -1.0
            best[i][j] = max(paired, best[i - 1][j], best[i][j - 1])
    pairs: list[tuple[int, int]] = []
    i, j = n, m
    while i and j:
        w = weight(pred[i - 1], true[j - 1])
        if w > 0 and best[i][j] == best[i - 1][j - 1] + w:
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif best[i][j] == best[i - 1][j]:
            i -= 1
        else:
            j -= 1
    return pairs[::-1]


def _by_position(spans: Sequence[Span]) -> list[Span]:
    return sorted(spans, key=lambda s: (s.start, s.end, s.type or ""))


def match_strict(true: Sequence[Span], pred: Sequence[Span]) -> MatchCounts:
    exact = set(true) & set(pred)
    rest_true = _by_position([t for t in true if t not in exact])
    rest_pred = _by_position([p for p in pred if p not in exact])
    overlaps = _align(rest_true, rest_pred, lambda p, t: 1.0 if p.overlaps(t) else 0.0)
    return MatchCounts(
        correct=len(exact),
        incorrect=len(overlaps),
        missed=len(rest_true) - len(overlaps),
        spurious=len(rest_pred) - len(overlaps),
    )


def _partial_weight(p: Span, t: Span) -> float:
    if (p.start, p.end) == (t.start, t.end):
        return 1.0
    return 0.5 if p.overlaps(t) else 0.0


def match_partial(true: Sequence[Span], pred: Sequence[Span]) -> MatchCounts:
    t, p = _by_position(true), _by_position(pred)
    pairs = _align(t, p, _partial_weight)
    correct = sum(_partial_weight(p[i], t[j]) == 1.0 for i, j in pairs)
    return MatchCounts(
        correct=correct,
        partial=len(pairs) - correct,
        missed=len(t) - len(pairs),
        spurious=len(p) - len(pairs),
    )
