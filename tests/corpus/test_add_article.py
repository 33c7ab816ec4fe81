"""add_article: byte-for-byte copy, the id scheme, OpenCC script detection, and every refusal."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import opencc
import pytest

from chainpolicy.corpus import load_corpus
from chainpolicy.corpus.add_article import (
    FILE_NAME,
    Metadata,
    add_article,
    script_evidence,
)
from chainpolicy.corpus.manifest import MANIFEST_FILE, dumps, load, read_source
from chainpolicy.errors import InputError
from chainpolicy.paths import annotations_dir, sources_dir


def _state(sources: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(sources.iterdir())}


def test_detection_agrees_with_every_committed_article() -> None:
    for article in load(sources_dir()).articles:
        evidence = script_evidence(read_source(sources_dir(), article))
        assert evidence.detected == article.script, (article.file, evidence)


def test_adds_a_copy_under_the_scheme_and_the_article_builds(
    repo_copy: Path, synthetic_article: Path
) -> None:
    sources = repo_copy / "sources"
    before = load(sources)
    numbers = [int(m["number"]) for a in before.articles if (m := FILE_NAME.match(a.file))]
    raw = synthetic_article.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()

    meta = Metadata(title=raw.decode().splitlines()[0], line_roles=((0, "title"),))
    added = add_article(synthetic_article, sources, meta)

    assert added.article.id == digest[:16]
    assert added.target == sources / f"{max(numbers) + 1:03d}_{digest[:16]}.txt"
    assert added.target.read_bytes() == raw  # byte for byte
    after = load(sources)
    assert after.articles[: len(before.articles)] == before.articles  # nothing else changed
    assert after.articles[-1] == added.article
    assert added.article.sha256 == digest and added.article.script == "Hans"
    assert (sources / MANIFEST_FILE).read_text("utf-8") == dumps(after)
    # ... and it is part of the corpus: its records are built like any other article's.
    corpus = load_corpus(sources, repo_copy / "annotations" / "errata.json")
    records = [r for r in corpus.sentences if r.article_id == added.article.id]
    assert records[0].role == "title" and records[0].text == meta.title
    assert "".join(r.text + r.sep for r in records) == raw.decode()


def test_a_file_named_by_the_scheme_keeps_its_name_and_id(
    repo_copy: Path, synthetic_article: Path
) -> None:
    named = synthetic_article.with_name("017_00112233aabbccdd.txt")
    synthetic_article.rename(named)
    added = add_article(named, repo_copy / "sources", Metadata())
    assert (added.article.id, added.target.name) == ("00112233aabbccdd", named.name)


def test_a_scheme_named_file_already_in_sources_is_listed_in_place(
    repo_copy: Path, synthetic_article: Path
) -> None:
    inside = repo_copy / "sources" / "009_00112233aabbccdd.txt"
    inside.write_bytes(synthetic_article.read_bytes())
    added = add_article(inside, repo_copy / "sources", Metadata())
    assert added.in_place and added.target == inside
    assert load(repo_copy / "sources").articles[-1].file == inside.name


def test_traditional_text_is_detected_and_a_contradicting_declaration_refused(
    repo_copy: Path, synthetic_article: Path
) -> None:
    hant = opencc.OpenCC("s2t.json").convert(synthetic_article.read_text("utf-8"))
    path = synthetic_article.with_name("hant.txt")
    path.write_text(hant, "utf-8")
    with pytest.raises(
        InputError, match=r"--script Hans contradicts the text: .* \(that is Hant\)"
    ):
        add_article(path, repo_copy / "sources", Metadata(script="Hans"))
    assert add_article(path, repo_copy / "sources", Metadata()).article.script == "Hant"


def _copy_of_a_source(incoming: Path, sources: Path) -> Path:
    first = load(sources).articles[0]
    path = incoming / "copy.txt"
    path.write_bytes((sources / first.file).read_bytes())
    return path


def _listed_id(incoming: Path, sources: Path) -> Path:
    taken = load(sources).articles[0].id
    path = incoming / f"042_{taken}.txt"
    path.write_text("另一篇文章的正文,与已有文章不同。\n", "utf-8")
    return path


def _target_exists(incoming: Path, sources: Path) -> Path:
    path = incoming / "009_00112233aabbccdd.txt"
    path.write_text("区块链产业发展规划发布。\n", "utf-8")
    (sources / path.name).write_text("另一个文件。\n", "utf-8")
    return path


def _unnamed_inside_sources(incoming: Path, sources: Path) -> Path:
    path = sources / "new.txt"
    path.write_text("区块链产业发展规划发布。\n", "utf-8")
    return path


def _raw(data: bytes) -> Callable[[Path, Path], Path]:
    def make(incoming: Path, _sources: Path) -> Path:
        path = incoming / "raw.txt"
        path.write_bytes(data)
        return path

    return make


@pytest.mark.parametrize(
    ("make", "meta", "message"),
    [
        (_raw(b""), Metadata(), "the file is empty"),
        (_raw("區塊鏈".encode("big5")), Metadata(), r"not UTF-8 \(byte 0x"),
        (_raw("\ufeff区块链。".encode()), Metadata(), "byte order mark"),
        (_raw(b"plain ascii text.\n"), Metadata(), "cannot tell the script"),
        (_copy_of_a_source, Metadata(), "the same bytes .* are already article"),
        (_listed_id, Metadata(), "article id .* is already in"),
        (_target_exists, Metadata(), "already exists; refusing to overwrite"),
        (_unnamed_inside_sources, Metadata(), r"must be named NNN_<16 hex digits>\.txt; rename"),
        (_raw("区块链规划。\n".encode()), Metadata(line_roles=((5, "title"),)), "lines 0 to 1"),
        (_raw("区块链规划。\n".encode()), Metadata(script="Hant"), "--script Hant contradicts"),
    ],
)
def test_refusals_name_the_file_and_write_nothing(
    repo_copy: Path,
    tmp_path: Path,
    make: Callable[[Path, Path], Path],
    meta: Metadata,
    message: str,
) -> None:
    sources = repo_copy / "sources"
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    path = make(incoming, sources)
    before = _state(sources)
    with pytest.raises(InputError, match=message) as info:
        add_article(path, sources, meta)
    assert str(path) in str(info.value) or str(sources) in str(info.value)
    assert _state(sources) == before


def test_the_committed_repository_is_not_the_one_written(repo_copy: Path) -> None:
    # The fixture's CHAINPOLICY_ROOT points every default path at the copy.
    assert sources_dir() == repo_copy / "sources"
    assert annotations_dir() == repo_copy / "annotations"
