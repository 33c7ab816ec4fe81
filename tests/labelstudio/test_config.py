from __future__ import annotations

import xml.etree.ElementTree as ET

from label_studio_sdk.label_interface import LabelInterface

from chainpolicy.contract.taskdata import NEXT_KEY, PREV_KEY, TITLE_KEY, task_data
from chainpolicy.labelstudio.config import CONFIG_FILE, label_config
from chainpolicy.labelstudio.tasks import prediction
from chainpolicy.paths import annotations_dir
from chainpolicy.schema import (
    LABEL_NAMES,
    LABELS,
    LS_LABELS_NAME,
    LS_TEXT_NAME,
    TYPE_CONTROLS,
    types_for,
)

# label -> the name of its per-region type control
LS_TYPE_NAMES = {label: control for control, label in TYPE_CONTROLS.items()}


def test_committed_config_is_the_generated_one() -> None:
    assert (annotations_dir() / CONFIG_FILE).read_text("utf-8") == label_config()


def test_label_interface_reads_labels_types_and_a_text_object() -> None:
    interface = LabelInterface(label_config())
    labels = interface.get_control(LS_LABELS_NAME)
    assert labels.tag == "Labels" and list(labels.labels) == list(LABEL_NAMES)
    assert interface.get_object(LS_TEXT_NAME).tag == "Text"  # never HyperText
    for label, name in LS_TYPE_NAMES.items():
        choices = interface.get_control(name)
        assert choices.tag == "Choices" and list(choices.labels) == list(types_for(label))
        assert choices.attr["perRegion"] == "true" and choices.attr["whenLabelValue"] == label
    xml = label_config()
    assert "HyperText" not in xml and "pre-wrap" in xml


def test_a_generated_prediction_validates() -> None:
    text = "目前,江苏省在国家互联网信息办公室备案的区块链信息服务企业共有20家。"
    item = prediction(text)
    assert item["result"]
    assert LabelInterface(label_config()).validate_prediction(item)


def test_labels_take_colours_and_hotkeys_from_the_schema_and_they_are_distinct() -> None:
    root = ET.fromstring(label_config())
    shown = {el.get("value"): (el.get("background"), el.get("hotkey")) for el in root.iter("Label")}
    assert shown == {spec.name: (spec.colour, spec.hotkey) for spec in LABELS}
    colours, hotkeys = zip(*shown.values(), strict=True)
    assert len(set(colours)) == len(colours) and len(set(hotkeys)) == len(hotkeys)


def test_context_is_read_only_and_its_keys_collide_with_nothing() -> None:
    root = ET.fromstring(label_config())
    # Only the sentence is a Text object; context is shown in Headers, which cannot be labelled.
    assert [el.get("name") for el in root.iter("Text")] == [LS_TEXT_NAME]
    headers = {el.get("value") for el in root.iter("Header")}
    assert headers == {f"${TITLE_KEY}", f"${PREV_KEY}", f"${NEXT_KEY}"}
    context = {TITLE_KEY, PREV_KEY, NEXT_KEY}
    data = task_data("s", "a", "t", 0)
    controls = {el.get("name") for el in root.iter() if el.get("name")}
    assert len(context) == 3 and not context & (set(data) | controls)
    assert not set(data) - {LS_TEXT_NAME} & controls


def test_type_choices_appear_only_for_a_selected_region_of_their_label() -> None:
    root = ET.fromstring(label_config())
    for choices in root.iter("Choices"):
        label = {v: k for k, v in LS_TYPE_NAMES.items()}[choices.get("name")]
        assert choices.get("visibleWhen") == "region-selected"
        assert choices.get("whenLabelValue") == label
        assert choices.get("toName") == LS_TEXT_NAME and choices.get("choice") == "single"
    assert {el.get("name") for el in root.iter("Choices")} == set(LS_TYPE_NAMES.values())
    assert all(spec.name in LS_TYPE_NAMES for spec in LABELS if spec.types)


def test_the_ui_refuses_a_region_without_its_type() -> None:
    # Without required="true" the UI saves an untyped entity/figure region, which the build
    # then quarantines (missing_type): the annotator should be told while labelling instead.
    interface = LabelInterface(label_config())
    for label, name in LS_TYPE_NAMES.items():
        choices = interface.get_control(name)
        assert choices.is_output_required, name
        message = choices.attr["requiredMessage"]
        assert label in message and all(type_ in message for type_ in types_for(label))
    # Only the type choices: a sentence may have no region at all.
    assert set(interface.to_json_schema()["required"]) == set(LS_TYPE_NAMES.values())
