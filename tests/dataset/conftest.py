from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from chainpolicy.corpus import load_sentences
from chainpolicy.dataset.build import BuildInputs, BuildResult, build
from chainpolicy.dataset.source import CorpusSource
from chainpolicy.paths import annotations_dir, repo_root
from chainpolicy.records import SentenceRecord
from chainpolicy.validate.synthetic import write_export


@pytest.fixture(scope="session")
def sentences() -> dict[str, SentenceRecord]:
    return {r.id: r for r in load_sentences()}


@pytest.fixture(scope="session")
def corpus_source() -> CorpusSource:
    return CorpusSource()


@pytest.fixture
def run_build(tmp_path: Path, corpus_source: CorpusSource) -> Callable[..., BuildResult]:
    """Build from the committed corpus and the given export files into tmp_path/<out>."""

    def run(exports: Sequence[Path], out: str = "dataset", *, strict: bool = False) -> BuildResult:
        inputs = BuildInputs(
            source=corpus_source,
            exports=list(exports),
            splits_file=annotations_dir() / "splits.json",
            card_template=repo_root() / "dataset_card.md",
            guidelines=annotations_dir() / "guidelines.md",
        )
        return build(inputs, tmp_path / out, tmp_path / f"{out}-report", strict=strict)

    return run


@pytest.fixture
def export_file(tmp_path: Path) -> Callable[[str, list[dict[str, Any]]], Path]:
    def make(name: str, tasks: list[dict[str, Any]]) -> Path:
        folder = tmp_path / "exports"
        folder.mkdir(exist_ok=True)
        path = folder / name
        write_export(path, tasks)
        return path

    return make


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chainpolicy", *args],
        capture_output=True,
        text=True,
        cwd=cwd or repo_root(),
        check=False,
    )
