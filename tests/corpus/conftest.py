from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from chainpolicy.corpus import load_corpus
from chainpolicy.corpus.ingest import Corpus


@pytest.fixture(scope="session")
def corpus() -> Corpus:
    return load_corpus()


@pytest.fixture
def make_sources(tmp_path: Path) -> Callable[..., Path]:
    """A sources folder with one article of the given raw bytes and a matching manifest."""

    def make(
        raw: bytes, *, script: str = "Hans", sha256: str | None = None, **extra: object
    ) -> Path:
        folder = tmp_path / "sources"
        folder.mkdir(exist_ok=True)
        (folder / "a.txt").write_bytes(raw)
        article = {
            "id": "00000000000000aa",
            "file": "a.txt",
            "sha256": sha256 or hashlib.sha256(raw).hexdigest(),
            "script": script,
            "title": None,
            **extra,
        }
        (folder / "manifest.json").write_text(json.dumps({"articles": [article]}), "utf-8")
        return folder

    return make
