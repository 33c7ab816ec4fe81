"""Write Label Studio-shaped export JSON from spans (for the benchmark and the tests).

The shape follows real exports of label-studio 1.23.2 (see the Label Studio notes): a span is one
``labels`` result plus, for labels with types, one per-region ``choices`` result sharing its
``id``. Nothing here is ever read as an annotation by the build except through ``iter_tasks`` on a
file written by ``write_export``, exactly like a real export.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from chainpolicy import atomic
from chainpolicy.contract.results import region_results
from chainpolicy.contract.taskdata import task_data
from chainpolicy.records import Span


def annotation(
    annotation_id: int,
    annotator: int,
    text: str,
    spans: Sequence[Span],
    *,
    task_id: int = 0,
    cancelled: bool = False,
    ground_truth: bool = False,
    updated_at: str = "2024-05-01T10:00:00.000000Z",
) -> dict[str, Any]:
    result = [
        r
        for number, span in enumerate(spans)
        for r in region_results(text, span, f"a{annotation_id}r{number}")
    ]
    return {
        "id": annotation_id,
        "completed_by": annotator,
        "result": result,
        "was_cancelled": cancelled,
        "ground_truth": ground_truth,
        "created_at": updated_at,
        "updated_at": updated_at,
        "lead_time": 12.5,
        "prediction": {},
        "result_count": len(spans),
        "task": task_id,
        "project": 1,
        "parent_prediction": None,
        "parent_annotation": None,
    }


def task(
    task_id: int,
    sentence_id: str,
    article_id: str,
    text: str,
    article_start: int,
    annotations: Sequence[dict[str, Any]] = (),
    *,
    drafts: Sequence[dict[str, Any]] = (),
    predictions: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    return {
        "id": task_id,
        "data": task_data(sentence_id, article_id, text, article_start),
        "annotations": list(annotations),
        "drafts": list(drafts),
        "predictions": list(predictions),
        "meta": {},
        "inner_id": task_id,
        "total_annotations": sum(not a["was_cancelled"] for a in annotations),
        "cancelled_annotations": sum(bool(a["was_cancelled"]) for a in annotations),
        "total_predictions": len(predictions),
        "project": 1,
    }


def prediction(text: str, spans: Sequence[Span], model_version: str = "prelabel") -> dict[str, Any]:
    result = [r for n, s in enumerate(spans) for r in region_results(text, s, f"p{n}")]
    return {"id": 1, "model_version": model_version, "score": 0.5, "result": result}


_SURROGATE = re.compile("[\ud800-\udfff]")


def _dumps(item: dict[str, Any]) -> str:
    # Lone surrogates (tests of bad input use them) cannot be written as UTF-8: keep them as
    # the JSON escapes a real export would carry; every other character is written as itself.
    text = json.dumps(item, ensure_ascii=False)
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def write_export(path: Path, tasks: Iterable[dict[str, Any]]) -> int:
    """Write tasks as one JSON array, streamed (the benchmark writes hundreds of megabytes)."""
    count = 0
    with atomic.open_text(path) as fh:
        fh.write("[")
        for item in tasks:
            fh.write((",\n" if count else "\n") + _dumps(item))
            count += 1
        fh.write("\n]\n")
    return count
