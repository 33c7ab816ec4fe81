"""Figure recogniser and normaliser, table-driven over phrases taken from the corpus."""

from __future__ import annotations

import pytest

from chainpolicy.prelabel.figures import find_figures, normalise

# (sentence fragment from sources/*, expected figure text, type, value, unit, qualifier)
CASES = [
    ("共有20家,其中", "20家", "COUNT", "20", "家", None),
    ("早在2017年初,相城区", "2017年初", "DATE", "2017", None, "初"),
    ("基金规模达3亿元。", "3亿元", "MONEY", "300000000", "元", None),
    ("发明专利申请数达4 700项", "4 700项", "COUNT", "4700", "项", None),
    ("有近100家企业", "近100家", "COUNT", "100", "家", "近"),
    ("超過11%左右", "超過11%左右", "PERCENT", "11", "%", "超過+左右"),
    ("排名第4名", "第4名", "RANK", "4", "名", None),
    ("位居全國第八位", "第八位", "RANK", "8", "位", None),
    ("入榜前100名企业", "前100名", "RANK", "100", "名", None),
    ("TOP100", "TOP100", "RANK", "100", None, None),
    ("二十余家企业", "二十余家", "COUNT", "20", "家", "余"),
    ("100多个项目", "100多个", "COUNT", "100", "个", "多"),
    ("2019年10月24日", "2019年10月24日", "DATE", "2019-10-24", None, None),
    ("實施意見(2020~2022)", "2020~2022", "DATE", "2020/2022", None, None),
    ("“十四五”規劃", "十四五", "DATE", "FYP14", None, None),
    ("1.5万", "1.5万", "OTHER", "15000", None, None),
    ("５個城市", "５個", "COUNT", "5", "個", None),
]


@pytest.mark.parametrize(("text", "chunk", "type_", "value", "unit", "qualifier"), CASES)
def test_finds_types_and_normalises(
    text: str, chunk: str, type_: str, value: str, unit: str | None, qualifier: str | None
) -> None:
    found = [
        (text[f.start : f.end], f.type, f.value, f.unit, f.qualifier) for f in find_figures(text)
    ]
    assert (chunk, type_, value, unit, qualifier) in found
    assert normalise(chunk) == (value, unit, qualifier)


@pytest.mark.parametrize("text", ["一个平台", "一家企业", "区块链产业", "(1)"])
def test_no_figure_where_there_is_no_specific_quantity(text: str) -> None:
    assert find_figures(text) == []


def test_offsets_are_code_points_with_astral_characters() -> None:
    text = "𠀀🙂近100家"
    (figure,) = find_figures(text)
    assert (figure.start, figure.end) == (2, 7)
    assert text[figure.start : figure.end] == "近100家"


def test_normalise_never_fails_on_text_people_mark() -> None:
    assert normalise("若干") == (None, None, None)
    assert normalise("第") == (None, None, None) or normalise("第")[0] is None
