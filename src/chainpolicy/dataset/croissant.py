"""``croissant.json``: the dataset folder in Croissant 1.1 (JSON-LD), from the config table.

One record set per config, with a field per feature (its Croissant data type, ``isArray`` for
lists, ``subField`` for structs), a ``split`` field read from the file path, and one
``sc:Enumeration`` record set per distinct ClassLabel holding its names by index; every Parquet
file is a ``FileObject`` with its sha256. Everything is derived from ``dataset.configs`` and
``dataset.features``, so a new config or field is described without touching this module.

The JSON is written with sorted keys and nothing time-dependent; ``url``, the citation's address
and ``datePublished`` are left for ``chainpolicy publish`` to fill in (``for_repository``).

Records are read by pandas through mlcroissant: a list of structs is a ``subField`` per struct
key, each read with a ``jsonPath`` from the list column (mlcroissant rebuilds the list of dicts).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from datasets import ClassLabel, Features, List, Value

from chainpolicy import atomic
from chainpolicy.contract.layout import SPLITS, data_path
from chainpolicy.dataset.configs import CONFIGS
from chainpolicy.errors import ChainpolicyError

CROISSANT_PATH: Final = "croissant.json"
CONFORMS_TO: Final = "http://mlcommons.org/croissant/1.1"
SPLITS_RECORD_SET: Final = "splits"
SPLIT_COLUMN: Final = "split"
_SPLIT_URLS: Final = {
    "train": "cr:TrainingSplit",
    "validation": "cr:ValidationSplit",
    "test": "cr:TestSplit",
}
# The context recommended by the Croissant 1.1 specification (its Appendix 1).
CONTEXT: Final[dict[str, Any]] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "sc": "https://schema.org/",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "dct": "http://purl.org/dc/terms/",
    "annotation": "cr:annotation",
    "arrayShape": "cr:arrayShape",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "containedIn": "cr:containedIn",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "excludes": "cr:excludes",
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isArray": "cr:isArray",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "readLines": "cr:readLines",
    "sdVersion": "cr:sdVersion",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
    "unArchive": "cr:unArchive",
    "value": "cr:value",
    # Not in the specification's appendix, but in mlcroissant's standard context (it warns
    # about a context without them).
    "path": "cr:path",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
}
# Hugging Face value dtypes -> schema.org data types.
_VALUE_TYPES: Final = {
    "string": "sc:Text",
    "large_string": "sc:Text",
    "bool": "sc:Boolean",
    **{f"int{n}": "sc:Integer" for n in (8, 16, 32, 64)},
    **{f"uint{n}": "sc:Integer" for n in (8, 16, 32, 64)},
    **{f"float{n}": "sc:Float" for n in (16, 32, 64)},
    # The annotations config's ``updated_at``: Parquet timestamps in UTC.
    **{f"timestamp[{u}, tz=UTC]": "sc:DateTime" for u in ("s", "ms", "us", "ns")},
}


@dataclass(frozen=True)
class DatasetMeta:
    """What the card says about the dataset as a whole (name, summary, licence, citation)."""

    name: str
    description: str
    version: str
    keywords: Sequence[str]
    languages: Sequence[str]
    licenses: Sequence[Mapping[str, str]]  # each: name, and url when there is one
    creator: str
    cite_as: str


def write(root: Path, meta: DatasetMeta, rows: Mapping[str, Mapping[str, int]]) -> None:
    """``croissant.json`` of the dataset folder ``root`` (its Parquet files already written)."""
    atomic.write_text(root / CROISSANT_PATH, dumps(describe(root, meta, rows)))


def dumps(document: Mapping[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def for_repository(text: str, url: str, fill: Callable[[str], str]) -> str:
    """The file as published at ``url``: its address, its citation's, and the date published
    (the one time-dependent value, written only into the copy that is uploaded)."""
    document = json.loads(text)
    document["url"] = url
    document["citeAs"] = fill(str(document.get("citeAs", "")))
    document["datePublished"] = datetime.now(UTC).date().isoformat()
    return dumps(document)


def describe(
    root: Path, meta: DatasetMeta, rows: Mapping[str, Mapping[str, int]]
) -> dict[str, Any]:
    enums = _Enumerations()
    files: list[dict[str, Any]] = []
    record_sets: list[dict[str, Any]] = []
    for spec in CONFIGS:
        if spec.name not in rows:
            continue
        splits = [s for s in SPLITS if s in rows[spec.name]]
        files += [_file_object(root, data_path(spec.name, s)) for s in splits]
        files.append(_file_set(spec.name))
        record_sets.append(_record_set(spec.name, spec.description, spec.features(), enums))
    return {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": CONFORMS_TO,
        "name": meta.name,
        "description": meta.description,
        "version": meta.version,
        "keywords": list(meta.keywords),
        "inLanguage": list(meta.languages),
        "license": [{"@type": "sc:CreativeWork", **lic} for lic in meta.licenses],
        "creator": {"@type": "sc:Organization", "name": meta.creator},
        "citeAs": meta.cite_as,
        "distribution": files,
        "recordSet": [_splits_record_set(), *enums.record_sets(), *record_sets],
    }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _file_object(root: Path, relative: str) -> dict[str, Any]:
    path = root / relative
    return {
        "@type": "cr:FileObject",
        "@id": relative,
        "name": relative,
        "contentUrl": relative,
        "contentSize": f"{path.stat().st_size} B",
        "encodingFormat": "application/x-parquet",
        "sha256": _sha256(path),
    }


def _file_set_id(config: str) -> str:
    return f"parquet-{config}"


def _file_set(config: str) -> dict[str, Any]:
    # The config's files, found relative to this file; each is also listed as a FileObject.
    pattern = data_path(config, "*").replace("*-00000-of-00001", "*")
    return {
        "@type": "cr:FileSet",
        "@id": _file_set_id(config),
        "name": _file_set_id(config),
        "description": f"The Parquet files of the {config} config, one per split.",
        "encodingFormat": "application/x-parquet",
        "includes": pattern,
    }


def _splits_record_set() -> dict[str, Any]:
    key = f"{SPLITS_RECORD_SET}/name"
    return {
        "@type": "cr:RecordSet",
        "@id": SPLITS_RECORD_SET,
        "name": SPLITS_RECORD_SET,
        "description": "The splits of every config (assigned per article).",
        "dataType": "cr:Split",
        "key": {"@id": key},
        "field": [
            {"@type": "cr:Field", "@id": key, "name": key, "dataType": "sc:Text"},
            {
                "@type": "cr:Field",
                "@id": f"{SPLITS_RECORD_SET}/url",
                "name": f"{SPLITS_RECORD_SET}/url",
                "dataType": "sc:URL",
            },
        ],
        "data": [{key: s, f"{SPLITS_RECORD_SET}/url": _SPLIT_URLS[s]} for s in SPLITS],
    }


class _Enumerations:
    """One ``sc:Enumeration`` record set per distinct ClassLabel, named after its first field."""

    def __init__(self) -> None:
        self._by_names: dict[tuple[str, ...], str] = {}

    def key(self, field_name: str, label: ClassLabel) -> str:
        names = tuple(label.names)
        if names not in self._by_names:
            base = f"{field_name}_names"
            taken = set(self._by_names.values())
            ident, n = base, 1
            while ident in taken:
                n += 1
                ident = f"{base}_{n}"
            self._by_names[names] = ident
        return f"{self._by_names[names]}/index"

    def record_sets(self) -> Iterator[dict[str, Any]]:
        for names, ident in self._by_names.items():
            index, name = f"{ident}/index", f"{ident}/name"
            yield {
                "@type": "cr:RecordSet",
                "@id": ident,
                "name": ident,
                "description": "ClassLabel names: the integer stored in the Parquet files is "
                "the index of its name here.",
                "dataType": "sc:Enumeration",
                "key": {"@id": index},
                "field": [
                    {"@type": "cr:Field", "@id": index, "name": index, "dataType": "sc:Integer"},
                    {"@type": "cr:Field", "@id": name, "name": name, "dataType": "sc:Text"},
                ],
                "data": [{index: i, name: n} for i, n in enumerate(names)],
            }


def _split_regex(config: str) -> str:
    # mlcroissant applies the transform again to the split it extracted (when it joins the
    # split with the splits record set): the pattern accepts the bare split name too.
    names = "|".join(SPLITS)
    return f"^(?:(?:.*/)?data/{config}/)?({names})(?:-[^/]*\\.parquet)?$"


def _record_set(
    config: str, description: str, features: Features, enums: _Enumerations
) -> dict[str, Any]:
    file_set = {"fileSet": {"@id": _file_set_id(config)}}
    splits_key = {"field": {"@id": f"{SPLITS_RECORD_SET}/name"}}
    fields = [
        _field(f"{config}/{name}", name, feature, file_set, (), enums)
        for name, feature in features.items()
    ]
    if SPLIT_COLUMN in features:
        # The config has its own split column (articles): that is the split field.
        for field in fields:
            if field["@id"] == f"{config}/{SPLIT_COLUMN}":
                field["references"] = splits_key
    else:
        split_field = {
            "@type": "cr:Field",
            "@id": f"{config}/{SPLIT_COLUMN}",
            "name": f"{config}/{SPLIT_COLUMN}",
            "description": "The split of the record (from the name of its Parquet file).",
            "dataType": "sc:Text",
            "references": splits_key,
            "source": {
                **file_set,
                "extract": {"fileProperty": "fullpath"},
                "transform": {"regex": _split_regex(config)},
            },
        }
        fields.insert(0, split_field)
    return {
        "@type": "cr:RecordSet",
        "@id": config,
        "name": config,
        "description": description,
        "field": fields,
    }


def _field(
    ident: str,
    column: str,
    feature: Any,
    file_set: Mapping[str, Any],
    path: tuple[str, ...],
    enums: _Enumerations,
) -> dict[str, Any]:
    """The Croissant field of one feature; ``path`` is its place inside a struct column."""
    out: dict[str, Any] = {"@type": "cr:Field", "@id": ident, "name": ident}
    source: dict[str, Any] = {**file_set, "extract": {"column": column}}
    if path:
        source["transform"] = {"jsonPath": ".".join(path)}
    inner = feature
    if isinstance(feature, List):
        out["isArray"] = True
        inner = feature.feature
        if isinstance(inner, List):
            raise ChainpolicyError(f"{ident}: a list of lists has no Croissant description here")
    if isinstance(inner, dict):
        if path and isinstance(feature, List):
            raise ChainpolicyError(f"{ident}: a list inside a struct has no description here")
        out["dataType"] = "sc:StructuredValue"
        out["subField"] = [
            _field(f"{ident}/{key}", column, sub, file_set, (*path, key), enums)
            for key, sub in inner.items()
        ]
        return out
    out["source"] = source
    if isinstance(inner, ClassLabel):
        out["dataType"] = "sc:Integer"
        out["description"] = "ClassLabel: " + ", ".join(
            f"{i} {n}" for i, n in enumerate(inner.names)
        )
        out["references"] = {"field": {"@id": enums.key(column, inner)}}
    elif isinstance(inner, Value) and inner.dtype in _VALUE_TYPES:
        out["dataType"] = _VALUE_TYPES[inner.dtype]
    else:
        raise ChainpolicyError(f"{ident}: no Croissant data type for the feature {inner!r}")
    return out
