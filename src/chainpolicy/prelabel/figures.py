"""Figure recogniser and normaliser: numbers with their unit, classifier and qualifier.

A figure is found by one regular expression built from the tables below (both scripts), typed
by its unit, filtered by a few precision rules, and normalised to ``(value, unit, qualifier)``:

- ``value``: the number as a decimal string with the multipliers 万/萬 and 亿/億 folded in
  (``3亿元`` -> ``300000000`` 元, ``4 700项`` -> ``4700`` 项, ``二十余家`` -> ``20`` 家), so
  values compare across spellings; percentages stay percentages (``11%`` -> ``11``, not 0.11;
  ``九成`` -> ``9`` 成: the value is what is written, the unit says what it counts). Dates become
  ISO-like strings (``2019年10月24日`` -> ``2019-10-24``, ``6月`` -> ``XXXX-06``,
  ``2020~2022年`` -> ``2020/2022``, ``十四五`` -> ``FYP14``); ranks their position
  (``第4名`` -> ``4``). Chinese numerals go through cn2an (strict mode: ``唯一一个`` is no number).
- ``unit``: the unit or classifier after the number, without the multiplier (``家``, ``元``,
  ``%``, ``名``, ``年``); ``None`` when there is none (dates, bare ranks).
- ``qualifier``: approximation and bound words and the part of a period, prefix and suffix joined
  by ``+`` in text order (``近``, ``超过``, ``余``, ``以上``, ``约+左右``, ``初``); ``None`` when
  there is none.

Precision rules (the guidelines: when unsure, leave it out): ``一`` + classifier means "a/an"
(``一个平台``, ``一场革命``) and is skipped; a Chinese numeral inside a word (``唯一``, ``统一``) is
no number; a bare ``第N`` must end at punctuation (``排名第一,``), so list markers at the start
of a sentence (``第一,``) and tiers (``第一梯队``) are skipped; a count glued to a following numeral
is a slogan (``五位一体``).

The same ``normalise`` runs on human gold figure spans when the dataset is built, so it must
never fail: whatever it cannot read gives ``None`` fields.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Final, NamedTuple

import cn2an

DIGITS: Final = "0-9０-９"
CN_DIGITS: Final = "零〇一二两兩三四五六七八九十百千"
# A Chinese numeral never starts inside a word that ends in a numeral character: 唯一, 统一, 之一.
_CN_NOT_AFTER: Final = "唯统統同单單之万萬逐专專"
# Arabic with space-separated thousands ("4 700") or an optional decimal part; or Chinese
# (百亿 and 千万 may start with the multiplier: 百億元 = one hundred 億 元).
_ARABIC = rf"[{DIGITS}]{{1,3}}(?: [{DIGITS}]{{3}})+(?![{DIGITS}])|[{DIGITS}]+(?:\.[{DIGITS}]+)?"
_CHINESE = (
    rf"(?<![{CN_DIGITS}{_CN_NOT_AFTER}])"
    rf"(?:[{CN_DIGITS}]*[一二两兩三四五六七八九十][{CN_DIGITS}]*|[百千](?=[万萬亿億]))"
)
NUMBER: Final = rf"(?:{_ARABIC}|{_CHINESE})"

PREFIXES: Final = ("不超过", "不超過", "超过", "超過", "将近", "將近", "近", "约", "約", "逾")
INNER: Final = ("余", "餘", "多")  # between the number and its unit: 20余家, 100多个
SUFFIXES: Final = ("以上", "以下", "左右", "以内", "以內")
PERIOD_PARTS: Final = ("上半年", "下半年", "初", "底", "末")  # 2017年初: part of a period
MULTIPLIERS: Final = {"万": 10_000, "萬": 10_000, "亿": 100_000_000, "億": 100_000_000}

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
_PART = "|".join(re.escape(p) for p in PERIOD_PARTS)
_MULT = "[万萬亿億]"
_RANK_CL = "|".join(RANK_CLASSIFIERS)

_DATE = (
    rf"(?:[{DIGITS}]{{4}}|[{DIGITS}]{{1,2}}(?=月))"
    rf"(?:[~～\-—至到](?:[{DIGITS}]{{4}}|[{DIGITS}]{{1,2}}))? ?(?:年|月)"
    rf"(?:[{DIGITS}]{{1,2}}月)?(?:[{DIGITS}]{{1,2}}[日号號])?"
    rf"(?:{_PART})?"
    rf"|[{DIGITS}]{{4}}[~～\-—](?:[{DIGITS}]{{4}})(?![{DIGITS}])"
)
_RANK = (
    rf"第{NUMBER}(?P<rank_cl>{_RANK_CL})?"
    rf"|(?:TOP|Top|top) ?[{DIGITS}]+"
    rf"|前{NUMBER}(?:名|位|强|強)"
)
_PLAN = r"十[一二三四五六七八九]五"  # five-year plan periods: 十四五
_QUANTITY = (
    # A space may separate an Arabic number from its unit: "30 家左右", "近 20 家".
    rf"(?:(?:{_ARABIC}) ?|{_CHINESE})(?:{_MULT})?(?:余|餘|多)?(?:{_MULT})?(?:{_UNIT})"
    rf"|(?:{_ARABIC})(?:{_MULT})"  # 1.5万 with no unit
    rf"|百分之{NUMBER}"
)
PATTERN: Final = re.compile(
    rf"(?:(?P<prefix>{_PREFIX}) ?)?"
    rf"(?P<core>{_DATE}|{_RANK}|{_PLAN}|{_QUANTITY})"
    rf"(?P<suffix>{_SUFFIX}|(?<=年)多)?"  # 三年多: 多 after a duration
)


class Figure(NamedTuple):
    start: int
    end: int
    type: str
    value: str | None
    unit: str | None
    qualifier: str | None


def find_figures(text: str) -> list[Figure]:
    """Every figure in ``text`` (non-overlapping, left to right)."""
    out = []
    for match in PATTERN.finditer(text):
        core = match.group("core")
        type_ = _type(core)
        if _skip(match, core, type_, text):
            continue
        value, unit, qualifier = normalise(match.group())
        if value is None:  # a numeral cn2an cannot read (一一) is no figure
            continue
        out.append(Figure(match.start(), match.end(), type_, value, unit, qualifier))
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
    if re.fullmatch(_PLAN, core) or re.fullmatch(_DATE, core):
        return "DATE"
    if core.startswith("百分之"):
        return "PERCENT"
    for unit in sorted(UNITS, key=len, reverse=True):
        if core.endswith(unit):
            return UNITS[unit]
    return "OTHER"


_FULLWIDTH = str.maketrans("０１２３４５６７８９％", "0123456789%")
_CN_SPELLING = str.maketrans("两兩〇", "二二零")


def _number(text: str) -> float | None:
    text = text.replace(" ", "").translate(_FULLWIDTH)
    if not text:
        return None
    if text[0].isdigit():
        try:
            return float(text)
        except ValueError:
            return None
    text = text.translate(_CN_SPELLING)
    if text[0] in "百千":  # 百亿: one hundred 亿
        text = "一" + text
    try:
        return float(cn2an.cn2an(text, "strict"))
    except (ValueError, KeyError, TypeError):
        return None


def _fmt(number: float) -> str:
    return str(int(number)) if number == int(number) else f"{number:.10g}"


@lru_cache(maxsize=4096)
def normalise(text: str) -> tuple[str | None, str | None, str | None]:
    """(value, unit, qualifier) of a figure's text; None where nothing can be read."""
    prefixes: list[str] = []
    inner: list[str] = []
    body = "".join(text.split())  # spaces only separate: 4 700项, 近 20 家
    for prefix in sorted(PREFIXES, key=len, reverse=True):
        if body.startswith(prefix):
            prefixes.append(prefix)
            body = body[len(prefix) :]
            break
    suffix = next((s for s in (*SUFFIXES, "多") if body.endswith(s) and body != s), None)
    if suffix:
        body = body[: -len(suffix)]
    date = _date_value(body)
    if date is not None:
        part = next((p for p in PERIOD_PARTS if body.endswith(p) and body != p), None)
        return date, None, _join(prefixes, [part] if part else [], suffix)
    rank = re.fullmatch(rf"第({NUMBER})(.*)|(?:TOP|Top|top)([{DIGITS}]+)|前({NUMBER})(.*)", body)
    if rank:
        digits = rank.group(1) or rank.group(3) or rank.group(4)
        number = _number(digits)
        unit = rank.group(2) or rank.group(5) or None
        return (None if number is None else _fmt(number)), unit, _join(prefixes, [], suffix)
    if body.startswith("百分之"):
        number = _number(body[3:])
        return (None if number is None else _fmt(number)), "%", _join(prefixes, [], suffix)
    match = re.match(rf"{_ARABIC}|[{CN_DIGITS}]+|[百千](?=[万萬亿億])", body)
    if not match:
        return None, None, _join(prefixes, [], suffix)
    number = _number(match.group())
    rest = body[match.end() :]
    multiplier = 1
    while rest[:1] in MULTIPLIERS or rest[:1] in INNER:
        if rest[:1] in MULTIPLIERS:
            multiplier *= MULTIPLIERS[rest[0]]
        else:
            inner.append(rest[0])
        rest = rest[1:]
    value = None if number is None else _fmt(number * multiplier)
    unit = rest.translate(_FULLWIDTH) or None
    return value, unit, _join(prefixes, inner, suffix)


