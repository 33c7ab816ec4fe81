"""The contract between the layers: what the pre-annotator, Label Studio, validation and the
dataset share, defined once below all of them.

- ``spanrules``: the rules one span must pass (offsets, label, type, content), as a table;
- ``results``: the Label Studio result shape (reading one result, writing a span's results);
- ``regions``: one annotation's results -> valid spans, with a reason for every result left out;
- ``reasons``: reason codes (why a result was quarantined) and outcomes (where each result ended);
- ``taskdata``: the keys of a Label Studio task's ``data``;
- ``figures``: the normalised value, unit and qualifier of a figure's text;
- ``layout``: where each config and split lives in the dataset folder.
"""
