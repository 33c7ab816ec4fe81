"""The per-sentence decision of pass 2: from a sentence's stored annotations to its gold spans,
the status of every vote and the outcome of every valid result.

Pure: it reads the annotations of one sentence (``AnnotationStore.by_sentence``) and returns a
``SentenceDecision``; the build settles its outcomes in the ledger and hands it to the row
writer. Policy: ``validate.adjudicate``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from chainpolicy.validate.adjudicate import Decision, Vote, adjudicate, one_per_annotator
from chainpolicy.validate.store import StoredAnnotation


@dataclass(frozen=True)
class SentenceDecision:
    decision: Decision
    votes: tuple[Vote, ...]  # the newest copy of every annotation, by annotator then recency
    kept: tuple[Vote, ...]  # one vote per annotator (what adjudication saw)
    vote_status: Mapping[int, str]  # annotation id -> a schema.VOTE_STATUSES value
    task_of: Mapping[int, int]  # annotation id -> task id
    outcomes: Mapping[str, int]  # valid results of the sentence, per outcome
    superseded: int  # annotations replaced (older copies, older votes of the same annotator)

    @property
    def needs_review(self) -> bool:
        return self.decision.needs_review


def latest_copies(
    stored: Sequence[StoredAnnotation],
) -> tuple[list[StoredAnnotation], list[StoredAnnotation]]:
    """The same annotation in several exports: keep the newest copy (then the later export)."""
    latest: dict[int, StoredAnnotation] = {}
    for a in stored:
        current = latest.get(a.annotation_id)
        if current is None or (a.recency, a.export) > (current.recency, current.export):
            latest[a.annotation_id] = a
    keep = {id(a) for a in latest.values()}
    return list(latest.values()), [a for a in stored if id(a) not in keep]


def vote_of(a: StoredAnnotation) -> Vote:
    return Vote(a.annotation_id, a.annotator, a.ground_truth, a.recency, a.spans, a.complete)


def decide(stored: Sequence[StoredAnnotation]) -> SentenceDecision:
    """Adjudicate one sentence and account for every valid result of its annotations."""
    latest, copies = latest_copies(stored)
    votes = [vote_of(a) for a in latest]
    kept, superseded = one_per_annotator(votes)
    decision = adjudicate(kept)
    by_id = {a.annotation_id: a for a in latest}
    outcomes: Counter[str] = Counter()
    outcomes["superseded"] += sum(a.results for a in copies)
    outcomes["superseded"] += sum(by_id[v.annotation_id].results for v in superseded)
    gold = set(decision.spans)
    for vote in kept:
        for region in by_id[vote.annotation_id].regions:
            if decision.needs_review:
                outcome = "held_for_review"
            else:
                outcome = "adopted" if region.span in gold else "not_adopted"
            outcomes[outcome] += region.n_results
    superseded_ids = {v.annotation_id for v in superseded}
    status = {
        v.annotation_id: (
            "superseded"
            if v.annotation_id in superseded_ids
            else "counted"
            if v.complete
            else "incomplete"
        )
        for v in votes
    }
    return SentenceDecision(
        decision=decision,
        votes=tuple(sorted(votes, key=lambda v: (v.voter, v.order))),
        kept=tuple(kept),
        vote_status=status,
        task_of={a.annotation_id: a.task_id for a in latest},
        outcomes={k: v for k, v in outcomes.items() if v},
        superseded=len(copies) + len(superseded),
    )


def excluded(stored: Sequence[StoredAnnotation]) -> int:
    """Valid results of annotations of a sentence that is left out (cross-split duplicate)."""
    return sum(a.results for a in stored)
