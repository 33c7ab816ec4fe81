"""The official scorer: a submission against the gold of one config and split.

Only gold sentences (``annotated``, ``annotated_empty``) are scored; a gold sentence the
submission leaves out counts as predicted empty. Per label: strict and partial P/R/F1
(``evaluation.matching``), summed over sentences; micro (summed over labels) and macro (mean of
the labels' F1); per type (strict), per script and per article. The headline figures get 95%
bootstrap intervals (``evaluation.bootstrap``). Every score names the gold it was computed on by a
digest of that gold, so a number is tied to one release. Leaderboards rank by micro strict F1 on
the ``test`` split of ``default``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from datasets import ClassLabel, Features
from pydantic import BaseModel

from chainpolicy.contract.layout import data_path
from chainpolicy.errors import InputError
from chainpolicy.evaluation import bootstrap
from chainpolicy.evaluation.matching import MatchCounts, layer, match_partial, match_strict, prf
from chainpolicy.evaluation.submission import GoldSentence, Submission, read
from chainpolicy.records import Span
from chainpolicy.schema import GOLD_STATUSES, LABEL_NAMES, LABELS

SCORED_CONFIGS = ("default", "zh_hans")
HEADLINE = ("micro_strict_f1", "macro_strict_f1", "micro_partial_f1")


def load_gold(dataset: Path, config: str, split: str) -> dict[str, GoldSentence]:
    """Every sentence of the config and split (gold or not), in file order."""
    path = dataset / data_path(config, split)
    if not path.exists():
        raise InputError(f"{path}: no such config/split in the dataset folder")
    table = pq.read_table(path)
    needed = {"id", "text", "spans", "annotation_status", "script", "article_id"}
    if not needed <= set(table.column_names):
        raise InputError(
            f"{path}: not a sentence config (it lacks {sorted(needed - set(table.column_names))})"
        )
    statuses = _names(Features.from_arrow_schema(table.schema)["annotation_status"])
    decode = SpanDecoder(table.schema)
    out: dict[str, GoldSentence] = {}
    for row in table.select(sorted(needed)).to_pylist():
        gold = statuses[row["annotation_status"]] in GOLD_STATUSES
        spans = decode(row["spans"])
        out[row["id"]] = GoldSentence(
            row["id"], row["text"], spans if gold else (), gold, row["script"], row["article_id"]
        )
    return out


def _names(feature: Any) -> Any:
    return feature.names if isinstance(feature, ClassLabel) else None


class SpanDecoder:
    """The ``spans`` column of a config's Parquet file back into ``Span``s, label and type ids
    named by the file's own ClassLabels (the Parquet edge of the evaluation layer)."""

    def __init__(self, schema: pa.Schema) -> None:
        feature = Features.from_arrow_schema(schema)["spans"]
        # List in datasets >= 4; a one-item list in 3.x.
        item = feature.feature if hasattr(feature, "feature") else feature[0]
        self._labels, self._types = _names(item["label"]), _names(item["type"])

    def __call__(self, structs: Sequence[Mapping[str, Any]]) -> tuple[Span, ...]:
        types = self._types
        return tuple(
            Span(
                s["start"],
                s["end"],
                self._labels[s["label"]],
                types[s["type"]] if types is not None and s["type"] is not None else s["type"],
            )
            for s in structs
        )


def gold_digest(sentences: Mapping[str, GoldSentence]) -> str:
    """sha256 of the scored gold (ids, texts, spans) in a canonical form, independent of the
    Parquet bytes: two releases with the same gold have the same digest."""
    digest = hashlib.sha256()
    for sentence in sorted((s for s in sentences.values() if s.gold), key=lambda s: s.id):
        spans = [
            [s.start, s.end, s.label, s.type] for s in sorted(sentence.spans, key=lambda s: s.key)
        ]
        line = json.dumps([sentence.id, sentence.text, spans], ensure_ascii=False)
        digest.update(line.encode("utf-8") + b"\n")
    return digest.hexdigest()


class PRF(BaseModel):
    precision: float
    recall: float
    f1: float


class LabelScore(BaseModel):
    label: str
    gold: int
    predicted: int
    strict_precision: float
    strict_recall: float
    strict_f1: float
    partial_precision: float
    partial_recall: float
    partial_f1: float


