"""Reason codes (why a result was quarantined) and outcomes (where every result ended).

Every result of every export ends in exactly one outcome; the build report checks that the
outcomes add up to the number of results read. Quarantine is the only outcome that ``--strict``
treats as a failure: cancelled annotations, drafts and predictions are legitimate and only counted.
Codes that depend on label policy (overlaps, numerals) are generated from the schema.
"""

from __future__ import annotations

from typing import Final

from chainpolicy.contract.spanrules import numeral_reason
from chainpolicy.schema import LABELS, TYPED_LABELS, forbidden_overlaps


def overlap_reason(a: str, b: str) -> str:
    """The code for two overlapping spans of labels ``a`` and ``b`` (in label order)."""
    return "overlap_same_label" if a == b else f"overlap_{a}_{b}"


# Quarantine reasons, in the order the checks run. Descriptions go into the build report.
REASONS: Final[dict[str, str]] = {
    "unknown_sentence": "the task names no sentence id, or one that is not in the corpus",
    "not_annotatable": "the task's sentence is boilerplate, which is never annotated",
    "missing_text": "the task has no text (or none that is valid Unicode: a lone surrogate)",
    "text_changed": (
        "the sentence text changed since the task was made and the annotated characters are not "
        "at the same article offsets any more (or now cross a sentence boundary)"
    ),
    "malformed_result": "the result does not have the shape of a Label Studio result",
    "wrong_to_name": "to_name is not the text object of the label config",
    "wrong_result_type": "the result type is neither 'labels' nor 'choices' (case matters)",
    "wrong_from_name": "from_name is not the control of the label config for this result type",
    "duplicate_region_id": (
        "two different label results share one region id: all of them (and their type) are "
        "quarantined, since which one was meant is unknown"
    ),
    "orphan_type": "a type choice whose region has no label result",
    "label_count": "a region does not carry exactly one label",
    "unknown_label": "the label is not in the schema",
    "type_count": "a region carries more than one type choice",
    "unknown_type": "the type is not one of the label's types (or the label has no types)",
    "missing_type": f"a span of a label with types ({', '.join(TYPED_LABELS)}) has no type",
    "type_region_mismatch": "the type choice covers other offsets than its label",
    "bad_offsets": "offsets are missing or not 0 <= start < end <= len(text)",
    "no_content": "the span is only whitespace and/or punctuation",
    "untrimmed": "the span has leading or trailing whitespace",
    **{
        numeral_reason(spec.name): f"a {spec.name} span contains no numeral"
        for spec in LABELS
        if spec.needs_numeral
    },
    "text_mismatch": "value.text does not match the text at start:end (even loosely)",
    "overlap_same_label": "two spans of the same label overlap in one annotation",
    **{
        overlap_reason(a, b): f"an {a} span and a {b} span overlap in one annotation"
        for a, b in forbidden_overlaps()
    },
}

# Outcomes other than quarantine.
OUTCOMES: Final[dict[str, str]] = {
    "adopted": "part of a gold span in the dataset (default config)",
    "not_adopted": (
        "valid, kept in the per-annotator config, but not part of the adjudicated gold span set"
    ),
    "superseded": (
        "valid, but a newer annotation by the same annotator of the same sentence (or a newer "
        "copy of the same annotation in another export) replaced it"
    ),
    "held_for_review": (
        "valid, but its sentence needs review (one of its annotations lost results to "
        "quarantine), so it is not gold; kept in the per-annotator config"
    ),
    "excluded_cross_split_duplicate": (
        "valid, but its sentence is left out because the same text is in another split"
    ),
    "collapsed_duplicate": "an exact repeat of another result of the same annotation",
    "excluded_cancelled": "from a cancelled (skipped) annotation",
    "excluded_draft": "from a draft that was never submitted",
    "excluded_prediction": (
        "from a machine prediction: never gold; its valid spans on the current text are "
        "published in the separate machine_preannotations config"
    ),
    "quarantined": "failed a rule; listed with its reason in the quarantine list",
}
