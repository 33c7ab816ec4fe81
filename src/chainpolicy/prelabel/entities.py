"""Entity pre-annotator: 《titles》, known names, organisation suffix rules, a place gazetteer.

Rules, in this order of precedence (a later rule never overlaps an earlier one's span, so the
longest, most specific name wins as the guidelines ask):

1. ``WORK``: the text inside 《》 (brackets excluded, as the guidelines ask).
2. Known names (``KNOWN``): a short hand-kept list of national bodies and companies that no
   suffix rule can find (国务院, 工信部, 央行, 腾讯 ...) and products the guidelines name.
3. ``PRODUCT``: a quoted name ending in 链/平台/系统 (“梧桐链”), quotes excluded.
4. ``ORG``: an organisation suffix (公司, 研究院, 大学, 法院, 银行, 局, 厅, 委, 中心, 协会, 联盟 ...
   in both scripts) extended to the left over name characters:

   a. the window runs left from the suffix over CJK and Latin characters, at most ``MAX_ORG``
      characters, never into the previous organisation, stopping at punctuation, digits,
      spaces and function characters (的, 在, 与 ...);
   b. the name starts after the last clause word inside the window (verbs, adverbs and
      prepositions that never begin a name: 发挥, 据, 目前, 共建 ...);
   c. if a gazetteer place or a national prefix (国家, 中国, 中央) starts inside what is left,
      the name starts at the leftmost one (``签约共建苏州同济区块链研究院`` ->
      ``苏州同济区块链研究院``); such a name is *anchored*;
   d. rejected: a bare suffix; a weak suffix (局, 厅, 委, 中心, 部 ..., which also end ordinary
      words) without an anchor, unless it is a two-character abbreviation (工信部); an
      unanchored name longer than 6 characters before the suffix (likely a clause); an
      unanchored name made only of generic words (区块链研究院, 科技公司);
   e. a name that starts right where the previous organisation ends extends it
      (``北京市人民政府`` + ``办公厅`` -> one ORG: the longest name).

5. ``LOC``: the gazetteer, matched with Aho-Corasick, longest match first. It holds every
   province, prefecture and county-level area of cpca's ``adcodes.csv`` (MIT, pinned in
   pyproject), the short forms of provinces and prefecture-level cities (``江苏省`` -> ``江苏``)
   and of the county-level areas of Jiangsu and Zhejiang, the provinces the articles are about
   (``相城区`` -> ``相城``; elsewhere county short forms are mostly ordinary words: 合作, 比如,
   资源), and a few named regions; both scripts (OpenCC s2t at load time).
"""

from __future__ import annotations

import csv
import importlib.util
import re
from functools import lru_cache
from pathlib import Path
from typing import Final

import ahocorasick
from opencc import OpenCC

from chainpolicy.corpus.scriptview import to_hans
from chainpolicy.records import Span
from chainpolicy.schema import ENTITY

# Suffixes that name an organisation on their own, and those that also end ordinary words or
# need a place to be a name (局 in 布局, 政府 in 设立政府). Simplified; traditional derived.
STRONG_SUFFIXES: Final = (
    *("有限公司", "公司", "集团", "研究院", "研究所", "大学", "学院", "法院", "检察院"),
    *("银行", "协会", "联盟", "交易所", "实验室", "基金会", "商会", "学会"),
)
WEAK_SUFFIXES: Final = (
    *("委员会", "办公室", "办公厅", "管理局", "研究中心", "局", "厅", "委", "中心", "政府"),
    "部",
)
ORG_SUFFIXES: Final = STRONG_SUFFIXES + WEAK_SUFFIXES
ABBREVIATION_SUFFIXES: Final = ("部", "委", "局", "厅")  # 工信部, 发改委: two characters + suffix
# Function characters and adverbs that do not occur inside names (已 in 相城已引育...).
FUNCTION_CHARS: Final = frozenset(
    "的在与和及等为是了由对将把被从向以于并其这该各也都而或就要让给到已还曾又均即仍"
)
# Words that end a clause and never begin a name: the name starts after the last one.
CLAUSE_WORDS: Final = (
    *("发挥", "助力", "目前", "鼓励", "依托", "支持", "推动", "通过", "成立", "设立", "组建"),
    *("共建", "签约", "携手", "包括", "例如", "引进", "落户", "近日", "日前", "今年", "同年"),
    *("牵头", "入选", "获批", "印发", "出台", "启动", "加入", "参与", "联合", "服务于", "对接"),
)
LEADING_PREPOSITIONS: Final = frozenset("据经如自")  # 据赛迪研究院: only at the window start
NATIONAL_PREFIXES: Final = ("国家", "中国", "中央", "全国")
# An unanchored name made only of these is a generic mention (国内第一个...的区块链研究院).
GENERIC_WORDS: Final = (
    *("区块链", "金融", "科技", "数字", "技术", "产业", "信息", "数据", "互联网", "研究"),
    *("创新", "发展", "服务", "相关", "专业", "国内", "地方", "其他", "有关", "重点", "科研"),
)
MAX_ORG: Final = 14
MAX_UNANCHORED: Final = 6

