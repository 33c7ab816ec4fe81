#!/usr/bin/env python
"""Baseline ``jieba``: an off-the-shelf Chinese lexical analyser, its POS tags mapped to ours.

What a user would reach for first: jieba's part-of-speech tagger (``jieba.posseg``, default
settings: its bundled dictionary, HMM on for unknown words; nothing is downloaded and nothing is
learnt from this dataset). jieba's dictionary is simplified Chinese, so it reads the ``zh_hans``
view of each sentence (same ids, OpenCC t2s), and every span is projected back onto the
original text of the ``default`` config with ``chainpolicy.corpus.scriptview.ScriptMap`` (the
leaderboard scores ``default``).

Tag mapping (jieba uses the ICTCLAS/PKU tag set):

| jieba tag | meaning | ours |
| --- | --- | --- |
| nr, nrfg, nrt | person name, transliterated name | entity PER |
| ns | place name | entity LOC |
| nt | organisation | entity ORG |
| nz | other proper noun | nothing (no counterpart; on train no nz token is a gold entity) |
| eng | Latin-script word | nothing |
| m, mq, q | numeral, numeral+classifier, classifier | figure (see below) |
| t | time word | figure only when it holds a numeral (jieba tags 近 in 近100家 as t) |
| anything else | | nothing |

Figures: a run of adjacent figure tokens that holds a numeral (digits or Chinese numerals) and
a unit, classifier or a following ``%`` (a bare number such as a postcode or a list marker is
no figure); a ``%`` token right after the run joins it. Its type, by what it contains:
``%``/百分点/成 -> PERCENT, 元 -> MONEY, starts with 第 -> RANK, a duration (a number of years
that is no year such as 三年, 个月, 天) -> OTHER, a year (four digits + 年), a month (月) or a
day (日) -> DATE, otherwise COUNT. jieba has no notion of 《》 titles (no WORK),
of products, or of claims: this system marks no claim.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import jieba
import jieba.posseg
from baselines_common import (
    EVAL_SPLITS,
    Sentence,
    Span,
    System,
    argument_parser,
    load_split,
    run_baseline,
)
from char_features import char_class

from chainpolicy.corpus.scriptview import ScriptMap

ENTITY_TAGS: Final = {"nr": "PER", "nrfg": "PER", "nrt": "PER", "ns": "LOC", "nt": "ORG"}
FIGURE_TAGS: Final = frozenset({"m", "mq", "q"})
PERCENT_SIGNS: Final = frozenset("%\uff05")
_DATE = re.compile(r"[0-9\uff10-\uff19]{4}年|[月日]")
# A number of years that is no year (三年, 3年; the guidelines type durations OTHER), 个月, 天.
_DURATION = re.compile(
    r"(?<![0-9\uff10-\uff19])(?:[0-9\uff10-\uff19]{1,3}|[一二两三四五六七八九十]+)年|个月|天"
)


def _numeral(word: str) -> bool:
    return any(char_class(c) in ("digit", "cjk_numeral") for c in word)


def _unit(word: str) -> bool:
    return any(char_class(c) not in ("digit", "cjk_numeral", "punct", "space") for c in word)


def figure_type(text: str) -> str:
    if (
        any(c in PERCENT_SIGNS for c in text)
        or "百分点" in text
        or re.search(r"[0-9一二两三四五六七八九十]成", text)
    ):
        return "PERCENT"
    if "元" in text:
        return "MONEY"
    if text.startswith("第"):
        return "RANK"
    if _DURATION.search(text):
        return "OTHER"
    if _DATE.search(text):
        return "DATE"
    return "COUNT"


def tokens(text: str) -> list[tuple[int, int, str, str]]:
    """(start, end, word, tag) of jieba's cut of ``text``; offsets in code points."""
    out, i = [], 0
    for pair in jieba.posseg.cut(text):
        out.append((i, i + len(pair.word), pair.word, pair.flag))
        i += len(pair.word)
    if i != len(text):
        raise AssertionError(f"jieba's tokens do not cover the text ({i} of {len(text)})")
    return out


def analyse(text: str) -> list[Span]:
    """Entity and figure spans of ``text`` (simplified), by the mapping in the module doc."""
    toks = tokens(text)
    spans: list[Span] = []
    i = 0
    while i < len(toks):
        start, end, _word, tag = toks[i]
        if tag in ENTITY_TAGS:
            spans.append(Span(start, end, "entity", ENTITY_TAGS[tag]))
            i += 1
            continue
        j = i
        while j < len(toks) and (
            toks[j][3] in FIGURE_TAGS or (toks[j][3] == "t" and _numeral(toks[j][2]))
        ):
            j += 1
        if j < len(toks) and j > i and toks[j][2] in PERCENT_SIGNS:
            j += 1
        if j > i:
            run_start, run_end = toks[i][0], toks[j - 1][1]
            run = text[run_start:run_end]
            if (_numeral(run) and _unit(run)) or run[-1:] in PERCENT_SIGNS:
                spans.append(Span(run_start, run_end, "figure", figure_type(run)))
            i = j
            continue
        i += 1
    return spans


def project(original: str, hans: str, spans: Sequence[Span]) -> list[Span]:
    """Spans of the simplified view, onto the original text (identity where lengths agree)."""
    mapping = ScriptMap(original, hans)
    out = []
    for span in spans:
        start, end = mapping.to_src(span.start, span.end)
        out.append(span._replace(start=start, end=end))
    return out


def predict_sentences(
    original: Sequence[Sentence], hans: Sequence[Sentence]
) -> dict[str, list[Span]]:
    views = {s.id: s.text for s in hans}
    return {s.id: project(s.text, views[s.id], analyse(views[s.id])) for s in original}


def predict_splits(dataset: Path) -> tuple[dict[str, dict[str, list[Span]]], dict[str, Any]]:
    jieba.setLogLevel(logging.WARNING)
    out = {
        split: predict_sentences(
            load_split(split, dataset=dataset), load_split(split, "zh_hans", dataset)
        )
        for split in EVAL_SPLITS
    }
    details = {
        "tool": f"jieba {jieba.__version__} posseg (bundled dictionary, HMM on)",
        "input": "zh_hans view, spans projected onto default with ScriptMap",
        "entity_tags": ENTITY_TAGS,
        "figure_tags": [*sorted(FIGURE_TAGS), "t with a numeral"],
        "claims": "none (a lexical analyser has no notion of claims)",
    }
    return out, details


def main(argv: Sequence[str] | None = None) -> int:
    args = argument_parser(__doc__.splitlines()[0]).parse_args(argv)
    system = System(
        name="jieba",
        title="off-the-shelf lexical analyser: jieba POS tags mapped to ours",
        description=(
            "jieba.posseg with its bundled dictionary on the simplified view; nr/ns/nt -> "
            "PER/LOC/ORG, numeral+classifier runs -> figures typed by their unit; no WORK, "
            "PRODUCT or claims"
        ),
        trained_on="nothing from this dataset (jieba's bundled dictionary and HMM)",
        tuned_on="nothing (the tag table is fixed in lexical.py)",
        packages=("jieba", "opencc"),
    )
    run_baseline(system, args, predict_splits)
    return 0


if __name__ == "__main__":
    sys.exit(main())
