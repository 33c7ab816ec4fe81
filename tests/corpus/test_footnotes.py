from __future__ import annotations

from chainpolicy.corpus import footnotes


def test_footnote_ends_where_the_body_resumes() -> None:
    text = "至少將在四方面發揮作用(1)數據作為要素的闡述可參見報告,可供索取。,即:提升效率。"
    [note] = footnotes.find(text)
    assert note.number == 1
    assert text[note.start : note.end] == "數據作為要素的闡述可參見報告,可供索取。"
    assert text[: note.anchor_start] + text[note.end :] == "至少將在四方面發揮作用,即:提升效率。"


def test_footnote_with_several_sentences() -> None:
    text = "發展新動能(2)數字側重于符號。考慮行文習慣,本文暫不區分。。2019年10月,中央文件提出。"
    [note] = footnotes.find(text)
    assert text[note.start : note.end] == "數字側重于符號。考慮行文習慣,本文暫不區分。"


def test_list_markers_and_parentheticals_are_not_footnotes() -> None:
    assert footnotes.find("(1)创新引领,打造区块链理论与技术平台:强化研究。") == []
    assert footnotes.find("實施意見(2020~2022)》,加快推進。") == []
    assert footnotes.find("排行榜(TOP100)”。榜单") == []


def test_article_002_footnotes(corpus) -> None:  # type: ignore[no-untyped-def]
    records = [r for r in corpus.sentences if r.article_id == "f478772a199041ff"]
    notes = [r for r in records if r.role == "footnote"]
    assert sorted({r.footnote_number for r in notes}) == [1, 2, 3, 5, 7, 8, 9]
    by_id = {r.id: r for r in records}
    for note in notes:
        anchor = by_id[note.footnote_anchor]
        assert anchor.role == "body"
    # The body reads on where the footnote was: "...發揮作用,即:提升全要素生產率,..."
    holder = by_id[notes[0].footnote_anchor]
    assert "發揮作用,即:提升全要素生產率" in holder.text
    assert all("(1)" not in r.text for r in records if r.role == "body")
