"""The adjudication policy, rule by rule (see chainpolicy.validate.adjudicate)."""

from __future__ import annotations

import pytest

from chainpolicy.records import Span
from chainpolicy.validate.adjudicate import Vote, adjudicate, one_per_annotator

X = Span(0, 3, "entity", "LOC")
Y = Span(5, 8, "figure", "DATE")
Z = Span(10, 14, "claim")


def vote(
    ann: int,
    user: int | None,
    spans: tuple,
    recency: int = 0,
    gt: bool = False,
    complete: bool = True,
) -> Vote:
    return Vote(ann, user, gt, recency, spans, complete)


def test_no_votes_single_and_empty() -> None:
    assert adjudicate([]).method == "none"
    single = adjudicate([vote(1, 7, (Y, X))])
    assert (single.method, single.spans, single.n_annotators) == ("single", (X, Y), 1)
    assert adjudicate([vote(1, 7, ())]).spans == ()


def test_majority_and_tie_break_by_most_recent() -> None:
    votes = [vote(1, 1, (X, Y), 10), vote(2, 2, (X,), 20), vote(3, 3, (X, Z), 30)]
    decision = adjudicate(votes)
    assert decision.method == "majority" and decision.spans == (X,)  # Y, Z: 1 of 3
    tie = adjudicate([vote(1, 1, (X, Y), 10), vote(2, 2, (X, Z), 20)])
    assert tie.spans == (X, Z)  # Z is in the most recent annotation, Y is not
    assert tie.adjudicated


def test_empty_annotation_is_a_vote_for_nothing() -> None:
    decision = adjudicate([vote(1, 1, (X,), 10), vote(2, 2, (), 20), vote(3, 3, (), 5)])
    assert decision.spans == ()


def test_ground_truth_wins_over_the_majority() -> None:
    votes = [vote(1, 1, (X,), 10), vote(2, 2, (X,), 20), vote(3, 3, (Z,), 5, gt=True)]
    decision = adjudicate(votes)
    assert (decision.method, decision.spans) == ("ground_truth", (Z,))


def test_one_vote_per_annotator_keeps_the_most_recent() -> None:
    votes = [vote(1, 1, (X,), 10), vote(2, 1, (Y,), 30), vote(3, 2, (Z,), 20), vote(4, None, ())]
    kept, superseded = one_per_annotator(votes)
    assert [v.annotation_id for v in kept] == [4, 2, 3]  # anonymous first, then by user id
    assert [v.annotation_id for v in superseded] == [1]


INCOMPLETE_CASES = [
    # (name, votes, needs review, gold spans)
    ("the only annotation lost its results", [vote(1, 1, (), complete=False)], True, ()),
    (
        "an incomplete vote among valid ones",
        [vote(1, 1, (X,), 10), vote(2, 2, (X,), 20), vote(3, 3, (), 30, complete=False)],
        True,
        (),
    ),
    (
        "an incomplete ground truth never overrides the votes",
        [vote(1, 1, (X,), 10), vote(2, 2, (X,), 20), vote(3, 3, (), 5, gt=True, complete=False)],
        True,
        (),
    ),
    (
        "a complete ground truth still decides alone",
        [vote(1, 1, (X,), 10, complete=False), vote(2, 2, (Z,), 5, gt=True)],
        False,
        (Z,),
    ),
]


@pytest.mark.parametrize(
    ("name", "votes", "review", "gold"), INCOMPLETE_CASES, ids=[c[0] for c in INCOMPLETE_CASES]
)
def test_an_incomplete_annotation_is_never_a_vote_nor_ground_truth(
    name: str, votes: list[Vote], review: bool, gold: tuple
) -> None:
    decision = adjudicate(votes)
    assert (decision.needs_review, decision.spans) == (review, gold), name
    if review:
        assert decision.method == "none"


def test_a_newer_complete_annotation_of_the_same_annotator_replaces_an_incomplete_one() -> None:
    kept, superseded = one_per_annotator([vote(1, 1, (), 10, complete=False), vote(2, 1, (X,), 20)])
    assert [v.annotation_id for v in superseded] == [1]
    assert adjudicate(kept).spans == (X,) and not adjudicate(kept).needs_review