class GroupScore(BaseModel):
    """Micro figures of a group of sentences (a script, an article)."""

    name: str
    sentences: int
    gold: int
    predicted: int
    strict_f1: float
    partial_f1: float


class Interval(BaseModel):
    low: float
    high: float


class Score(BaseModel):
    config: str
    split: str
    gold_digest: str
    sentences: int  # gold sentences scored
    missing: int  # gold sentences the submission left out (scored as predicted empty)
    labels: list[LabelScore]
    micro_strict_f1: float
    micro_partial_f1: float
    macro_strict_f1: float
    macro_partial_f1: float
    types: dict[str, PRF]  # "label/TYPE" -> strict P/R/F1
    scripts: list[GroupScore]
    articles: list[GroupScore]
    # 95% bootstrap intervals of the headline figures: resampling sentences, and whole articles
    intervals: dict[str, dict[str, Interval]]
    resamples: int
    seed: int


@dataclass
class Counts:
    """Per gold sentence and label (rows, columns): what the metrics are sums of."""

    correct: np.ndarray  # strict correct
    partial_hits: np.ndarray  # partial: correct + 0.5 * partial
    actual: np.ndarray  # predicted spans
    possible: np.ndarray  # gold spans
    articles: list[str]
    scripts: list[str]


def count(
    gold: Sequence[GoldSentence], predicted: Mapping[str, Sequence[Span]]
) -> tuple[Counts, dict[str, MatchCounts], dict[str, MatchCounts], dict[str, list[int]]]:
    n, k = len(gold), len(LABEL_NAMES)
    arrays = {name: np.zeros((n, k)) for name in ("correct", "partial", "actual", "possible")}
    strict_total = {label: MatchCounts() for label in LABEL_NAMES}
    partial_total = {label: MatchCounts() for label in LABEL_NAMES}
    types: dict[str, list[int]] = {
        f"{spec.name}/{t}": [0, 0, 0] for spec in LABELS for t in spec.types
    }  # correct, predicted, gold
    for row, sentence in enumerate(gold):
        pred = predicted.get(sentence.id, [])
        for col, label in enumerate(LABEL_NAMES):
            true_l, pred_l = layer(sentence.spans, label), layer(pred, label)
            strict, partial = match_strict(true_l, pred_l), match_partial(true_l, pred_l)
            strict_total[label].add(strict)
            partial_total[label].add(partial)
            arrays["correct"][row, col] = strict.correct
            arrays["partial"][row, col] = partial.correct + 0.5 * partial.partial
            arrays["actual"][row, col] = len(pred_l)
            arrays["possible"][row, col] = len(true_l)
            exact = set(true_l) & set(pred_l)
            for span, slot in [
                *((s, 0) for s in exact),
                *((s, 1) for s in pred_l),
                *((s, 2) for s in true_l),
            ]:
                if span.type is not None:
                    types[f"{label}/{span.type}"][slot] += 1
    counts = Counts(
        arrays["correct"],
        arrays["partial"],
        arrays["actual"],
        arrays["possible"],
        [s.article_id for s in gold],
        [s.script for s in gold],
    )
    return counts, strict_total, partial_total, types


def score(
    dataset: Path,
    predictions: Path,
    config: str = "default",
    split: str = "test",
    *,
    require_all: bool = False,
    resamples: int = bootstrap.RESAMPLES,
    seed: int = bootstrap.SEED,
) -> Score:
    """Validate a submission file (the gate) and score it."""
    sentences = load_gold(dataset, config, split)
    submission = read(predictions, sentences, require_all=require_all)
    return score_submission(sentences, submission, config, split, resamples=resamples, seed=seed)


