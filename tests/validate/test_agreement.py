from __future__ import annotations

import random

import pytest
from nervaluate import Evaluator
from seqeval.metrics import f1_score

from chainpolicy.schema import LABEL_NAMES, all_type_names
from chainpolicy.validate.adjudicate import Vote
from chainpolicy.validate.agreement import (
    Agreement,
    LayerAgreement,
    MatchCounts,
    Span,
    match_partial,
    match_strict,
)

TYPES = all_type_names()


def _random_spans(rng: random.Random, length: int, max_len: int) -> list[Span]:
    """Non-overlapping spans (as one annotation of one layer is) with random categories."""
    spans, pos = [], rng.randrange(3)
    while pos < length - 1:
        end = min(length, pos + rng.randint(1, max_len))
        if rng.random() < 0.6:
            spans.append((pos, end, rng.choice((0, 1, 2))))
        pos = end + rng.randrange(3)
    return spans


def _nervaluate(docs: list[tuple[list[Span], list[Span]]]) -> dict[str, object]:
    def as_dicts(spans: list[Span]) -> list[dict[str, object]]:
        # nervaluate counts `end` inclusively.
        return [{"label": f"T{c}", "start": s, "end": e - 1} for s, e, c in spans]

    true = [as_dicts(t) for t, _ in docs]
    pred = [as_dicts(p) for _, p in docs]
    return Evaluator(true, pred, tags=["T0", "T1", "T2"], loader="dict").evaluate()["overall"]


@pytest.mark.parametrize("seed", range(8))
def test_strict_and_partial_match_nervaluate(seed: int) -> None:
    rng = random.Random(seed)
    docs = []
    for _ in range(40):
        length = rng.randint(5, 60)
        true = _random_spans(rng, length, 8)
        # The prediction: the truth perturbed (shifted ends, changed types, dropped, added).
        pred = []
        for s, e, c in true:
            roll = rng.random()
            if roll < 0.5:
                pred.append((s, e, c))
            elif roll < 0.7:
                pred.append((s, max(s + 1, min(length, e + rng.choice((-1, 1)))), c))
            elif roll < 0.85:
                pred.append((s, e, (c + 1) % 3))
        pred = sorted(set(pred + _random_spans(rng, length, 4)[:1]))
        # keep the prediction overlap-free, like a validated annotation
        free: list[Span] = []
        for span in pred:
            if not free or span[0] >= free[-1][1]:
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
    for s, e, c in spans:
        tags[s] = f"B-T{c}"
        tags[s + 1 : e] = [f"I-T{c}"] * (e - s - 1)
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


def test_alpha_matches_krippendorff_published_example() -> None:
    # Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", the 4-observer,
    # 12-unit example with missing values; nominal alpha is 0.743 there.
    missing = None
    table = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, missing, missing, missing],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, missing, 3],
        [missing, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, missing],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, missing],
    ]
    layer = LayerAgreement()
    for unit in zip(*table, strict=True):
        layer.add_unit_values([v for v in unit if v is not missing], 1)
    assert layer.alpha() == pytest.approx(0.743, abs=5e-4)


def _vote(annotator: int, spans: list[tuple[int, int, int, int]]) -> Vote:
    return Vote(annotator, annotator, False, 0, tuple(spans))


def test_sentence_alpha_counts_every_character_once() -> None:
    entity = LABEL_NAMES.index("entity")
    org, loc = TYPES.index("ORG"), TYPES.index("LOC")
    agreement = Agreement()
    # Two annotators agree on the boundaries of one entity but not on its type.
    agreement.add(10, [_vote(1, [(0, 4, entity, org)]), _vote(2, [(0, 4, entity, loc)])])
    layer = agreement.layers[entity]
    assert sum(layer.coincidence.values()) == pytest.approx(2 * 10)
    report = agreement.report()
    row = next(r for r in report.layers if r.label == "entity")
    assert row.strict_f1 == 0.0 and row.partial_f1 == 1.0
    # 20 values: O 12, ORG 4, LOC 4; the 8 ORG/LOC coincidences disagree.
    # alpha = 1 - (n - 1) * 8 / sum_{c != k} n_c n_k = 1 - 19 * 8 / (2 * (48 + 48 + 16))
    assert row.alpha == pytest.approx(1 - 19 * 8 / 224, abs=1e-6)
    assert report.sentences == 1 and report.annotators == 2


def test_single_annotator_sentences_are_not_units() -> None:
    agreement = Agreement()
    agreement.add(10, [_vote(1, [])])
    assert agreement.report().sentences == 0
    assert all(r.alpha is None for r in agreement.report().layers)
