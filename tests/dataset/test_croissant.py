"""croissant.json: valid for mlcroissant, derived from the config table, and readable through it.

The folder is built once (with the committed exports, so every config has records); the
expectations come from the config table, the features and the Parquet files read with pyarrow.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from datasets import ClassLabel, Features, List, Value

from chainpolicy.contract.layout import SPLITS, data_path
from chainpolicy.dataset import croissant
from chainpolicy.dataset.build import BuildInputs, build, find_exports
from chainpolicy.dataset.card_sections import fill_repository, repository_url
from chainpolicy.dataset.configs import CONFIGS
from chainpolicy.dataset.source import CorpusSource
from chainpolicy.errors import ChainpolicyError
from chainpolicy.paths import annotations_dir, repo_root

mlc = pytest.importorskip("mlcroissant")
pytestmark = [  # mlcroissant's own dependencies, not ours
    pytest.mark.filterwarnings("ignore::DeprecationWarning:rdflib"),
    pytest.mark.filterwarnings("ignore:The inplace keyword:Warning"),
]

# The one warning an unpublished folder gets: the date is written by `chainpolicy publish`.
UNPUBLISHED_WARNINGS = {'Property "https://schema.org/datePublished" is recommended'}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("croissant")
    inputs = BuildInputs(
        source=CorpusSource(),
        exports=find_exports(annotations_dir() / "exports"),
        splits_file=annotations_dir() / "splits.json",
        card_template=repo_root() / "dataset_card.md",
    )
    result = build(inputs, tmp / "ds", tmp / "report")
    assert result.out is not None
    return result.out


@pytest.fixture(scope="module")
def document(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / croissant.CROISSANT_PATH).read_text("utf-8"))
    return data


def _configs(folder: Path) -> list[str]:
    return [spec.name for spec in CONFIGS if (folder / "data" / spec.name).is_dir()]


def _dataset(path: Path) -> Any:
    logging.getLogger("absl").setLevel(logging.ERROR)  # mlcroissant logs its warnings too
    return mlc.Dataset(jsonld=str(path))


def _warnings(dataset: Any) -> set[str]:
    return {w.split("] ", 1)[-1].split(", but")[0] for w in dataset.metadata.ctx.issues.warnings}


def test_mlcroissant_validates_it_with_no_error_and_only_the_date_missing(folder: Path) -> None:
    dataset = _dataset(folder / croissant.CROISSANT_PATH)
    assert not dataset.metadata.ctx.issues.errors
    assert _warnings(dataset) == UNPUBLISHED_WARNINGS


def test_as_published_it_has_the_address_the_date_and_no_warning(folder: Path) -> None:
    text = (folder / croissant.CROISSANT_PATH).read_text("utf-8")
    published = croissant.for_repository(
        text, repository_url("org/name"), lambda s: fill_repository(s, "org/name")
    )
    data = json.loads(published)
    assert data["url"] == "https://huggingface.co/datasets/org/name"
    assert data["url"] in data["citeAs"] and data["datePublished"]
    # Relative file paths resolve against the JSON's own folder: write it beside the data.
    beside = folder / "croissant-published.json"
    beside.write_text(published, "utf-8")
    try:
        dataset = _dataset(beside)
        assert not dataset.metadata.ctx.issues.errors and not _warnings(dataset)
    finally:
        beside.unlink()


def test_every_parquet_file_is_a_file_object_with_its_sha256_and_size(
    folder: Path, document: dict[str, Any]
) -> None:
    objects = {d["@id"]: d for d in document["distribution"] if d["@type"] == "cr:FileObject"}
    on_disk = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.parquet"))
    assert sorted(objects) == on_disk
    for path, entry in objects.items():
        data = (folder / path).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert entry["contentSize"] == f"{len(data)} B"
        assert entry["contentUrl"] == path


def _leaves(prefix: str, feature: Any) -> Iterator[tuple[str, Any, bool]]:
    """(field id, leaf feature, inside a list) of every leaf of a feature."""
    inner, listed = (feature.feature, True) if isinstance(feature, List) else (feature, False)
    if isinstance(inner, dict):
        for key, sub in inner.items():
            for ident, leaf, sub_listed in _leaves(f"{prefix}/{key}", sub):
                yield ident, leaf, listed or sub_listed
    else:
        yield prefix, inner, listed


def _flat_fields(fields: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out = {}
    for field in fields:
        out[field["@id"]] = field
        out.update(_flat_fields(field.get("subField", [])))
    return out


_TYPES = {
    "string": "sc:Text",
    "int32": "sc:Integer",
    "int64": "sc:Integer",
    "bool": "sc:Boolean",
    "timestamp[us, tz=UTC]": "sc:DateTime",
}


def test_a_record_set_per_config_with_every_feature_typed_and_class_names_enumerated(
    folder: Path, document: dict[str, Any]
) -> None:
    record_sets = {r["@id"]: r for r in document["recordSet"]}
    enumerations = {
        r["@id"]: r for r in document["recordSet"] if r.get("dataType") == "sc:Enumeration"
    }
    for spec in CONFIGS:
        if spec.name not in _configs(folder):
            assert spec.name not in record_sets
            continue
        fields = _flat_fields(record_sets[spec.name]["field"])
        assert f"{spec.name}/split" in fields
        features: Features = spec.features()
        for name, feature in features.items():
            top = fields[f"{spec.name}/{name}"]
            assert top.get("isArray", False) == isinstance(feature, List), name
            for ident, leaf, _listed in _leaves(f"{spec.name}/{name}", feature):
                field = fields[ident]
                if isinstance(leaf, ClassLabel):
                    assert field["dataType"] == "sc:Integer"
                    enum_id = field["references"]["field"]["@id"].split("/")[0]
                    rows = enumerations[enum_id]["data"]
                    assert [r[f"{enum_id}/name"] for r in rows] == list(leaf.names), ident
                    assert [r[f"{enum_id}/index"] for r in rows] == list(range(len(leaf.names)))
                else:
                    assert isinstance(leaf, Value) and field["dataType"] == _TYPES[leaf.dtype]


def _decode(value: Any) -> Any:
    """mlcroissant yields text as bytes and nested fields under their full ids."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, dict):
        return {k.rsplit("/", 1)[-1]: _decode(v) for k, v in value.items()}
    return value


