from __future__ import annotations

from collections import Counter

from chainpolicy.corpus import load_sentences
from chainpolicy.labelstudio.results import Span, region_results
from chainpolicy.prelabel import MODEL_VERSION, predict
from chainpolicy.schema import ANNOTATED_ROLES
from chainpolicy.validate.regions import check_annotation


def test_every_prediction_over_the_corpus_passes_the_human_span_rules() -> None:
    counts: Counter[str] = Counter()
    for record in load_sentences():
        if record.role not in ANNOTATED_ROLES:
            continue
        spans = predict(record.text)
        results = [
            r
            for n, s in enumerate(spans)
            for r in region_results(
                record.text, Span(s.start, s.end, s.label, s.type), f"p{n}", None
            )
        ]
        checked = check_annotation(results, record.text)
        assert checked.rejected == [], (record.id, checked.rejected)
        assert len(checked.regions) == len(spans)
        for s in spans:
            assert record.text[s.start : s.end] == s.text
            counts[s.label] += 1
    assert counts["entity"] > 100 and counts["figure"] > 100
    assert MODEL_VERSION.startswith("chainpolicy-prelabel-")


def test_entities_win_over_figures_inside_them() -> None:
    text = "发布《“十四五”数字经济发展规划》,共20家"
    spans = predict(text)
    assert [(s.text, s.label) for s in spans] == [
        ("“十四五”数字经济发展规划", "entity"),
        ("20家", "figure"),
    ]
    assert spans[1].value == "20" and spans[1].unit == "家"
