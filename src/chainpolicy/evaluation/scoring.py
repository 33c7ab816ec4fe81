"""The official scorer: system spans against the gold spans of one config and split.

Predictions are JSONL, one object per sentence: ``{"id": ..., "spans": [{"start", "end",
"label", "type"}]}`` with offsets into that config's ``text`` (half-open, code points). Only
sentences with gold (``annotated`` or ``annotated_empty``) are scored; a gold sentence missing
from the predictions counts as predicted empty. Per label: strict P/R/F1 (same boundaries and
type) and partial F1 (overlap, half credit), the SemEval-2013 scheme that nervaluate implements
(the tests check the two agree), summed over sentences (micro), plus the micro average over the
labels. Leaderboards should report the strict micro F1 of the ``test`` split.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chainpolicy.contract.layout import data_path
from chainpolicy.errors import InputError, describe_validation, utf8_lines
from chainpolicy.evaluation.matching import MatchCounts, layer, match_partial, match_strict
from chainpolicy.records import Span
from chainpolicy.schema import GOLD_STATUSES, LABEL_NAMES, LABELS_BY_NAME, STATUSES, TYPE_NAMES

_GOLD_STATUSES = {STATUSES.index(status) for status in GOLD_STATUSES}


class PredictedSpan(BaseModel):
    model_config = ConfigDict(extra="ignore")

    start: int = Field(ge=0)
    end: int
    label: str
    type: str | None = None


class Prediction(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    spans: list[PredictedSpan]


class LabelScore(BaseModel):
    label: str
    gold: int
    predicted: int
    strict_precision: float
    strict_recall: float
    strict_f1: float
    partial_f1: float


class Score(BaseModel):
    config: str
    split: str
    sentences: int
    labels: list[LabelScore]
    micro_strict_f1: float
    micro_partial_f1: float


Gold = Mapping[str, tuple[str, list[Span]]]  # sentence id -> (text, gold spans)


def _gold(dataset: Path, config: str, split: str) -> dict[str, tuple[str, list[Span]]]:
    path = dataset / data_path(config, split)
    if not path.exists():
        raise InputError(f"{path}: no such config/split in the dataset folder")
    table = pq.read_table(path, columns=["id", "text", "spans", "annotation_status"])
    return {
        row["id"]: (row["text"], [_span_of(s) for s in row["spans"]])
        for row in table.to_pylist()
        if row["annotation_status"] in _GOLD_STATUSES
    }


def _span_of(row: dict[str, Any]) -> Span:
    """A span read from a dataset row (label and type as ClassLabel ids; no type: null)."""
    type_ = None if row["type"] is None else TYPE_NAMES[row["type"]]
    return Span(row["start"], row["end"], LABEL_NAMES[row["label"]], type_)


def _predictions(path: Path, gold: Gold) -> Iterator[Prediction]:
    seen: set[str] = set()
    for number, line in utf8_lines(path):
        if not line.strip():
            continue
        try:
            item = Prediction.model_validate(json.loads(line))
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{path}:{number}: not JSON ({exc.msg} at column {exc.colno})"
            ) from None
        except ValidationError as exc:
            raise InputError(
                f"{path}:{number}: not a prediction line: {describe_validation(exc)}"
            ) from None
        if item.id in seen:
            raise InputError(f"{path}:{number}: sentence {item.id!r} appears twice")
        seen.add(item.id)
        if item.id in gold:
            _check(path, number, item, gold[item.id][0])
            yield item


def _check(path: Path, number: int, item: Prediction, text: str) -> None:
    for span in item.spans:
        spec = LABELS_BY_NAME.get(span.label)
        if spec is None:
            raise InputError(f"{path}:{number}: unknown label {span.label!r} in {item.id}")
        if spec.types and span.type not in spec.types:
            raise InputError(
                f"{path}:{number}: type {span.type!r} of a {span.label} span in {item.id} is not "
                f"one of {', '.join(spec.types)}"
            )
        if not span.start < span.end <= len(text):
            raise InputError(
                f"{path}:{number}: offsets {span.start}:{span.end} outside the text of {item.id} "
                f"({len(text)} characters)"
            )


def score(dataset: Path, predictions: Path, config: str = "default", split: str = "test") -> Score:
    gold = _gold(dataset, config, split)
    predicted = {
        p.id: [Span(s.start, s.end, s.label, s.type) for s in p.spans]
        for p in _predictions(predictions, gold)
    }
    return score_spans(gold, predicted, config, split)


def machine_baseline(dataset: Path, split: str = "test") -> Score | None:
    """The pre-annotator's spans (``machine_preannotations``) scored like a submitted system.

    ``None`` when the split has no gold sentence or no machine config. Its spans are offsets into
    the same original-script text as ``default``.
    """
    path = dataset / data_path("machine_preannotations", split)
    gold = _gold(dataset, "default", split)
    if not gold or not path.exists():
        return None
    table = pq.read_table(path, columns=["id", "spans"])
    predicted = {row["id"]: [_span_of(s) for s in row["spans"]] for row in table.to_pylist()}
    return score_spans(gold, predicted, "default", split)


def score_spans(
    gold: Gold,
    predicted: Mapping[str, list[Span]],
    config: str,
    split: str,
) -> Score:
    """Score system spans per gold sentence; a gold sentence without a prediction is empty."""
    strict = {label: MatchCounts() for label in LABEL_NAMES}
    partial = {label: MatchCounts() for label in LABEL_NAMES}
    totals = {label: [0, 0] for label in LABEL_NAMES}
    for sentence_id, (_text, true) in gold.items():
        pred = predicted.get(sentence_id, [])
        for label in LABEL_NAMES:
            t, p = layer(true, label), layer(pred, label)
            strict[label].add(match_strict(t, p))
            partial[label].add(match_partial(t, p))
            totals[label][0] += len(t)
            totals[label][1] += len(p)
    labels = []
    all_strict, all_partial = MatchCounts(), MatchCounts()
    for label in LABEL_NAMES:
        sp, sr, sf = strict[label].prf(half_credit=False)
        labels.append(
            LabelScore(
                label=label,
                gold=totals[label][0],
                predicted=totals[label][1],
                strict_precision=round(sp, 6),
                strict_recall=round(sr, 6),
                strict_f1=round(sf, 6),
                partial_f1=round(partial[label].prf(half_credit=True)[2], 6),
            )
        )
        all_strict.add(strict[label])
        all_partial.add(partial[label])
    return Score(
        config=config,
        split=split,
        sentences=len(gold),
        labels=labels,
        micro_strict_f1=round(all_strict.prf(half_credit=False)[2], 6),
        micro_partial_f1=round(all_partial.prf(half_credit=True)[2], 6),
    )
