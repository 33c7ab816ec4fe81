"""The Label Studio result shape: reading one result, and writing the results of a span.

A span is one ``labels`` result and, for labels with types, one per-region ``choices`` result
that shares its region ``id`` (label-studio 1.23.2 exports look like this). Offsets are half-open
code-point offsets into the task text, and must be JSON integers: pydantic's lax mode would
coerce ``"3"``, ``3.0`` or ``true``, and a coerced offset would publish a span nobody made.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, StrictInt, ValidationError

from chainpolicy.errors import describe_validation
from chainpolicy.records import Span
from chainpolicy.schema import LABELS_BY_NAME, LS_LABELS_NAME, LS_TEXT_NAME

_TOLERANT = ConfigDict(extra="allow")  # Label Studio adds fields between versions


class LSValue(BaseModel):
    """``result.value`` of a span region (``labels``) or of its per-region ``choices``."""

    model_config = _TOLERANT

    start: StrictInt | None = None
    end: StrictInt | None = None
    text: str | None = None
    labels: list[str] | None = None
    choices: list[str] | None = None


class LSResult(BaseModel):
    """One result: a labelled region, or the per-region type chosen for it (same ``id``)."""

    model_config = _TOLERANT

    id: str | None = None
    from_name: str
    to_name: str
    type: str
    value: LSValue
    origin: str | None = None  # only the web UI sets it (manual / prediction / prediction-changed)


def parse_result(raw: object) -> LSResult | str:
    """The validated result, or a short description of what is wrong with it."""
    try:
        return LSResult.model_validate(raw)
    except ValidationError as exc:
        return describe_validation(exc, "result")


def region_results(
    text: str, span: Span, region_id: str, origin: str | None = "manual"
) -> list[dict[str, Any]]:
    """The results Label Studio stores for one labelled region (and its type, if any).

    ``origin`` is what the web UI adds (``manual``); predictions and API-made annotations carry
    none (pass ``None``).
    """
    value = {"start": span.start, "end": span.end, "text": text[span.start : span.end]}
    results: list[dict[str, Any]] = [
        {
            "value": {**value, "labels": [span.label]},
            "id": region_id,
            "from_name": LS_LABELS_NAME,
            "to_name": LS_TEXT_NAME,
            "type": "labels",
        }
    ]
    if span.type is not None:
        control = LABELS_BY_NAME[span.label].type_control
        if control is None:
            raise ValueError(f"label {span.label!r} takes no type, got {span.type!r}")
        results.append(
            {
                "value": {**value, "choices": [span.type]},
                "id": region_id,
                "from_name": control,
                "to_name": LS_TEXT_NAME,
                "type": "choices",
            }
        )
    if origin is not None:
        for result in results:
            result["origin"] = origin
    return results
