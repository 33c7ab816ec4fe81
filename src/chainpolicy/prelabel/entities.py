"""Entity pre-annotator: 《titles》, organisation suffix rules, a gazetteer of Chinese places.

Three rules, in this order of precedence (a later rule never overlaps an earlier one's span):

1. ``WORK``: the text inside 《》 (brackets excluded, as the guidelines ask).
2. ``ORG``: an organisation suffix (公司, 研究院, 大学 ... in both scripts) extended to the left
   over name characters. The extension stops at punctuation, digits, spaces and function words
   (的, 在, 与 ...); if a gazetteer place or a national prefix (国家, 中国, 中央) starts inside
   that window, the name starts at the leftmost one (``签约共建苏州同济区块链研究院`` ->
   ``苏州同济区块链研究院``), otherwise at the window's start, at most ``MAX_ORG`` characters
   before the suffix.
3. ``LOC``: the gazetteer, matched with Aho-Corasick, longest match first. It holds every
   province, city and county-level area of cpca's ``adcodes.csv`` (MIT, pinned), with their
   short forms (``江苏省`` -> ``江苏``), a few named regions, both scripts (OpenCC s2t).
"""

from __future__ import annotations

import csv
import importlib.util
import re
from functools import lru_cache
from pathlib import Path
from typing import Final, NamedTuple

import ahocorasick

from chainpolicy.corpus.scriptview import to_hans

# Suffixes that name an organisation on their own, and those that also end ordinary words or
# need a place to be a name (局 in 布局, 政府 in 设立政府): a weak suffix needs an anchor (a
# place or national prefix) or a two-character abbreviation (工信部). Simplified; traditional
# forms are derived.
STRONG_SUFFIXES: Final = (
    "有限公司",
    "公司",
    "集团",
    "研究院",
    "研究所",
    "大学",
    "学院",
    "法院",
    "检察院",
    "银行",
    "协会",
    "联盟",
    "交易所",
    "实验室",
    "基金会",
    "商会",
    "学会",
)
WEAK_SUFFIXES: Final = (
    "委员会",
    "办公室",
    "管理局",
    "研究中心",
    "局",
    "厅",
    "委",
    "中心",
    "政府",
    "部",
)
ORG_SUFFIXES: Final = STRONG_SUFFIXES + WEAK_SUFFIXES
ABBREVIATION_SUFFIXES: Final = ("部", "委", "局", "厅")  # 工信部, 发改委: two characters + suffix
FUNCTION_CHARS: Final = frozenset(
    "的在与和及等为是了由对将把被从向以于并其这该各也都而或及就要让给到"
)
NATIONAL_PREFIXES: Final = ("国家", "中国", "中央", "全国")
MAX_ORG: Final = 14
REGIONS: Final = ("长三角", "珠三角", "京津冀", "粤港澳大湾区", "大湾区", "中国", "雄安新区")
# Short forms that are ordinary words far more often than places.
_SHORT_STOP: Final = frozenset(
    {"城区", "郊区", "矿区", "新区", "市中", "河口", "白云", "和平", "东区"}
)
_LEVEL_SUFFIXES: Final = (
    "特别行政区",
    "自治区",
    "自治州",
    "自治县",
    "省",
    "市",
    "区",
    "县",
    "盟",
    "旗",
)


class Entity(NamedTuple):
    start: int
    end: int
    type: str


def _adcode_names() -> list[tuple[str, str]]:
    spec = importlib.util.find_spec("cpca")  # the package is not imported (it loads pandas)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the cpca package (gazetteer data) is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "resources" / "adcodes.csv"
    with open(path, encoding="utf-8") as fh:
        return [(row["adcode"], row["name"]) for row in csv.DictReader(fh)]


def _short(name: str) -> str | None:
    for suffix in _LEVEL_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            short = name[: -len(suffix)]
            return None if short in _SHORT_STOP else short
    return None


