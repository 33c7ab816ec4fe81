"""Claim heuristic: figure-bearing clauses, table-driven over corpus sentences."""

from __future__ import annotations

from itertools import pairwise

import pytest

from chainpolicy.prelabel.claims import clauses, find_claims
from chainpolicy.prelabel.figures import find_figures


def _claims(text: str) -> list[str]:
    return [text[c.start : c.end] for c in find_claims(text, find_figures(text))]


CASES = [
    (
        "目前,江苏省在国家互联网信息办公室备案的区块链信息服务企业共有20家,其中苏州市占有6家,"
        "有4家来自相城。",
        [
            "江苏省在国家互联网信息办公室备案的区块链信息服务企业共有20家",
            "苏州市占有6家",  # the connective 其中 is left out, as in the guidelines' example
            "有4家来自相城",
        ],
    ),
    (
        "在全國近100家區塊鏈研究機構中,國家級研究機構約占11%,省市級(以市級為主)約占22%。",
        ["國家級研究機構約占11%", "省市級(以市級為主)約占22%"],  # the frame clause is not one
    ),
    (
        "2018年以來,南京區塊鏈發展水平名列全國第八位[4]。",
        ["南京區塊鏈發展水平名列全國第八位"],  # the citation mark is trimmed
    ),
    (
        "提出“區塊鏈核心業務收入超過5億元,帶動相關產業規模50億元”的發展目標。",
        ["提出“區塊鏈核心業務收入超過5億元,帶動相關產業規模50億元”的發展目標"],
    ),
    ("习近平总书记在中央政治局第十八次集体学习时强调,要把区块链作为核心技术", []),
    ("经过三年多的实践探索,苏州同济区块链研究院已经形成了一批应用案例。", []),
    ("应当加快培育10家以上区块链骨干企业。", []),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_figure_clauses_are_claims(text: str, expected: list[str]) -> None:
    assert _claims(text) == expected


def test_clauses_are_trimmed_and_disjoint() -> None:
    text = " “甲乙丙”,丁戊;[1] "
    spans = clauses(text)
    assert [text[a:b] for a, b in spans] == ["甲乙丙", "丁戊"]
    assert all(b <= a2 for (_, b), (a2, _) in pairwise(spans))
