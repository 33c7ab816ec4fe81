"""Columns of each config from a block of sentence records and its decisions (pure; no I/O).

Everything here works column-wise: spans arrive as ``FlatSpans`` (integer columns), texts as
Arrow string columns, and the list<struct> span column, the token lists and the BIO tag lists are
assembled from whole arrays. A span row carries its label and type as ClassLabel ids (no type:
null), its text slice, and for normalised labels (schema policy) the figure's value, unit and
qualifier, computed once per distinct figure text.
"""

from __future__ import annotations

from functools import cache, lru_cache

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from chainpolicy.contract.figures import normalise
from chainpolicy.corpus.scriptview import ScriptMap
from chainpolicy.dataset.features import char_bio_features, span_feature, tag_names
from chainpolicy.dataset.writer import TextColumn, tag_list_array
from chainpolicy.records import FigureValue
from chainpolicy.schema import LABELS, TYPE_INDEX
from chainpolicy.validate.batch import FlatSpans

Ints = npt.NDArray[np.int64]

# B tag id of (label index, type index + 1) in its layer's tag list; the I tag id is one more.
_B_TAG = np.full((len(LABELS), len(TYPE_INDEX) + 1), -1, dtype=np.int64)
for _label, _spec in enumerate(LABELS):
    _tags = tag_names(_spec.name)
    for _type in _spec.types or (None,):
        _column = 0 if _type is None else TYPE_INDEX[_type] + 1
        _B_TAG[_label, _column] = _tags.index(f"B-{_type or _spec.name}")
_NORMALISED = np.array([spec.normalised for spec in LABELS], dtype=bool)
_SPAN_TYPE = pa.list_(
    pa.struct([(name, feature.pa_type) for name, feature in span_feature().items()])  # type: ignore[attr-defined]
)


@lru_cache(maxsize=4096)  # figure texts repeat; bounded so memory stays flat
def _normalised(text: str) -> FigureValue:
    return normalise(text)


def span_column(text: TextColumn, text_row: Ints, spans: FlatSpans, owners: int) -> pa.Array:
    """list<struct> of the spans of ``owners`` owners; the text of owner ``o`` is row
    ``text_row[o]`` of ``text``. ``spans`` are sorted by owner."""
    offsets = np.zeros(owners + 1, dtype=np.int32)
    np.cumsum(spans.counts(owners), out=offsets[1:])
    chunks = text.slices(text_row[spans.owner], spans.start, spans.end)
    value, unit, qualifier = _figures(chunks, _NORMALISED[spans.label])
    struct = _SPAN_TYPE.value_type
    children = [
        pa.array(spans.start, pa.int32()),
        pa.array(spans.end, pa.int32()),
        pa.array(spans.label, pa.int64()),
        pa.array(spans.type, pa.int64(), mask=spans.type < 0),
        chunks,
        value,
        unit,
        qualifier,
    ]
    values = pa.StructArray.from_arrays(children, fields=list(struct))
    return pa.ListArray.from_arrays(pa.array(offsets), values, type=_SPAN_TYPE)


def _figures(chunks: pa.Array, normalised: npt.NDArray[np.bool_]) -> list[pa.Array]:
    """value, unit and qualifier columns: null where the label is not normalised."""
    distinct = pc.unique(chunks.filter(pa.array(normalised))).to_pylist()
    table = [_normalised(t) for t in distinct] + [FigureValue(None, None, None)]
    found = pc.index_in(chunks, value_set=pa.array(distinct, pa.string()))
    where = pc.fill_null(found, len(distinct)).to_numpy().astype(np.int64)
    where[~normalised] = len(distinct)  # the same text under another label: no figure
    return [
        pa.array([row[i] for row in table], pa.string()).take(pa.array(where)) for i in range(3)
    ]


def project(texts: pa.Array, views: pa.Array, spans: FlatSpans, rows: int) -> FlatSpans:
    """Spans on ``texts`` moved onto ``views`` (the simplified text) of the same rows: the
    identity where OpenCC kept the length, ``ScriptMap`` for the rows where it did not."""
    moved = np.flatnonzero(
        (pc.utf8_length(texts).to_numpy() != pc.utf8_length(views).to_numpy())
        & (spans.counts(rows) > 0)
    )
    if not len(moved):
        return spans
    start, end = spans.start.copy(), spans.end.copy()
    for row in moved:
        mapping = ScriptMap(texts[row].as_py(), views[row].as_py())
        for i in np.flatnonzero(spans.owner == row):
            start[i], end[i] = mapping.to_dst(int(start[i]), int(end[i]))
    return FlatSpans(spans.owner, start, end, spans.label, spans.type, spans.results)


def tag_columns(lengths: Ints, spans: FlatSpans) -> dict[str, pa.Array]:
    """The BIO tag column of every label layer (``LabelSpec.tag_column``)."""
    b_tag = _B_TAG[spans.label, spans.type + 1]
    out = {}
    for label, spec in enumerate(LABELS):
        mine = spans.label == label
        table = np.stack((spans.owner[mine], spans.start[mine], spans.end[mine], b_tag[mine]), 1)
        out[spec.tag_column] = tag_list_array(lengths, table)
    return out


def char_bio_table(block: pa.RecordBatch, text: str, spans: FlatSpans, status: Ints) -> pa.Table:
    """Rows of a token-classification config (``char_bio``, ``char_bio_hans``) for every row of
    ``block``: the characters of its ``text`` column and the tags of ``spans`` on it."""
    chars = TextColumn.of(block.column(text))
    columns = {
        "id": block.column("id"),
        "article_id": block.column("article_id"),
        "script": block.column("script"),
        "tokens": chars.chars(),
        **tag_columns(chars.lengths(), spans),
        "annotation_status": pa.array(status, pa.int64()),
    }
    schema = _char_bio_schema()
    return pa.Table.from_arrays([columns[n] for n in schema.names], schema=schema)


@cache
def _char_bio_schema() -> pa.Schema:
    # Built once: Features -> Arrow schema takes milliseconds, and every block asks for it.
    return char_bio_features().arrow_schema
