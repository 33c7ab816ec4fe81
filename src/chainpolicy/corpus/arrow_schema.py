"""The Arrow schema of sentence records, derived from ``SentenceRecord`` field by field.

Shards of the datatrove ingest (``scale``) and the build's Arrow blocks (``dataset.source``) both
use it, so a new field of the record reaches every Arrow reader and writer at once (and a field of
a type with no Arrow mapping here fails loudly instead of being guessed).
"""

from __future__ import annotations

import types
from typing import Literal, Union, get_args, get_origin

import pyarrow as pa

from chainpolicy.records import SentenceRecord


def _arrow_type(name: str, annotation: object) -> tuple[pa.DataType, bool]:
    """Arrow type and nullability of one SentenceRecord field, from its annotation."""
    nullable = False
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        nullable = len(args) < len(get_args(annotation))
        annotation = args[0] if len(args) == 1 else annotation
    if get_origin(annotation) is Literal and all(isinstance(a, str) for a in get_args(annotation)):
        annotation = str
    if annotation is str:
        return pa.string(), nullable
    if annotation is int:
        return pa.int64(), nullable
    raise TypeError(f"SentenceRecord.{name}: no Arrow type for {annotation!r}")


def record_schema() -> pa.Schema:
    """SentenceRecord's fields, in its order, typed from its annotations (an explicit schema, so
    an all-null column keeps its type)."""
    return pa.schema(
        [
            pa.field(name, *_arrow_type(name, field.annotation))
            for name, field in SentenceRecord.model_fields.items()
        ]
    )
