from __future__ import annotations

import hashlib

import pytest

from chainpolicy.corpus import load_corpus
from chainpolicy.corpus.manifest import load
from chainpolicy.corpus.titles import ELLIPSIS, MAX_CHARS, context_title, shorten
from chainpolicy.paths import sources_dir
from chainpolicy.records import SentenceRecord


def _records(*items: tuple[str, str]) -> list[SentenceRecord]:
    out, start = [], 0
    for index, (role, text) in enumerate(items):
        out.append(
            SentenceRecord(
                id=f"a-p{index:03d}-s01",
                article_id="a",
                index=index,
                line=index,
                role=role,
                script="Hans",
                text=text,
                text_hans=text,
                sep="\n",
                start=start,
                end=start + len(text),
                raw_start=start,
                raw_end=start + len(text),
                text_sha1=hashlib.sha1(text.encode("utf-8")).hexdigest(),
            )
        )
        start += len(text) + 1
    return out


LONG = "🙂𠀀" + "江苏省在国家互联网信息办公室备案的区块链信息服务企业共有二十家其中苏州市占有六家。"
HEADED = _records(
    ("byline", "顾海东"),
    ("heading", "导读"),
    ("lead", "区块链作为核心技术自主创新的重要突破口。"),
    ("heading", "導 讀"),
    ("heading", "先行布局赢发展先机"),
    ("body", "2017年初,相城区与同济大学签约。"),
)


@pytest.mark.parametrize(
    ("records", "manifest_title", "expected"),
    [
        # 1. the article's own title: the manifest's, else its title record
        (HEADED, "区块链产业正开启“赛马”模式", "区块链产业正开启“赛马”模式"),
        (_records(("heading", "小标题"), ("title", "题名"), ("body", "正文。")), None, "题名"),
        # 2. else the first heading that is not a lead marker (导读 / 導 讀 are skipped)
        (HEADED, None, "先行布局赢发展先机"),
        (HEADED, "  ", "先行布局赢发展先机"),  # a blank manifest title is no title
        # 3. else the first body sentence, shortened with an ellipsis
        (_records(("byline", "顾海东"), ("body", "目前共有20家。")), None, "目前共有20家。"),
        (_records(("body", LONG), ("body", "其后。")), None, LONG[: MAX_CHARS - 1] + ELLIPSIS),
        (_records(("heading", "導 讀"), ("lead", LONG)), None, shorten(LONG)),
        # nothing to take a title from
        (_records(("byline", "顾海东"), ("boilerplate", "责任编辑:某某")), None, ""),
        ([], None, ""),
    ],
)
def test_context_title_rule(
    records: list[SentenceRecord], manifest_title: str | None, expected: str
) -> None:
    assert context_title(records, manifest_title) == expected


@pytest.mark.parametrize("text", ["", "短", "x" * MAX_CHARS, LONG, "𠀀" * (MAX_CHARS + 5)])
def test_shorten_keeps_at_most_max_chars_code_points(text: str) -> None:
    short = shorten(text)
    assert len(short) <= MAX_CHARS
    assert short == text if len(text) <= MAX_CHARS else short.endswith(ELLIPSIS)
    assert text.startswith(short.removesuffix(ELLIPSIS))


def test_every_committed_article_gets_a_title_and_keeps_its_own_title_field() -> None:
    corpus = load_corpus()
    manifest = {entry.id: entry for entry in load(sources_dir()).articles}
    for article in corpus.articles:
        records = [r for r in corpus.sentences if r.article_id == article.id]
        title = context_title(records, article.title)
        assert title and len(title) <= max(MAX_CHARS, len(article.title or ""))
        # The derived title is for display only: the article record is the manifest's.
        assert article.title == manifest[article.id].title
        if article.title:
            assert title == article.title
