"""The normalised value, unit and qualifier of a figure's text.

Shared by the pre-annotator (which finds figures) and the dataset (which normalises every gold
figure span, whoever marked it): one normaliser, so predictions and gold compare.

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

It runs on human gold spans, so it must never fail: whatever it cannot read gives ``None``.
The tables here (numbers, qualifiers) are also the building blocks of the recogniser's pattern.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

import cn2an

from chainpolicy.records import FigureValue

DIGITS: Final = "0-9０-９"
CN_DIGITS: Final = "零〇一二两兩三四五六七八九十百千"
# A Chinese numeral never starts inside a word that ends in a numeral character: 唯一, 统一, 之一.
_CN_NOT_AFTER: Final = "唯统統同单單之万萬逐专專"
# Arabic with space-separated thousands ("4 700") or an optional decimal part; or Chinese
# (百亿 and 千万 may start with the multiplier: 百億元 = one hundred 億 元).
ARABIC: Final = (
    rf"[{DIGITS}]{{1,3}}(?: [{DIGITS}]{{3}})+(?![{DIGITS}])|[{DIGITS}]+(?:\.[{DIGITS}]+)?"
)
CHINESE: Final = (
    rf"(?<![{CN_DIGITS}{_CN_NOT_AFTER}])"
    rf"(?:[{CN_DIGITS}]*[一二两兩三四五六七八九十][{CN_DIGITS}]*|[百千](?=[万萬亿億]))"
)
NUMBER: Final = rf"(?:{ARABIC}|{CHINESE})"

PREFIXES: Final = ("不超过", "不超過", "超过", "超過", "将近", "將近", "近", "约", "約", "逾")
INNER: Final = ("余", "餘", "多")  # between the number and its unit: 20余家, 100多个
SUFFIXES: Final = ("以上", "以下", "左右", "以内", "以內")
PERIOD_PARTS: Final = ("上半年", "下半年", "初", "底", "末")  # 2017年初: part of a period
MULTIPLIERS: Final = {"万": 10_000, "萬": 10_000, "亿": 100_000_000, "億": 100_000_000}

PLAN: Final = r"十[一二三四五六七八九]五"  # five-year plan periods: 十四五
PART: Final = "|".join(re.escape(p) for p in PERIOD_PARTS)

FULLWIDTH = str.maketrans("０１２３４５６７８９％", "0123456789%")
_CN_SPELLING = str.maketrans("两兩〇", "二二零")


def _number(text: str) -> float | None:
    text = text.replace(" ", "").translate(FULLWIDTH)
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
def normalise(text: str) -> FigureValue:
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
        return FigureValue(date, None, _join(prefixes, [part] if part else [], suffix))
    rank = re.fullmatch(rf"第({NUMBER})(.*)|(?:TOP|Top|top)([{DIGITS}]+)|前({NUMBER})(.*)", body)
    if rank:
        digits = rank.group(1) or rank.group(3) or rank.group(4)
        number = _number(digits)
        unit = rank.group(2) or rank.group(5) or None
        value = None if number is None else _fmt(number)
        return FigureValue(value, unit, _join(prefixes, [], suffix))
    if body.startswith("百分之"):
        number = _number(body[3:])
        value = None if number is None else _fmt(number)
        return FigureValue(value, "%", _join(prefixes, [], suffix))
    match = re.match(rf"{ARABIC}|[{CN_DIGITS}]+|[百千](?=[万萬亿億])", body)
    if not match:
        return FigureValue(None, None, _join(prefixes, [], suffix))
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
    unit = rest.translate(FULLWIDTH) or None
    return FigureValue(value, unit, _join(prefixes, inner, suffix))


def _join(prefixes: list[str], inner: list[str], suffix: str | None) -> str | None:
    words = [*prefixes, *inner, *([suffix] if suffix else [])]
    return "+".join(words) or None


def _date_value(body: str) -> str | None:
    digits = body.translate(FULLWIDTH)
    period = re.fullmatch(rf"(\d{{4}})[~～\-—至到](\d{{2,4}})年?(?:{PART})?", digits)
    if period:
        return f"{period.group(1)}/{period.group(2)}"
    if re.fullmatch(PLAN, body):
        plan = _number(body[:2])
        return None if plan is None else f"FYP{_fmt(plan)}"  # 十四五 -> the 14th five-year plan
    date = re.fullmatch(
        rf"(?:(\d{{4}})年)?(?:(\d{{1,2}})月)?(?:(\d{{1,2}})[日号號])?(?:{PART})?", digits
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
