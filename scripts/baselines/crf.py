#!/usr/bin/env python
"""Baseline ``crf``: one character CRF per label layer (sklearn-crfsuite), trained on train.

Each layer (entity with typed BIO tags B-ORG/I-ORG ..., figure with B-COUNT ..., claim with
B-claim/I-claim) gets its own linear-chain CRF over the character features of
``char_features.crf_features`` (the character and its neighbours in simplified form, bigrams,
character classes, inside 《》/quotes, position in the clause). Training: L-BFGS on the gold
sentences of train only. Tuning: for each layer, the (c1, c2) of ``GRID`` with the best strict
F1 of that label on validation (the official matching, in memory); ties go to the first in grid
order. The tuned models are those trained on train; validation never enters a model.
Spans are read from the tags as conlleval does (``baselines_common.tags_to_spans``); a figure
that overlaps an entity is dropped (``baselines_common.resolve``). L-BFGS is deterministic, so
``--seed`` only labels the run.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sklearn_crfsuite
from baselines_common import (
    EVAL_SPLITS,
    Sentence,
    Span,
    System,
    argument_parser,
    gold_only,
    label_f1,
    layer_tags,
    load_split,
    quick_score,
    run_baseline,
    spans_to_tags,
    tags_to_spans,
)
from char_features import crf_features

from chainpolicy.schema import LABEL_NAMES

GRID: tuple[tuple[float, float], ...] = tuple(
    (c1, c2) for c1 in (0.0, 0.05, 0.1, 0.25, 0.5) for c2 in (0.001, 0.01, 0.05, 0.1)
)
MAX_ITERATIONS = 150


def train_layer(
    sentences: Sequence[Sentence],
    label: str,
    c1: float,
    c2: float,
    max_iterations: int = MAX_ITERATIONS,
) -> sklearn_crfsuite.CRF:
    model = sklearn_crfsuite.CRF(
        algorithm="lbfgs",
        c1=c1,
        c2=c2,
        max_iterations=max_iterations,
        all_possible_transitions=True,
    )
    x = [crf_features(s.text) for s in sentences]
    y = [spans_to_tags(len(s.text), s.spans, label) for s in sentences]
    model.fit(x, y)
    unknown = set(model.classes_) - set(layer_tags(label))
    if unknown:
        raise AssertionError(f"{label}: tags outside the layer {sorted(unknown)}")
    return model


def predict_layer(
    model: sklearn_crfsuite.CRF, sentences: Sequence[Sentence], label: str
) -> dict[str, list[Span]]:
    tags = model.predict([crf_features(s.text) for s in sentences])
    return {s.id: tags_to_spans(t, label) for s, t in zip(sentences, tags, strict=True)}


def merge(layers: Sequence[dict[str, list[Span]]]) -> dict[str, list[Span]]:
    out: dict[str, list[Span]] = {}
    for layer in layers:
        for sentence_id, spans in layer.items():
            out.setdefault(sentence_id, []).extend(spans)
    return out


def tune_and_predict(
    train: Sequence[Sentence],
    splits: dict[str, list[Sentence]],
    grid: Sequence[tuple[float, float]] = GRID,
    max_iterations: int = MAX_ITERATIONS,
    log: bool = True,
) -> tuple[dict[str, dict[str, list[Span]]], dict[str, Any]]:
    """Per layer: train each grid point on ``train``, keep the best on validation, predict."""
    validation = splits["validation"]
    chosen: dict[str, Any] = {}
    layers: dict[str, list[dict[str, list[Span]]]] = {split: [] for split in splits}
    for label in LABEL_NAMES:
        best: tuple[float, int, sklearn_crfsuite.CRF] | None = None
        trials = []
        for i, (c1, c2) in enumerate(grid):
            model = train_layer(train, label, c1, c2, max_iterations)
            f1 = label_f1(
                quick_score(validation, predict_layer(model, validation, label), "validation"),
                label,
            )
            trials.append({"c1": c1, "c2": c2, "validation_strict_f1": f1})
            if best is None or f1 > best[0]:
                best = (f1, i, model)
        assert best is not None
        f1, i, model = best
        chosen[label] = {"c1": grid[i][0], "c2": grid[i][1], "validation_strict_f1": f1}
        if log:
            print(f"  {label}: c1={grid[i][0]} c2={grid[i][1]} validation strict F1 {f1:.3f}")
        for split, rows in splits.items():
            layers[split].append(predict_layer(model, rows, label))
        chosen[label]["grid"] = trials
    return {split: merge(parts) for split, parts in layers.items()}, {"chosen": chosen}


def predict_splits(dataset: Path) -> tuple[dict[str, dict[str, list[Span]]], dict[str, Any]]:
    train = gold_only(load_split("train", dataset=dataset))
    splits = {split: load_split(split, dataset=dataset) for split in EVAL_SPLITS}
    predictions, details = tune_and_predict(train, splits)
    details |= {"max_iterations": MAX_ITERATIONS, "train_sentences": len(train)}
    return predictions, details


def main(argv: Sequence[str] | None = None) -> int:
    args = argument_parser(__doc__.splitlines()[0]).parse_args(argv)
    system = System(
        name="crf",
        title="character CRF per label layer (sklearn-crfsuite)",
        description=(
            "Three linear-chain CRFs (entity, figure, claim; typed BIO) on character features "
            "(characters in simplified form with neighbours and bigrams, character classes, "
            "inside 《》/quotes, position in the clause), L-BFGS with elastic-net c1/c2 chosen "
            "per layer on validation from a 5x4 grid"
        ),
        trained_on="train gold sentences",
        tuned_on="validation (c1, c2 per layer)",
        packages=("sklearn-crfsuite", "python-crfsuite", "opencc"),
    )
    run_baseline(system, args, predict_splits)
    return 0


if __name__ == "__main__":
    sys.exit(main())
