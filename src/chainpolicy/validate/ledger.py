"""The outcome ledger: every result read, and the one outcome it ends in.

Owned by the build and handed to both passes (like datatrove's pipeline counters, not a step's):
pass 1 records what it reads and settles cancelled, draft, prediction, collapsed and quarantined
results; the per-sentence decisions of pass 2 settle the rest. ``totals`` checks the invariant
(results read = the sum of all outcomes). Quarantined results are written one JSON line each as
they are found, so nothing here grows with the size of the exports.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import IO

from chainpolicy.contract.reasons import OUTCOMES, REASONS
from chainpolicy.validate.report import AnnotationCounts, ExportSummary, QuarantineEntry


@dataclass(frozen=True)
class Counts:
    """A ledger's counters without its quarantine file (what a worker process sends back)."""

    results_read: int
    outcomes: dict[str, int]
    reasons: dict[str, int]
    quarantined_per_sentence: dict[int, int]
    annotations: dict[str, int]


class AccountingError(AssertionError):
    """The outcomes do not add up to the results read: a bug, never bad input."""


@dataclass
class Ledger:
    quarantine_out: IO[str]
    results_read: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    quarantined_per_sentence: Counter[int] = field(default_factory=Counter)
    annotations: AnnotationCounts = field(default_factory=AnnotationCounts)
    exports: list[ExportSummary] = field(default_factory=list)

    def read(self, count: int) -> None:
        self.results_read += count

    def settle(self, outcome: str, count: int) -> None:
        if outcome not in OUTCOMES:
            raise AccountingError(f"unknown outcome {outcome!r}")
        if count:
            self.outcomes[outcome] += count

    def settle_all(self, counts: Mapping[str, int]) -> None:
        for outcome, count in counts.items():
            self.settle(outcome, count)

    def quarantine(self, entry: QuarantineEntry, sentence: int | None, count: int = 1) -> None:
        """``count`` results quarantined for ``entry.reason`` (``sentence``: its index if known)."""
        if entry.reason not in REASONS:
            raise AccountingError(f"unknown reason {entry.reason!r}")
        line = entry.model_dump_json() + "\n"
        for _ in range(count):
            self.quarantine_out.write(line)
        self.reasons[entry.reason] += count
        self.settle("quarantined", count)
        if sentence is not None:
            self.quarantined_per_sentence[sentence] += count

    def counts(self) -> Counts:
        return Counts(
            self.results_read,
            dict(self.outcomes),
            dict(self.reasons),
            dict(self.quarantined_per_sentence),
            self.annotations.model_dump(),
        )

    def add(self, counts: Counts) -> None:
        """Add another ledger's counters (its quarantine lines are the caller's to copy)."""
        self.results_read += counts.results_read
        self.outcomes.update(counts.outcomes)
        self.reasons.update(counts.reasons)
        self.quarantined_per_sentence.update(counts.quarantined_per_sentence)
        for name, value in counts.annotations.items():
            setattr(self.annotations, name, getattr(self.annotations, name) + value)

    def totals(self) -> dict[str, int]:
        """Results per outcome, every outcome listed; raises if they do not add up."""
        totals = {outcome: self.outcomes.get(outcome, 0) for outcome in OUTCOMES}
        if sum(totals.values()) != self.results_read:
            raise AccountingError(
                f"accounting: {self.results_read} results read, {sum(totals.values())} settled"
            )
        return totals
