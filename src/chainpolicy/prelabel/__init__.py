"""Machine pre-annotations: rule-based entity, figure and claim spans, offered to annotators as
Label Studio *predictions*. They are never gold: they enter the dataset only if an annotator
accepts them in Label Studio, and the separate ``machine_preannotations`` config says what they
are. ``MODEL_VERSION`` names the pre-annotator and changes whenever a rule changes.

Figure values follow ``chainpolicy.contract.figures``: a decimal string with 万/亿 folded in
(``3亿元`` -> ``"300000000"``, unit ``"元"``), percentages as written (``11%`` -> ``"11"``),
dates ISO-like (``"2019-10-24"``, ``"XXXX-06"``, ``"2020/2022"``).
"""

from __future__ import annotations

from typing import Final

from chainpolicy.contract.spanrules import check_span
from chainpolicy.prelabel.claims import find_claims
from chainpolicy.prelabel.entities import find_entities
from chainpolicy.prelabel.figures import find_figures
from chainpolicy.records import Span
from chainpolicy.schema import may_overlap

MODEL_VERSION: Final = "chainpolicy-prelabel-1.1"


def predict(text: str) -> list[Span]:
    """Entity, figure and claim pre-annotations of ``text``, sorted by (start, end, label).

    Entities win over figures they overlap (a numeral inside a name, 十四五 in a plan's title),
    where the schema forbids the two to overlap; claims contain figures by construction; every
    span passes the same ``check_span`` as a human annotation (a span that would not is dropped,
    never repaired).
    """
    entities = find_entities(text)
    figures = [
        f
        for f in find_figures(text)
        if not any(f.overlaps(e) and not may_overlap(e.label, f.label) for e in entities)
    ]
    spans = [*entities, *figures, *find_claims(text, figures)]
    valid = (s for s in spans if check_span(text, s) is None)
    # By label *name* on equal offsets: the order (and so the region ids) of the predictions
    # already offered in Label Studio stays as it was.
    return sorted(valid, key=lambda s: (s.start, s.end, s.label))


__all__ = ["MODEL_VERSION", "predict"]
