"""Figure recogniser: numbers with their unit, classifier and qualifier, typed by the unit.

A figure is found by one regular expression built from the tables below and the number tables
of ``chainpolicy.contract.figures`` (both scripts), typed by its unit, filtered by a few
precision rules, and normalised by ``contract.figures.normalise`` (the same normaliser the
dataset applies to gold figure spans).

Precision rules (the guidelines: when unsure, leave it out): ``一`` + classifier means "a/an"
(``一个平台``, ``一场革命``) and is skipped; a Chinese numeral inside a word (``唯一``, ``统一``) is
no number; a bare ``第N`` must end at punctuation (``排名第一,``), so list markers at the start
of a sentence (``第一,``) and tiers (``第一梯队``) are skipped; a count glued to a following numeral
is a slogan (``五位一体``).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from chainpolicy.contract.figures import (
    ARABIC,
    CHINESE,
    CN_DIGITS,
    DIGITS,
    NUMBER,
    PART,
    PLAN,
    PREFIXES,
    SUFFIXES,
    normalise,
)
from chainpolicy.records import Span
from chainpolicy.schema import FIGURE

# unit -> figure type; longest units first in the pattern.
UNITS: Final[dict[str, str]] = {
    **dict.fromkeys(("元", "美元"), "MONEY"),
    **dict.fromkeys(("%", "％", "个百分点", "個百分點", "成"), "PERCENT"),
    **dict.fromkeys(
        (
            *("家", "个", "個", "项", "項", "件", "名", "位", "人次", "人", "次", "条", "條"),
            *("所", "座", "批", "款", "种", "種", "类", "類", "篇", "部", "份", "场", "場"),
            *("届", "屆", "台", "倍", "方面", "多个", "多個"),
        ),
        "COUNT",
    ),
    # Durations and measures: the guidelines type "3年" as a duration OTHER.
    **dict.fromkeys(
        ("年", "个月", "個月", "天", "平方米", "平方公里", "公里", "米", "吨", "噸"), "OTHER"
    ),
}
RANK_CLASSIFIERS: Final = ("名", "位", "批", "次", "届", "屆", "个", "個", "强", "強", "单", "單")
# A bare 第N may be followed only by these (排名第一, 第八和第九); anything else is a word.
_RANK_FOLLOWERS: Final = frozenset("和与與及或")

_UNIT = "|".join(sorted((re.escape(u) for u in UNITS), key=len, reverse=True))
_PREFIX = "|".join(sorted((re.escape(p) for p in PREFIXES), key=len, reverse=True))
_SUFFIX = "|".join(re.escape(s) for s in SUFFIXES)
_MULT = "[万萬亿億]"
_RANK_CL = "|".join(RANK_CLASSIFIERS)

_DATE = (
    rf"(?:[{DIGITS}]{{4}}|[{DIGITS}]{{1,2}}(?=月))"
    rf"(?:[~～\-—至到](?:[{DIGITS}]{{4}}|[{DIGITS}]{{1,2}}))? ?(?:年|月)"
    rf"(?:[{DIGITS}]{{1,2}}月)?(?:[{DIGITS}]{{1,2}}[日号號])?"
    rf"(?:{PART})?"
    rf"|[{DIGITS}]{{4}}[~～\-—](?:[{DIGITS}]{{4}})(?![{DIGITS}])"
)
_RANK = (
    rf"第{NUMBER}(?P<rank_cl>{_RANK_CL})?"
    rf"|(?:TOP|Top|top) ?[{DIGITS}]+"
    rf"|前{NUMBER}(?:名|位|强|強)"
)
_QUANTITY = (
    # A space may separate an Arabic number from its unit: "30 家左右", "近 20 家".
    rf"(?:(?:{ARABIC}) ?|{CHINESE})(?:{_MULT})?(?:余|餘|多)?(?:{_MULT})?(?:{_UNIT})"
    rf"|(?:{ARABIC})(?:{_MULT})"  # 1.5万 with no unit
    rf"|百分之{NUMBER}"
)
PATTERN: Final = re.compile(
    rf"(?:(?P<prefix>{_PREFIX}) ?)?"
    rf"(?P<core>{_DATE}|{_RANK}|{PLAN}|{_QUANTITY})"
    rf"(?P<suffix>{_SUFFIX}|(?<=年)多)?"  # 三年多: 多 after a duration
)


def find_figures(text: str) -> list[Span]:
    """Every figure in ``text`` (non-overlapping, left to right), normalised."""
    out = []
    for match in PATTERN.finditer(text):
        core = match.group("core")
        type_ = _type(core)
        if _skip(match, core, type_, text):
            continue
        figure = normalise(match.group())
        if figure.value is None:  # a numeral cn2an cannot read (一一) is no figure
            continue
        out.append(Span(match.start(), match.end(), FIGURE, type_, figure))
    return out


def _skip(match: re.Match[str], core: str, type_: str, text: str) -> bool:
    after = text[match.end() : match.end() + 1]
    if type_ in ("COUNT", "OTHER") and not match.group("prefix") and not match.group("suffix"):
        # 一个平台, 一场革命, 最后一公里: "a/an", not a count (the guidelines leave them out).
        if re.fullmatch(rf"[一壹]({_UNIT})", core):
            return True
        if core[0] in CN_DIGITS and after and after in CN_DIGITS:  # 五位一体: a slogan
            return True
    if core.startswith("第") and match.group("rank_cl") is None:
        # Bare 第N: a rank only where it ends the phrase (排名第一, 第八和第九).
        if after and not (_is_punct(after) or after in _RANK_FOLLOWERS):
            return True  # 第一梯队
        if not text[: match.start()].strip():
            return True  # 第一, ... at the start of a sentence: a list marker
    return False


def _is_punct(char: str) -> bool:
    return unicodedata.category(char)[0] in "PZ"


def _type(core: str) -> str:
    if core.startswith(("第", "前")) or core.upper().startswith("TOP"):
        return "RANK"
    if re.fullmatch(PLAN, core) or re.fullmatch(_DATE, core):
        return "DATE"
    if core.startswith("百分之"):
        return "PERCENT"
    for unit in sorted(UNITS, key=len, reverse=True):
        if core.endswith(unit):
            return UNITS[unit]
    return "OTHER"
