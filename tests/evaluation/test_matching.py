"""The span matching shared by agreement and the scorer, against nervaluate and seqeval."""

from __future__ import annotations

import random

import pytest
from nervaluate import Evaluator
from seqeval.metrics import f1_score

from chainpolicy.evaluation.matching import MatchCounts, layer, match_partial, match_strict
from chainpolicy.records import Span

# One layer of a typed label; the matching never looks at the label.
LABEL, TYPES = "entity", ("ORG", "LOC", "PER")


def _random_spans(rng: random.Random, length: int, max_len: int) -> list[Span]:
    """Non-overlapping spans (as one annotation of one layer is) with random types."""
    spans, pos = [], rng.randrange(3)
    while pos < length - 1:
        end = min(length, pos + rng.randint(1, max_len))
        if rng.random() < 0.6:
            spans.append(Span(pos, end, LABEL, rng.choice(TYPES)))
        pos = end + rng.randrange(3)
    return spans


def _nervaluate(docs: list[tuple[list[Span], list[Span]]]) -> dict[str, object]:
    def as_dicts(spans: list[Span]) -> list[dict[str, object]]:
        # nervaluate counts `end` inclusively.
        return [{"label": s.type, "start": s.start, "end": s.end - 1} for s in spans]

    true = [as_dicts(t) for t, _ in docs]
    pred = [as_dicts(p) for _, p in docs]
    return Evaluator(true, pred, tags=list(TYPES), loader="dict").evaluate()["overall"]


def _other(type_: str | None) -> str:
    return TYPES[(TYPES.index(type_ or TYPES[0]) + 1) % len(TYPES)]


@pytest.mark.parametrize("seed", range(8))
def test_strict_and_partial_match_nervaluate(seed: int) -> None:
    rng = random.Random(seed)
    docs = []
    for _ in range(40):
        length = rng.randint(5, 60)
        true = _random_spans(rng, length, 8)
        # The prediction: the truth perturbed (shifted ends, changed types, dropped, added).
        pred = []
        for s in true:
            roll = rng.random()
            if roll < 0.5:
                pred.append(s)
            elif roll < 0.7:
                end = max(s.start + 1, min(length, s.end + rng.choice((-1, 1))))
                pred.append(Span(s.start, end, LABEL, s.type))
            elif roll < 0.85:
                pred.append(Span(s.start, s.end, LABEL, _other(s.type)))
        pred = layer(set(pred + _random_spans(rng, length, 4)[:1]), LABEL)
        # keep the prediction overlap-free, like a validated annotation
        free: list[Span] = []
        for span in pred:
            if not free or span.start >= free[-1].end:
                free.append(span)
        docs.append((true, free))
    expected = _nervaluate(docs)
    strict, partial = MatchCounts(), MatchCounts()
    for true, pred in docs:
        strict.add(match_strict(true, pred))
        partial.add(match_partial(true, pred))
    reference = expected["strict"]
    assert (strict.correct, strict.incorrect, strict.missed, strict.spurious) == (
        reference.correct,
        reference.incorrect,
        reference.missed,
        reference.spurious,
    )
    assert strict.prf(half_credit=False)[2] == pytest.approx(reference.f1)
    assert partial.prf(half_credit=True)[2] == pytest.approx(expected["partial"].f1)


def _bio(spans: list[Span], length: int) -> list[str]:
    tags = ["O"] * length
    for s in spans:
        tags[s.start] = f"B-{s.type}"
        tags[s.start + 1 : s.end] = [f"I-{s.type}"] * (s.end - s.start - 1)
    return tags


@pytest.mark.parametrize("seed", range(4))
def test_strict_f1_matches_seqeval_on_char_bio(seed: int) -> None:
    rng = random.Random(100 + seed)
    true_tags, pred_tags, counts = [], [], MatchCounts()
    for _ in range(30):
        length = rng.randint(5, 40)
        true, pred = _random_spans(rng, length, 6), _random_spans(rng, length, 6)
        true_tags.append(_bio(true, length))
        pred_tags.append(_bio(pred, length))
        counts.add(match_strict(true, pred))
    assert counts.prf(half_credit=False)[2] == pytest.approx(f1_score(true_tags, pred_tags))


def test_layer_keeps_one_label_in_schema_order() -> None:
    spans = [Span(5, 8, "figure", "DATE"), Span(0, 3, LABEL, "LOC"), Span(0, 2, LABEL, "ORG")]
    assert layer(spans, LABEL) == [Span(0, 2, LABEL, "ORG"), Span(0, 3, LABEL, "LOC")]
