"""The Parquet writer: row batches as row groups, column builders for spans, chars and tags."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from chainpolicy.dataset.configs import features_for
from chainpolicy.dataset.features import span_feature
from chainpolicy.dataset.writer import (
    BATCH_CHARS,
    BATCH_ROWS,
    SplitWriter,
    TextColumn,
    char_list_array,
    span_array,
    tag_list_array,
)
from chainpolicy.schema import TYPE_INDEX


def test_rows_are_written_in_batches_one_row_group_each(tmp_path: Path) -> None:
    features = features_for("machine_preannotations")
    writer = SplitWriter(tmp_path, "machine_preannotations", "test", features)
    total = BATCH_ROWS + 3
    for n in range(total):
        writer.add(
            id=f"s{n}",
            article_id="a",
            script="Hans",
            role="body",
            text="区块链",
            model_version="v",
            spans=[(0, 3, 0, TYPE_INDEX["PRODUCT"], "区块链", None, None, None)] if n % 2 else [],
        )
    writer.close()
    meta = pq.read_metadata(writer.path)
    assert meta.num_rows == total == writer.rows
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [BATCH_ROWS, 3]
    table = pq.read_table(writer.path)
    assert table.schema.metadata is not None and b"huggingface" in table.schema.metadata
    assert table.column("spans").to_pylist()[1][0]["text"] == "区块链"
    assert table.column("spans").to_pylist()[1][0]["type"] == TYPE_INDEX["PRODUCT"]


def test_span_array_builds_list_of_struct_column_wise() -> None:
    type_ = pa.list_(pa.struct([(k, v.pa_type) for k, v in span_feature().items()]))  # type: ignore[attr-defined]
    rows = [[], [(1, 3, 2, None, "ab", None, None, None)], []]
    array = span_array(rows, type_)
    assert array.to_pylist()[1][0]["start"] == 1 and array.to_pylist()[0] == []


def test_chars_are_code_points_and_tags_fill_b_then_i() -> None:
    texts = ["𠀀a", "", "區塊鏈"]
    assert char_list_array(texts).to_pylist() == [["𠀀", "a"], [], ["區", "塊", "鏈"]]
    tags = tag_list_array([2, 0, 3], [(2, 0, 3, 5), (0, 1, 2, 1)])
    assert tags.to_pylist() == [[0, 1], [], [5, 6, 6]]


def test_row_groups_depend_on_the_rows_not_on_how_they_arrive(tmp_path: Path) -> None:
    # The same rows, one at a time or in tables of any size, give the same row groups: BATCH_ROWS
    # rows, or fewer when BATCH_CHARS characters of text are reached (after that row).
    features = features_for("machine_preannotations")
    long = "長" * (BATCH_CHARS // 3 + 1)  # three of these pass BATCH_CHARS
    texts = ["短"] * 5 + [long] * 4 + ["短"] * (BATCH_ROWS + 7)
    rows = {
        "id": [f"s{n}" for n in range(len(texts))],
        "article_id": ["a"] * len(texts),
        "script": ["Hant"] * len(texts),
        "role": ["body"] * len(texts),
        "text": texts,
        "model_version": ["v"] * len(texts),
        "spans": [[] for _ in texts],
    }
    table = pa.Table.from_pydict(rows, schema=features.arrow_schema)
    sizes = []
    for step, name in ((1, "one"), (7, "seven"), (len(texts), "all")):
        writer = SplitWriter(tmp_path / name, "machine_preannotations", "test", features)
        for lo in range(0, len(texts), step):
            writer.add_table(table.slice(lo, step))
        writer.close()
        meta = pq.read_metadata(writer.path)
        sizes.append([meta.row_group(i).num_rows for i in range(meta.num_row_groups)])
        assert pq.read_table(writer.path).column("text").to_pylist() == texts
    assert sizes[0] == sizes[1] == sizes[2] == [5 + 3, 1 + BATCH_ROWS - 1, 8]


def test_text_column_slices_by_code_point_on_sliced_and_astral_input() -> None:
    texts = pa.array(["x", "𠀀ab", "", "區塊鏈x"]).slice(1)  # a sliced array has an offset
    column = TextColumn.of(texts)
    assert column.lengths().tolist() == [3, 0, 4]
    got = column.slices(np.array([0, 0, 2, 1]), np.array([0, 1, 1, 0]), np.array([1, 3, 3, 0]))
    assert got.to_pylist() == ["𠀀", "ab", "塊鏈", ""]
    assert column.chars().to_pylist() == [["𠀀", "a", "b"], [], ["區", "塊", "鏈", "x"]]
