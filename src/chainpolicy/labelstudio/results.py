"""The results Label Studio stores for a labelled span: the one shape every writer uses.

A span is one ``labels`` result and, for labels with types, one per-region ``choices`` result
that shares its region ``id`` (label-studio 1.23.2 exports look like this). Offsets are half-open
code-point offsets into the task text.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from chainpolicy.schema import LS_LABELS_NAME, LS_TEXT_NAME, LS_TYPE_NAMES


class Span(NamedTuple):
    start: int
    end: int
    label: str
    type: str | None = None


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
        results.append(
            {
                "value": {**value, "choices": [span.type]},
                "id": region_id,
                "from_name": LS_TYPE_NAMES[span.label],
                "to_name": LS_TEXT_NAME,
                "type": "choices",
            }
        )
    if origin is not None:
        for result in results:
            result["origin"] = origin
    return results