# Names no rule finds; simplified (traditional forms are derived). Hand-kept, deliberately short.
KNOWN: Final[dict[str, str]] = {
    **dict.fromkeys(
        (
            *("国务院", "中共中央", "党中央", "中央网信办", "网信办", "工信部", "发改委", "央行"),
            *(
                "阿里巴巴",
                "阿里",
                "腾讯",
                "百度",
                "华为",
                "京东",
                "蚂蚁金服",
                "蚂蚁集团",
                "苏宁易购",
            ),
        ),
        "ORG",
    ),
    **dict.fromkeys(("蚂蚁链", "长安链", "BSN", "梧桐链"), "PRODUCT"),
}
PRODUCT_ENDINGS: Final = ("链", "平台", "系统")
MAX_PRODUCT: Final = 12

# Named regions and state-level new areas that are no administrative division.
REGIONS: Final = (
    *("长三角", "珠三角", "环渤海", "京津冀", "粤港澳大湾区", "大湾区", "中国"),
    *("江北新区", "雄安新区", "两江新区", "天府新区"),
)
REGIONS_FOR_SHORT_COUNTIES: Final = ("32", "33")  # adcode prefixes of 江苏, 浙江
# Short forms that are ordinary words (or, 海东, given names in this corpus' bylines).
_SHORT_STOP: Final = frozenset(
    {"城区", "郊区", "矿区", "新区", "市中", "河口", "白云", "和平", "东区", "海东", "市辖"}
)
_LEVEL_SUFFIXES: Final = (
    *("特别行政区", "自治区", "自治州", "自治县", "省", "市", "区", "县", "盟", "旗"),
)


def _entity(start: int, end: int, type_: str) -> Span:
    return Span(start, end, ENTITY, type_)


def _by_position(span: Span) -> tuple[int, int, str]:
    return span.start, span.end, span.type or ""


@lru_cache(maxsize=1)
def _s2t() -> OpenCC:
    return OpenCC("s2t.json")


def _both_scripts(words: tuple[str, ...] | list[str]) -> set[str]:
    return {form for word in words for form in (word, _s2t().convert(word))}


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


def _with_short_form(adcode: str, name: str) -> bool:
    prefecture = adcode[4:].strip("0") == ""  # provinces and prefecture-level cities
    return prefecture or adcode.startswith(REGIONS_FOR_SHORT_COUNTIES)


@lru_cache(maxsize=1)
def place_names() -> frozenset[str]:
    """Every gazetteer form, both scripts."""
    names: set[str] = set(REGIONS)
    for adcode, name in _adcode_names():
        if name.endswith(("市辖区", "直辖县")) or len(name) < 2:
            continue
        names.add(name)
        short = _short(name) if _with_short_form(adcode, name) else None
        if short:
            names.add(short)
    return frozenset(_both_scripts(sorted(names)))


def _automaton(words: dict[str, str]) -> ahocorasick.Automaton:
    automaton = ahocorasick.Automaton()
    for word, type_ in words.items():
        automaton.add_word(word, (len(word), type_))
    automaton.make_automaton()
    return automaton


@lru_cache(maxsize=1)
def _places() -> ahocorasick.Automaton:
    return _automaton(dict.fromkeys(place_names(), "LOC"))


@lru_cache(maxsize=1)
def _known() -> ahocorasick.Automaton:
    return _automaton(
        {form: type_ for word, type_ in KNOWN.items() for form in _both_scripts([word])}
    )


def _longest_first(text: str, automaton: ahocorasick.Automaton) -> list[Span]:
    """Aho-Corasick matches, longest first, non-overlapping, in text order."""
    found = [(end + 1 - length, end + 1, type_) for end, (length, type_) in automaton.iter(text)]
    found.sort(key=lambda s: (-(s[1] - s[0]), s[0]))
    taken = [False] * len(text)
    out = []
    for start, end, type_ in found:
        if any(taken[start:end]):
            continue
        taken[start:end] = [True] * (end - start)
        out.append(_entity(start, end, type_))
    return sorted(out, key=_by_position)


def find_places(text: str) -> list[Span]:
    return _longest_first(text, _places()) if text else []


def find_known(text: str) -> list[Span]:
    return _longest_first(text, _known()) if text else []


