from __future__ import annotations

import pytest

from chainpolicy.prelabel.entities import find_entities

CASES = [
    (
        "印發《關于加快推動區塊鏈技術應用和產業發展的指導意見》,",
        "關于加快推動區塊鏈技術應用和產業發展的指導意見",
        "WORK",
    ),
    ("江苏省在国家互联网信息办公室备案", "国家互联网信息办公室", "ORG"),
    ("签约共建苏州同济区块链研究院,", "苏州同济区块链研究院", "ORG"),
    ("相城区与同济大学签约", "同济大学", "ORG"),
    ("今年6月,工信部等部門", "工信部", "ORG"),
    ("浙江省区块链技术应用协会新近发布", "浙江省区块链技术应用协会", "ORG"),
    ("其中苏州市占有6家", "苏州市", "LOC"),
    ("北京、上海、廣州、深圳", "廣州", "LOC"),  # traditional form of 广州
    ("江蘇省區塊鏈發展新高地", "江蘇省", "LOC"),
    ("中国区块链专利数", "中国", "LOC"),
]


@pytest.mark.parametrize(("text", "chunk", "type_"), CASES)
def test_rules_find_the_name(text: str, chunk: str, type_: str) -> None:
    found = {(text[e.start : e.end], e.type) for e in find_entities(text)}
    assert (chunk, type_) in found


@pytest.mark.parametrize(
    "text",
    ["先行布局赢发展先机", "通过校地合作,相关部门", "设立政府引导基金", "资源对接"],
)
def test_ordinary_words_are_not_names(text: str) -> None:
    assert find_entities(text) == []


def test_nested_names_keep_the_longest_and_never_overlap() -> None:
    text = "浙江省区块链技术应用协会发布《2019浙江省区块链产业分析报告》"
    found = find_entities(text)
    assert [(text[e.start : e.end], e.type) for e in found] == [
        ("浙江省区块链技术应用协会", "ORG"),
        ("2019浙江省区块链产业分析报告", "WORK"),
    ]
