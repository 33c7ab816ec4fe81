#!/usr/bin/env python
"""Baseline ``rules``: the project's pre-annotator with its hand lists replaced by train's.

The pre-annotator (``chainpolicy.prelabel``, which offered predictions to the annotators) is not
blind: its hand lists hold names that are gold entities only in the test split (BSN, 华为, 央行,
工信部, 梧桐链, 阿里) and a stop word taken from a test byline (海东). This script runs the same
code (figures, 《》 works, quoted products, organisation suffixes, the cpca gazetteer, the claim
heuristic, ``predict()``'s assembly and span checks) with every list of ``entities.py`` replaced:

- ``KNOWN`` (names no rule finds) <- the train gold entities of type ORG, PRODUCT and PER, in
  simplified script (the pre-annotator adds the traditional forms), the most frequent type of
  each name; WORK is left to the 《》 rule (train gold works such as 方案 would be a list of
  ordinary words), LOC to the gazetteer.
- ``REGIONS`` (named regions outside the administrative divisions) <- the train gold LOC names
  that the cpca gazetteer does not hold (长三角地区, 江北新区, 海南自由贸易港 ...).
- the gazetteer's stop list ``_SHORT_STOP`` (short forms that are ordinary words, and 海东) <-
  nothing, then the gazetteer forms that are wrong more often than right on train (below).
- a precision filter, measured on train only: the system is run once on the train sentences with
  the lists above; a list name or gazetteer form whose predicted spans (matched by simplified
  text) are false positives more often than true positives on train is dropped.
- ``--word-lists train-attested`` (the default): the general-language word lists of
  ``entities.py`` (organisation suffixes, clause words, function characters, generic words,
  national prefixes, words a suffix must not cut, product endings) keep only the entries that
  occur in the train text. They name no entity, but they were written by people who had read
  the whole corpus, test included; an entry that train attests could have been written from
  train alone. ``--word-lists shipped`` keeps them as shipped (for comparison only: not blind).

Not re-derived (stated in the metadata): the figure recogniser (numerals, units, qualifiers)
and the claim heuristic (clause punctuation, modal verbs, connectives) are used as shipped;
their tables are general Chinese and name no entity, but they too were written by people who
had read the whole corpus. The numeric limits (name lengths) are used as shipped.

``src/chainpolicy/prelabel`` is not edited: the lists are module globals read at call time
(or cached behind ``functools.lru_cache``), so ``blind_lists()`` patches them for the duration
of a ``with`` block and clears the caches on the way in and out.
"""

from __future__ import annotations

import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from unittest import mock

from baselines_common import (
    EVAL_SPLITS,
    Sentence,
    Span,
    System,
    argument_parser,
    gold_only,
    load_split,
    run_baseline,
)

from chainpolicy.corpus.scriptview import to_hans
from chainpolicy.prelabel import MODEL_VERSION, predict
from chainpolicy.prelabel import entities as E

NAME_TYPES = ("ORG", "PRODUCT", "PER")  # listed as known names; LOC goes to the gazetteer
MIN_NAME = 2  # a one-character name is never listed (it would match inside words)
WORD_LIST_MODES = ("train-attested", "shipped")

# The general-language lists of entities.py filtered by --word-lists train-attested.
_TUPLE_LISTS = (
    "STRONG_SUFFIXES",
    "WEAK_SUFFIXES",
    "ABBREVIATION_SUFFIXES",
    "CLAUSE_WORDS",
    "NATIONAL_PREFIXES",
    "GENERIC_WORDS",
    "PRODUCT_ENDINGS",
)
_SET_LISTS = ("FUNCTION_CHARS", "LEADING_PREPOSITIONS", "_NOT_SUFFIX")
# Caches that hold what the lists built; cleared whenever the lists change.
_CACHES = ("_known", "_places", "place_names", "_org_pattern")


