"""Independent annotation passes written offline (by a person or a separately briefed annotator).

An annotator receives the work sheet (``chainpolicy pass sheet``: one item per annotatable
sentence) and the guidelines, nothing else, and returns one JSON line per sentence:

    {"id": "<sentence id>", "spans": [{"text": "苏州同济区块链研究院", "label": "entity",
      "type": "ORG", "occurrence": 1}]}

Spans are given by their exact text (``occurrence`` picks the n-th match, default 1), because
people and language models quote text far more reliably than they count characters. This module
resolves them to offsets and checks them; the pass then enters Label Studio as that annotator's
annotations (``chainpolicy ls import-pass``), so it reaches the dataset only through a real export.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chainpolicy.errors import InputError, describe_validation, utf8_lines
from chainpolicy.records import SentenceRecord, Span
from chainpolicy.schema import ANNOTATED_ROLES, LABELS_BY_NAME


class PassSpan(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1)
    label: str
    type: str | None = None
    occurrence: int = Field(default=1, ge=1)


class PassItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    spans: list[PassSpan]


def sheet(records: Iterable[SentenceRecord]) -> Iterator[dict[str, str]]:
    """The annotator's work sheet: annotatable sentences with their role (no predictions)."""
    for record in records:
        if record.role in ANNOTATED_ROLES:
            yield {"id": record.id, "role": record.role, "text": record.text}


def read(path: Path) -> Iterator[tuple[int, PassItem]]:
    for number, line in utf8_lines(path):
        if not line.strip():
            continue
        try:
            yield number, PassItem.model_validate(json.loads(line))
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
        except ValidationError as exc:
            raise InputError(f"{path}:{number}: {describe_validation(exc)}") from None


def resolve(item: PassItem, record: SentenceRecord) -> tuple[list[Span], list[str]]:
    """Offsets for each span, and a problem message for each span that cannot be placed."""
    spans, problems = [], []
    for n, span in enumerate(item.spans, 1):
        where = f"sentence {item.id} span #{n} {span.text!r}"
        spec = LABELS_BY_NAME.get(span.label)
        if spec is None:
            problems.append(f"{where}: unknown label {span.label!r}")
            continue
        if spec.types and span.type not in spec.types:
            problems.append(f"{where}: type {span.type!r} is not one of {', '.join(spec.types)}")
            continue
        if not spec.types and span.type is not None:
            problems.append(f"{where}: label {span.label} takes no type (got {span.type!r})")
            continue
        start = -1
        for _ in range(span.occurrence):
            start = record.text.find(span.text, start + 1)
            if start == -1:
                break
        if start == -1:
            problems.append(f"{where}: occurrence {span.occurrence} not found in the sentence")
            continue
        spans.append(Span(start, start + len(span.text), span.label, span.type))
    return spans, problems


def load(path: Path, records: Iterable[SentenceRecord]) -> dict[str, list[Span]]:
    """A whole pass, resolved; any problem (unknown id, unplaceable span) fails with all listed."""
    by_id = {r.id: r for r in records}
    out: dict[str, list[Span]] = {}
    problems: list[str] = []
    for number, item in read(path):
        record = by_id.get(item.id)
        if record is None:
            problems.append(f"line {number}: unknown sentence id {item.id!r}")
            continue
        if item.id in out:
            problems.append(f"line {number}: sentence {item.id} appears twice")
            continue
        spans, bad = resolve(item, record)
        out[item.id] = spans
        problems += [f"line {number}: {p}" for p in bad]
    if problems:
        listed = "\n  ".join(problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise InputError(f"{path}: {len(problems)} problem(s):\n  {listed}{more}")
    return out
