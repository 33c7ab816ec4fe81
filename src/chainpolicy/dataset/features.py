"""Hugging Face features of every config, derived from the label schema.

A list of span structs is ``List({...})`` (``Sequence`` would turn it into a dict of lists).
ClassLabel names reach readers through the Parquet ``huggingface`` metadata and the README's
``dataset_info``; both are written from these definitions.

A span's ``type`` is a ClassLabel over every type of the schema (``TYPE_NAMES``) and null for
spans of labels without types (claims). Null, not -1: datasets keeps Arrow nulls through
``load_dataset``, ``map`` and Parquet, and ``names[None]`` fails loudly where ``names[-1]`` would
silently read the last type.
"""

from __future__ import annotations

from datasets import ClassLabel, Features, List, Value

from chainpolicy.schema import (
    LABEL_NAMES,
    LABELS,
    LABELS_BY_NAME,
    METHODS,
    REPAIR_KINDS,
    STATUSES,
    TYPE_NAMES,
    VOTE_STATUSES,
)


def tag_names(label: str) -> list[str]:
    """BIO tags of one label layer: typed (B-ORG, I-ORG ...) for labels with types."""
    spec = LABELS_BY_NAME[label]
    kinds = spec.types or (spec.name,)
    return ["O", *(f"{prefix}-{kind}" for kind in kinds for prefix in ("B", "I"))]


def span_feature() -> dict[str, object]:
    return {
        "start": Value("int32"),
        "end": Value("int32"),
        "label": ClassLabel(names=list(LABEL_NAMES)),
        "type": ClassLabel(names=list(TYPE_NAMES)),  # null: the label has no types
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
    """``char_bio`` and ``char_bio_hans``: the layout of the Hub's NER datasets (conll2003,
    wnut_17, msra_ner), which token-classification code reads as it is: ``tokens`` (here one per
    character) and a ClassLabel tag sequence per label layer, the entity layer as ``ner_tags``."""
    layers = {spec.tag_column: List(ClassLabel(names=tag_names(spec.name))) for spec in LABELS}
    return Features(
        {
            "id": Value("string"),
            "tokens": List(Value("string")),
            **layers,
            "article_id": Value("string"),
            "script": Value("string"),
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
            # Label Studio's updated_at (else created_at), UTC: what "most recent" means in
            # adjudication, so that users can re-adjudicate (e.g. leave one annotator out).
            "updated_at": Value("timestamp[us, tz=UTC]"),
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


def article_features() -> Features:
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
            "repair_counts": {kind: Value("int32") for kind in REPAIR_KINDS},
            "split": Value("string"),
        }
    )
