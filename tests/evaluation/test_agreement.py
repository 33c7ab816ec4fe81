"""Inter-annotator agreement: Krippendorff's alpha on characters and pairwise span F1."""

from __future__ import annotations

import pytest

from chainpolicy.evaluation.agreement import Agreement, LayerAgreement
from chainpolicy.records import Span
from chainpolicy.schema import LABEL_NAMES
from chainpolicy.validate.adjudicate import Vote


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


def _vote(annotator: int, spans: list[Span]) -> Vote:
    return Vote(annotator, annotator, False, 0, tuple(spans))


def test_sentence_alpha_counts_every_character_once() -> None:
    entity = LABEL_NAMES.index("entity")
    agreement = Agreement()
    # Two annotators agree on the boundaries of one entity but not on its type.
    agreement.add(
        10, [_vote(1, [Span(0, 4, "entity", "ORG")]), _vote(2, [Span(0, 4, "entity", "LOC")])]
    )
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
