"""The configs table and the card's computed sections are registries: checked for consistency."""

from __future__ import annotations

import re

import pytest

from chainpolicy.dataset import card_sections
from chainpolicy.dataset.configs import CONFIG_NAMES, CONFIGS, config, features_for
from chainpolicy.paths import repo_root


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
