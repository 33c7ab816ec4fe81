from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

from chainpolicy.corpus.ingest import build_corpus
from chainpolicy.paths import annotations_dir, sources_dir


def test_records_reproduce_the_cleaned_text(corpus) -> None:  # type: ignore[no-untyped-def]
    for build in corpus.builds:
        assert "".join(r.text + r.sep for r in build.records) == build.rope.text
        assert [r.index for r in build.records] == list(range(len(build.records)))
        for record in build.records:
            assert build.rope.text[record.start : record.end] == record.text


def test_every_record_maps_back_to_exact_raw_offsets(corpus) -> None:  # type: ignore[no-untyped-def]
    for build in corpus.builds:
        build.rope.check()
        deleted: list[list[int]] = []  # union of the raw ranges that deletions removed
        for change in sorted(build.changes, key=lambda c: c.raw_start):
            if change.after:
                continue
            if deleted and change.raw_start <= deleted[-1][1]:
                deleted[-1][1] = max(deleted[-1][1], change.raw_end)
            else:
                deleted.append([change.raw_start, change.raw_end])
        for record in build.records:
            pieces = build.rope.slice_pieces(record.start, record.end)
            joined = "".join(p.text for p in pieces)
            # A record boundary inside a repaired run (。《規劃》: two sentences) takes the whole
            # repair, whose raw range is the run; copy pieces are cut exactly.
            assert record.text in joined
            if pieces[0].kind is None:
                assert joined.startswith(record.text)
            if pieces[-1].kind is None:
                assert joined.endswith(record.text)
            assert pieces[0].raw_start == record.raw_start
            assert pieces[-1].raw_end == record.raw_end
            for piece in pieces:
                if piece.kind is None:
                    assert build.raw[piece.raw_start : piece.raw_end] == piece.text
            # Between consecutive pieces, the raw text skipped is exactly a logged deletion.
            for left, right in itertools.pairwise(pieces):
                if right.raw_start > left.raw_end:
                    gap = (left.raw_end, right.raw_start)
                    assert any(a <= gap[0] and gap[1] <= b for a, b in deleted), (record.id, gap)
            if len(pieces) == 1 and pieces[0].kind is None:  # untouched: the raw slice itself
                assert build.raw[record.raw_start : record.raw_end] == record.text


def test_ids_are_unique_and_stable(corpus, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ids = [r.id for r in corpus.sentences]
    assert len(ids) == len(set(ids))
    again = build_corpus(sources_dir(), annotations_dir() / "errata.json")
    assert [r.model_dump() for r in again.sentences] == [r.model_dump() for r in corpus.sentences]


def test_editing_one_article_keeps_other_ids(tmp_path: Path) -> None:
    import hashlib
    import json
    import shutil

    folder = tmp_path / "sources"
    shutil.copytree(sources_dir(), folder)
    target = folder / "004_aca13c09a749d6e9.txt"
    target.write_text("新加一句。" + target.read_text("utf-8").replace("\n", "\n", 1), "utf-8")
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    for article in manifest["articles"]:
        if article["file"] == target.name:
            article["sha256"] = hashlib.sha256(target.read_bytes()).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), "utf-8")
    before = build_corpus(sources_dir(), annotations_dir() / "errata.json").sentences
    after = build_corpus(folder, annotations_dir() / "errata.json").sentences
    others = lambda rs: [(r.id, r.text) for r in rs if r.article_id != "aca13c09a749d6e9"]  # noqa: E731
    assert others(before) == others(after)


def test_exact_duplicates_are_marked(corpus) -> None:  # type: ignore[no-untyped-def]
    by_id = {r.id: r for r in corpus.sentences}
    dup = by_id["aca13c09a749d6e9-p022-s01"]
    assert dup.duplicate_of == "aca13c09a749d6e9-p000-s01"
    assert by_id[dup.duplicate_of].text == dup.text
    seen: dict[str, str] = {}
    for record in corpus.sentences:
        assert record.duplicate_of == (seen.get(record.text) if record.text in seen else None)
        seen.setdefault(record.text, record.id)


def test_text_hans_is_simplified(corpus) -> None:  # type: ignore[no-untyped-def]
    by_id = {r.id: r for r in corpus.sentences}
    record = by_id["4f7741a2ad09df20-p009-s01"]
    assert record.text == "蘇州是國內較早探索布局區塊鏈產業的城市之一。"
    assert record.text_hans == "苏州是国内较早探索布局区块链产业的城市之一。"


def test_astral_characters_in_a_source(make_sources: Callable[..., Path], tmp_path: Path) -> None:
    raw = "標題\n𠀀學(xué)院成立😀。第二句在這裡。\n"
    folder = make_sources(raw.encode("utf-8"), script="Hant")
    errata = tmp_path / "none.json"
    [build] = build_corpus(folder, errata).builds
    texts = [r.text for r in build.records]
    assert texts == ["標題", "𠀀學院成立😀。", "第二句在這裡。"]
    second = build.records[1]
    assert (second.start, second.end) == (3, 10)
    assert (second.raw_start, second.raw_end) == (3, 15)  # code points, gloss (xué) inside
    assert raw[second.raw_start : second.raw_end] == "𠀀學(xué)院成立😀。"
    assert second.text_hans == "𠀀学院成立😀。"