def score_submission(
    sentences: Mapping[str, GoldSentence],
    submission: Submission,
    config: str,
    split: str,
    *,
    resamples: int = bootstrap.RESAMPLES,
    seed: int = bootstrap.SEED,
) -> Score:
    gold = [s for s in sentences.values() if s.gold]
    counts, strict, partial, types = count(gold, submission.spans)
    labels = []
    for label in LABEL_NAMES:
        sp, sr, sf = strict[label].prf(half_credit=False)
        pp, pr, pf = partial[label].prf(half_credit=True)
        labels.append(
            LabelScore(
                label=label,
                gold=strict[label].possible,
                predicted=strict[label].actual,
                strict_precision=round(sp, 6),
                strict_recall=round(sr, 6),
                strict_f1=round(sf, 6),
                partial_precision=round(pp, 6),
                partial_recall=round(pr, 6),
                partial_f1=round(pf, 6),
            )
        )
    point = bootstrap.metrics(counts.correct, counts.partial_hits, counts.actual, counts.possible)
    return Score(
        config=config,
        split=split,
        gold_digest=gold_digest(sentences),
        sentences=len(gold),
        missing=len(submission.missing),
        labels=labels,
        micro_strict_f1=round(point["micro_strict_f1"], 6),
        micro_partial_f1=round(point["micro_partial_f1"], 6),
        macro_strict_f1=round(point["macro_strict_f1"], 6),
        macro_partial_f1=round(point["macro_partial_f1"], 6),
        types={
            key: PRF(
                **dict(
                    zip(
                        ("precision", "recall", "f1"),
                        (round(v, 6) for v in prf(c, a, p)),
                        strict=True,
                    )
                )
            )
            for key, (c, a, p) in types.items()
        },
        scripts=_groups(counts, counts.scripts),
        articles=_groups(counts, counts.articles),
        intervals={
            "sentences": _intervals(bootstrap.by_sentence(counts, resamples, seed)),
            "articles": _intervals(bootstrap.by_article(counts, resamples, seed)),
        }
        if resamples
        else {},  # 0: no intervals (tuning loops score thousands of times)
        resamples=resamples,
        seed=seed,
    )


def _intervals(samples: Mapping[str, np.ndarray]) -> dict[str, Interval]:
    return {
        name: Interval(low=round(low, 6), high=round(high, 6))
        for name, (low, high) in ((n, bootstrap.interval(samples[n])) for n in HEADLINE)
    }


def _groups(counts: Counts, keys: Sequence[str]) -> list[GroupScore]:
    out = []
    for name in sorted(set(keys)):
        rows = np.array([k == name for k in keys])
        c, h = counts.correct[rows].sum(), counts.partial_hits[rows].sum()
        a, p = counts.actual[rows].sum(), counts.possible[rows].sum()
        out.append(
            GroupScore(
                name=name,
                sentences=int(rows.sum()),
                gold=int(p),
                predicted=int(a),
                strict_f1=round(prf(c, a, p)[2], 6),
                partial_f1=round(prf(h, a, p)[2], 6),
            )
        )
    return out


class Comparison(BaseModel):
    """A paired bootstrap of two submissions on the same gold (A minus B)."""

    metric: str
    a: float
    b: float
    difference: float
    interval: Interval
    p_value: float
    resamples: int
    unit: str  # "sentences" or "articles"


def compare(
    sentences: Mapping[str, GoldSentence],
    a: Submission,
    b: Submission,
    *,
    metric: str = "micro_strict_f1",
    unit: str = "sentences",
    resamples: int = bootstrap.RESAMPLES,
    seed: int = bootstrap.SEED,
) -> Comparison:
    gold = [s for s in sentences.values() if s.gold]
    counts_a, *_ = count(gold, a.spans)
    counts_b, *_ = count(gold, b.spans)
    result = bootstrap.paired(counts_a, counts_b, metric, unit, resamples, seed)
    return Comparison(
        metric=metric,
        a=round(result.a, 6),
        b=round(result.b, 6),
        difference=round(result.difference, 6),
        interval=Interval(low=round(result.low, 6), high=round(result.high, 6)),
        p_value=round(result.p_value, 6),
        resamples=resamples,
        unit=unit,
    )


def machine_baseline(dataset: Path, split: str = "test") -> Score | None:
    """The pre-annotator's spans (``machine_preannotations``) scored like a submission, or
    ``None`` when the split has no gold or no machine config. (Not blind: see the leaderboard.)"""
    path = dataset / data_path("machine_preannotations", split)
    sentences = load_gold(dataset, "default", split)
    if not any(s.gold for s in sentences.values()) or not path.exists():
        return None
    decode = SpanDecoder(pq.read_schema(path))
    submission = Submission()
    for row in pq.read_table(path, columns=["id", "spans"]).to_pylist():
        if row["id"] in sentences:
            submission.spans[row["id"]] = list(decode(row["spans"]))
    submission.missing = [i for i, s in sentences.items() if s.gold and i not in submission.spans]
    return score_submission(sentences, submission, "default", split)
