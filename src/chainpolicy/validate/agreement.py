"""Inter-annotator agreement on sentences with two or more annotators, per label layer.

- Pairwise span F1, for every pair of annotators of a sentence (the lower annotator id plays
  "reference"), counts summed over all pairs (micro average). The matching is the SemEval-2013
  scheme as implemented by nervaluate (tests check against it): *strict* needs the same start,
  end and type; *partial* needs overlapping boundaries (type ignored) and gives half credit to a
  partial overlap.
- Krippendorff's alpha (nominal) on characters: every character of a multiply annotated sentence
  is a unit, each annotator's value is the type of the span covering it in this layer (the label
  for untyped labels) or "O". Alpha is chance-corrected and allows any number of annotators per
  sentence.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations, pairwise

from pydantic import BaseModel

from chainpolicy.schema import LABEL_NAMES
from chainpolicy.validate.adjudicate import SpanKey, Vote

Span = tuple[int, int, int]  # start, end, category (type index, or -1 for untyped labels)


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


def _overlap(a: Span, b: Span) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def match_strict(true: Sequence[Span], pred: Sequence[Span]) -> MatchCounts:
    """Exact boundaries and category; an overlapping miss is "incorrect" (nervaluate strict)."""
    counts, matched = MatchCounts(), set()
    for p in pred:
        exact = incorrect = None
        for i, t in enumerate(true):
            if i in matched:
                continue
            if t == p:
                exact = i
                break
            if incorrect is None and _overlap(p, t):
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
    """Overlapping boundaries, category ignored, half credit if not exact (nervaluate partial)."""
    counts, matched = MatchCounts(), set()
    for p in pred:
        exact = partial = None
        for i, t in enumerate(true):
            if i in matched or not _overlap(p, t):
                continue
            if t[:2] == p[:2]:
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


def layer_spans(spans: Sequence[SpanKey], label: int) -> list[Span]:
    return sorted((s, e, t) for s, e, lab, t in spans if lab == label)


@dataclass(slots=True)
class LayerAgreement:
    strict: MatchCounts = field(default_factory=MatchCounts)
    partial: MatchCounts = field(default_factory=MatchCounts)
    pairs: int = 0
    # Krippendorff coincidences, accumulated from segments of constant values.
    coincidence: dict[tuple[int, int], float] = field(default_factory=lambda: defaultdict(float))

    def add_unit_values(self, values: Sequence[int], weight: int) -> None:
        m = len(values)
        if m < 2:
            return
        for i, c in enumerate(values):
            for j, k in enumerate(values):
                if i != j:
                    self.coincidence[c, k] += weight / (m - 1)

    def alpha(self) -> float | None:
        totals: dict[int, float] = defaultdict(float)
        for (c, _k), value in self.coincidence.items():
            totals[c] += value
        n = sum(totals.values())
        observed = sum(v for (c, k), v in self.coincidence.items() if c != k)
        expected = sum(totals[c] * totals[k] for c in totals for k in totals if c != k)
        if n <= 1 or expected == 0:
            return None  # one category only: agreement is undefined, not perfect
        return 1.0 - (n - 1) * observed / expected


class LayerReport(BaseModel):
    label: str
    pairs: int
    strict_precision: float
    strict_recall: float
    strict_f1: float
    partial_f1: float
    alpha: float | None
    characters: int


class AgreementReport(BaseModel):
    sentences: int  # sentences with two or more annotators
    annotators: int
    layers: list[LayerReport]


@dataclass
class Agreement:
    """Accumulates agreement sentence by sentence (memory independent of the corpus size)."""

    layers: list[LayerAgreement] = field(
        default_factory=lambda: [LayerAgreement() for _ in LABEL_NAMES]
    )
    sentences: int = 0
    annotators: set[tuple[str, int]] = field(default_factory=set)
    characters: int = 0

    def add(self, text_length: int, votes: Sequence[Vote]) -> None:
        """One sentence, one vote per annotator (ordered by annotator)."""
        if len(votes) < 2:
            return
        self.sentences += 1
        self.characters += text_length
        self.annotators.update(v.voter for v in votes)
        for label, layer in enumerate(self.layers):
            per_vote = [layer_spans(v.spans, label) for v in votes]
            for true, pred in combinations(per_vote, 2):
                layer.pairs += 1
                layer.strict.add(match_strict(true, pred))
                layer.partial.add(match_partial(true, pred))
            _add_segments(layer, per_vote, text_length)

    def report(self) -> AgreementReport:
        layers = []
        for name, layer in zip(LABEL_NAMES, self.layers, strict=True):
            precision, recall, f1 = layer.strict.prf(half_credit=False)
            layers.append(
                LayerReport(
                    label=name,
                    pairs=layer.pairs,
                    strict_precision=round(precision, 6),
                    strict_recall=round(recall, 6),
                    strict_f1=round(f1, 6),
                    partial_f1=round(layer.partial.prf(half_credit=True)[2], 6),
                    alpha=None if (a := layer.alpha()) is None else round(a, 6),
                    characters=self.characters,
                )
            )
        return AgreementReport(
            sentences=self.sentences, annotators=len(self.annotators), layers=layers
        )


def _add_segments(layer: LayerAgreement, per_vote: list[list[Span]], length: int) -> None:
    """Add every character as a unit, grouped into runs where no annotator's value changes."""
    cuts = sorted({0, length, *(b for spans in per_vote for s in spans for b in s[:2])})
    starts = [[s[0] for s in spans] for spans in per_vote]
    for left, right in pairwise(cuts):
        if right <= left:
            continue
        values = []
        for spans, span_starts in zip(per_vote, starts, strict=True):
            i = bisect_right(span_starts, left) - 1
            covered = i >= 0 and spans[i][1] > left
            values.append(spans[i][2] if covered else -2)
        layer.add_unit_values(values, right - left)
