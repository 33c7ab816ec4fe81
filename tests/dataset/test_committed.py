"""The committed dataset/ is what `chainpolicy build` makes from the committed inputs today."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from chainpolicy.dataset.build import BuildResult, find_exports
from chainpolicy.paths import annotations_dir, dataset_dir


def _hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_committed_dataset_and_report_are_reproduced_byte_for_byte(
    run_build: Callable[..., BuildResult],
) -> None:
    result = run_build(find_exports(annotations_dir() / "exports"))
    assert _hashes(result.out) == _hashes(dataset_dir()), (  # type: ignore[arg-type]
        "dataset/ is stale: run `chainpolicy build` and commit the result"
    )
    committed = annotations_dir() / "build_report"
    for name in ("build_report.json", "build_report.md", "quarantine.jsonl"):
        assert (result.report_dir / name).read_bytes() == (committed / name).read_bytes(), name
