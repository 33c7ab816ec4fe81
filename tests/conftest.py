"""Shared by every test: the guard that the suite never writes into the committed data folders,
a copy of the repository for tests that add articles, and in-process builds."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from chainpolicy.corpus import load_sentences
from chainpolicy.dataset.build import BuildInputs, BuildResult, build
from chainpolicy.dataset.source import CorpusSource
from chainpolicy.paths import annotations_dir, dataset_dir, repo_root, sources_dir
from chainpolicy.records import SentenceRecord
from chainpolicy.validate.synthetic import write_export


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


# A synthetic article in simplified script: a title, 20 body sentences with figures, one
# boilerplate line. 21 annotatable records is the size at which the first-release split rule,
# rerun over the grown corpus, would take an assigned article out of test.
_CITIES = (
    "杭州 宁波 温州 嘉兴 湖州 绍兴 金华 衢州 舟山 台州"
    " 丽水 南京 无锡 徐州 常州 苏州 南通 淮安 盐城 扬州"
)
SYNTHETIC_ARTICLE = (
    "浙江江苏两省发布区块链产业园区发展报告\n"
    + "".join(
        f"{city}市区块链产业园已入驻企业{n + 12}家,2021年产值达到{n * 3 + 5}亿元。\n"
        for n, city in enumerate(_CITIES.split())
    )
    + "责任编辑:张三\n"
)


@pytest.fixture
def repo_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the repository's inputs (sources/, annotations/, the card source) that
    CHAINPOLICY_ROOT points at, for tests that add articles or write assignments."""
    root = tmp_path / "repo"
    for folder in ("sources", "annotations"):
        shutil.copytree(repo_root() / folder, root / folder)
    shutil.copy2(repo_root() / "dataset_card.md", root / "dataset_card.md")
    monkeypatch.setenv("CHAINPOLICY_ROOT", str(root))
    return root


@pytest.fixture
def synthetic_article(tmp_path: Path) -> Path:
    path = tmp_path / "incoming" / "hangzhou.txt"
    path.parent.mkdir()
    path.write_bytes(SYNTHETIC_ARTICLE.encode("utf-8"))
    return path


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
            leaderboard=repo_root() / "leaderboard",
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
