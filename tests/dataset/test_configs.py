"""The configs table and the card's computed sections are registries: checked for consistency."""

from __future__ import annotations

import re

import pytest
from datasets import ClassLabel, List, Value

from chainpolicy.dataset import card_sections
from chainpolicy.dataset.configs import (
    CONFIG_NAMES,
    CONFIGS,
    TRAINING_CONFIGS,
    config,
    features_for,
)
from chainpolicy.dataset.features import tag_names
from chainpolicy.paths import repo_root
from chainpolicy.schema import LABELS, TYPE_NAMES


def test_config_names_are_unique_one_is_default_and_features_build() -> None:
    assert len(set(CONFIG_NAMES)) == len(CONFIGS)
    assert [spec.name for spec in CONFIGS if spec.default] == ["default"]
    for name in CONFIG_NAMES:
        assert config(name).description and len(features_for(name)) > 0


def test_every_marker_of_the_card_template_has_a_section_and_every_section_a_marker() -> None:
    template = (repo_root() / "dataset_card.md").read_text("utf-8")
    markers = set(re.findall(r"<!-- computed:([a-z_]+) -->", template))
    assert markers == set(card_sections.SECTIONS)


def test_a_section_registered_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="registered twice"):
        card_sections.section("status")(lambda ctx: "")


def test_training_configs_have_the_hub_token_classification_layout() -> None:
    # What the transformers example looks for: `tokens`, then `<task>_tags` (task "ner" by
    # default) as a sequence of ClassLabel. Each label's layer is its schema tag column.
    assert tuple(spec.name for spec in CONFIGS if spec.gold_only) == TRAINING_CONFIGS
    assert {"char_bio", "char_bio_hans"} <= set(TRAINING_CONFIGS)
    assert any(spec.tag_column == "ner_tags" for spec in LABELS)
    for name in TRAINING_CONFIGS:
        features = features_for(name)
        assert list(features)[:2] == ["id", "tokens"]
        assert features["tokens"].feature == Value("string")
        for spec in LABELS:
            layer = features[spec.tag_column]
            assert isinstance(layer, List) and isinstance(layer.feature, ClassLabel)
            assert layer.feature.names == tag_names(spec.name)
        assert not any(
            column.endswith("_tags")
            for column in features
            if column not in {spec.tag_column for spec in LABELS}
        )


def test_span_type_is_a_class_label_over_the_schema_types_in_every_span_config() -> None:
    for name in CONFIG_NAMES:
        features = features_for(name)
        if "spans" in features:
            assert features["spans"].feature["type"].names == list(TYPE_NAMES), name