@dataclass(frozen=True)
class Lists:
    """Everything ``blind_lists`` puts in place of the shipped lists."""

    known: dict[str, str]  # simplified name -> type
    regions: tuple[str, ...]  # simplified LOC names added to the gazetteer
    dropped_places: frozenset[str] = frozenset()  # simplified gazetteer forms removed
    word_lists: dict[str, Any] = field(default_factory=dict)  # entities.<NAME> -> value
    dropped_words: dict[str, list[str]] = field(default_factory=dict)  # for the record

    def describe(self) -> dict[str, Any]:
        return {
            "known": dict(sorted(self.known.items())),
            "regions": sorted(self.regions),
            "dropped_gazetteer_forms": sorted(self.dropped_places),
            "word_lists_dropped_as_unattested_in_train": self.dropped_words,
        }


def _clear_caches() -> None:
    for name in _CACHES:
        getattr(E, name).cache_clear()


def cpca_forms() -> frozenset[str]:
    """The gazetteer as cpca gives it (both scripts): no named regions, no stop list."""
    with mock.patch.object(E, "REGIONS", ()), mock.patch.object(E, "_SHORT_STOP", frozenset()):
        E.place_names.cache_clear()
        try:
            return E.place_names()
        finally:
            E.place_names.cache_clear()


@contextmanager
def blind_lists(lists: Lists) -> Iterator[None]:
    """Within the block, ``chainpolicy.prelabel.predict`` uses ``lists`` instead of the shipped
    lists; on the way out everything is as shipped again."""
    shipped_place_names = E.place_names

    @lru_cache(maxsize=1)
    def place_names() -> frozenset[str]:
        return frozenset(
            form for form in shipped_place_names() if to_hans(form) not in lists.dropped_places
        )

    with ExitStack() as stack:
        stack.callback(_clear_caches)  # runs last: after every patch below is undone
        patches = {
            "KNOWN": dict(lists.known),
            "REGIONS": tuple(lists.regions),
            "_SHORT_STOP": frozenset(),
            "place_names": place_names,
            **lists.word_lists,
        }
        for name, value in patches.items():
            if not hasattr(E, name):  # the pre-annotator changed: fail, never run half-patched
                raise AttributeError(f"chainpolicy.prelabel.entities has no {name}")
            stack.enter_context(mock.patch.object(E, name, value))
        _clear_caches()
        shipped_place_names.cache_clear()
        yield


def _hans_names(sentences: Sequence[Sentence]) -> dict[str, Counter[str]]:
    names: dict[str, Counter[str]] = defaultdict(Counter)
    for sentence in sentences:
        for span in sentence.spans:
            if span.label == "entity" and span.type:
                names[to_hans(sentence.text[span.start : span.end])][span.type] += 1
    return names


