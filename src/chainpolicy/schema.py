"""The one label schema. Every other layer derives from it.

The Label Studio config, export validation, the dataset features (ClassLabel names), the
pre-annotators and the scorer all read these tables; nothing else lists labels or types.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class LabelSpec:
    name: str
    description: str
    colour: str  # Label Studio background colour
    hotkey: str
    types: tuple[str, ...]  # allowed per-region types; empty = the label has no type


ENTITY_TYPES: Final = ("ORG", "LOC", "PER", "WORK", "PRODUCT")
FIGURE_TYPES: Final = ("COUNT", "MONEY", "PERCENT", "DATE", "RANK", "OTHER")

LABELS: Final[tuple[LabelSpec, ...]] = (
    LabelSpec(
        "entity",
        "A named organisation, place, person, named document (WORK) or named product/platform",
        "#1f77b4",
        "e",
        ENTITY_TYPES,
    ),
    LabelSpec(
        "figure",
        "A number with its unit or classifier: counts, money, percentages, dates, ranks",
        "#ff7f0e",
        "f",
        FIGURE_TYPES,
    ),
    LabelSpec(
        "claim",
        "A checkable statement of fact, achievement, plan or target made by the text",
        "#2ca02c",
        "c",
        (),
    ),
)

LABEL_NAMES: Final[tuple[str, ...]] = tuple(spec.name for spec in LABELS)
LABELS_BY_NAME: Final[dict[str, LabelSpec]] = {spec.name: spec for spec in LABELS}

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
LS_TYPE_NAMES: Final[dict[str, str]] = {"entity": "entity_type", "figure": "figure_type"}


def types_for(label: str) -> tuple[str, ...]:
    """The allowed types of a label (empty for labels without types)."""
    return LABELS_BY_NAME[label].types


def all_type_names() -> tuple[str, ...]:
    return ENTITY_TYPES + FIGURE_TYPES
