from __future__ import annotations

import pytest

from chainpolicy.corpus import segment


def _split(line: str, skip: frozenset[int] = frozenset()) -> list[str]:
    return [line[s:e] for s, e in segment.split(line, skip)]


@pytest.mark.parametrize(
    ("line", "sentences"),
    [
        ("甲。乙。", ["甲。", "乙。"]),
        (
            "走在前列?如何推动融合?浙江省发布报告。",
            ["走在前列?", "如何推动融合?", "浙江省发布报告。"],
        ),
        ("真的吗？！是的!", ["真的吗？！", "是的!"]),
        ("强化研究;构建平台;打造体系。", ["强化研究;构建平台;打造体系。"]),  # ; does not split
        ("他说:“发展很快。”然后走了。", ["他说:“发展很快。”", "然后走了。"]),
        ("要“健全机制”。下一句。", ["要“健全机制”。", "下一句。"]),
        ("提出“要发展。要创新。”的要求。", ["提出“要发展。要创新。”的要求。"]),
        ("先行布局赢发展先机", ["先行布局赢发展先机"]),
        ("新篇章。 揭开", ["新篇章。", "揭开"]),
        ("𠀀文。😀字。", ["𠀀文。", "😀字。"]),
    ],
)
def test_split(line: str, sentences: list[str]) -> None:
    assert _split(line) == sentences


def test_skipped_question_mark_does_not_end_a_sentence() -> None:
    line = "重點提及?兑巹潯。下一句。"
    assert _split(line, frozenset({4})) == ["重點提及?兑巹潯。", "下一句。"]


def test_unbalanced_quote_does_not_swallow_the_line() -> None:
    line = "“" + "很长的句子。" * 80
    assert len(_split(line)) == 80
