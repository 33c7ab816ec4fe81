"""The labelling config, generated from the label schema (``annotations/label_config.xml``).

Never edited by hand: a test checks that the committed file is what ``label_config()`` makes.
The sentence is a ``<Text>`` (never ``HyperText``, which would re-render the text and shift
offsets) inside a pre-wrap view so that spaces show as they are; each typed label gets a
per-region ``<Choices>`` that appears when a region of that label is selected and must be
answered before the annotation can be submitted. The article
title and the neighbouring sentences are shown read-only as context (``<Header>`` tags cannot be
labelled).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from chainpolicy.contract.taskdata import NEXT_KEY, PREV_KEY, TITLE_KEY
from chainpolicy.schema import (
    LABELS,
    LS_LABELS_NAME,
    LS_TEXT_NAME,
    TYPE_DESCRIPTIONS,
)

CONFIG_FILE = "label_config.xml"


def label_config() -> str:
    view = ET.Element("View")
    ET.SubElement(view, "Header", value=f"${TITLE_KEY}", size="5")
    context = {"style": "color: #777; white-space: pre-wrap; font-size: 90%"}
    ET.SubElement(ET.SubElement(view, "View", context), "Header", value=f"${PREV_KEY}", size="6")
    labels = ET.SubElement(view, "Labels", name=LS_LABELS_NAME, toName=LS_TEXT_NAME)
    labels.set("showInline", "true")
    for spec in LABELS:
        ET.SubElement(
            labels,
            "Label",
            value=spec.name,
            background=spec.colour,
            hotkey=spec.hotkey,
            hint=spec.description,
        )
    box = ET.SubElement(view, "View", style="white-space: pre-wrap")
    ET.SubElement(box, "Text", name=LS_TEXT_NAME, value=f"${LS_TEXT_NAME}", granularity="symbol")
    ET.SubElement(ET.SubElement(view, "View", context), "Header", value=f"${NEXT_KEY}", size="6")
    for spec in LABELS:
        if spec.type_control is None:
            continue
        choices = ET.SubElement(
            view,
            "Choices",
            name=spec.type_control,
            toName=LS_TEXT_NAME,
            perRegion="true",
            choice="single",
            showInline="true",
            visibleWhen="region-selected",
            whenLabelValue=spec.name,
            # The UI then refuses to submit a region of this label without a type (otherwise
            # it saves one, and the build quarantines it as missing_type).
            required="true",
            requiredMessage=f"Choose the type of each {spec.name} region: " + ", ".join(spec.types),
        )
        for type_ in spec.types:
            ET.SubElement(choices, "Choice", value=type_, hint=TYPE_DESCRIPTIONS[type_])
    ET.indent(view, space="  ")
    return ET.tostring(view, encoding="unicode") + "\n"
