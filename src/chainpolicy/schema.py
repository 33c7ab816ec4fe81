"""The one label schema, and the project's vocabularies. Every other layer derives from it.

Labels carry their policy (types, whether a span needs a numeral, which other labels it may
overlap in one annotation, whether its text is normalised), and the Label Studio config, the
span rules and reason codes, the dataset features and rows, the pre-annotator, the scorer and
the card all read these tables: no other module of ``src/`` spells a label name (a test checks).

The codec (``LABEL_INDEX``, ``TYPE_INDEX``) maps names to the small integers that storage and
Arrow columns use; only the store, the writers and sort keys use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

ENTITY: Final = "entity"
FIGURE: Final = "figure"
CLAIM: Final = "claim"


@dataclass(frozen=True)
class LabelSpec:
    name: str
    description: str
    colour: str  # Label Studio background colour
    hotkey: str
    types: tuple[str, ...]  # allowed per-region types; empty = the label has no type
    # The column of its BIO layer in the token-classification configs (char_bio ...). The entity
    # layer is `ner_tags`, the name Hub NER datasets and the transformers example expect.
    tag_column: str
    overlaps: frozenset[str] = frozenset()  # other labels its spans may overlap in one annotation
    needs_numeral: bool = False  # a span must contain a numeral
    normalised: bool = False  # rows carry the normalised value, unit and qualifier of its text

    @property
    def type_control(self) -> str | None:
        """Name of its per-region type ``<Choices>`` in Label Studio (labels with types only)."""
        return f"{self.name}_type" if self.types else None


LABELS: Final[tuple[LabelSpec, ...]] = (
    LabelSpec(
        ENTITY,
        "A named organisation, place, person, named document (WORK) or named product/platform",
        "#1f77b4",
        "e",
        ("ORG", "LOC", "PER", "WORK", "PRODUCT"),
        tag_column="ner_tags",
        overlaps=frozenset({CLAIM}),
    ),
    LabelSpec(
        FIGURE,
        "A number with its unit or classifier: counts, money, percentages, dates, ranks",
        "#ff7f0e",
        "f",
        ("COUNT", "MONEY", "PERCENT", "DATE", "RANK", "OTHER"),
        tag_column="figure_tags",
        overlaps=frozenset({CLAIM}),
        needs_numeral=True,
        normalised=True,
    ),
    LabelSpec(
        CLAIM,
        "A checkable statement of fact, achievement, plan or target made by the text",
        "#2ca02c",
        "c",
        (),
        tag_column="claim_tags",
        overlaps=frozenset({ENTITY, FIGURE}),  # a claim may contain both
    ),
)

LABEL_NAMES: Final[tuple[str, ...]] = tuple(spec.name for spec in LABELS)
LABELS_BY_NAME: Final[dict[str, LabelSpec]] = {spec.name: spec for spec in LABELS}
TYPED_LABELS: Final[tuple[str, ...]] = tuple(spec.name for spec in LABELS if spec.types)
# Every type of every label, in label order: the global type index of the codec.
TYPE_NAMES: Final[tuple[str, ...]] = tuple(t for spec in LABELS for t in spec.types)
TYPE_CONTROLS: Final[dict[str, str]] = {
    spec.type_control: spec.name for spec in LABELS if spec.type_control is not None
}

TYPE_DESCRIPTIONS: Final[dict[str, str]] = {
    "ORG": "organisations, companies, institutes, government bodies",
    "LOC": "provinces, cities, districts, regions, countries",
    "PER": "people",
    "WORK": "named documents, policies, plans, reports, standards, publications",
    "PRODUCT": "named platforms, systems, products, projects",
    "COUNT": "counts of things (20家, 1005件, 近100家)",
    "MONEY": "amounts of money (3亿元)",
    "PERCENT": "percentages (11%)",
    "DATE": "dates, years, periods (2017年初, 2020~2022)",
    "RANK": "ranks and positions (第1位, 第八位, TOP100)",
    "OTHER": "any other quantity",
}

# The codec: names <-> indices (Arrow ClassLabel ids, packed storage). -1 = no type.
LABEL_INDEX: Final[dict[str, int]] = {name: i for i, name in enumerate(LABEL_NAMES)}
TYPE_INDEX: Final[dict[str, int]] = {name: i for i, name in enumerate(TYPE_NAMES)}


def types_for(label: str) -> tuple[str, ...]:
    """The allowed types of a label (empty for labels without types)."""
    return LABELS_BY_NAME[label].types


def may_overlap(a: str, b: str) -> bool:
    """Whether spans of labels ``a`` and ``b`` may overlap in one annotation."""
    return b in LABELS_BY_NAME[a].overlaps


def forbidden_overlaps() -> tuple[tuple[str, str], ...]:
    """Pairs of different labels (in label order) whose spans may not overlap."""
    return tuple(
        (a, b)
        for i, a in enumerate(LABEL_NAMES)
        for b in LABEL_NAMES[i + 1 :]
        if not may_overlap(a, b)
    )


def _check() -> None:
    # Import-time checks: a schema edit that breaks an invariant fails at once, loudly.
    assert len(set(TYPE_NAMES)) == len(TYPE_NAMES), "a type name is shared by two labels"
    assert set(TYPE_DESCRIPTIONS) == set(TYPE_NAMES), "every type needs a description"
    columns = [spec.tag_column for spec in LABELS]
    assert len(set(columns)) == len(columns), "two labels share a tag column"
    assert all(c.endswith("_tags") for c in columns), "tag columns end in _tags (Hub convention)"
    for spec in LABELS:
        assert spec.name not in spec.overlaps, f"{spec.name}: a label never overlaps itself"
        for other in spec.overlaps:
            assert spec.name in LABELS_BY_NAME[other].overlaps, f"{spec.name}/{other}: asymmetric"


_check()

# Sentence roles (structure layer). Boilerplate records are kept in the corpus but never annotated.
ROLES: Final = (
    "title",
    "heading",
    "byline",
    "affiliation",
    "lead",
    "body",
    "list_item",
    "caption",
    "footnote",
    "citation",
    "boilerplate",
)
ANNOTATED_ROLES: Final = tuple(r for r in ROLES if r != "boilerplate")

# Label Studio control/object names, used by the config generator and the export validator.
LS_TEXT_NAME: Final = "text"
LS_LABELS_NAME: Final = "label"

# Why a record has the spans it has (dataset ClassLabel; new values go last: ids are stable).
# "annotated_empty": annotated, nothing to mark. "needs_review": an annotation of it lost
# results to quarantine, so its gold is unknown.
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
# Per-annotator config: did this annotation vote, did a newer one of the annotator replace it,
# or did it lose results to quarantine (no vote).
VOTE_STATUSES: Final = ("counted", "superseded", "incomplete")
# Text repairs, in the order they run (chainpolicy.corpus.repairs implements each).
REPAIR_KINDS: Final[dict[str, str]] = {
    "erratum": "reviewed exact replacement (annotations/errata.json)",
    "mojibake": "mis-decoded GB18030 run re-aligned by one byte",
    "pinyin_gloss": "inserted pinyin gloss removed",
    "footnote_moved": "inline footnote moved to its own record",
}
