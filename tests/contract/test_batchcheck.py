"""The column-wise check against check_annotation: a group is clean exactly when
check_annotation rejects and collapses nothing (and nothing is left to a loose text match or
an anonymous region), and then its regions are check_annotation's, in its order."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainpolicy.contract import batchcheck, spanrules
from chainpolicy.contract.batchcheck import check_batch
from chainpolicy.contract.regions import Region, check_annotation
from chainpolicy.contract.results import LSResult, parse_result, region_results
from chainpolicy.records import Span
from chainpolicy.schema import LABEL_NAMES, LABELS, TYPE_CONTROLS, TYPE_NAMES

# Code points the span rules tell apart: CJK, digits and Chinese numerals, spaces of several
# kinds, punctuation, astral characters, format characters.
ALPHABET = "江苏省区块链两半二十3０ \t\u3000\n,。!《》𠀀🙂\u200b-a"


def _full(result: dict[str, Any]) -> dict[str, Any]:
    """A result as the fast schema gives it: every key present (defaults filled), in order."""
    value = dict.fromkeys(batchcheck.VALUE_KEYS)
    value.update(result.get("value", {}))
    full = {**dict.fromkeys(batchcheck.RESULT_KEYS), **result, "value": value}
    return {key: full[key] for key in batchcheck.RESULT_KEYS}


def _pack(regions: list[Region]) -> list[tuple[int, int, int, int, int]]:
    return [(*r.span.key, r.n_results) for r in regions]


def _rows(checked: batchcheck.BatchChecked, group: int) -> list[tuple[int, ...]]:
    lo, hi = checked.bounds[group], checked.bounds[group + 1]
    return [tuple(int(v) for v in row) for row in checked.rows[lo:hi]]


def _simple(results: list[dict[str, Any]], text: str) -> bool:
    """check_annotation would reject nothing and every region is named and exactly quoted."""
    checked = check_annotation(results, text)
    if checked.rejected or checked.collapsed:
        return False
    for raw in results:
        result = parse_result(raw)
        assert isinstance(result, LSResult)
        value = result.value
        if result.id is None:
            return False
        if result.type == "labels" and value.text is not None:
            assert value.start is not None and value.end is not None
            if value.text != text[value.start : value.end]:
                return False
    return True


def _rare(draw: st.DrawFn, one_in: int = 10) -> bool:
    return draw(st.integers(0, one_in - 1)) == 0


@st.composite
def groups(draw: st.DrawFn) -> tuple[str, list[dict[str, Any]]]:
    """One annotation: mostly well-formed regions (so that many groups are clean), each
    piece broken now and then (offsets, labels, types, ids, names, text, repeats)."""
    text = draw(st.text(ALPHABET + "江苏省区块链二十3", min_size=1, max_size=24))
    results: list[dict[str, Any]] = []
    for number in range(draw(st.integers(0, 4))):
        start = draw(st.integers(0, len(text) - 1))
        end = min(len(text), start + draw(st.integers(1, 3)))
        if _rare(draw):
            start, end = draw(st.integers(-1, len(text) + 1)), draw(st.integers(-1, len(text) + 2))
        spec = draw(st.sampled_from(LABELS))
        kind = draw(st.sampled_from(spec.types)) if spec.types else None
        if _rare(draw):
            kind = draw(st.sampled_from([None, "CITY", *TYPE_NAMES]))
        rid = f"r{number}" if not _rare(draw) else draw(st.sampled_from(["r0", None]))
        value: dict[str, Any] = {"start": start, "end": end, "labels": [spec.name]}
        quote = text[max(start, 0) : max(end, 0)]
        value["text"] = draw(st.sampled_from([quote, quote, None, None, quote + " ", "x"]))
        if _rare(draw):
            value["labels"] = draw(st.sampled_from([[], ["claim", "entity"], ["x"], None]))
        label = {"value": value, "id": rid, "from_name": "label", "to_name": "text"}
        label["type"] = "labels"
        if _rare(draw, 20):
            label[draw(st.sampled_from(["from_name", "to_name", "type"]))] = "other"
        results.append(label)
        if kind is not None:
            control = spec.type_control or "entity_type"
            if _rare(draw):
                control = draw(st.sampled_from(list(TYPE_CONTROLS)))
            shift = 1 if _rare(draw) else 0
            choices = [kind] if not _rare(draw, 20) else [kind, kind]
            results.append(
                {
                    "value": {"start": start + shift, "end": end, "choices": choices},
                    "id": rid,
                    "from_name": control,
                    "to_name": "text",
                    "type": "choices",
                }
            )
        if _rare(draw, 20):
            results.append(dict(results[-1]))  # an exact repeat
    order = draw(st.permutations(range(len(results))))
    return text, [_full(results[i]) for i in order]


@settings(max_examples=1000, deadline=None)
@given(st.lists(groups(), min_size=1, max_size=6))
def test_clean_exactly_when_check_annotation_finds_nothing(
    batch: list[tuple[str, list[dict[str, Any]]]],
) -> None:
    texts = [text for text, _ in batch]
    checked = check_batch(texts, list(range(len(batch))), [results for _, results in batch])
    for number, (text, results) in enumerate(batch):
        exact = check_annotation(results, text)
        assert bool(checked.clean[number]) == _simple(results, text), (text, results)
        if checked.clean[number]:
            assert _rows(checked, number) == _pack(exact.regions)


def test_groups_share_texts_and_keep_their_order() -> None:
    text = "𠀀 江苏省有20家企业。"
    one = [_full(r) for r in region_results(text, Span(2, 5, "entity", "LOC"), "a")]
    two = [
        _full(r)
        for r in region_results(text, Span(5, 8, "figure", "COUNT"), "b")
        + region_results(text, Span(2, 11, "claim"), "c")
        + region_results(text, Span(2, 5, "entity", "ORG"), "d")
    ]
    checked = check_batch([text], [0, 0, 0], [one, two, []])
    assert checked.clean.tolist() == [True, True, True]
    assert _rows(checked, 0) == _pack(check_annotation(one, text).regions)
    assert _rows(checked, 1) == _pack(check_annotation(two, text).regions)
    assert _rows(checked, 2) == []


def test_rows_in_another_key_order_are_read_key_by_key() -> None:
    text = "𠀀 江苏省有20家企业。"
    results = [_full(r) for r in region_results(text, Span(2, 5, "entity", "LOC"), "a")]
    shuffled = [dict(reversed(list(r.items()))) for r in results]
    for group in (results, shuffled, [results[0], shuffled[1]]):
        checked = check_batch([text], [0], [group])
        assert checked.clean.tolist() == [True]
        assert _rows(checked, 0) == _pack(check_annotation(group, text).regions)


def test_every_span_rule_is_implemented() -> None:
    """A rule added to spanrules.RULES must be added to the column-wise check too (the module
    refuses to import otherwise)."""
    assert batchcheck.COVERED == spanrules.RULES
    assert [code for code, _ in batchcheck.COVERED] == [code for code, _ in spanrules.RULES]


@pytest.mark.parametrize("char", list(ALPHABET))
def test_code_point_classes_come_from_the_span_rules(char: str) -> None:
    batchcheck._classes(batchcheck._utf32(char))
    bits = int(batchcheck._CLASSES[ord(char)])
    assert bool(bits & batchcheck._FILLER) == spanrules._is_filler(char)
    assert bool(bits & batchcheck._SPACE) == char.isspace()
    assert bool(bits & batchcheck._NUMERAL) == spanrules._is_numeral(char)


def test_offsets_beyond_64_bits_are_never_clean() -> None:
    result = _full(region_results("江苏省", Span(0, 3, "claim"), "a")[0])
    result["value"]["end"] = 2**70
    assert check_batch(["江苏省"], [0], [[result]]).clean.tolist() == [False]
    assert LABEL_NAMES  # (schema loaded)
