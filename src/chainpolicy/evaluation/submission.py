"""The submission format and the gate every submission passes before it is scored.

A submission is JSONL, one object per sentence of the scored config and split::

    {"id": "02dec154e1ac7468-p001-s02", "spans": [
        {"start": 5, "end": 8, "label": "entity", "type": "LOC", "text": "江苏省"}]}

``start``/``end`` are half-open code-point offsets into that config's ``text``, JSON integers.
``type`` is one of the label's types, and absent or null for labels without types (claims).
``text`` is optional; when given it must equal the text at the offsets (it catches offset bugs).
Nothing else is allowed. The gate refuses, with one line naming the line, the id, the span and the
value, everything a leaderboard must not score: malformed lines, an id that is not a sentence of
the split, a sentence twice, a label or type outside the schema, offsets outside the text, and
duplicate or overlapping spans of one label in one sentence (the gold never has them, and they
would let a system hedge). Gold sentences a submission leaves out count as predicted empty and are
reported; with ``require_all`` they are refused.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

from pydantic import BaseModel, ConfigDict, StrictInt, StrictStr, ValidationError

from chainpolicy.errors import InputError, describe_validation, short, utf8_lines
from chainpolicy.records import Span
from chainpolicy.schema import LABELS_BY_NAME

_STRICT = ConfigDict(extra="forbid", strict=True)


class SubmittedSpan(BaseModel):
    model_config = _STRICT

    start: StrictInt
    end: StrictInt
    label: StrictStr
    type: StrictStr | None = None
    text: StrictStr | None = None


class SubmittedSentence(BaseModel):
    model_config = _STRICT

    id: StrictStr
    spans: list[SubmittedSpan]


@dataclass(frozen=True)
class GoldSentence:
    id: str
    text: str
    spans: tuple[Span, ...]  # empty when the sentence has no gold
    gold: bool  # whether it is scored (annotation status annotated / annotated_empty)
    script: str
    article_id: str


@dataclass
class Submission:
    spans: dict[str, list[Span]] = field(default_factory=dict)  # sentence id -> its spans
    missing: list[str] = field(default_factory=list)  # gold sentences the file leaves out
    not_scored: int = 0  # lines for sentences of the split that have no gold


def read(
    path: Path, sentences: Mapping[str, GoldSentence], *, require_all: bool = False
) -> Submission:
    """The validated submission for the sentences of one config and split."""
    out = Submission()
    for number, line in utf8_lines(path):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            item = SubmittedSentence.model_validate(json.loads(line))
        except json.JSONDecodeError as exc:
            raise InputError(f"{where}: not JSON ({exc.msg} at column {exc.colno})") from None
        except ValidationError as exc:
            raise InputError(
                f"{where}: not a submission line: {describe_validation(exc)}"
            ) from None
        sentence = sentences.get(item.id)
        if sentence is None:
            raise InputError(
                f"{where}: id {short(item.id)} is not a sentence of the scored split "
                "(a file for another split or config?)"
            )
        if item.id in out.spans:
            raise InputError(f"{where}: sentence {item.id} appears twice")
        out.spans[item.id] = _check(where, sentence, item.spans)
        out.not_scored += not sentence.gold
    gold = [s.id for s in sentences.values() if s.gold]
    if gold and not any(i in out.spans for i in gold):
        raise InputError(f"{path}: the file has no line for any of the {len(gold)} gold sentences")
    out.missing = [i for i in gold if i not in out.spans]
    if require_all and out.missing:
        raise InputError(
            f"{path}: {len(out.missing)} gold sentence(s) have no line (--require-all), the "
            f"first: {out.missing[0]}"
        )
    return out


def _check(where: str, sentence: GoldSentence, submitted: list[SubmittedSpan]) -> list[Span]:
    spans: list[Span] = []
    text = sentence.text
    for n, s in enumerate(submitted):
        at = f"{where}: {sentence.id} span #{n} ({s.start}:{s.end} {s.label})"
        spec = LABELS_BY_NAME.get(s.label)
        if spec is None:
            raise InputError(
                f"{at}: unknown label {short(s.label)} (labels: {', '.join(LABELS_BY_NAME)})"
            )
        if spec.types and s.type not in spec.types:
            raise InputError(f"{at}: type {short(s.type)} is not one of {', '.join(spec.types)}")
        if not spec.types and s.type is not None:
            raise InputError(f"{at}: label {s.label} takes no type, got {short(s.type)}")
        if not 0 <= s.start < s.end <= len(text):
            raise InputError(
                f"{at}: offsets outside the text or empty (0 <= start < end <= {len(text)})"
            )
        if s.text is not None and s.text != text[s.start : s.end]:
            raise InputError(
                f"{at}: text {short(s.text)} is not the text at these offsets "
                f"({short(text[s.start : s.end])})"
            )
        spans.append(Span(s.start, s.end, s.label, s.type))
    by_label: dict[str, list[Span]] = {}
    for span in spans:
        by_label.setdefault(span.label, []).append(span)
    for label, group in by_label.items():
        group.sort(key=lambda s: (s.start, s.end))
        for left, right in pairwise(group):
            if right.start < left.end:
                kind = (
                    "duplicate"
                    if (left.start, left.end) == (right.start, right.end)
                    else "overlapping"
                )
                raise InputError(
                    f"{where}: {sentence.id}: {kind} {label} spans {left.start}:{left.end} and "
                    f"{right.start}:{right.end} (spans of one label never overlap in the gold)"
                )
    return spans
