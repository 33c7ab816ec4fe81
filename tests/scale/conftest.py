"""Corpora for the datatrove ingest: the committed one, the benchmark's copies, a handmade one."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from chainpolicy.corpus import ERRATA_FILE
from chainpolicy.paths import annotations_dir, repo_root, sources_dir

# Texts shared across articles, placed so that shards of 2, 3 and 4 tasks each see a text first
# seen in an earlier shard, a text repeated inside one shard after an earlier shard had it, and
# a text whose first record opens a later shard (with an astral character, one code point).
HANDMADE = (
    "共同句子一。独有句子甲。\n第二行也有内容。\n",
    "独有句子乙。重复句子二。重复句子二。\n",
    "共同句子一。重复句子二。含𠀀字的句子。\n",
    "含𠀀字的句子。共同句子一。\n",
    "第二行也有内容。最后一篇独有。\n",
)


def load_bench() -> ModuleType:
    """scripts/bench_ingest.py, imported by path (``scripts/`` is not a package)."""
    name = "chainpolicy_scripts_bench_ingest"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, repo_root() / "scripts" / "bench_ingest.py"
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="session")
def committed() -> tuple[Path, Path]:
    return sources_dir(), annotations_dir() / ERRATA_FILE


@pytest.fixture(scope="session")
def handmade(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("handmade") / "sources"
    folder.mkdir()
    articles = []
    for number, text in enumerate(HANDMADE):
        raw = text.encode("utf-8")
        article_id = f"{number + 1:016x}"
        name = f"{number:03d}_{article_id}.txt"
        (folder / name).write_bytes(raw)
        articles.append(
            {
                "id": article_id,
                "file": name,
                "sha256": hashlib.sha256(raw).hexdigest(),
                "script": "Hans",
                "title": None,
            }
        )
    (folder / "manifest.json").write_text(json.dumps({"articles": articles}), "utf-8")
    return folder, folder / "errata.json"


@pytest.fixture(scope="session")
def copies(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two copies of the committed articles under new ids (scripts/bench_ingest.py's corpus):
    every text of the second copy is a duplicate of a record of another article."""
    folder = tmp_path_factory.mktemp("copies") / "sources"
    size = sum(p.stat().st_size for p in sources_dir().glob("*.txt"))
    load_bench().make_corpus(folder, 1.5 * size / 1_000_000)
    return folder, folder / "errata.json"