def _join(prefixes: list[str], inner: list[str], suffix: str | None) -> str | None:
    words = [*prefixes, *inner, *([suffix] if suffix else [])]
    return "+".join(words) or None


def _date_value(body: str) -> str | None:
    digits = body.translate(_FULLWIDTH)
    period = re.fullmatch(rf"(\d{{4}})[~～\-—至到](\d{{2,4}})年?(?:{_PART})?", digits)
    if period:
        return f"{period.group(1)}/{period.group(2)}"
    if re.fullmatch(_PLAN, body):
        plan = _number(body[:2])
        return None if plan is None else f"FYP{_fmt(plan)}"  # 十四五 -> the 14th five-year plan
    date = re.fullmatch(
        rf"(?:(\d{{4}})年)?(?:(\d{{1,2}})月)?(?:(\d{{1,2}})[日号號])?(?:{_PART})?", digits
    )
    if not date or not any(date.group(i) for i in (1, 2, 3)):
        return None
    if date.group(3) and not date.group(2):
        return None  # "5日" alone: a duration in days, not a date
    year, month, day = date.group(1), date.group(2), date.group(3)
    parts = [year or "XXXX"]
    if month:
        parts.append(f"{int(month):02d}")
    if day:
        parts.append(f"{int(day):02d}")
    return "-".join(parts)
