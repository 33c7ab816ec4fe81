"""The per-sentence decision: gold, vote statuses and the outcome of every valid result."""

from __future__ import annotations

from chainpolicy.contract.regions import Region
from chainpolicy.records import Span
from chainpolicy.validate.decide import decide, excluded
from chainpolicy.validate.store import StoredAnnotation

LOC = Region(Span(0, 3, "entity", "LOC"), 2)
CLAIM = Region(Span(0, 9, "claim"), 1)


def _a(
    annotation_id: int,
    annotator: int,
    regions: list[Region],
    recency: int,
    *,
    export: int = 0,
    complete: bool = True,
) -> StoredAnnotation:
    return StoredAnnotation(
        0, annotation_id, annotator, False, recency, 10 + annotation_id, export, regions, complete
    )


def test_copies_and_older_votes_are_superseded_and_the_rest_adopted_or_not() -> None:
    stored = [
        _a(1, 1, [LOC], 30),  # the most recent annotation: it breaks the tie on the claim
        _a(1, 1, [LOC], 30, export=1),  # the same annotation in a later export
        _a(2, 2, [LOC, CLAIM], 20),
        _a(3, 2, [CLAIM], 5),  # annotator 2's older annotation
    ]
    decided = decide(stored)
    assert decided.decision.spans == (LOC.span,) and decided.decision.method == "majority"
    # copy: 2 results, older vote: 1; adopted: LOC twice; not adopted: annotator 2's claim
    assert dict(decided.outcomes) == {"superseded": 3, "adopted": 4, "not_adopted": 1}
    assert decided.superseded == 2
    assert decided.vote_status == {1: "counted", 2: "counted", 3: "superseded"}
    assert [v.annotation_id for v in decided.votes] == [1, 3, 2]  # by annotator, then recency
    assert decided.task_of == {1: 11, 2: 12, 3: 13}
    assert sum(decided.outcomes.values()) == excluded(stored)


def test_an_incomplete_vote_holds_every_result_of_the_sentence_for_review() -> None:
    decided = decide([_a(1, 1, [LOC], 10), _a(2, 2, [CLAIM], 20, complete=False)])
    assert decided.needs_review and decided.decision.spans == ()
    assert dict(decided.outcomes) == {"held_for_review": 3}
    assert decided.vote_status == {1: "counted", 2: "incomplete"}


def test_no_annotation_is_no_decision() -> None:
    decided = decide([])
    assert decided.decision.method == "none" and decided.outcomes == {} and decided.votes == ()
