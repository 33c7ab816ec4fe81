"""The repair table: its kinds are the schema's, and a step that mislabels a change fails."""

from __future__ import annotations

import pytest

from chainpolicy.corpus import repairs
from chainpolicy.corpus.rope import Change, Edit
from chainpolicy.schema import REPAIR_KINDS


def test_the_table_runs_the_schema_kinds_in_order() -> None:
    assert tuple(kind for kind, _ in repairs.REPAIRS) == tuple(REPAIR_KINDS)


def test_every_step_runs_and_counts_list_every_kind() -> None:
    raw = "學(xué)院發揮作用(1)數據作為要素。,即:重要。\n"
    erratum = Edit(start=0, end=1, after="学", kind="erratum")
    state = repairs.run(raw, [erratum])
    counts = repairs.counts(state.changes)
    assert list(counts) == list(REPAIR_KINDS)
    assert counts["erratum"] == 1 and counts["pinyin_gloss"] == 1
    assert counts["footnote_moved"] == len(state.notes) == 1
    assert state.rope.text.startswith("学院")


def test_a_step_that_logs_another_kind_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    def wrong(state: repairs.RepairState) -> None:
        state.apply([Edit(start=0, end=1, after="x", kind="pinyin_gloss")])

    table = (("erratum", wrong), *repairs.REPAIRS[1:])
    monkeypatch.setattr(repairs, "REPAIRS", table)
    with pytest.raises(AssertionError, match="'erratum' logged changes of kind"):
        repairs.run("abc", [])


def test_counts_never_drop_an_unknown_kind() -> None:
    with pytest.raises(KeyError):
        repairs.counts([Change(kind="typo", raw_start=0, raw_end=1, before="a", after="b")])
