from __future__ import annotations

import pytest

from chainpolicy.corpus import roles


@pytest.mark.parametrize(
    ("line", "role"),
    [
        ("先行布局赢发展先机", "heading"),
        ("案例1:杭州市“一窗受理、四端协同”平台应用区块链技术", "heading"),
        ("一、重构或者创新", "heading"),
        ("为此,北京提出四大重点任务,具体为20项具体任务:", "body"),
        ("(1)创新引领,打造区块链理论与技术平台:强化区块链基础研究。", "list_item"),
        ("△杭州市江干区丁兰街道行政服务中心办事大厅一角", "caption"),
        ("责任编辑:张 宁", "boilerplate"),
        ("來源:數據觀綜合", "boilerplate"),
        ("版权声明:除非特别标注,否则均为本站原创文章。", "boilerplate"),
        ("相关标签:", "boilerplate"),
        ("(作者系中共苏州市相城区委书记)", "boilerplate"),
        ("[1]劉永彪.數字經濟研究[J].2020.", "citation"),
        ("蘇州是國內較早探索布局區塊鏈產業的城市之一。", "body"),
    ],
)
def test_rules(line: str, role: str) -> None:
    assert roles.classify([line], {}) == [role]


def test_lead_follows_the_lead_marker_until_the_next_heading() -> None:
    lines = ["導 讀", "區塊鏈作為重要突破口。", "蘇州將成為新高地", "近年來,蘇州推進生態建設。"]
    assert roles.classify(lines, {}) == ["heading", "lead", "heading", "body"]


def test_manifest_overrides_win() -> None:
    assert roles.classify(["顾海东", "正文。"], {0: "byline"}) == ["byline", "body"]


def test_corpus_roles(corpus) -> None:  # type: ignore[no-untyped-def]
    by_id = {r.id: r for r in corpus.sentences}
    assert by_id["02dec154e1ac7468-p000-s01"].role == "byline"
    assert by_id["f478772a199041ff-p001-s01"].role == "affiliation"
    assert by_id["aca13c09a749d6e9-p000-s01"].role == "title"
    assert by_id["4f7741a2ad09df20-p001-s01"].role == "lead"
    assert by_id["19653ee6cd720026-p010-s01"].role == "caption"
