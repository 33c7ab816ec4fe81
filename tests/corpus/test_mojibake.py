from __future__ import annotations

import pytest

from chainpolicy.corpus import mojibake

# (mis-decoded run as it stands in the raw corpus, what re-aligning its bytes gives)
REPAIRABLE = [
    ("?!兑巹潯穼⒋龠M", "。《規劃》將促進"),
    ("??紤]", "。考慮"),
    ("?!秾W", "。《學"),
]
# Runs that lost bytes: re-alignment does not give clean text, so they need an erratum.
LOSSY = ["?!吨袊鞘袇^", "?!吨袊胤秸?"]


@pytest.mark.parametrize(("run", "expected"), REPAIRABLE)
def test_realign_repairs_runs_that_lost_no_byte(run: str, expected: str) -> None:
    assert mojibake.realign(run) == expected


@pytest.mark.parametrize("run", LOSSY)
def test_realign_refuses_runs_that_lost_bytes(run: str) -> None:
    assert mojibake.realign(run) is None


def test_shifting_real_text_is_undone() -> None:
    # Make a run the way the damage happened: GB18030 bytes decoded one byte late.
    original = "。《規劃》將促進"
    shifted = original.encode("gb18030")[1:].decode("gb18030", errors="replace")
    run = "?" + shifted.replace("！", "!")
    end = mojibake._run_end(run + "區塊鏈", 0)
    assert mojibake.realign(run[:end]) == original


def test_genuine_question_marks_are_not_runs() -> None:
    text = "未来浙江如何在区块链融合应用上走在前列?如何推动区块链?浙江省区块链技术应用协会"
    assert mojibake.find_runs(text) == []


def test_every_raw_run_is_found(corpus) -> None:  # type: ignore[no-untyped-def]
    raw = {b.source.id: b.raw for b in corpus.builds}
    found = {aid: [r.text for r in mojibake.find_runs(t)] for aid, t in raw.items()}
    assert found["4f7741a2ad09df20"] == ["?!兑巹潯穼⒋龠M"]
    assert len(found["f478772a199041ff"]) == 8
    assert not found["19653ee6cd720026"]  # its two genuine question marks


def test_no_run_remains_in_cleaned_text(corpus) -> None:  # type: ignore[no-untyped-def]
    for build in corpus.builds:
        assert mojibake.find_runs(build.rope.text) == [], build.source.id