@pytest.mark.parametrize("config", [spec.name for spec in CONFIGS])
def test_records_read_through_it_are_the_parquet_rows(folder: Path, config: str) -> None:
    if config not in _configs(folder):
        pytest.skip(f"{config} has no records in this build")
    expected: dict[str, list[dict[str, Any]]] = {}
    for split in SPLITS:
        path = folder / data_path(config, split)
        if path.exists():
            expected[split] = pq.read_table(path).to_pylist()
    dataset = _dataset(folder / croissant.CROISSANT_PATH)
    records = [_decode(r) for r in dataset.records(config)]
    assert len(records) == sum(len(rows) for rows in expected.values())
    by_split: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        split = record.pop("split")
        by_split.setdefault(split, []).append(record)
        if config == "articles":  # its own split column is the split field
            record["split"] = split
    for split, rows in expected.items():
        # mlcroissant reads the files in its own order, each file in row order.
        assert by_split[split][:5] == rows[:5], split
        assert len(by_split[split]) == len(rows)


def test_it_is_written_with_sorted_keys_and_the_same_bytes_every_time(folder: Path) -> None:
    text = (folder / croissant.CROISSANT_PATH).read_text("utf-8")
    assert text == croissant.dumps(json.loads(text))
    rows = {
        c: {s: 1 for s in SPLITS if (folder / data_path(c, s)).exists()} for c in _configs(folder)
    }
    meta = croissant.DatasetMeta("n", "d", "1", [], [], [], "c", "x")
    assert croissant.describe(folder, meta, rows) == croissant.describe(folder, meta, rows)


def test_a_feature_without_a_croissant_description_is_named() -> None:
    features = Features({"nested": List(List(Value("string")))})
    with pytest.raises(ChainpolicyError, match="cfg/nested"):
        croissant._record_set("cfg", "d", features, croissant._Enumerations())


def test_class_labels_with_the_same_names_share_one_enumeration() -> None:
    enums = croissant._Enumerations()
    names = ["a", "b"]
    first = enums.key("x", ClassLabel(names=names))
    assert enums.key("y", ClassLabel(names=names)) == first
    other = enums.key("x", ClassLabel(names=["c"]))
    assert other != first
    assert len(list(itertools.islice(enums.record_sets(), 5))) == 2
