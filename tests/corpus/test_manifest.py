from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from chainpolicy.corpus.manifest import (
    MANIFEST_FILE,
    dumps,
    iter_articles,
    load,
    read_source,
    unlisted,
)
from chainpolicy.errors import InputError
from chainpolicy.paths import sources_dir


def test_committed_sources_match_their_manifest() -> None:
    manifest = load(sources_dir())
    files = {p.name for p in sources_dir().iterdir() if p.name != MANIFEST_FILE}
    assert {a.file for a in manifest.articles} == files  # every file listed, none missing
    assert unlisted(sources_dir(), manifest) == []
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
    with pytest.raises(InputError, match=r"manifest.json: articles\.0\.id: .* \(got 'x'\)") as info:
        load(tmp_path)
    assert "\n" not in str(info.value) and "errors.pydantic.dev" not in str(info.value)


def test_dumps_keeps_the_committed_formatting() -> None:
    # add-article rewrites the manifest with dumps(): a diff then shows only the new entry.
    path = sources_dir() / MANIFEST_FILE
    assert dumps(load(sources_dir())) == path.read_text("utf-8")


def _entry(id_: str, file: str) -> dict[str, object]:
    return {"id": id_, "file": file, "sha256": "0" * 64, "script": "Hans", "title": None}


@pytest.mark.parametrize(
    ("second", "message"),
    [
        (
            _entry("00000000000000aa", "b.txt"),
            r"duplicate article id '00000000000000aa': articles\.0 \(00000000000000aa, a\.txt\) "
            r"and articles\.1 \(00000000000000aa, b\.txt\)",
        ),
        (
            _entry("00000000000000bb", "a.txt"),
            r"duplicate article file 'a\.txt': articles\.0 \(00000000000000aa, a\.txt\) "
            r"and articles\.1 \(00000000000000bb, a\.txt\)",
        ),
    ],
)
def test_an_article_listed_twice_is_refused(
    tmp_path: Path, second: dict[str, object], message: str
) -> None:
    articles = [_entry("00000000000000aa", "a.txt"), second]
    (tmp_path / MANIFEST_FILE).write_text(json.dumps({"articles": articles}), "utf-8")
    with pytest.raises(InputError, match=f"manifest.json: {message}$"):
        load(tmp_path)


def test_unlisted_names_stray_files_only(make_sources: Callable[..., Path]) -> None:
    folder = make_sources("正文。".encode())
    (folder / "stray.txt").write_text("x", "utf-8")
    (folder / ".a.txt.1234.tmp").write_text("x", "utf-8")  # an interrupted atomic write
    (folder / "sub").mkdir()
    assert unlisted(folder, load(folder)) == [folder / "stray.txt"]


_GOOD = [_entry("00000000000000aa", "a.txt"), _entry("00000000000000bb", "b.txt")]


@pytest.mark.parametrize(
    "text",
    [
        json.dumps({"articles": [*_GOOD, _entry("00000000000000aa", "c.txt")]}),
        json.dumps({"articles": [*_GOOD, _entry("00000000000000cc", "a.txt")]}),
        json.dumps({"articles": [*_GOOD, {"id": "x"}]}),
        json.dumps({"articles": _GOOD, "extra": 1}),
        json.dumps({"articles": {"a": 1}}),
        json.dumps(_GOOD),
        json.dumps({"articles": _GOOD})[:-5],
        '{"articles": [' + json.dumps(_GOOD[0]) + ",,]}",
        "",
    ],
)
def test_the_streaming_reader_refuses_what_load_refuses_with_the_same_words(
    tmp_path: Path, text: str
) -> None:
    (tmp_path / MANIFEST_FILE).write_text(text, "utf-8")
    with pytest.raises(InputError) as loaded:
        load(tmp_path)
    with pytest.raises(InputError) as streamed:
        list(iter_articles(tmp_path))
    assert str(streamed.value) == str(loaded.value)


def test_the_streaming_reader_gives_the_articles_load_gives() -> None:
    assert list(iter_articles(sources_dir())) == load(sources_dir()).articles