def find_works(text: str) -> list[Span]:
    return [
        _entity(m.start() + 1, m.end() - 1, "WORK")
        for m in re.finditer(r"《([^《》]+)》", text)
        if m.group(1).strip() == m.group(1)
    ]


def find_products(text: str) -> list[Span]:
    """Quoted names of chains, platforms and systems: “梧桐链”, “航运存证平台”."""
    out = []
    for m in re.finditer(rf"[“「]([^“”「」\s,,。;;]{{2,{MAX_PRODUCT}}})[”」]", text):
        name = to_hans(m.group(1))
        if name.endswith(PRODUCT_ENDINGS) and len(name) > 2:
            out.append(_entity(m.start() + 1, m.end() - 1, "PRODUCT"))
    return out


def _is_name_char(char: str) -> bool:
    return ("\u4e00" <= char <= "\u9fff" or char.isalpha()) and to_hans(char) not in FUNCTION_CHARS


@lru_cache(maxsize=1)
def _org_pattern() -> re.Pattern[str]:
    forms = _both_scripts(ORG_SUFFIXES)
    return re.compile("|".join(sorted(map(re.escape, forms), key=len, reverse=True)))


def _after_clause_words(window: str) -> int:
    """Offset in ``window`` (simplified) where a name may start (rule 4b)."""
    cut = 0
    for word in CLAUSE_WORDS:
        i = window.rfind(word)
        if i >= 0:
            cut = max(cut, i + len(word))
    if cut == 0 and window[:1] in LEADING_PREPOSITIONS:
        cut = 1
    return cut


_GENERIC = re.compile("(?:" + "|".join(GENERIC_WORDS) + ")+")


def find_orgs(text: str, places: list[Span]) -> list[Span]:
    out: list[Span] = []
    floor = 0  # an organisation never reaches into the previous one
    for match in _org_pattern().finditer(text):
        end = match.end()
        # Do not cut a longer word: 局面, 部分, 中心城区 ... (the suffix must end the name).
        if end < len(text) and to_hans(text[match.start() : end + 1]) in _NOT_SUFFIX:
            continue
        if match.start() > 0 and to_hans(text[match.start() - 1 : end]) in _NOT_SUFFIX:
            continue
        start = match.start()
        while start > max(floor, match.start() - MAX_ORG) and _is_name_char(text[start - 1]):
            start -= 1
        start += _after_clause_words(to_hans(text[start : match.start()]))
        anchors = [p.start for p in places if start <= p.start < match.start()]
        anchors += [
            i for prefix in NATIONAL_PREFIXES if (i := text.find(prefix, start, match.start())) >= 0
        ]
        if anchors:
            start = min(anchors)
        if out and start == out[-1].end == floor:
            out[-1] = _entity(out[-1].start, end, "ORG")  # rule 4e: 人民政府 + 办公厅
            floor = end
            continue
        body = to_hans(text[start : match.start()])
        if len(body) < 2:  # a bare suffix (局, 委, 公司) is not a name
            continue
        suffix = to_hans(match.group())
        if not anchors and (
            (suffix in WEAK_SUFFIXES and not (len(body) == 2 and suffix in ABBREVIATION_SUFFIXES))
            or len(body) > MAX_UNANCHORED
            or _GENERIC.fullmatch(body)
        ):
            continue
        out.append(_entity(start, end, "ORG"))
        floor = end
    return out


_NOT_SUFFIX: Final = frozenset(
    {
        *("局面", "局势", "部分", "部署", "部门", "部件", "部队", "部委", "中心城", "委托"),
        *("厅局", "公司化", "政府性", "布局", "格局", "结局", "全局", "大局", "开局", "当局"),
        *("内部", "外部", "全部", "局部", "东部", "西部", "南部", "北部", "中部", "干部"),
        *("头部", "底部", "顶部", "核心", "重心", "中心化", "去中心", "中心组", "委员", "大厅"),
    }
)


def find_entities(text: str) -> list[Span]:
    """All entity pre-annotations of ``text``, non-overlapping, by the precedence above."""
    places = find_places(text)
    # Works first (their brackets are explicit), then the longest name wins; on a tie the
    # earlier rule (known name, product, organisation, place).
    rules = [*find_known(text), *find_products(text), *find_orgs(text, places), *places]
    ranked = sorted(enumerate(rules), key=lambda p: (p[1].start - p[1].end, p[0]))
    candidates = (*find_works(text), *(entity for _, entity in ranked))
    chosen: list[Span] = []
    taken = [False] * len(text)
    for entity in candidates:
        if any(taken[entity.start : entity.end]):
            continue
        taken[entity.start : entity.end] = [True] * (entity.end - entity.start)
        chosen.append(entity)
    return sorted(chosen, key=_by_position)