def attested_word_lists(train_text: str) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The word lists of entities.py restricted to entries occurring in ``train_text``
    (simplified), and what was dropped."""
    values: dict[str, Any] = {}
    dropped: dict[str, list[str]] = {}
    for name in (*_TUPLE_LISTS, *_SET_LISTS):
        shipped = getattr(E, name)
        # tuples keep their order (it can matter); sets are sorted for a stable record
        ordered = shipped if isinstance(shipped, tuple) else sorted(shipped)
        kept = [w for w in ordered if to_hans(w) in train_text]
        values[name] = tuple(kept) if isinstance(shipped, tuple) else frozenset(kept)
        dropped[name] = sorted(set(shipped) - set(kept))
    values["ORG_SUFFIXES"] = values["STRONG_SUFFIXES"] + values["WEAK_SUFFIXES"]
    values["_GENERIC"] = re.compile("(?:" + "|".join(values["GENERIC_WORDS"]) + ")+")
    return values, {name: words for name, words in dropped.items() if words}


def derive_lists(train: Sequence[Sentence], word_lists: str = "train-attested") -> Lists:
    """The lists of the blind pre-annotator, from the train split alone (see the module doc)."""
    if word_lists not in WORD_LIST_MODES:
        raise ValueError(f"word_lists must be one of {WORD_LIST_MODES}, not {word_lists!r}")
    gold = gold_only(train)
    gazetteer = {to_hans(form) for form in cpca_forms()}
    known: dict[str, str] = {}
    regions: list[str] = []
    for name, types in sorted(_hans_names(gold).items()):
        kind = types.most_common(1)[0][0]
        if len(name) < MIN_NAME:
            continue
        if kind in NAME_TYPES:
            known[name] = kind
        elif kind == "LOC" and name not in gazetteer:
            regions.append(name)
    words: dict[str, Any] = {}
    dropped_words: dict[str, list[str]] = {}
    if word_lists == "train-attested":
        words, dropped_words = attested_word_lists("\n".join(to_hans(s.text) for s in train))
    draft = Lists(known, tuple(regions), frozenset(), words, dropped_words)
    # The precision filter: one run over train, names judged by their simplified text.
    right: Counter[str] = Counter()
    wrong: Counter[str] = Counter()
    with blind_lists(draft):
        for sentence in gold:
            true = {(s.start, s.end, s.type) for s in sentence.spans if s.label == "entity"}
            for p in predict(sentence.text):
                if p.label == "entity":
                    hit = (p.start, p.end, p.type) in true
                    (right if hit else wrong)[to_hans(sentence.text[p.start : p.end])] += 1
    bad = {name for name in wrong if wrong[name] > right[name]}
    return Lists(
        known={k: v for k, v in known.items() if k not in bad},
        regions=tuple(r for r in regions if r not in bad),
        dropped_places=frozenset(name for name in bad if name in gazetteer),
        word_lists=words,
        dropped_words=dropped_words,
    )


def predict_splits(
    dataset: Path, word_lists: str = "train-attested"
) -> tuple[dict[str, dict[str, list[Span]]], dict[str, Any]]:
    train = load_split("train", dataset=dataset)
    lists = derive_lists(train, word_lists)
    out: dict[str, dict[str, list[Span]]] = {}
    with blind_lists(lists):
        for split in EVAL_SPLITS:
            out[split] = {
                s.id: [Span(p.start, p.end, p.label, p.type) for p in predict(s.text)]
                for s in load_split(split, dataset=dataset)
            }
    details = {
        "prelabel_model_version": MODEL_VERSION,
        "word_lists": word_lists,
        "lists": lists.describe(),
        "not_rederived": "figure recogniser and claim heuristic tables, numeric length limits",
    }
    return out, details


def main(argv: Sequence[str] | None = None) -> int:
    parser = argument_parser(__doc__.splitlines()[0])
    parser.add_argument(
        "--word-lists",
        choices=WORD_LIST_MODES,
        default="train-attested",
        help="entities.py's word lists: only entries attested in train (blind), or as shipped",
    )
    args = parser.parse_args(argv)
    blind = args.word_lists == "train-attested"
    system = System(
        name="rules" if blind else "rules-shipped-word-lists",
        title="rules: pre-annotator with train-derived lists"
        + ("" if blind else " (word lists as shipped)"),
        description=(
            f"chainpolicy.prelabel ({MODEL_VERSION}) with its known names, named regions and "
            "gazetteer stop list replaced by names from train gold (filtered by precision on "
            "train)"
            + (
                ", its word lists restricted to entries attested in train text"
                if blind
                else ", its word lists as shipped (written after reading the whole corpus)"
            )
        ),
        trained_on="train gold entity names (train text for the word lists)",
        tuned_on="nothing (the precision filter uses train only)",
        packages=("pyahocorasick", "cpca", "opencc", "cn2an"),
    )
    run_baseline(system, args, lambda dataset: predict_splits(dataset, args.word_lists))
    return 0


if __name__ == "__main__":
    sys.exit(main())
