from __future__ import annotations

import pytest

from chainpolicy.corpus.rope import Edit, Rope


def test_edits_keep_raw_provenance() -> None:
    raw = "ab(x)cd?!ef"
    rope = Rope.from_raw(raw)
    rope, log = rope.apply([Edit(start=2, end=5, after="", kind="gloss")])
    assert rope.text == "abcd?!ef"
    assert [(c.raw_start, c.raw_end, c.before) for c in log] == [(2, 5, "(x)")]
    rope, _ = rope.apply([Edit(start=4, end=6, after="。", kind="fix")])
    assert rope.text == "abcd。ef"
    # "c" is raw offset 5, the repaired "。" stands for raw "?!" at [7, 9)
    assert rope.raw_span(2, 3) == (5, 6)
    assert rope.raw_span(4, 5) == (7, 9)
    assert rope.raw_span(0, len(rope.text)) == (0, len(raw))
    rope.check()


def test_edit_inside_an_earlier_repair_widens_and_is_logged_alone() -> None:
    rope, _ = Rope.from_raw("xx??yy").apply(
        [Edit(start=2, end=4, after="A(a)B(b)", kind="erratum")]
    )
    rope, log = rope.apply(
        [
            Edit(start=3, end=6, after="", kind="gloss"),
            Edit(start=7, end=10, after="", kind="gloss"),
        ]
    )
    assert rope.text == "xxAByy"
    assert [(c.kind, c.before, c.raw_start, c.raw_end) for c in log] == [
        ("gloss", "(a)", 2, 4),
        ("gloss", "(b)", 2, 4),
    ]


def test_overlapping_edits_are_refused() -> None:
    rope = Rope.from_raw("abcdef")
    with pytest.raises(ValueError, match="overlapping"):
        rope.apply(
            [Edit(start=0, end=3, after="", kind="k"), Edit(start=2, end=4, after="", kind="k")]
        )


def test_astral_characters_count_as_one() -> None:
    raw = "𠀀😀(x)文"
    rope, _ = Rope.from_raw(raw).apply([Edit(start=2, end=5, after="", kind="gloss")])
    assert rope.text == "𠀀😀文"
    assert rope.raw_span(2, 3) == (5, 6)
    assert raw[5:6] == "文"
