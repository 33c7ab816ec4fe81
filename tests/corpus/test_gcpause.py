"""quiet_gc: rarer collections inside, everything as it was after."""

from __future__ import annotations

import gc

import pytest

from chainpolicy.corpus.gcpause import quiet_gc


def test_inside_objects_are_frozen_and_collections_rarer_and_after_all_is_restored() -> None:
    before = gc.get_threshold()
    with quiet_gc():
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] > before[0]
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_an_error_inside_restores_the_collector_too() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), quiet_gc():
        raise RuntimeError("inside")
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
