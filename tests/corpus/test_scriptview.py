from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from chainpolicy.corpus import load_sentences
from chainpolicy.corpus.scriptview import ScriptMap, to_hans

SENTENCES = [r.text for r in load_sentences() if r.script == "Hant"]


def test_view_is_opencc_of_the_text() -> None:
    assert to_hans("區塊鏈發展") == "区块链发展"
    assert to_hans("𠀀區塊鏈😀") == "𠀀区块链😀"


@st.composite
def span_on(draw: st.DrawFn, text: str) -> tuple[int, int]:
    start = draw(st.integers(0, len(text)))
    return start, draw(st.integers(start, len(text)))


@settings(max_examples=300, deadline=None)
@given(data=st.data(), index=st.integers(0, len(SENTENCES) - 1))
def test_real_sentences_round_trip(data: st.DataObject, index: int) -> None:
    text = SENTENCES[index]
    hans = to_hans(text)
    smap = ScriptMap(text, hans)
    start, end = data.draw(span_on(text))
    hs, he = smap.to_dst(start, end)
    assert 0 <= hs <= he <= len(hans)
    assert smap.to_src(hs, he) == (start, end)
    if len(hans) == len(text):
        assert hans[hs:he] == to_hans(text[start:end]) or len(text[start:end]) == 0


# A length-changing conversion: OpenCC t2s has none among single characters, so the map is
# exercised on views that rewrite a phrase to a different length (as s2twp/t2s phrase tables can).
@settings(max_examples=300, deadline=None)
@given(
    prefix=st.text(alphabet="區塊鏈發展𠀀😀abc", max_size=8),
    phrase=st.text(alphabet="甲乙丙", min_size=1, max_size=4),
    replacement=st.text(alphabet="丁戊", min_size=1, max_size=6),
    suffix=st.text(alphabet="區塊鏈發展𠀀😀abc", max_size=8),
    data=st.data(),
)
def test_length_changing_views_map_monotonically(
    prefix: str, phrase: str, replacement: str, suffix: str, data: st.DataObject
) -> None:
    src = prefix + phrase + suffix
    dst = to_hans(prefix) + replacement + to_hans(suffix)
    smap = ScriptMap(src, dst)
    start, end = data.draw(span_on(src))
    hs, he = smap.to_dst(start, end)
    assert 0 <= hs <= he <= len(dst)
    # Untouched characters map one to one; a span covering the phrase covers its replacement.
    if end <= len(prefix):
        assert (hs, he) == (start, end)
    if start <= len(prefix) and end >= len(prefix) + len(phrase):
        assert dst[hs:he].find(replacement) != -1
    if (
        start < end
    ):  # spans are never empty; an empty point inside a rewritten phrase has no inverse
        back = smap.to_src(hs, he)
        assert back[0] <= start and back[1] >= end
