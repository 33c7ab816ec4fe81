"""The dataset card: hand-written prose from dataset_card.md plus the computed parts."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from huggingface_hub import DatasetCard

from chainpolicy.dataset.build import BuildInputs, BuildResult, build
from chainpolicy.dataset.card import MARKER
from chainpolicy.dataset.configs import CONFIG_NAMES as CONFIGS
from chainpolicy.dataset.source import CorpusSource
from chainpolicy.errors import InputError
from chainpolicy.paths import annotations_dir, dataset_dir, repo_root
from chainpolicy.schema import LABEL_NAMES

TEMPLATE = repo_root() / "dataset_card.md"


def test_committed_card_has_the_hub_metadata_and_every_computed_part() -> None:
    card = DatasetCard.load(dataset_dir() / "README.md")
    data = card.data.to_dict()
    for key in ("license", "language", "task_categories", "pretty_name", "size_categories"):
        assert data.get(key), key
    assert data["annotations_creators"] and data["source_datasets"]
    assert {c["config_name"] for c in data["configs"]} == set(CONFIGS)
    default = next(i for i in data["dataset_info"] if i["config_name"] == "default")
    spans = next(f for f in default["features"] if f["name"] == "spans")
    label = next(f for f in spans["list"] if f["name"] == "label")
    assert list(label["dtype"]["class_label"]["names"].values()) == list(LABEL_NAMES)
    # Every marker of the template is filled in, with something after it.
    wanted = MARKER.findall(TEMPLATE.read_text("utf-8"))
    assert wanted
    for name in wanted:
        after = card.text.split(f"<!-- computed:{name} -->\n", 1)[1]
        assert after.strip() and not after.startswith("<!--"), name
    for image in re.findall(r"!\[[^]]*\]\(([^)]+)\)", card.text):
        assert (dataset_dir() / image).read_bytes().startswith(b"\x89PNG"), image


def _build_with(template: Path, tmp_path: Path) -> BuildResult:
    inputs = BuildInputs(
        source=CorpusSource(),
        exports=[],
        splits_file=annotations_dir() / "splits.json",
        card_template=template,
    )
    return build(inputs, tmp_path / "ds", tmp_path / "report")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace("<!-- computed:counts -->", "<!-- computed:nonsense -->"), "nonsense"),
        (lambda t: t.split("---\n", 2)[2], "front matter"),
    ],
)
def test_a_bad_template_is_named_and_nothing_is_published(
    tmp_path: Path, edit: Callable[[str], str], message: str
) -> None:
    template = tmp_path / "card.md"
    template.write_text(edit(TEMPLATE.read_text("utf-8")), "utf-8")
    with pytest.raises(InputError, match=message) as info:
        _build_with(template, tmp_path)
    assert str(template) in str(info.value)
    assert not (tmp_path / "ds").exists()


def test_front_matter_of_the_template_is_kept(tmp_path: Path) -> None:
    result = _build_with(TEMPLATE, tmp_path)
    assert result.out is not None
    written = (result.out / "README.md").read_text("utf-8")
    front = yaml.safe_load(written.split("---\n", 2)[1])
    source = yaml.safe_load(TEMPLATE.read_text("utf-8").split("---\n", 2)[1])
    for key, value in source.items():
        assert front[key] == value, key
