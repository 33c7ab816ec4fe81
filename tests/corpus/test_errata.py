from __future__ import annotations

import json
from pathlib import Path

import pytest

from chainpolicy.corpus import errata
from chainpolicy.corpus.ingest import build_corpus
from chainpolicy.errors import InputError
from chainpolicy.paths import annotations_dir, sources_dir


def _write(path: Path, items: list[dict[str, str]]) -> Path:
    path.write_text(json.dumps(items, ensure_ascii=False), "utf-8")
    return path


ENTRY = {
    "article": "f478772a199041ff",
    "before": "?!吨袊鞘袇^",
    "after": "。《中國城市區",
    "reason": "bytes lost, restored from the report title",
    "reviewed_by": "test",
}


def test_committed_errata_all_apply() -> None:
    items = errata.load(annotations_dir() / "errata.json")
    assert len(items) == 4
    corpus = build_corpus(sources_dir(), annotations_dir() / "errata.json")
    build = next(b for b in corpus.builds if b.source.id == "f478772a199041ff")
    assert [c.kind for c in build.changes].count("erratum") == 4


@pytest.mark.parametrize(
    ("before", "count"),
    [("這段文字不存在", 0), ("區塊鏈", None)],
)
def test_stale_erratum_fails_loudly(tmp_path: Path, before: str, count: int | None) -> None:
    path = _write(tmp_path / "errata.json", [{**ENTRY, "before": before}])
    with pytest.raises(InputError, match=r"erratum #1 .* is stale: .* occurs \d+ times") as info:
        build_corpus(sources_dir(), path)
    assert str(path) in str(info.value)


def test_missing_erratum_leaves_a_run_and_fails_the_build(tmp_path: Path) -> None:
    path = _write(tmp_path / "errata.json", [])
    with pytest.raises(
        InputError, match=r"mis-decoded run\(s\) left after repair .* add a reviewed erratum"
    ):
        build_corpus(sources_dir(), path)


def test_erratum_for_unknown_article(tmp_path: Path) -> None:
    path = _write(tmp_path / "errata.json", [{**ENTRY, "article": "ffffffffffffffff"}])
    with pytest.raises(InputError, match="unknown article 'ffffffffffffffff'"):
        build_corpus(sources_dir(), path)


def test_malformed_errata_file(tmp_path: Path) -> None:
    path = tmp_path / "errata.json"
    path.write_text('[{"article": "x"', "utf-8")
    with pytest.raises(InputError, match="not valid JSON at line 1"):
        errata.load(path)
    _write(path, [{**ENTRY, "reason": ""}])
    with pytest.raises(
        InputError,
        match=r"erratum #1: reason: String should have at least 10 characters \(got ''\)$",
    ):
        errata.load(path)


@pytest.mark.parametrize(
    "text",
    [
        json.dumps([ENTRY, {**ENTRY, "reason": ""}]),
        json.dumps({"errata": [ENTRY]}),
        json.dumps([ENTRY])[:-3],
        json.dumps([ENTRY, 3]),
        "[" + json.dumps(ENTRY) + ",,]",
    ],
)
def test_the_streaming_reader_refuses_what_load_refuses_with_the_same_words(
    tmp_path: Path, text: str
) -> None:
    path = tmp_path / "errata.json"
    path.write_text(text, "utf-8")
    with pytest.raises(InputError) as loaded:
        errata.load(path)
    with pytest.raises(InputError) as streamed:
        errata.by_article(path, {ENTRY["article"]})
    assert str(streamed.value) == str(loaded.value)


def test_the_streaming_reader_groups_the_committed_errata_by_article() -> None:
    path = annotations_dir() / "errata.json"
    loaded = errata.load(path)
    grouped = errata.by_article(path, {e.article for e in loaded})
    flat = sorted((n, a, c) for a, fixes in grouped.items() for n, c in fixes)
    assert flat == [
        (n, e.article, errata.Correction(e.before, e.after, e.reason))
        for n, e in enumerate(loaded, 1)
    ]
    with pytest.raises(InputError, match=r"erratum #1 names unknown article"):
        errata.by_article(path, set())
