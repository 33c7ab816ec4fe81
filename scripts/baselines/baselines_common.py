"""What every baseline script shares: loading splits, per-layer BIO, clean submissions, scores.

The baselines read the built dataset the way a user would (its Parquet files, ClassLabel names
from the Hugging Face metadata), learn from the gold sentences of ``train`` only (``validation``
for tuning), and write a submission in the official format: JSONL, one line per sentence of the
split, ``{"id", "spans": [{"start", "end", "label", "type"}]}``, offsets half-open code points
into the ``default`` config's ``text``. Scores come from the official scorer
(``chainpolicy.evaluation.scoring``).

A submission written here is *clean* (``check_spans``): no duplicate span, no two overlapping
spans of one label, no entity overlapping a figure (the pre-annotator's rule: the entity wins),
types from the schema for entities and figures, claims untyped, offsets inside the text.

The module is named ``baselines_common`` rather than ``common`` so that putting this folder on
``sys.path`` (the scripts run from it, the tests import from it) shadows no installed package.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import pyarrow.parquet as pq
from datasets import Features

from chainpolicy.evaluation.scoring import Score, score, score_submission
from chainpolicy.evaluation.submission import GoldSentence, Submission
from chainpolicy.paths import dataset_dir
from chainpolicy.records import Span as ScoredSpan
from chainpolicy.schema import LABEL_NAMES, LABELS_BY_NAME, types_for

SPLITS = ("train", "validation", "test")
EVAL_SPLITS = ("validation", "test")
# The annotation statuses whose spans are gold (the dataset card; the scorer uses the same two).
GOLD_STATUSES = ("annotated", "annotated_empty")
# A figure overlapping an entity is dropped, as the pre-annotator does (a numeral inside a name).
LAYER_PRIORITY = ("entity", "figure")


class Span(NamedTuple):
    start: int  # half-open code-point offsets into the sentence text
    end: int
    label: str  # a schema label name
    type: str | None  # a schema type; None for labels without types (claims)


@dataclass(frozen=True)
class Sentence:
    id: str
    text: str
    spans: tuple[Span, ...]  # gold spans (empty when not gold)
    gold: bool  # annotation_status is one of GOLD_STATUSES
    article_id: str
    script: str
    role: str


# --- loading -------------------------------------------------------------------------------


def parquet_files(dataset: Path, config: str, split: str) -> list[Path]:
    files = sorted((dataset / "data" / config).glob(f"{split}-*.parquet"))
    if not files:
        raise SystemExit(f"error: {dataset}/data/{config}: no Parquet file for split {split!r}")
    return files


def features_of(dataset: Path, config: str, split: str) -> Features:
    """The Hugging Face features of a config (ClassLabel names from the Parquet metadata)."""
    return Features.from_arrow_schema(pq.read_schema(parquet_files(dataset, config, split)[0]))


def read_rows(dataset: Path, config: str, split: str) -> list[dict[str, Any]]:
    """Rows of one config/split, as stored (ClassLabel columns are integers)."""
    rows: list[dict[str, Any]] = []
    for path in parquet_files(dataset, config, split):
        rows += pq.read_table(path).to_pylist()
    return rows


def span_label_names(features: Features) -> list[str]:
    return list(features["spans"].feature["label"].names)


def span_type_names(features: Features) -> list[str]:
    return list(features["spans"].feature["type"].names)


def spans_of(
    raw: Iterable[Mapping[str, Any]], label_names: Sequence[str], type_names: Sequence[str]
) -> tuple[Span, ...]:
    """Spans of a stored row: label and type are ClassLabel ids (a type is null for claims)."""
    return tuple(
        sorted(
            Span(
                s["start"],
                s["end"],
                label_names[s["label"]],
                None if s["type"] is None else type_names[s["type"]],
            )
            for s in raw
        )
    )


def load_split(split: str, config: str = "default", dataset: Path | None = None) -> list[Sentence]:
    """Every sentence of ``split`` in ``config`` (file order), gold or not."""
    dataset = dataset or dataset_dir()
    features = features_of(dataset, config, split)
    statuses, labels = features["annotation_status"].names, span_label_names(features)
    types = span_type_names(features)
    out = []
    for row in read_rows(dataset, config, split):
        gold = statuses[row["annotation_status"]] in GOLD_STATUSES
        out.append(
            Sentence(
                id=row["id"],
                text=row["text"],
                spans=spans_of(row["spans"], labels, types) if gold else (),
                gold=gold,
                article_id=row["article_id"],
                script=row["script"],
                role=row["role"],
            )
        )
    return out


def gold_only(sentences: Iterable[Sentence]) -> list[Sentence]:
    return [s for s in sentences if s.gold]


# --- BIO per label layer -------------------------------------------------------------------


def layer_tags(label: str) -> list[str]:
    """The BIO tags of one layer, as the ``char_bio`` config names them (B-ORG ..., B-claim)."""
    kinds = types_for(label) or (label,)
    return ["O", *(f"{prefix}-{kind}" for kind in kinds for prefix in ("B", "I"))]


def spans_to_tags(length: int, spans: Iterable[Span], label: str) -> list[str]:
    """Character BIO tags of one layer. Gold spans of one label never overlap (annotations are
    overlap-free); should two, the first in (start, -length) order keeps its characters."""
    tags = ["O"] * length
    layer = sorted((s for s in spans if s.label == label), key=lambda s: (s.start, s.start - s.end))
    for span in layer:
        if any(tag != "O" for tag in tags[span.start : span.end]):
            continue
        kind = span.type or label
        tags[span.start] = f"B-{kind}"
        for i in range(span.start + 1, span.end):
            tags[i] = f"I-{kind}"
    return tags


def tags_to_spans(tags: Sequence[str], label: str) -> list[Span]:
    """Spans of a BIO sequence, conlleval's reading: ``B-X`` opens a span; ``I-X`` continues a
    span of kind X and otherwise opens one (an ``I`` after ``O`` or after another kind is the
    start of a span, not an error); ``O`` closes."""
    typed = bool(types_for(label))
    out: list[Span] = []
    start, kind = -1, ""
    for i, tag in enumerate([*tags, "O"]):
        prefix, _, tag_kind = tag.partition("-")
        continues = prefix == "I" and start >= 0 and tag_kind == kind
        if start >= 0 and not continues:
            out.append(Span(start, i, label, kind if typed else None))
            start = -1
        if prefix in ("B", "I") and not continues:
            start, kind = i, tag_kind
    return out


# --- clean submissions ---------------------------------------------------------------------


def resolve(spans: Iterable[Span]) -> list[Span]:
    """A clean span list: duplicates collapse; within a label the longer (then earlier) of two
    overlapping spans stays; a figure overlapping a kept entity is dropped; invalid types are
    dropped. Never repairs a span, only drops."""
    kept: list[Span] = []
    for label in LABEL_NAMES:
        allowed = types_for(label)
        layer = {
            s
            for s in spans
            if s.label == label
            and s.start < s.end
            and (s.type in allowed if allowed else s.type is None)
        }
        taken: list[Span] = []
        for span in sorted(layer, key=lambda s: (s.start - s.end, s.start)):
            if any(_overlap(span, t) for t in taken):
                continue
            if label in LAYER_PRIORITY and any(
                _overlap(span, k) for k in kept if k.label in LAYER_PRIORITY
            ):
                continue
            taken.append(span)
        kept += taken
    return sorted(kept)


def _overlap(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end


def check_spans(text: str, spans: Sequence[Span]) -> str | None:
    """Why ``spans`` is not a clean submission for ``text`` (None when it is)."""
    seen: set[Span] = set()
    for span in spans:
        if not (isinstance(span.start, int) and isinstance(span.end, int)):
            return f"non-integer offsets {span}"
        if not 0 <= span.start < span.end <= len(text):
            return f"offsets outside the text {span}"
        spec = LABELS_BY_NAME.get(span.label)
        if spec is None:
            return f"unknown label {span}"
        if spec.types and span.type not in spec.types:
            return f"type not in the schema {span}"
        if not spec.types and span.type is not None:
            return f"a type on an untyped label {span}"
        if span in seen:
            return f"duplicate {span}"
        seen.add(span)
    for i, a in enumerate(spans):
        for b in spans[i + 1 :]:
            same = a.label == b.label
            crossed = {a.label, b.label} == set(LAYER_PRIORITY)
            if (same or crossed) and _overlap(a, b):
                return f"overlapping {a} and {b}"
    return None


def submission_lines(
    sentences: Sequence[Sentence], predictions: Mapping[str, Sequence[Span]]
) -> list[str]:
    """One JSON line per sentence of the split, in split order, spans resolved and checked."""
    lines = []
    for sentence in sentences:
        spans = resolve(predictions.get(sentence.id, ()))
        problem = check_spans(sentence.text, spans)
        if problem:  # resolve() makes this unreachable; a bug here must not reach a file
            raise AssertionError(f"{sentence.id}: {problem}")
        item = {
            "id": sentence.id,
            "spans": [
                {"start": s.start, "end": s.end, "label": s.label, "type": s.type} for s in spans
            ],
        }
        lines.append(json.dumps(item, ensure_ascii=False))
    return lines


def write_text(path: Path, text: str) -> None:
    """Write through a temporary file in the same folder, then rename (never a half file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_submission(
    path: Path, sentences: Sequence[Sentence], predictions: Mapping[str, Sequence[Span]]
) -> None:
    write_text(path, "".join(line + "\n" for line in submission_lines(sentences, predictions)))


def metadata_path(submission: Path) -> Path:
    """``x/submission.jsonl`` -> ``x/submission.meta.json``."""
    return submission.with_name(submission.name.removesuffix(".jsonl") + ".meta.json")


# --- scores --------------------------------------------------------------------------------


def official_score(
    dataset: Path, split: str, sentences: Sequence[Sentence], predictions: Mapping[str, Any]
) -> Score:
    """The official scorer on a submission file of ``predictions`` (written to a temp file)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{split}.jsonl"
        write_submission(path, sentences, predictions)
        return score(dataset, path, "default", split)


def gold_table(sentences: Iterable[Sentence]) -> dict[str, GoldSentence]:
    """Gold in the shape the scorer takes: id -> the package's gold sentence."""
    return {
        s.id: GoldSentence(
            s.id, s.text, tuple(ScoredSpan(*g) for g in s.spans), s.gold, s.script, s.article_id
        )
        for s in sentences
    }


def quick_score(
    sentences: Sequence[Sentence], predictions: Mapping[str, Sequence[Span]], split: str
) -> Score:
    """The official matching in memory (no bootstrap), for tuning on validation."""
    predicted = {
        sid: [ScoredSpan(*s) for s in resolve(spans)] for sid, spans in predictions.items()
    }
    return score_submission(
        gold_table(sentences), Submission(spans=predicted), "default", split, resamples=0
    )


def label_f1(result: Score, label: str) -> float:
    return next(item.strict_f1 for item in result.labels if item.label == label)


def score_summary(result: Score) -> dict[str, Any]:
    return {
        "sentences": result.sentences,
        "micro_strict_f1": result.micro_strict_f1,
        "micro_partial_f1": result.micro_partial_f1,
        "strict_f1": {item.label: item.strict_f1 for item in result.labels},
        "labels": [item.model_dump() for item in result.labels],
    }


def score_line(result: Score) -> str:
    per_label = "  ".join(f"{item.label} {item.strict_f1:.3f}" for item in result.labels)
    return (
        f"{result.split:<10} {result.sentences:3d} sentences  micro strict F1 "
        f"{result.micro_strict_f1:.3f} (partial {result.micro_partial_f1:.3f})  {per_label}"
    )


# --- command line and metadata -------------------------------------------------------------


def argument_parser(description: str, default_seed: int = 13) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", type=Path, required=True, help="the submission file to write")
    parser.add_argument(
        "--split", choices=EVAL_SPLITS, default="test", help="the split the submission covers"
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=default_seed,
        help="fixed random seed (recorded by systems that use no randomness)",
    )
    parser.add_argument(
        "--dataset", type=Path, default=None, help="the built dataset folder (default: dataset/)"
    )
    return parser


def versions(*packages: str) -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in ("chainpolicy", *packages):
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def data_summary(sentences: Mapping[str, Sequence[Sentence]]) -> dict[str, Any]:
    return {
        split: {
            "sentences": len(rows),
            "gold_sentences": sum(s.gold for s in rows),
            "gold_spans": sum(len(s.spans) for s in rows),
            "articles": sorted({s.article_id for s in rows}),
        }
        for split, rows in sentences.items()
    }


@dataclass(frozen=True)
class System:
    """What a baseline tells the runner about itself (goes into the metadata file)."""

    name: str  # short id, e.g. "crf"
    title: str  # a plain name for a leaderboard row
    description: str
    trained_on: str  # what it learned from
    tuned_on: str  # what chose its settings ("nothing" if nothing)
    packages: tuple[str, ...] = ()


def run_baseline(
    system: System,
    args: argparse.Namespace,
    predict: Callable[[Path], tuple[dict[str, dict[str, list[Span]]], dict[str, Any]]],
) -> dict[str, Any]:
    """Train/predict via ``predict(dataset)`` -> ({split: {id: spans}}, details), then write the
    submission of ``args.split`` and its metadata, and print the official score of validation and
    test. Returns the metadata."""
    dataset = (args.dataset or dataset_dir()).resolve()
    started = time.perf_counter()
    predictions, details = predict(dataset)
    seconds = time.perf_counter() - started
    splits = {split: load_split(split, dataset=dataset) for split in SPLITS}
    scores = {
        split: official_score(dataset, split, splits[split], predictions[split])
        for split in EVAL_SPLITS
    }
    write_submission(args.out, splits[args.split], predictions[args.split])
    metadata = {
        "system": system.name,
        "name": system.title,
        "description": system.description,
        "trained_on": system.trained_on,
        "tuned_on": system.tuned_on,
        "submission": str(args.out),
        "config": "default",
        "split": args.split,
        "seed": args.seed,
        "run_seconds": round(seconds, 2),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "libraries": versions(*system.packages),
        "data": data_summary(splits),
        "scores": {split: score_summary(result) for split, result in scores.items()},
        "details": details,
    }
    write_text(metadata_path(args.out), json.dumps(metadata, ensure_ascii=False, indent=2) + "\n")
    print(f"{system.title}")
    print(f"  trained on: {system.trained_on}")
    print(f"  tuned on:   {system.tuned_on}")
    print(f"  run time:   {seconds:.1f} s")
    for result in scores.values():
        print("  " + score_line(result))
    print(f"  wrote {args.out} ({args.split}) and {metadata_path(args.out)}")
    return metadata
