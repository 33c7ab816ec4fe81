from __future__ import annotations

import pytest

from chainpolicy.corpus import glosses


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("金陵科技學(xué)院", "金陵科技學院"),
        ("數(shù)據(jù)", "數據"),
        ("重(zhòng)要", "重要"),  # heteronym: 重 reads zhòng or chóng
        ("重(chóng)新", "重新"),
        ("綠(lǜ)色", "綠色"),  # ü with tone
        ("學(shù)院", "學(shù)院"),  # not a reading of 學: kept
        ("管理博士(DBA)項目", "管理博士(DBA)項目"),
        ("排行榜(TOP100)", "排行榜(TOP100)"),
        ("發揮作用(1)數據", "發揮作用(1)數據"),
        ("實施意見(2020~2022)", "實施意見(2020~2022)"),
        ("蘇州(相城)作為", "蘇州(相城)作為"),
        ("(以市級為主)", "(以市級為主)"),
        ("阿里巴巴(蚂蚁金服)", "阿里巴巴(蚂蚁金服)"),
        ("(xué)開頭", "(xué)開頭"),  # nothing before it to gloss
    ],
)
def test_only_readings_of_the_previous_character_are_removed(text: str, expected: str) -> None:
    out, pos = [], 0
    for edit in glosses.find(text):
        out.append(text[pos : edit.start])
        pos = edit.end
    out.append(text[pos:])
    assert "".join(out) == expected


def test_gloss_count_in_article_002(corpus) -> None:  # type: ignore[no-untyped-def]
    build = next(b for b in corpus.builds if b.source.id == "f478772a199041ff")
    removed = [c for c in build.changes if c.kind == "pinyin_gloss"]
    # 1,083 glosses follow their character in the raw file; 3 more follow a character that a
    # mis-decoding repair restored (學(xué), 區(qū) x2), so they only become valid after repair.
    assert len(glosses.find(build.raw)) == 1083
    assert len(removed) == 1086
    assert glosses.find(build.rope.text) == []
