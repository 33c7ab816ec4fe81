"""Every rule of one annotation's results, one row per reason code (table-driven)."""

from __future__ import annotations

from typing import Any

import pytest

from chainpolicy.contract.reasons import REASONS
from chainpolicy.contract.regions import check_annotation
from chainpolicy.records import Span
from chainpolicy.validate.synthetic import region_results

# A real sentence (sources/000) with an astral character and a space put in front of it.
TEXT = "𠀀 江苏省在国家互联网信息办公室备案的区块链信息服务企业共有20家,其中苏州市占有6家。"
JS = (2, 5)  # 江苏省
FIG = (TEXT.index("20家"), TEXT.index("20家") + 3)


def regions(span: Span, region_id: str = "r1") -> list[dict[str, Any]]:
    return region_results(TEXT, span, region_id)


def edit(results: list[dict[str, Any]], index: int, **changes: Any) -> list[dict[str, Any]]:
    out = [dict(r, value=dict(r["value"])) for r in results]
    for key, value in changes.items():
        if key.startswith("value_"):
            out[index]["value"][key[6:]] = value
        else:
            out[index][key] = value
    return out


LOC = regions(Span(*JS, "entity", "LOC"))
CASES: list[tuple[str, list[Any], str]] = [
    ("not a dict", ["oops"], "malformed_result"),
    ("no value", [{"from_name": "label", "to_name": "text", "type": "labels"}], "malformed_result"),
    ("to_name", edit(LOC, 0, to_name="html"), "wrong_to_name"),
    ("type case", edit(LOC, 0, type="Labels"), "wrong_result_type"),
    ("from_name", edit(LOC, 0, from_name="labels"), "wrong_from_name"),
    ("choice from_name", edit(LOC, 1, from_name="kind"), "wrong_from_name"),
    (
        "duplicate id",
        LOC + edit(regions(Span(*FIG, "figure", "COUNT")), 0, id="r1")[:1],
        "duplicate_region_id",
    ),
    ("orphan type", LOC[1:], "orphan_type"),
    ("two labels", edit(LOC, 0, value_labels=["entity", "claim"]), "label_count"),
    ("unknown label", edit(LOC, 0, value_labels=["person"]), "unknown_label"),
    ("two types", edit(LOC, 1, value_choices=["LOC", "ORG"]), "type_count"),
    ("type of other label", edit(LOC, 1, from_name="figure_type"), "unknown_type"),
    ("unknown type", edit(LOC, 1, value_choices=["CITY"]), "unknown_type"),
    ("no type", LOC[:1], "missing_type"),
    ("type elsewhere", edit(LOC, 1, value_start=3), "type_region_mismatch"),
    ("end beyond text", regions(Span(60, 99, "claim")), "bad_offsets"),
    ("empty", regions(Span(5, 5, "claim")), "bad_offsets"),
    ("no start", edit(regions(Span(2, 5, "claim")), 0, value_start=None), "bad_offsets"),
    ("punctuation", regions(Span(FIG[1], FIG[1] + 1, "claim")), "no_content"),
    ("leading space", regions(Span(1, 5, "claim")), "untrimmed"),
    ("figure words", regions(Span(*JS, "figure", "COUNT")), "figure_without_numeral"),
    ("text differs", edit(LOC, 0, value_text="浙江省"), "text_mismatch"),
]


@pytest.mark.parametrize(("name", "results", "reason"), CASES, ids=[c[0] for c in CASES])
def test_each_rule_quarantines_with_its_reason(name: str, results: list[Any], reason: str) -> None:
    assert reason in REASONS
    checked = check_annotation(results, TEXT)
    assert reason in {r.reason for r in checked.rejected}
    # Nothing is lost: every result is kept in a region, rejected or collapsed.
    kept = sum(r.n_results for r in checked.regions)
    assert kept + len(checked.rejected) + checked.collapsed == len(results)


def test_valid_spans_pass_with_astral_offsets() -> None:
    results = (
        LOC + regions(Span(*FIG, "figure", "COUNT"), "r2") + regions(Span(2, 35, "claim"), "r3")
    )
    checked = check_annotation(results, TEXT)
    assert checked.rejected == []
    assert [(r.start, r.end, r.label, r.type) for r in checked.spans] == [
        (2, 5, "entity", "LOC"),
        (2, 35, "claim", None),
        (*FIG, "figure", "COUNT"),
    ]
    assert TEXT[2:5] == "江苏省"  # code points: the astral 𠀀 counts as one


def test_loose_text_accepts_label_studio_whitespace_and_newlines() -> None:
    text = "区块链  产业\n发展"
    results = region_results(text, Span(0, len(text), "claim"), "r1")
    results[0]["value"]["text"] = "区块链 产业\\n发展"
    assert check_annotation(results, text).rejected == []


def test_repeats_collapse_and_overlaps_quarantine_both_spans() -> None:
    repeat = LOC + LOC
    checked = check_annotation(repeat, TEXT)
    assert len(checked.regions) == 1 and checked.collapsed == 2

    same_label = regions(Span(2, 10, "claim"), "a") + regions(Span(5, 12, "claim"), "b")
    assert {r.reason for r in check_annotation(same_label, TEXT).rejected} == {"overlap_same_label"}
    cross = LOC + regions(Span(4, FIG[1], "figure", "COUNT"), "b")
    checked = check_annotation(cross, TEXT)
    assert checked.regions == [] and len(checked.rejected) == 4
    assert {r.reason for r in checked.rejected} == {"overlap_entity_figure"}
    # A claim may contain an entity and a figure.
    nested = LOC + regions(Span(2, FIG[1], "claim"), "c")
    assert check_annotation(nested, TEXT).rejected == []


@pytest.mark.parametrize(
    ("name", "bad"),
    [
        ("to_name", {"to_name": "html"}),
        ("from_name", {"from_name": "labels"}),
        ("type case", {"type": "Labels"}),
    ],
)
def test_a_broken_copy_placed_first_never_hides_its_valid_twin(
    name: str, bad: dict[str, Any]
) -> None:
    broken = edit(LOC, 0, **bad)[:1]
    checked = check_annotation(broken + LOC, TEXT)
    assert [(r.start, r.end, r.type) for r in checked.spans] == [(*JS, "LOC")], name
    assert checked.collapsed == 0 and len(checked.rejected) == 1
    assert checked.rejected[0].result_index == 0


@pytest.mark.parametrize(
    ("name", "start"),
    [("string", "2"), ("float", 2.0), ("bool", True), ("null", None)],
)
def test_offsets_are_strict_integers(name: str, start: object) -> None:
    results = edit(LOC, 0, value_start=start)
    results = edit(results, 1, value_start=start)
    checked = check_annotation(results, TEXT)
    assert checked.regions == [], name
    assert {r.reason for r in checked.rejected} <= {"malformed_result", "bad_offsets"}
    assert len(checked.rejected) == 2


def test_two_different_label_results_of_one_region_are_both_quarantined() -> None:
    """Which of the two the annotator meant is unknown: file order must not decide."""
    other = edit(LOC, 0, value_text="浙江省")[:1]  # same region id, another text
    for results in (other + LOC, LOC + other):
        checked = check_annotation(results, TEXT)
        assert checked.regions == [] and checked.collapsed == 0
        assert {r.reason for r in checked.rejected} == {"duplicate_region_id"}
        assert len(checked.rejected) == 3  # both label results and the type choice
