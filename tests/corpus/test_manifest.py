from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from chainpolicy.corpus.manifest import load, read_source
from chainpolicy.errors import InputError
from chainpolicy.paths import sources_dir


def test_committed_sources_match_their_manifest() -> None:
    manifest = load(sources_dir())
    assert len(manifest.articles) == 5
    assert {a.script for a in manifest.articles} == {"Hans", "Hant"}
    for article in manifest.articles:
        assert read_source(sources_dir(), article)


@pytest.mark.parametrize(
    ("raw", "kwargs", "message"),
    [
        (b"", {}, "empty"),
        ("區塊鏈".encode("big5"), {}, "not UTF-8"),
        ("正文。".encode(), {"sha256": "0" * 64}, "sha256 mismatch"),
    ],
)
def test_bad_sources_are_refused_with_the_file_named(
    make_sources: Callable[..., Path], raw: bytes, kwargs: dict[str, str], message: str
) -> None:
    folder = make_sources(raw, **kwargs)
    article = load(folder).articles[0]
    with pytest.raises(InputError, match=message) as info:
        read_source(folder, article)
    assert "a.txt" in str(info.value)


def test_bad_manifest_names_the_field(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text('{"articles": [{"id": "x"}]}', "utf-8")
    with pytest.raises(InputError, match=r"manifest.json: field articles\.0\.id"):
        load(tmp_path)
