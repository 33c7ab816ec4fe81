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
        "one record per sentence: its characters and one BIO tag sequence per label",
        features.char_bio_features,
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
_BY_NAME: Final[dict[str, ConfigSpec]] = {spec.name: spec for spec in CONFIGS}


def config(name: str) -> ConfigSpec:
    return _BY_NAME[name]


def features_for(name: str) -> Features:
    return _BY_NAME[name].features()


assert sum(spec.default for spec in CONFIGS) == 1, "exactly one default config"
