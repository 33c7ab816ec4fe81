"""Hugging Face features of every config, derived from the label schema.

A list of span structs is ``List({...})`` (``Sequence`` would turn it into a dict of lists).
ClassLabel names reach readers through the Parquet ``huggingface`` metadata and the README's
``dataset_info``; both are written from these definitions.
"""

from __future__ import annotations

from typing import Final

from datasets import ClassLabel, Features, List, Value

from chainpolicy.schema import LABEL_NAMES, LABELS

CONFIGS: Final = (
    "default",
    "zh_hans",
    "char_bio",
    "annotations",
    "articles",
    "machine_preannotations",
)

# Why a record has the spans it has. "annotated_empty": annotated, nothing to mark.
# "needs_review": an annotation of it lost results to quarantine, so it has no gold (appended
# last so that the ids of the other statuses stay as they were).
STATUSES: Final = (
    "not_annotated",
    "annotated",
    "annotated_empty",
    "not_annotatable",
    "needs_review",
)
# The statuses whose spans are gold (a complete decision, possibly "nothing to mark").
GOLD_STATUSES: Final = ("annotated", "annotated_empty")
# How the gold spans were decided (see chainpolicy.validate.adjudicate).
METHODS: Final = ("none", "single", "majority", "ground_truth")
# Per-annotator config: did this annotation vote, or did a newer one of the annotator replace it.
# "incomplete": some of its results were quarantined, so it is no vote (its sentence needs review
# unless a newer annotation of the same annotator, or a complete ground truth, decides).
VOTE_STATUSES: Final = ("counted", "superseded", "incomplete")


def tag_names(label: str) -> list[str]:
    """BIO tags of one label layer: typed (B-ORG, I-ORG ...) for labels with types."""
    spec = next(s for s in LABELS if s.name == label)
    kinds = spec.types or (spec.name,)
    return ["O", *(f"{prefix}-{kind}" for kind in kinds for prefix in ("B", "I"))]


def span_feature() -> dict[str, object]:
    return {
        "start": Value("int32"),
        "end": Value("int32"),
        "label": ClassLabel(names=list(LABEL_NAMES)),
        "type": Value("string"),
        "text": Value("string"),
        # figures only (null otherwise): the normalised number, its unit and qualifier
        "value": Value("string"),
        "unit": Value("string"),
        "qualifier": Value("string"),
    }


def _provenance() -> dict[str, Value]:
    return {
        "article_id": Value("string"),
        "index": Value("int32"),
        "role": Value("string"),
        "script": Value("string"),
        "start": Value("int32"),
        "end": Value("int32"),
        "raw_start": Value("int32"),
        "raw_end": Value("int32"),
        "text_sha1": Value("string"),
        "duplicate_of": Value("string"),
        "footnote_anchor": Value("string"),
    }


def sentence_features() -> Features:
    """``default`` and ``zh_hans``: one record per sentence with its gold spans."""
    return Features(
        {
            "id": Value("string"),
            "text": Value("string"),
            "spans": List(span_feature()),
            "annotation_status": ClassLabel(names=list(STATUSES)),
            "n_annotators": Value("int32"),
            "adjudication": ClassLabel(names=list(METHODS)),
            "quarantined_results": Value("int32"),
            **_provenance(),
        }
    )


def char_bio_features() -> Features:
    layers = {f"{label}_tags": List(ClassLabel(names=tag_names(label))) for label in LABEL_NAMES}
    return Features(
        {
            "id": Value("string"),
            "article_id": Value("string"),
            "script": Value("string"),
            "chars": List(Value("string")),
            **layers,
            "annotation_status": ClassLabel(names=list(STATUSES)),
        }
    )


def annotation_features() -> Features:
    """``annotations``: every submitted annotation as its annotator made it (after validation)."""
    return Features(
        {
            "sentence_id": Value("string"),
            "article_id": Value("string"),
            "annotation_id": Value("int64"),
            "annotator": Value("int64"),
            "ground_truth": Value("bool"),
            "task_id": Value("int64"),
            "vote": ClassLabel(names=list(VOTE_STATUSES)),
            "text": Value("string"),
            "spans": List(span_feature()),
        }
    )


def machine_features() -> Features:
    """``machine_preannotations``: what the rule-based pre-annotator offered (never gold)."""
    return Features(
        {
            "id": Value("string"),
            "article_id": Value("string"),
            "script": Value("string"),
            "role": Value("string"),
            "text": Value("string"),
            "model_version": Value("string"),
            "spans": List(span_feature()),
        }
    )


def article_features(repair_kinds: tuple[str, ...]) -> Features:
    return Features(
        {
            "id": Value("string"),
            "file": Value("string"),
            "sha256": Value("string"),
            "script": Value("string"),
            "title": Value("string"),
            "authors": List(Value("string")),
            "source": Value("string"),
            "text": Value("string"),
            "raw_chars": Value("int32"),
            "n_records": Value("int32"),
            "repair_counts": {kind: Value("int32") for kind in repair_kinds},
            "split": Value("string"),
        }
    )


def features_for(config: str, repair_kinds: tuple[str, ...]) -> Features:
    if config in ("default", "zh_hans"):
        return sentence_features()
    if config == "char_bio":
        return char_bio_features()
    if config == "annotations":
        return annotation_features()
    if config == "articles":
        return article_features(repair_kinds)
    if config == "machine_preannotations":
        return machine_features()
    raise KeyError(config)
