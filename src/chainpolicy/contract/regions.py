"""One annotation's results -> valid spans, plus a reason for every result left out.

A region is one ``labels`` result and, for labels with types, the per-region ``choices`` result
that shares its ``id``. The checks run in this order: shape, control names, exact repeats
(collapsed), region assembly, per-span rules (``check_span``), the loose ``value.text`` check,
then the rules that compare the spans of one annotation (duplicates collapse, a forbidden overlap
quarantines both spans; which labels may overlap is schema policy). Used on human annotations
(validation) and on machine predictions before they are offered (Label Studio tasks).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from chainpolicy.contract.reasons import overlap_reason
from chainpolicy.contract.results import LSResult, parse_result
from chainpolicy.contract.spanrules import check_span, loose_text
from chainpolicy.records import Span
from chainpolicy.schema import (
    LABEL_INDEX,
    LABELS_BY_NAME,
    LS_LABELS_NAME,
    LS_TEXT_NAME,
    TYPE_CONTROLS,
    may_overlap,
)


@dataclass(frozen=True, slots=True)
class Region:
    """A valid span and the results it accounts for (label + type + collapsed repeats)."""

    span: Span
    n_results: int
    region_id: str | None = None


@dataclass(frozen=True, slots=True)
class Rejected:
    reason: str
    result_index: int
    region_id: str | None
    detail: str


@dataclass(slots=True)
class Checked:
    regions: list[Region] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    collapsed: int = 0  # results that were exact repeats

    @property
    def spans(self) -> list[Span]:
        return [region.span for region in self.regions]


@dataclass(slots=True)
class _Draft:
    index: int
    result: LSResult
    types: list[tuple[int, LSResult]] = field(default_factory=list)


def _describe(result: LSResult) -> str:
    value = result.value
    what = value.labels if result.type == "labels" else value.choices
    return (
        f"from_name={result.from_name!r} type={result.type!r} start={value.start} "
        f"end={value.end} {what!r} text={value.text!r}"
    )


def _identity(result: LSResult) -> tuple[object, ...]:
    """What makes two results the same result (``origin`` aside: the UI's bookkeeping)."""
    value = result.value
    return (
        result.id,
        result.from_name,
        result.to_name,
        result.type,
        value.start,
        value.end,
        value.text,
        tuple(value.labels or ()),
        tuple(value.choices or ()),
    )


def check_annotation(results: Sequence[object], text: str) -> Checked:
    """Validate the results of one annotation against ``text`` (the task's text)."""
    out = Checked()
    labels: dict[object, _Draft] = {}
    types: list[tuple[int, LSResult]] = []
    seen: set[tuple[object, ...]] = set()
    conflicted: set[object] = set()
    anonymous = 0
    for index, raw in enumerate(results):
        result = parse_result(raw)
        if isinstance(result, str):
            out.rejected.append(Rejected("malformed_result", index, None, result))
            continue
        reason = _control_reason(result)
        if reason:
            out.rejected.append(Rejected(reason, index, result.id, _describe(result)))
            continue
        # Repeats collapse only among results that passed the shape checks: a broken copy
        # placed first must not make its valid twin a "duplicate".
        identity = _identity(result)
        if identity in seen:
            out.collapsed += 1
            continue
        seen.add(identity)
        if result.type == "choices":
            types.append((index, result))
        else:
            key: object = result.id if result.id is not None else ("anonymous", anonymous)
            anonymous += result.id is None
            if key in labels or key in conflicted:
                # Two different label results claim one region: which one the annotator meant
                # is unknown, so neither (nor its type) is taken; file order never decides.
                out.rejected.append(
                    Rejected("duplicate_region_id", index, result.id, _describe(result))
                )
                conflicted.add(key)
            else:
                labels[key] = _Draft(index, result)
    for key in conflicted:
        first = labels.pop(key, None)
        if first is not None:
            region_id = first.result.id
            detail = _describe(first.result)
            out.rejected.append(Rejected("duplicate_region_id", first.index, region_id, detail))
    for index, result in types:
        draft = labels.get(result.id) if result.id is not None else None
        if result.id in conflicted:
            out.rejected.append(
                Rejected("duplicate_region_id", index, result.id, _describe(result))
            )
        elif draft is None:
            out.rejected.append(Rejected("orphan_type", index, result.id, _describe(result)))
        else:
            draft.types.append((index, result))
    candidates = [r for r in (_region(d, text, out) for d in labels.values()) if r is not None]
    out.regions = _compare(candidates, out)
    return out


def _control_reason(result: LSResult) -> str | None:
    if result.to_name != LS_TEXT_NAME:
        return "wrong_to_name"
    if result.type == "labels":
        return None if result.from_name == LS_LABELS_NAME else "wrong_from_name"
    if result.type == "choices":
        return None if result.from_name in TYPE_CONTROLS else "wrong_from_name"
    return "wrong_result_type"


def _region(draft: _Draft, text: str, out: Checked) -> tuple[Region, _Draft] | None:
    """The region of one label result (with its type), or None after rejecting its results."""
    result = draft.result
    value = result.value
    reason: str | None = None
    type_: str | None = None
    chosen = value.labels or []
    label = chosen[0] if len(chosen) == 1 else ""
    if len(chosen) != 1:
        reason = "label_count"
    elif label not in LABELS_BY_NAME:
        reason = "unknown_label"  # before the type checks, which would blame the type
    elif len(draft.types) > 1:
        reason = "type_count"
    elif draft.types:
        choice = draft.types[0][1]
        choices = choice.value.choices or []
        if len(choices) != 1:
            reason = "type_count"
        elif TYPE_CONTROLS[choice.from_name] != label:
            reason = "unknown_type"
        elif (choice.value.start, choice.value.end) != (value.start, value.end):
            reason = "type_region_mismatch"
        else:
            type_ = choices[0]
    start, end = value.start, value.end
    span: Span | None = None
    if reason is None:
        if start is None or end is None:
            reason = "bad_offsets"
        else:
            span = Span(start, end, label, type_)
            reason = check_span(text, span)
    if (
        reason is None
        and value.text is not None
        and start is not None
        and end is not None
        and loose_text(value.text) != loose_text(text[start:end])
    ):
        reason = "text_mismatch"
    if reason is not None or span is None:
        detail = _describe(result)
        reason = reason or "bad_offsets"
        out.rejected.append(Rejected(reason, draft.index, result.id, detail))
        for index, choice in draft.types:
            out.rejected.append(Rejected(reason, index, choice.id, _describe(choice)))
        return None
    return Region(span, 1 + len(draft.types), result.id), draft


def _compare(candidates: list[tuple[Region, _Draft]], out: Checked) -> list[Region]:
    """Collapse repeated spans, then quarantine both spans of every forbidden overlap."""
    unique: dict[Span, Region] = {}
    drafts: dict[Span, _Draft] = {}
    for region, draft in candidates:
        if region.span in unique:
            out.collapsed += region.n_results
            continue
        unique[region.span] = region
        drafts[region.span] = draft
    regions = sorted(unique.values(), key=_order)
    bad: dict[Span, str] = {}
    for i, left in enumerate(regions):
        for right in regions[i + 1 :]:
            if right.span.start >= left.span.end:
                break
            a, b = sorted((left.span.label, right.span.label), key=LABEL_INDEX.__getitem__)
            if a != b and may_overlap(a, b):
                continue
            reason = overlap_reason(a, b)
            bad.setdefault(left.span, reason)
            bad.setdefault(right.span, reason)
    kept: list[Region] = []
    for region in regions:
        overlap = bad.get(region.span)
        if overlap is None:
            kept.append(region)
            continue
        draft = drafts[region.span]
        out.rejected.append(
            Rejected(overlap, draft.index, region.region_id, _describe(draft.result))
        )
        for index, choice in draft.types:
            out.rejected.append(Rejected(overlap, index, choice.id, _describe(choice)))
    return kept


def _order(region: Region) -> tuple[int, int, str, str]:
    # The order the checks visit regions in (overlap scan): by position, then by name.
    span = region.span
    return span.start, span.end, span.label, span.type or ""
