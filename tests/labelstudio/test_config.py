from __future__ import annotations

from label_studio_sdk.label_interface import LabelInterface

from chainpolicy.labelstudio.config import CONFIG_FILE, label_config
from chainpolicy.labelstudio.tasks import prediction
from chainpolicy.paths import annotations_dir
from chainpolicy.schema import LABEL_NAMES, LS_LABELS_NAME, LS_TEXT_NAME, LS_TYPE_NAMES, types_for


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
