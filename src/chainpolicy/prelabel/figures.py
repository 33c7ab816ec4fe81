"""Figure recogniser and normaliser: numbers with their unit, classifier and qualifier.

A figure is found by one regular expression built from the tables below (both scripts), typed
by its unit, and normalised to ``(value, unit, qualifier)``:

- ``value``: the number as a decimal string with the multipliers 万/萬 and 亿/億 folded in
  (``3亿元`` -> ``300000000`` 元, ``4 700项`` -> ``4700`` 项, ``二十余家`` -> ``20`` 家); dates
  become ISO-like strings (``2019年10月24日`` -> ``2019-10-24``, ``2020~2022年`` ->
  ``2020/2022``); ranks their position (``第4名`` -> ``4``). Chinese numerals go through cn2an.
- ``unit``: the unit or classifier as written after the number (``家``, ``元``, ``%``, ``名``),
  ``None`` when there is none.
- ``qualifier``: approximation and bound words, prefix and suffix joined by ``+``
  (``近``, ``超过``, ``余``, ``以上``, ``约+左右``), ``None`` when there is none.

The same ``normalise`` runs on human gold figure spans when the dataset is built, so it must
never fail: whatever it cannot read gives ``None`` fields.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final, NamedTuple

import cn2an

DIGITS: Final = "0-9０-９"
CN_DIGITS: Final = "零〇一二两兩三四五六七八九十百千"
# Arabic with an optional decimal part or space-separated thousands ("4 700"), or Chinese.
_ARABIC = rf"[{DIGITS}]{{1,3}}(?: [{DIGITS}]{{3}})+(?![{DIGITS}])|[{DIGITS}]+(?:\.[{DIGITS}]+)?"
_CHINESE = rf"[{CN_DIGITS}]*[一二两兩三四五六七八九十][{CN_DIGITS}]*"
NUMBER: Final = rf"(?:{_ARABIC}|{_CHINESE})"

PREFIXES: Final = ("不超过", "不超過", "超过", "超過", "近", "约", "約", "逾", "将近", "將近")
INNER: Final = ("余", "餘", "多")  # between the number and its unit: 20余家, 100多个
SUFFIXES: Final = ("以上", "以下", "左右", "以内", "以內")
MULTIPLIERS: Final = {"万": 10_000, "萬": 10_000, "亿": 100_000_000, "億": 100_000_000}

# unit -> figure type; longest units first in the pattern.
UNITS: Final[dict[str, str]] = {
    **dict.fromkeys(("亿元", "億元", "万元", "萬元", "元", "美元", "亿美元", "億美元"), "MONEY"),
    **dict.fromkeys(("%", "％", "个百分点", "個百分點", "成"), "PERCENT"),
    **dict.fromkeys(
        (
            "家",
            "个",
            "個",
            "项",
            "項",
            "件",
            "名",
            "位",
            "人次",
            "人",
            "次",
            "条",
            "條",
            "所",
            "座",
            "批",
            "款",
            "种",
            "種",
            "类",
            "類",
            "篇",
            "部",
            "份",
            "场",
            "場",
            "届",
            "屆",
            "台",
            "个月",
            "個月",
            "天",
            "倍",
            "多个",
            "多個",
        ),
        "COUNT",
    ),
    **dict.fromkeys(("平方米", "平方公里", "公里", "米", "吨", "噸", "兆", "G"), "OTHER"),
}
_UNIT = "|".join(sorted((re.escape(u) for u in UNITS), key=len, reverse=True))
_PREFIX = "|".join(sorted((re.escape(p) for p in PREFIXES), key=len, reverse=True))
_SUFFIX = "|".join(re.escape(s) for s in SUFFIXES)
_MULT = "[万萬亿億]"

_DATE = (
    rf"(?:[{DIGITS}]{{4}}|[{DIGITS}]{{1,2}}(?=月))"
    rf"(?:[~～\-—至到](?:[{DIGITS}]{{4}}|[{DIGITS}]{{1,2}}))?(?:年|月)"
    rf"(?:[{DIGITS}]{{1,2}}月)?(?:[{DIGITS}]{{1,2}}[日号號])?"
    r"(?:初|底|末|上半年|下半年|年底)?"
    rf"|[{DIGITS}]{{4}}[~～\-—](?:[{DIGITS}]{{4}})(?![{DIGITS}])"
)
_RANK = rf"第{NUMBER}(?:名|位|批|次|届|屆|个|個)?|(?:TOP|Top|top)\s?[{DIGITS}]+|前{NUMBER}(?:名|位)"
_PLAN = r"十[一二三四五六七八九]五"  # five-year plan periods: 十四五
_QUANTITY = (
    rf"(?:{NUMBER})(?:{_MULT})?(?:余|餘|多)?(?:{_MULT})?(?:{_UNIT})"
    rf"|(?:{_ARABIC})(?:{_MULT})"  # 1.5万 with no unit
    rf"|百分之{NUMBER}"
)
PATTERN: Final = re.compile(
    rf"(?P<prefix>{_PREFIX})?"
    rf"(?P<core>{_DATE}|{_RANK}|{_PLAN}|{_QUANTITY})"
    rf"(?P<suffix>{_SUFFIX})?"
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
        if _is_bare_small(core, text, match.end()):
            continue
        value, unit, qualifier = normalise(match.group())
        out.append(Figure(match.start(), match.end(), _type(core), value, unit, qualifier))
    return out


def _is_bare_small(core: str, text: str, end: int) -> bool:
    # "一个"/"一家" mean "a/an" far more often than "one": the guidelines leave them out.
    return core[0] in "一" and len(core) == 2 and core[1] in "个個家项項种種批"


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


def _number(text: str) -> float | None:
    text = text.replace(" ", "").translate(_FULLWIDTH)
    if not text:
        return None
    try:
        return float(text) if text[0].isdigit() else float(cn2an.cn2an(text, "smart"))
    except (ValueError, KeyError, TypeError):
        return None


_FULLWIDTH = str.maketrans("０１２３４５６７８９", "0123456789")


def _fmt(number: float) -> str:
    return str(int(number)) if number == int(number) else f"{number:.6g}"


@lru_cache(maxsize=4096)
def normalise(text: str) -> tuple[str | None, str | None, str | None]:
    """(value, unit, qualifier) of a figure's text; None where nothing can be read."""
    qualifiers = []
    body = text.strip()
    for prefix in sorted(PREFIXES, key=len, reverse=True):
        if body.startswith(prefix):
            qualifiers.append(prefix)
            body = body[len(prefix) :]
            break
    suffix = next((s for s in SUFFIXES if body.endswith(s)), None)
    if suffix:
        body = body[: -len(suffix)]
    date = _date_value(body)
    if date is not None:
        part = re.search(r"(初|底|末|上半年|下半年)$", body)  # part of the period: a qualifier
        return date, None, _join([*qualifiers, *([part.group()] if part else [])], suffix)
    rank = re.fullmatch(rf"第({NUMBER})(.*)|(?:TOP|Top|top)\s?([{DIGITS}]+)|前({NUMBER})(.*)", body)
    if rank:
        digits = rank.group(1) or rank.group(3) or rank.group(4)
        number = _number(digits)
        unit = rank.group(2) or rank.group(5) or None
        return (None if number is None else _fmt(number)), unit, _join(qualifiers, suffix)
    if body.startswith("百分之"):
        number = _number(body[3:])
        return (None if number is None else _fmt(number)), "%", _join(qualifiers, suffix)
    match = re.match(rf"({NUMBER})", body)
    if not match:
        return None, None, _join(qualifiers, suffix)
    number = _number(match.group(1))
    rest = body[match.end() :]
    multiplier = 1
    while rest[:1] in MULTIPLIERS or rest[:1] in INNER:
        if rest[:1] in MULTIPLIERS:
            multiplier *= MULTIPLIERS[rest[0]]
        else:
            qualifiers.append(rest[0])
        rest = rest[1:]
    value = None if number is None else _fmt(number * multiplier)
    return value, rest or None, _join(qualifiers, suffix)


def _join(qualifiers: list[str], suffix: str | None) -> str | None:
    words = [*qualifiers, *([suffix] if suffix else [])]
    return "+".join(words) or None


def _date_value(body: str) -> str | None:
    digits = body.translate(_FULLWIDTH)
    period = re.fullmatch(r"(\d{4})[~～\-—至到](\d{2,4})年?(初|底|末)?", digits)
    if period:
        return f"{period.group(1)}/{period.group(2)}"
    plan = re.fullmatch(_PLAN, body)
    if plan:
        return f"FYP{_fmt(_number(body[:2]) or 0)}"  # 十四五 -> the 14th five-year plan
    date = re.fullmatch(
        r"(?:(\d{4})年)?(?:(\d{1,2})月)?(?:(\d{1,2})[日号號])?(初|底|末|上半年|下半年|年底)?",
        digits,
    )
    if not date or not any(date.group(i) for i in (1, 2, 3)):
        return None
    year, month, day = date.group(1), date.group(2), date.group(3)
    parts = [year or "XXXX"]
    if month:
        parts.append(f"{int(month):02d}")
    if day:
        parts.append(f"{int(day):02d}")
    return "-".join(parts)
