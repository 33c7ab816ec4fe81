"""Figure recogniser and normaliser, table-driven over phrases taken from the corpus."""

from __future__ import annotations

import pytest

from chainpolicy.contract.figures import normalise
from chainpolicy.prelabel.figures import find_figures

# (sentence fragment from sources/*, expected figure text, type, value, unit, qualifier)
CASES = [
    ("共有20家,其中", "20家", "COUNT", "20", "家", None),
    ("早在2017年初,相城区", "2017年初", "DATE", "2017", None, "初"),
    ("相城区于2017年底就对外发布", "2017年底", "DATE", "2017", None, "底"),
    ("基金规模达3亿元。", "3亿元", "MONEY", "300000000", "元", None),
    ("累計投資額超過2.5億元。", "超過2.5億元", "MONEY", "250000000", "元", "超過"),
    ("年營業收入不超過2 000萬元,", "不超過2 000萬元", "MONEY", "20000000", "元", "不超過"),
    ("的市場規模將達到百億元。", "百億元", "MONEY", "10000000000", "元", None),
    ("發明專利申請數達4 700項", "4 700項", "COUNT", "4700", "項", None),
    ("累計整合近4 700項政務服務事項", "近4 700項", "COUNT", "4700", "項", "近"),
    ("在全國近100家區塊鏈研究機構中", "近100家", "COUNT", "100", "家", "近"),
    ("目前杭州有 30 家左右区块链", "30 家左右", "COUNT", "30", "家", "左右"),
    ("其中近 20 家在西湖区", "近 20 家", "COUNT", "20", "家", "近"),
    ("探索了40余個典型的應用場景", "40余個", "COUNT", "40", "個", "余"),
    ("只需要3000多个零部件", "3000多个", "COUNT", "3000", "个", "多"),
    ("等九方面给予全方位支持", "九方面", "COUNT", "9", "方面", None),
    ("在兩個領域", "兩個", "COUNT", "2", "個", None),
    ("超过2亿人次", "超过2亿人次", "COUNT", "200000000", "人次", "超过"),
    ("國家級研究機構約占11%", "11%", "PERCENT", "11", "%", None),
    ("占全國區塊鏈企業總數的九成以上", "九成以上", "PERCENT", "9", "成", "以上"),
    ("比重达到15%左右", "15%左右", "PERCENT", "15", "%", "左右"),
    ("排名第4名", "第4名", "RANK", "4", "名", None),
    ("名列全國第八位[4]", "第八位", "RANK", "8", "位", None),
    ("其中,上海排名第一,浙江", "第一", "RANK", "1", None, None),
    ("全国第一单区块链理赔", "第一单", "RANK", "1", "单", None),
    ("綜合指數排名的前20強", "前20強", "RANK", "20", "強", None),
    ("入榜前100名企业", "前100名", "RANK", "100", "名", None),
    ("区块链企业TOP100", "TOP100", "RANK", "100", None, None),
    ("2019年10月24日", "2019年10月24日", "DATE", "2019-10-24", None, None),
    ("今年6月,工信部", "6月", "DATE", "XXXX-06", None, None),
    ("實施意見(2020~2022)", "2020~2022", "DATE", "2020/2022", None, None),
    ("行動計劃(2020—2022年)", "2020—2022年", "DATE", "2020/2022", None, None),
    ("“十四五”規劃", "十四五", "DATE", "FYP14", None, None),
    ("经过三年多的实践探索", "三年多", "OTHER", "3", "年", "多"),
    ("还明确了未来15年的重点任务", "15年", "OTHER", "15", "年", None),
    ("1.5万", "1.5万", "OTHER", "15000", None, None),
    ("５個城市", "５個", "COUNT", "5", "個", None),
]


@pytest.mark.parametrize(("text", "chunk", "type_", "value", "unit", "qualifier"), CASES)
def test_finds_types_and_normalises(
    text: str, chunk: str, type_: str, value: str, unit: str | None, qualifier: str | None
) -> None:
    found = [(text[f.start : f.end], f.type, *f.figure) for f in find_figures(text) if f.figure]
    assert (chunk, type_, value, unit, qualifier) in found
    assert normalise(chunk) == (value, unit, qualifier)


# The guidelines leave out "a/an", list markers, tiers, slogans, names and vague quantities.
NOT_FIGURES = [
    "一个平台",
    "一家企业",
    "它不是一场革命",
    "打通用户就医流程优化的最后一公里",
    "也是目前唯一一個區塊鏈產業發展集聚區",
    "第一,強化頂層架構設計。",
    "第一梯隊城市",
    "将统筹推进“五位一体”总体布局",
    "云計算、5G等新興技術",
    "形成了一批具备创新价值的案例",
    "区块链产业",
    "(1)创新引领",
]


@pytest.mark.parametrize("text", NOT_FIGURES)
def test_no_figure_where_there_is_no_specific_quantity(text: str) -> None:
    assert find_figures(text) == []


def test_offsets_are_code_points_with_astral_characters() -> None:
    text = "𠀀🙂近100家"
    (figure,) = find_figures(text)
    assert (figure.start, figure.end) == (2, 7)
    assert text[figure.start : figure.end] == "近100家"


@pytest.mark.parametrize("text", ["", " ", "若干", "第", "近", "多", "以上", "一一個", "%"])
def test_normalise_never_fails_on_text_people_mark(text: str) -> None:
    value, unit, qualifier = normalise(text)
    assert value is None
    assert all(field is None or isinstance(field, str) for field in (unit, qualifier))
