"""The dataset's configs: one table, read by the writer, the card and ``load_dataset`` metadata.

Adding a config is one entry here (name, what a record is, its features) plus the rows the row
writer produces for it (``dataset.rowwriter``) and their tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from datasets import Features

from chainpolicy.dataset import features


@dataclass(frozen=True)
class ConfigSpec:
    name: str
    description: str  # what one record is (the card's configs table)
    features: Callable[[], Features]
    default: bool = False  # the config `load_dataset(folder)` loads without a name
    # Training configs hold gold sentences only, so code that trains on a split as it is never
    # learns an unannotated sentence as "nothing to mark"; the other sentence configs keep every
    # sentence with its status. A split without gold is absent (datasets cannot load it empty).
    gold_only: bool = False


CONFIGS: Final[tuple[ConfigSpec, ...]] = (
    ConfigSpec(
        "default",
        "one record per sentence in the article's original script, with its gold spans",
        features.sentence_features,
        default=True,
    ),
    ConfigSpec(
        "zh_hans",
        "the same records in simplified script (OpenCC t2s), spans projected exactly",
        features.sentence_features,
    ),
    ConfigSpec(
        "char_bio",
        "one record per GOLD sentence: its characters (`tokens`) and one BIO tag sequence per "
        "label (`ner_tags` for entities, `figure_tags`, `claim_tags`)",
        features.char_bio_features,
        gold_only=True,
    ),
    ConfigSpec(
        "char_bio_hans",
        "the same in simplified script (OpenCC t2s), tags projected exactly",
        features.char_bio_features,
        gold_only=True,
    ),
    ConfigSpec(
        "annotations",
        "every submitted annotation as its annotator made it (validated), per sentence",
        features.annotation_features,
    ),
    ConfigSpec(
        "articles",
        "one record per article: metadata, cleaned text, repair counts, split",
        features.article_features,
    ),
    ConfigSpec(
        "machine_preannotations",
        "MACHINE pre-annotations shown to annotators (rule-based, never gold), per sentence",
        features.machine_features,
    ),
)
CONFIG_NAMES: Final[tuple[str, ...]] = tuple(spec.name for spec in CONFIGS)
TRAINING_CONFIGS: Final[tuple[str, ...]] = tuple(spec.name for spec in CONFIGS if spec.gold_only)
_BY_NAME: Final[dict[str, ConfigSpec]] = {spec.name: spec for spec in CONFIGS}


def config(name: str) -> ConfigSpec:
    return _BY_NAME[name]


def features_for(name: str) -> Features:
    return _BY_NAME[name].features()


assert sum(spec.default for spec in CONFIGS) == 1, "exactly one default config"
