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
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from itertools import combinations, pairwise

from pydantic import BaseModel

from chainpolicy.evaluation.matching import MatchCounts, layer, match_partial, match_strict
from chainpolicy.records import Span
from chainpolicy.schema import LABEL_NAMES
from chainpolicy.validate.adjudicate import Vote


@dataclass(slots=True)
class LayerAgreement:
    strict: MatchCounts = field(default_factory=MatchCounts)
    partial: MatchCounts = field(default_factory=MatchCounts)
    pairs: int = 0
    # Krippendorff coincidences, accumulated from segments of constant values.
    coincidence: dict[tuple[Hashable, Hashable], float] = field(
        default_factory=lambda: defaultdict(float)
    )

    def add_unit_values(self, values: Sequence[Hashable], weight: int) -> None:
        m = len(values)
        if m < 2:
            return
        for i, c in enumerate(values):
            for j, k in enumerate(values):
                if i != j:
                    self.coincidence[c, k] += weight / (m - 1)

    def alpha(self) -> float | None:
        totals: dict[Hashable, float] = defaultdict(float)
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
        for label, counts in zip(LABEL_NAMES, self.layers, strict=True):
            per_vote = [layer(v.spans, label) for v in votes]
            for true, pred in combinations(per_vote, 2):
                counts.pairs += 1
                counts.strict.add(match_strict(true, pred))
                counts.partial.add(match_partial(true, pred))
            _add_segments(counts, per_vote, text_length)

    def report(self) -> AgreementReport:
        layers = []
        for name, counts in zip(LABEL_NAMES, self.layers, strict=True):
            precision, recall, f1 = counts.strict.prf(half_credit=False)
            layers.append(
                LayerReport(
                    label=name,
                    pairs=counts.pairs,
                    strict_precision=round(precision, 6),
                    strict_recall=round(recall, 6),
                    strict_f1=round(f1, 6),
                    partial_f1=round(counts.partial.prf(half_credit=True)[2], 6),
                    alpha=None if (a := counts.alpha()) is None else round(a, 6),
                    characters=self.characters,
                )
            )
        return AgreementReport(
            sentences=self.sentences, annotators=len(self.annotators), layers=layers
        )


_OUTSIDE = "O"  # a character's value outside every span of the layer


def _category(span: Span) -> str:
    """A character's value inside a span: its type (the label for labels without types)."""
    return span.type or span.label


def _add_segments(counts: LayerAgreement, per_vote: list[list[Span]], length: int) -> None:
    """Add every character as a unit, grouped into runs where no annotator's value changes."""
    cuts = sorted({0, length, *(b for spans in per_vote for s in spans for b in (s.start, s.end))})
    starts = [[s.start for s in spans] for spans in per_vote]
    for left, right in pairwise(cuts):
        if right <= left:
            continue
        values = []
        for spans, span_starts in zip(per_vote, starts, strict=True):
            i = bisect_right(span_starts, left) - 1
            covered = i >= 0 and spans[i].end > left
            values.append(_category(spans[i]) if covered else _OUTSIDE)
        counts.add_unit_values(values, right - left)
