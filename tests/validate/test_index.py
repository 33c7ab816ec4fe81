"""The compact sentence index: lookups, and every way a record stream can be inconsistent."""

from __future__ import annotations

import pytest

from chainpolicy.errors import InputError
from chainpolicy.records import SentenceRecord
from chainpolicy.validate.index import SentenceIndex, text_digest


def _record(id_: str, article: str, text: str = "区块链。", **kw: object) -> SentenceRecord:
    fields: dict[str, object] = {
        "id": id_,
        "article_id": article,
        "index": 0,
        "line": 0,
        "role": "body",
        "script": "Hans",
        "text": text,
        "text_hans": text,
        "sep": "\n",
        "start": 0,
        "end": len(text),
        "raw_start": 0,
        "raw_end": len(text),
        "text_sha1": "0" * 40,
    }
    fields.update(kw)
    return SentenceRecord(**fields)  # type: ignore[arg-type]


def test_lookups_digests_annotatable_and_article_sizes() -> None:
    records = [
        _record("a-1", "a"),
        _record("a-2", "a", "编辑:某", role="boilerplate"),
        _record("b-1", "b", script="Hant"),
        _record("b-2", "b", "区块链。", duplicate_of="a-1"),
    ]
    index = SentenceIndex.build(records, "test")
    assert [index.ids[r.id] for r in records] == [0, 1, 2, 3] and "nope" not in index.ids
    assert index.digest(1) == text_digest("编辑:某")
    assert list(index.annotatable) == [1, 0, 1, 1]
    assert index.duplicate_of == {3: 0}
    assert index.article_sizes() == [("a", "Hans", 1), ("b", "Hant", 2)]


@pytest.mark.parametrize(
    ("records", "message"),
    [
        ([_record("a-1", "a"), _record("a-1", "a")], "sentence id 'a-1' appears twice"),
        ([_record("x", "a"), _record("x", "b")], "appears twice"),
        (
            [_record("a-1", "a"), _record("b-1", "b"), _record("a-2", "a")],
            "records of article 'a' are not contiguous",
        ),
        (
            [_record("a-1", "a", duplicate_of="b-1"), _record("b-1", "b")],
            "is a duplicate_of 'b-1', which does not come before it",
        ),
    ],
)
def test_inconsistent_records_are_refused_with_the_id(
    records: list[SentenceRecord], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        SentenceIndex.build(records, "test source")