@lru_cache(maxsize=1)
def _places() -> ahocorasick.Automaton:
    from opencc import OpenCC

    s2t = OpenCC("s2t.json")
    names: set[str] = set(REGIONS)
    for adcode, name in _adcode_names():
        if name.endswith(("市辖区", "直辖县")) or len(name) < 2:
            continue
        names.add(name)
        # Short forms only for provinces and prefecture-level cities: county short forms
        # (合作, 资源, 和平 ...) are ordinary words far more often than places.
        short = _short(name) if adcode.endswith("00000000") else None
        if short:
            names.add(short)
    automaton = ahocorasick.Automaton()
    for name in names:
        for form in {name, s2t.convert(name)}:
            automaton.add_word(form, len(form))
    automaton.make_automaton()
    return automaton


@lru_cache(maxsize=1)
def _org_pattern() -> re.Pattern[str]:
    from opencc import OpenCC

    s2t = OpenCC("s2t.json")
    forms = {form for s in ORG_SUFFIXES for form in (s, s2t.convert(s))}
    return re.compile("|".join(sorted(map(re.escape, forms), key=len, reverse=True)))


def find_places(text: str) -> list[Entity]:
    """Gazetteer matches, longest first, non-overlapping."""
    found = [(end + 1 - length, end + 1) for end, length in _places().iter(text)]
    found.sort(key=lambda s: (-(s[1] - s[0]), s[0]))
    taken = [False] * len(text)
    out = []
    for start, end in found:
        if any(taken[start:end]):
            continue
        for i in range(start, end):
            taken[i] = True
        out.append(Entity(start, end, "LOC"))
    return sorted(out)


def find_works(text: str) -> list[Entity]:
    return [
        Entity(m.start() + 1, m.end() - 1, "WORK")
        for m in re.finditer(r"《([^《》]+)》", text)
        if m.group(1).strip()
    ]


def _is_name_char(char: str) -> bool:
    return ("\u4e00" <= char <= "\u9fff" or char.isalpha()) and to_hans(char) not in FUNCTION_CHARS


def find_orgs(text: str, places: list[Entity]) -> list[Entity]:
    out: list[Entity] = []
    floor = 0  # an organisation never reaches into the previous one
    for match in _org_pattern().finditer(text):
        end = match.end()
        # Do not cut a longer word: 中心城区, 局面, 部分 ... (the suffix must end the name).
        if end < len(text) and to_hans(text[match.start() : end + 1]) in _NOT_SUFFIX:
            continue
        if match.start() > 0 and to_hans(text[match.start() - 1 : end]) in _NOT_SUFFIX:
            continue
        start = match.start()
        while start > max(floor, match.start() - MAX_ORG) and _is_name_char(text[start - 1]):
            start -= 1
        anchors = [p.start for p in places if start <= p.start < match.start()]
        anchors += [
            i for prefix in NATIONAL_PREFIXES if (i := text.find(prefix, start, match.start())) >= 0
        ]
        if anchors:
            start = min(anchors)
        name_length = match.start() - start
        if name_length < 2:  # a bare suffix (局, 委, 公司) is not a name
            continue
        suffix = to_hans(match.group())
        if (
            not anchors
            and suffix in WEAK_SUFFIXES
            and not (name_length == 2 and suffix in ABBREVIATION_SUFFIXES)
        ):
            continue
        if not anchors and name_length > 6:
            continue
        out.append(Entity(start, end, "ORG"))
        floor = end
    return out


_NOT_SUFFIX: Final = frozenset(
    {
        "局面",
        "局势",
        "部分",
        "部署",
        "部门",
        "中心城",
        "委托",
        "厅局",
        "公司化",
        "政府性",
        "布局",
        "格局",
        "结局",
        "全局",
        "大局",
        "开局",
        "内部",
        "外部",
        "全部",
        "局部",
        "东部",
        "西部",
        "南部",
        "北部",
        "中部",
        "干部",
        "头部",
        "底部",
        "顶部",
        "核心",
        "重心",
        "中心化",
    }
)


def find_entities(text: str) -> list[Entity]:
    """All entity pre-annotations of ``text``, non-overlapping, by the precedence above."""
    works = find_works(text)
    places = find_places(text)
    orgs = find_orgs(text, places)
    chosen: list[Entity] = []
    taken = [False] * len(text)
    for entity in (*works, *orgs, *places):
        if any(taken[entity.start : entity.end]):
            continue
        for i in range(entity.start, entity.end):
            taken[i] = True
        chosen.append(entity)
    return sorted(chosen)
