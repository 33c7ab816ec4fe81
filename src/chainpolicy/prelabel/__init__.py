"""Machine pre-annotations: rule-based figure and entity spans, offered to annotators as
Label Studio *predictions*. They are never gold: they enter the dataset only if an annotator
accepts them in Label Studio, and the separate ``machine_preannotations`` config says what they
are. ``MODEL_VERSION`` names the pre-annotator and changes whenever a rule changes.
"""

from __future__ import annotations

from typing import Final, NamedTuple

from chainpolicy.prelabel.entities import find_entities
from chainpolicy.prelabel.figures import find_figures
from chainpolicy.validate.spancheck import check_span

MODEL_VERSION: Final = "chainpolicy-prelabel-1.0"


class PrelabelSpan(NamedTuple):
    start: int  # half-open code-point offsets into the text given
    end: int
    label: str
    type: str | None
    text: str
    value: str | None = None  # figures: normalised value, unit, qualifier
    unit: str | None = None
    qualifier: str | None = None


def predict(text: str) -> list[PrelabelSpan]:
    """Entity and figure pre-annotations of ``text``, sorted, valid and overlap-free.

    Entities win over figures they overlap (a numeral inside a name, 十四五 in a plan's title);
    every span passes the same ``check_span`` as a human annotation.
    """
    spans = [
        PrelabelSpan(e.start, e.end, "entity", e.type, text[e.start : e.end])
        for e in find_entities(text)
    ]
    taken = [False] * len(text)
    for span in spans:
        for i in range(span.start, span.end):
            taken[i] = True
    for f in find_figures(text):
        if not any(taken[f.start : f.end]):
            spans.append(
                PrelabelSpan(
                    f.start,
                    f.end,
                    "figure",
                    f.type,
                    text[f.start : f.end],
                    f.value,
                    f.unit,
                    f.qualifier,
                )
            )
    return sorted(s for s in spans if check_span(text, s.start, s.end, s.label, s.type) is None)


__all__ = ["MODEL_VERSION", "PrelabelSpan", "predict"]
