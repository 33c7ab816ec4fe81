"""Machine pre-annotations: rule-based entity, figure and claim spans, offered to annotators as
Label Studio *predictions*. They are never gold: they enter the dataset only if an annotator
accepts them in Label Studio, and the separate ``machine_preannotations`` config says what they
are. ``MODEL_VERSION`` names the pre-annotator and changes whenever a rule changes.

Figure values follow ``chainpolicy.prelabel.figures``: a decimal string with 万/亿 folded in
(``3亿元`` -> ``"300000000"``, unit ``"元"``), percentages as written (``11%`` -> ``"11"``),
dates ISO-like (``"2019-10-24"``, ``"XXXX-06"``, ``"2020/2022"``).
"""

from __future__ import annotations

from typing import Final, NamedTuple

from chainpolicy.prelabel.claims import find_claims
from chainpolicy.prelabel.entities import find_entities
from chainpolicy.prelabel.figures import find_figures
from chainpolicy.validate.spancheck import check_span

MODEL_VERSION: Final = "chainpolicy-prelabel-1.1"


class PrelabelSpan(NamedTuple):
    start: int  # half-open code-point offsets into the text given
    end: int
    label: str  # "entity" | "figure" | "claim"
    type: str | None  # a schema type; None for claims
    text: str  # text[start:end]
    value: str | None = None  # figures only: normalised value, unit, qualifier
    unit: str | None = None
    qualifier: str | None = None


def predict(text: str) -> list[PrelabelSpan]:
    """Entity, figure and claim pre-annotations of ``text``, sorted by (start, end).

    Entities win over figures they overlap (a numeral inside a name, 十四五 in a plan's title);
    claims may contain both and never overlap each other; every span passes the same
    ``check_span`` as a human annotation (a span that would not is dropped, never repaired).
    """
    spans = [
        PrelabelSpan(e.start, e.end, "entity", e.type, text[e.start : e.end])
        for e in find_entities(text)
    ]
    taken = [False] * len(text)
    for span in spans:
        taken[span.start : span.end] = [True] * (span.end - span.start)
    figures = [f for f in find_figures(text) if not any(taken[f.start : f.end])]
    spans += [
        PrelabelSpan(f.start, f.end, "figure", f.type, text[f.start : f.end], *f[3:])
        for f in figures
    ]
    spans += [
        PrelabelSpan(c.start, c.end, "claim", None, text[c.start : c.end])
        for c in find_claims(text, figures)
    ]
    valid = (s for s in spans if check_span(text, s.start, s.end, s.label, s.type) is None)
    return sorted(valid, key=lambda s: (s.start, s.end, s.label))


__all__ = ["MODEL_VERSION", "PrelabelSpan", "predict"]
