"""One example record per config for the card, read back from the Parquet files the build wrote.

Among the first ``SCAN`` records of a config (splits in order), the record shown is the first
gold one (the schema's first gold status: annotated, with spans; else any gold status) that
shows the most kinds of annotation: distinct labels in its span lists, BIO layers with a tag.
Configs without an annotation status rank by the annotation alone. Which column is the status
and which are annotations is found from the features (the ClassLabel over ``schema.STATUSES``,
lists of structs with class labels, lists of class labels), so renamed or added columns need
nothing here. Long texts and lists are shortened for display; values are shown as stored (class
labels as integers, named beside each example). The choice depends on the files only.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import pyarrow.parquet as pq
from datasets import ClassLabel, Features, List

from chainpolicy.contract.layout import SPLITS, data_path
from chainpolicy.schema import GOLD_STATUSES, STATUSES

MAX_TEXT: Final = 80  # characters of a string shown (a sha256 fits)
MAX_ITEMS: Final = 12  # items of a list of values shown
MAX_RECORDS: Final = 3  # items of a list of structs shown
SCAN: Final = 1000  # records of a config looked at to choose one
SHORTENED: Final = (
    f"Strings longer than {MAX_TEXT} characters end in `…`, lists show their first "
    f"{MAX_ITEMS} values (lists of spans their first {MAX_RECORDS}) and then how many more "
    "there are; class labels are stored as integers (their names follow each example)."
)


@dataclass(frozen=True)
class Example:
    split: str
    which: str  # how the record was chosen, for the card
    text: str  # the record, shortened, as JSON
    labels: str  # the class-label names of the values shown


def example(root: Path, config: str, features: Features, rows: Mapping[str, int]) -> Example | None:
    status = _status_column(features)
    best: tuple[tuple[int, int], str, dict[str, Any]] | None = None
    seen = 0
    split: str
    for split in SPLITS:
        if not rows.get(split) or seen >= SCAN:
            continue
        for record in _records(root / data_path(config, split)):
            rank = (_status_rank(record, status), -_kinds(features, record))
            if best is None or rank < best[0]:
                best = (rank, split, record)
            seen += 1
            if seen >= SCAN:
                break
    if best is None:
        return None
    (gold, kinds), split, record = best
    return Example(
        split=split,
        which=_which(status is not None, gold, -kinds),
        text=render(shorten(record)),
        labels="; ".join(f"`{k}` {v}" for k, v in _label_names(features, record).items()),
    )


def _which(has_status: bool, gold: int, kinds: int) -> str:
    what = "record"
    if has_status and gold < 2:
        what = "gold record"
    return f"a {what} with annotations" if kinds else f"the first {what}"


def _status_column(features: Features) -> str | None:
    for name, feature in features.items():
        if isinstance(feature, ClassLabel) and list(feature.names) == list(STATUSES):
            return name
    return None


def _is_struct(feature: List) -> bool:
    return isinstance(feature.feature, dict)


def _status_rank(record: Mapping[str, Any], status: str | None) -> int:
    """0: gold with spans (the first gold status), 1: other gold, 2: not gold or no status."""
    if status is None:
        return 0
    name = STATUSES[record[status]]
    if name == GOLD_STATUSES[0]:
        return 0
    return 1 if name in GOLD_STATUSES else 2


def _kinds(features: Features, record: Mapping[str, Any]) -> int:
    """How many kinds of annotation the record shows: distinct class-label values in its lists
    of structs (span labels), and lists of class labels with a value other than the first (BIO
    layers with a tag)."""
    kinds = 0
    for name, feature in features.items():
        value = record.get(name) or []
        if not isinstance(feature, List):
            continue
        inner = feature.feature
        if isinstance(inner, ClassLabel):
            kinds += any(v for v in value)
        elif isinstance(inner, dict):
            labels = [k for k, f in inner.items() if isinstance(f, ClassLabel)]
            kinds += len({(k, item[k]) for item in value for k in labels})
    return kinds


def _records(path: Path) -> Iterator[dict[str, Any]]:
    # Batches, so that a large config is not read whole to find its first gold record.
    for batch in pq.ParquetFile(path).iter_batches(batch_size=256):
        yield from batch.to_pylist()


def shorten(value: Any, limit: int = MAX_ITEMS) -> Any:
    if isinstance(value, datetime):
        # Timestamps (the annotations config's ``updated_at``) read back as datetimes; shown
        # the way the JSON exports write them.
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, str):
        return value if len(value) <= MAX_TEXT else value[:MAX_TEXT] + "…"
    if isinstance(value, dict):
        return {k: shorten(v) for k, v in value.items()}
    if isinstance(value, list):
        keep = MAX_RECORDS if any(isinstance(v, dict) for v in value) else limit
        shown = [shorten(v) for v in value[:keep]]
        if len(value) > keep:
            shown.append(f"… {len(value) - keep} more")
        return shown
    return value


def render(value: Any) -> str:
    """JSON with one field per line; a list of plain values, and each struct in a list, on one
    line (short to read)."""
    if isinstance(value, dict):
        fields = [f"  {json.dumps(k)}: {_render_value(v)}" for k, v in value.items()]
        return "{\n" + ",\n".join(fields) + "\n}"
    return _render_value(value)


def _render_value(value: Any) -> str:
    if isinstance(value, list) and any(isinstance(v, dict) for v in value):
        return "[\n" + ",\n".join("    " + _inline(v) for v in value) + "\n  ]"
    return _inline(value)


def _inline(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def _label_names(features: Features, record: Mapping[str, Any]) -> dict[str, str]:
    """``field`` -> ``"1 = `annotated`"``: the names of the class-label values shown."""
    found: dict[str, tuple[ClassLabel, set[int]]] = {}

    def walk(path: str, feature: Any, value: Any) -> None:
        if value is None:
            return
        if isinstance(feature, ClassLabel):
            if isinstance(value, int):
                found.setdefault(path, (feature, set()))[1].add(value)
        elif isinstance(feature, List):
            struct = _is_struct(feature)
            for item in value[: MAX_RECORDS if struct else MAX_ITEMS]:
                walk(f"{path}[]" if struct else path, feature.feature, item)
        elif isinstance(feature, dict):
            for key, sub in feature.items():
                walk(f"{path}.{key}", sub, value.get(key))

    for name, feature in features.items():
        walk(name, feature, record.get(name))
    return {
        path: ", ".join(f"{v} = `{label.names[v]}`" for v in sorted(values))
        for path, (label, values) in found.items()
    }
