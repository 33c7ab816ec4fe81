"""predict() over the corpus: every span valid, no illegal overlap, accepted as a prediction."""

from __future__ import annotations

from collections import Counter
from itertools import combinations

import pytest

from chainpolicy.contract.regions import check_annotation
from chainpolicy.contract.results import region_results
from chainpolicy.contract.spanrules import check_span
from chainpolicy.corpus import load_sentences
from chainpolicy.corpus.manifest import load
from chainpolicy.paths import sources_dir
from chainpolicy.prelabel import MODEL_VERSION, predict
from chainpolicy.records import Span
from chainpolicy.schema import ANNOTATED_ROLES, LABEL_NAMES, types_for


def _illegal_overlaps(spans: list[Span]) -> list[tuple[Span, Span]]:
    return [
        (a, b)
        for a, b in combinations(spans, 2)
        if a.start < b.end
        and b.start < a.end
        and (a.label == b.label or {a.label, b.label} == {"entity", "figure"})
    ]


@pytest.fixture(scope="module")
def corpus_predictions() -> list[tuple[str, str, list[Span]]]:
    return [(r.id, r.text, predict(r.text)) for r in load_sentences() if r.role in ANNOTATED_ROLES]


def test_every_prediction_over_the_corpus_passes_the_human_span_rules(
    corpus_predictions: list[tuple[str, str, list[Span]]],
) -> None:
    counts: Counter[tuple[str, str | None]] = Counter()
    for id_, text, spans in corpus_predictions:
        assert spans == sorted(spans, key=lambda s: (s.start, s.end, s.label)), id_
        assert _illegal_overlaps(spans) == [], id_
        for s in spans:
            assert check_span(text, s) is None, (id_, s)
            assert s.label in LABEL_NAMES and (s.type in types_for(s.label) or s.type is None)
            assert (s.figure is not None) == (s.label == "figure"), (id_, s)
            counts[s.label, s.type] += 1
        # and Label Studio's own checks accept them as a prediction
        results = [r for n, s in enumerate(spans) for r in region_results(text, s, f"p{n}", None)]
        checked = check_annotation(results, text)
        assert checked.rejected == [], (id_, checked.rejected)
        assert len(checked.regions) == len(spans)
    # Every article of the manifest was checked (derived, so adding an article keeps this true).
    assert {id_.split("-")[0] for id_, _, _ in corpus_predictions} == {
        a.id for a in load(sources_dir()).articles
    }
    by_label = Counter(label for label, _ in counts.elements())
    assert min(by_label["entity"], by_label["figure"], by_label["claim"]) > 50, counts
    assert {t for label, t in counts if label == "figure"} == set(types_for("figure"))


def test_entities_win_over_figures_inside_them() -> None:
    text = "发布《“十四五”数字经济发展规划》,全市共有企业20家"
    spans = predict(text)
    assert [(text[s.start : s.end], s.label) for s in spans] == [
        ("“十四五”数字经济发展规划", "entity"),
        ("全市共有企业20家", "claim"),  # a claim may contain a figure
        ("20家", "figure"),
    ]
    assert spans[2].figure == ("20", "家", None)


def test_offsets_are_code_points_with_astral_characters() -> None:
    text = "𠀀近100家企业落户苏州"
    spans = {(s.label, text[s.start : s.end]): s for s in predict(text)}
    figure = spans["figure", "近100家"]
    assert (figure.start, figure.end, figure.type) == (1, 6, "COUNT")
    assert figure.figure == ("100", "家", "近")
    place = spans["entity", "苏州"]
    assert (place.start, place.end, place.type) == (10, 12, "LOC")


def test_model_version_names_the_pre_annotator() -> None:
    assert MODEL_VERSION.startswith("chainpolicy-prelabel-")
    assert predict("") == []
