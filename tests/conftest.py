"""Guard shared by every test: the suite never writes into the committed data folders."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest

from chainpolicy.paths import annotations_dir, dataset_dir, sources_dir


def _snapshot() -> dict[str, str]:
    out: dict[str, str] = {}
    for root in (annotations_dir(), dataset_dir(), sources_dir()):
        for path in sorted(root.rglob("*")):
            if path.is_file():
                out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


@pytest.fixture(scope="session", autouse=True)
def committed_folders_stay_untouched() -> Iterator[None]:
    # A command run without --out/--report-dir writes the committed folders; a test that does so
    # would make the byte-for-byte check of dataset/ pass or fail depending on test order.
    before = _snapshot()
    yield
    after = _snapshot()
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert not changed, f"the tests changed committed files: {changed}"
