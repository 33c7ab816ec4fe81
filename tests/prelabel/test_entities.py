"""Entity rules, table-driven over phrases taken from the corpus (both scripts)."""

from __future__ import annotations

import pytest

from chainpolicy.prelabel.entities import find_entities, place_names

# (sentence fragment from sources/*, expected entity text, type)
CASES = [
    (
        "印發《關于加快推動區塊鏈技術應用和產業發展的指導意見》,",
        "關于加快推動區塊鏈技術應用和產業發展的指導意見",
        "WORK",
    ),
    ("江苏省在国家互联网信息办公室备案", "国家互联网信息办公室", "ORG"),
    ("签约共建苏州同济区块链研究院,", "苏州同济区块链研究院", "ORG"),  # clause word 共建
    ("相城区与同济大学签约", "同济大学", "ORG"),
    ("发挥清华大学、同济大学、苏州大学等高校", "清华大学", "ORG"),  # clause word 发挥
    ("據賽迪區塊鏈研究院發布的", "賽迪區塊鏈研究院", "ORG"),  # leading preposition 據
    ("目前,相城已引育长三角金融科技有限公司、", "长三角金融科技有限公司", "ORG"),  # 已 stops
    ("日前,北京市人民政府办公厅发布的", "北京市人民政府办公厅", "ORG"),  # chained
    ("中國人民銀行數字貨幣研究所等五方共建", "中國人民銀行數字貨幣研究所", "ORG"),
    (
        "开始,就在杭州市江干区丁兰街道行政服务中心办事大厅",
        "杭州市江干区丁兰街道行政服务中心",
        "ORG",
    ),
    ("今年6月,工信部等部門", "工信部", "ORG"),  # abbreviation
    ("加大与华为、腾讯、阿里、百度等大型互联网企业", "腾讯", "ORG"),  # known name
    ("浙江省区块链技术应用协会新近发布", "浙江省区块链技术应用协会", "ORG"),
    ("基于“梧桐链”的供应链金融服务平台", "梧桐链", "PRODUCT"),
    ("其中苏州市占有6家", "苏州市", "LOC"),
    ("有4家来自相城。", "相城", "LOC"),  # county short form (Jiangsu)
    ("江北新區目前集聚了近50家區塊鏈企業", "江北新區", "LOC"),
    ("北京、上海、廣州、深圳", "廣州", "LOC"),  # traditional form of 广州
    ("江蘇省區塊鏈發展新高地", "江蘇省", "LOC"),
    ("中国区块链专利数", "中国", "LOC"),
]


@pytest.mark.parametrize(("text", "chunk", "type_"), CASES)
def test_rules_find_the_name(text: str, chunk: str, type_: str) -> None:
    found = {(text[e.start : e.end], e.type) for e in find_entities(text)}
    assert (chunk, type_) in found
    # and nothing longer or shorter overlapping it
    start = text.index(chunk)
    overlapping = [e for e in find_entities(text) if e.start < start + len(chunk) and start < e.end]
    assert [(text[e.start : e.end], e.type) for e in overlapping] == [(chunk, type_)]


@pytest.mark.parametrize(
    "text",
    [
        "先行布局赢发展先机",
        "通过校地合作,相关部门",
        "设立政府引导基金",
        "资源对接",
        "这是国内第一个校地合作的区块链研究院。",  # generic: no name before the suffix
        "目前研究院还在积极探索",
        "助力银行服务实体经济",
        "传统的汽车有30000个零部件",
        "成为区块链产业发展的“先行部队”",
        "顾海东",  # a byline: 海东 is a city too, but here a given name
        "通過建立分布式賬本,實現去中心化",
    ],
)
def test_ordinary_words_are_not_names(text: str) -> None:
    assert [(text[e.start : e.end], e.type) for e in find_entities(text)] == []


def test_nested_names_keep_the_longest_and_never_overlap() -> None:
    text = "浙江省区块链技术应用协会发布《2019浙江省区块链产业分析报告》"
    found = find_entities(text)
    assert [(text[e.start : e.end], e.type) for e in found] == [
        ("浙江省区块链技术应用协会", "ORG"),
        ("2019浙江省区块链产业分析报告", "WORK"),
    ]


def test_gazetteer_has_both_scripts_and_every_level() -> None:
    names = place_names()
    for name in (
        "江苏省",
        "江蘇省",
        "苏州市",
        "蘇州市",
        "相城区",
        "相城區",
        "相城",
        "南京",
        "长三角",
    ):
        assert name in names
    assert (
        "合作" not in names and "比如" not in names
    )  # county short forms outside Jiangsu/Zhejiang


def test_offsets_are_code_points_with_astral_characters() -> None:
    text = "𠀀🙂《蘇州市相城區區塊鏈產業集聚發展若干扶持政策》"
    (work,) = find_entities(text)
    assert (work.start, work.type) == (3, "WORK")
    assert text[work.end] == "》"
