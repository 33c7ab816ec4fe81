"""The outcome ledger: every result read ends in exactly one known outcome."""

from __future__ import annotations

import io
import json

import pytest

from chainpolicy.contract.reasons import OUTCOMES
from chainpolicy.validate.ledger import AccountingError, Ledger
from chainpolicy.validate.report import QuarantineEntry


def _entry(reason: str) -> QuarantineEntry:
    return QuarantineEntry(
        reason=reason,
        export="e.json",
        task_index=0,
        task_id=1,
        annotation_id=2,
        annotator=3,
        sentence_id="s\udc80",  # a lone surrogate is kept visible, never a crash
        result_index=0,
        region_id=None,
        detail="",
    )


def test_totals_list_every_outcome_and_check_the_invariant() -> None:
    out = io.StringIO()
    ledger = Ledger(out)
    ledger.read(5)
    ledger.settle("adopted", 2)
    ledger.quarantine(_entry("no_content"), sentence=4, count=3)
    totals = ledger.totals()
    assert list(totals) == list(OUTCOMES) and sum(totals.values()) == 5
    assert totals["quarantined"] == 3 and ledger.quarantined_per_sentence == {4: 3}
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(lines) == 3 and lines[0]["sentence_id"] == "s\\udc80"


def test_unknown_outcomes_and_reasons_and_bad_accounting_are_bugs() -> None:
    ledger = Ledger(io.StringIO())
    with pytest.raises(AccountingError):
        ledger.settle("lost", 1)
    with pytest.raises(AccountingError):
        ledger.quarantine(_entry("because"), None)
    ledger.read(2)
    ledger.settle("adopted", 1)
    with pytest.raises(AccountingError, match="2 results read, 1 settled"):
        ledger.totals()


def test_counts_of_another_ledger_add_up() -> None:
    mine, theirs = Ledger(io.StringIO()), Ledger(io.StringIO())
    for ledger in (mine, theirs):
        ledger.read(4)
        ledger.settle("adopted", 1)
        ledger.quarantine(_entry("no_content"), sentence=2, count=3)
        ledger.annotations.submitted += 1
    theirs.quarantine(_entry("untrimmed"), sentence=None)
    theirs.read(1)
    mine.add(theirs.counts())
    assert mine.results_read == 9 and mine.totals()["quarantined"] == 7
    assert mine.reasons == {"no_content": 6, "untrimmed": 1}
    assert mine.quarantined_per_sentence == {2: 6} and mine.annotations.submitted == 2
