"""Which annotations' results are clean, decided column-wise for a whole batch of annotations.

``contract.regions.check_annotation`` checks one annotation in Python, result by result. Most
annotations of a real export pass every check; for them the outcome is simple (every labels
result is a region, its type the choices result of the same id) and can be decided for a
batch at once with numpy and pyarrow. ``check_batch`` does that and answers, per annotation
(a "group" of results on one text), either "clean" with its regions or "not clean". A clean
group is one for which ``check_annotation`` would reject nothing and collapse nothing; its
regions are then exactly ``check_annotation``'s, in its order. Everything else (a rule fails,
an exact repeat, an anonymous region, a ``value.text`` that only matches loosely ...) is "not
clean" and goes to ``check_annotation`` itself, which finds the reasons; so the reason codes
and their order stay in one place.

Clean means, for every result of the group: the control names of the label config
(``schema.LS_LABELS_NAME`` / ``TYPE_CONTROLS`` / ``LS_TEXT_NAME``), a region id; labels results
with unique ids, exactly one known label and offsets; each choices result the only one of its
id, paired with a labels result of its label, its offsets and exactly one of its types; the
span rules of ``contract.spanrules.RULES`` (each listed in ``COVERED``; an import-time check
fails when RULES gains a rule this module does not implement); ``value.text`` absent or exactly
the text at the offsets; no repeated span and no overlap the schema forbids.

The content rules use per-code-point classes computed by spanrules' own functions
(``_is_filler``, ``str.isspace``, ``_is_numeral``) for each code point met, never a regex with
another Unicode table. Offsets are code points: texts are compared as UTF-32.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain, repeat
from operator import itemgetter
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute

from chainpolicy.contract import spanrules
from chainpolicy.schema import (
    LABEL_NAMES,
    LABELS,
    LS_LABELS_NAME,
    LS_TEXT_NAME,
    TYPE_CONTROLS,
    TYPE_NAMES,
    may_overlap,
)

pc: Any = pyarrow.compute  # its functions are generated at import: invisible to mypy

# The rules of spanrules.RULES, in its order, each implemented below (see _span_rules).
COVERED: Final = (
    ("bad_offsets", spanrules._offsets),
    ("unknown_label", spanrules._label),
    ("unknown_type", spanrules._type),
    ("missing_type", spanrules._typed),
    ("no_content", spanrules._content),
    ("untrimmed", spanrules._trimmed),
    (None, spanrules._numeral),
)
if COVERED != spanrules.RULES:  # a new span rule must be implemented here before it can run
    raise ImportError("contract.batchcheck does not implement every rule of spanrules.RULES")

_LABEL_RESULT: Final = -1
_BAD: Final = -2
# (from_name, to_name, type) -> -1 for a labels result, the label index for a choices result.
_CONTROL: Final[dict[tuple[str, str, str], int]] = {
    (LS_LABELS_NAME, LS_TEXT_NAME, "labels"): _LABEL_RESULT,
    **{
        (control, LS_TEXT_NAME, "choices"): LABEL_NAMES.index(label)
        for control, label in TYPE_CONTROLS.items()
    },
}
_LABELS: Final = pa.array(LABEL_NAMES, pa.string())
_TYPES: Final = pa.array(TYPE_NAMES, pa.string())
_TYPE_LABEL: Final = np.array(
    [LABEL_NAMES.index(s.name) for s in LABELS for _ in s.types], dtype=np.int64
)
_TYPED: Final = np.array([bool(s.types) for s in LABELS])
_NEEDS_NUMERAL: Final = np.array([s.needs_numeral for s in LABELS])
# check_annotation orders regions by (start, end, label name, type name or ""): name ranks.
_LABEL_RANK: Final = np.argsort(np.argsort(np.array(LABEL_NAMES)))
_TYPE_RANK: Final = np.append(np.argsort(np.argsort(np.array(TYPE_NAMES))), -1)  # [-1]: none
# Label sets whose spans may not overlap in one annotation: each label with itself, and each
# pair the schema forbids (checked together: same-label overlaps are forbidden anyway).
_EXCLUSIVE: Final = tuple(
    {a, b}
    for a in range(len(LABEL_NAMES))
    for b in range(a, len(LABEL_NAMES))
    if a == b or not may_overlap(LABEL_NAMES[a], LABEL_NAMES[b])
)
# _IN_SET[label, set]: the label belongs to that exclusive set.
_IN_SET: Final = np.array(
    [[label in labels for labels in _EXCLUSIVE] for label in range(len(LABEL_NAMES))]
)

# The keys of a result and of its value, in the order pydantic's validation writes them (the
# order of contract.results.LSResult / LSValue and of validate.fastread's schema).
RESULT_KEYS: Final = ("id", "from_name", "to_name", "type", "value", "origin")
VALUE_KEYS: Final = ("start", "end", "text", "labels", "choices")


def _columns(rows: Sequence[dict[str, Any]], keys: tuple[str, ...]) -> list[Sequence[Any]]:
    """The values of ``keys`` of every row, one sequence per key.

    Rows validated by one schema all hold its keys in its order: then one flat list of their
    values, sliced with a step, is about twice as fast as picking key by key. Rows of another
    shape are picked key by key.
    """
    flat: list[Any] = list(chain.from_iterable(map(dict.values, rows)))
    if len(flat) == len(keys) * len(rows) and tuple(rows[0]) == tuple(rows[-1]) == keys:
        return [flat[i :: len(keys)] for i in range(len(keys))]
    return list(zip(*map(itemgetter(*keys), rows), strict=True))


# Classes of code points, filled as code points are met: bit 0 known, 1 filler, 2 space,
# 3 numeral. The functions are spanrules' own, so the tables cannot drift from the rules.
_KNOWN, _FILLER, _SPACE, _NUMERAL = 1, 2, 4, 8
_CLASSES = np.zeros(0x110000, dtype=np.uint8)

Int = npt.NDArray[np.int64]
Bool = npt.NDArray[np.bool_]


def _classes(code_points: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint8]:
    found = _CLASSES[code_points]
    new = np.unique(code_points[found == 0])
    if len(new):
        for code in new.tolist():
            char = chr(code)
            _CLASSES[code] = (
                _KNOWN
                | _FILLER * spanrules._is_filler(char)
                | _SPACE * char.isspace()
                | _NUMERAL * spanrules._is_numeral(char)
            )
        found = _CLASSES[code_points]
    return found


@dataclass(frozen=True, slots=True)
class BatchChecked:
    """Per group: ``clean``; for clean groups their regions, rows ``bounds[g]:bounds[g+1]`` of
    ``rows`` (start, end, label index, type index or -1, results it accounts for: the store's
    codec), in ``check_annotation``'s order. Rows of groups that are not clean are left out."""

    clean: Bool
    rows: npt.NDArray[np.intc]
    bounds: Int


def _utf32(text: str) -> npt.NDArray[np.uint32]:
    return np.frombuffer(text.encode("utf-32-le"), dtype="<u4")


def _codes(values: Sequence[list[str] | None], names: pa.Array) -> tuple[Int, Int]:
    """Per row: how many items the list holds (0 for null), and the position of its first
    item in ``names`` (-1: none, or not a name)."""
    lists = pa.array(values, pa.list_(pa.string()))
    offsets = lists.offsets.to_numpy().astype(np.int64)
    counts = np.diff(offsets)
    codes = np.full(len(values), -1, dtype=np.int64)
    has = counts > 0
    if has.any():
        firsts = lists.flatten().take(pa.array(offsets[:-1][has] - offsets[0]))
        codes[has] = pc.index_in(firsts, value_set=names).fill_null(-1).to_numpy()
    return counts, codes


def _ints(values: Sequence[int | None]) -> tuple[Int, Bool] | None:
    """Values and a validity mask; None when one does not fit 64 bits (never clean)."""
    try:
        array = pa.array(values, pa.int64())
    except (OverflowError, pa.ArrowInvalid):
        return None
    valid = array.is_valid().to_numpy(zero_copy_only=False)
    return array.fill_null(0).to_numpy(), valid


def check_batch(
    texts: Sequence[str], text_of: Sequence[int], groups: Sequence[Sequence[dict[str, Any]]]
) -> BatchChecked:
    """Check ``groups`` (each the validated results of one annotation, in the shape of
    ``contract.results.LSResult`` with every key present, as ``RESULT_KEYS`` and
    ``VALUE_KEYS``: one schema's validation gives them in that order) on
    ``texts[text_of[g]]``."""
    try:
        return _check(texts, text_of, groups)
    except UnicodeEncodeError:  # a lone surrogate somewhere: check_annotation decides
        n_groups = len(groups)
        return BatchChecked(
            np.zeros(n_groups, dtype=bool),
            np.zeros((0, 5), np.intc),
            np.zeros(n_groups + 1, np.int64),
        )


def _check(
    texts: Sequence[str], text_of: Sequence[int], groups: Sequence[Sequence[dict[str, Any]]]
) -> BatchChecked:
    n_groups = len(groups)
    sizes = np.fromiter(map(len, groups), dtype=np.int64, count=n_groups)
    results = list(chain.from_iterable(groups))
    none = BatchChecked(
        np.zeros(n_groups, dtype=bool), np.zeros((0, 5), np.intc), np.zeros(n_groups + 1, np.int64)
    )  # no group clean
    if not results:
        return BatchChecked(np.ones(n_groups, dtype=bool), none.rows, none.bounds)
    ids, froms, tos, kinds, values, _ = _columns(results, RESULT_KEYS)
    starts_, ends_, value_texts, labels, choices = _columns(values, VALUE_KEYS)
    group = np.repeat(np.arange(n_groups, dtype=np.int64), sizes)
    starts = _ints(starts_)
    ends = _ints(ends_)
    if starts is None or ends is None:
        return none
    start, has_start = starts
    end, has_end = ends
    control = np.fromiter(
        map(_CONTROL.get, zip(froms, tos, kinds, strict=True), repeat(_BAD)),
        dtype=np.int64,
        count=len(results),
    )
    id_codes = pc.dictionary_encode(pa.array(ids, pa.string())).indices
    has_id = id_codes.is_valid().to_numpy(zero_copy_only=False)
    rid = id_codes.fill_null(0).to_numpy().astype(np.int64)
    bad = (control == _BAD) | ~has_id | ~has_start | ~has_end

    is_label = control == _LABEL_RESULT
    n_labels, label = _codes(labels, _LABELS)
    bad |= is_label & ((n_labels != 1) | (label < 0))
    is_choice = control >= 0
    n_choices, type_code = _codes(choices, _TYPES)
    choice_label = np.where(type_code >= 0, _TYPE_LABEL[np.maximum(type_code, 0)], -1)
    bad |= is_choice & ((n_choices != 1) | (choice_label != control))

    # Regions: labels results, unique ids per group; each choice pairs with one of them.
    n_ids = int(rid.max()) + 1
    key = group * n_ids + rid
    lab = np.flatnonzero(is_label)
    lab = lab[np.argsort(key[lab], kind="stable")]
    lab_keys = key[lab]
    group_bad = np.zeros(n_groups, dtype=bool)
    group_bad[group[lab[1:][lab_keys[1:] == lab_keys[:-1]]]] = True
    cho = np.flatnonzero(is_choice)
    cho = cho[np.argsort(key[cho], kind="stable")]
    cho_keys = key[cho]
    group_bad[group[cho[1:][cho_keys[1:] == cho_keys[:-1]]]] = True  # type_count
    at = np.searchsorted(lab_keys, cho_keys)
    found = at < len(lab_keys)
    found[found] = lab_keys[at[found]] == cho_keys[found]
    bad[cho[~found]] = True  # orphan_type
    pair = lab[at[found]]
    paired = cho[found]
    bad[paired[(label[pair] != control[paired])]] = True  # unknown_type
    bad[paired[(start[pair] != start[paired]) | (end[pair] != end[paired])]] = True
    region_type = np.full(len(results), -1, dtype=np.int64)
    region_type[pair] = type_code[paired]
    n_results = np.ones(len(results), dtype=np.int64)
    n_results[pair] += 1

    bad |= is_label & _span_rules(texts, text_of, group, start, end, label, region_type)
    bad |= is_label & _text_differs(texts, text_of, group, start, end, value_texts)
    group_bad[group[bad]] = True
    group_bad |= _repeats_or_overlaps(n_groups, group, start, end, label, region_type, lab)

    clean = ~group_bad
    keep = lab[clean[group[lab]]]
    order = np.lexsort(
        (
            _TYPE_RANK[region_type[keep]],
            _LABEL_RANK[label[keep]],
            end[keep],
            start[keep],
            group[keep],
        )
    )
    keep = keep[order]
    rows = np.stack(
        (start[keep], end[keep], label[keep], region_type[keep], n_results[keep]), axis=1
    ).astype(np.intc)
    bounds = np.searchsorted(group[keep], np.arange(n_groups + 1))
    return BatchChecked(clean, rows, bounds)


def _span_rules(
    texts: Sequence[str],
    text_of: Sequence[int],
    group: Int,
    start: Int,
    end: Int,
    label: Int,
    region_type: Int,
) -> Bool:
    """Rows failing a rule of ``COVERED`` (meaningful for labels results with a known label)."""
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    text_start = np.concatenate(([0], np.cumsum(lengths)))
    row_text = np.asarray(text_of, dtype=np.int64)[group]
    size = lengths[row_text]
    fails = ~((start >= 0) & (start < end) & (end <= size))  # bad_offsets
    fails |= label < 0  # unknown_label
    known = np.maximum(label, 0)
    typed = _TYPED[known]
    # unknown_type: a type from another label's control was refused when pairing.
    fails |= typed & (region_type < 0)  # missing_type
    fails |= ~typed & (region_type >= 0)
    classes = _classes(_utf32("".join(texts)))
    content = np.concatenate(([0], np.cumsum((classes & _FILLER) == 0)))
    numerals = np.concatenate(([0], np.cumsum((classes & _NUMERAL) != 0)))
    ok = ~fails
    first = np.where(ok, text_start[row_text] + start, 0)
    stop = np.where(ok, text_start[row_text] + end, 0)
    fails |= ok & (content[stop] - content[first] == 0)  # no_content
    space = (classes & _SPACE) != 0
    if len(space):  # (rows that are not ok read position 0; their answer is not used)
        fails |= ok & (space[first] | space[np.maximum(stop - 1, 0)])  # untrimmed
    fails |= ok & _NEEDS_NUMERAL[known] & (numerals[stop] - numerals[first] == 0)
    return fails


def _text_differs(
    texts: Sequence[str],
    text_of: Sequence[int],
    group: Int,
    start: Int,
    end: Int,
    value_texts: Sequence[str | None],
) -> Bool:
    """Rows whose ``value.text`` is given and is not exactly the text at their offsets (a
    loose match is check_annotation's to decide)."""
    given_texts = pa.array(value_texts, pa.string())
    given = given_texts.is_valid().to_numpy(zero_copy_only=False)
    lengths = pc.utf8_length(given_texts).fill_null(0).to_numpy().astype(np.int64)  # code points
    size_of = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    row_text = np.asarray(text_of, dtype=np.int64)[group]
    in_range = (start >= 0) & (start <= end) & (end <= size_of[row_text])
    differs = given & ((lengths != end - start) | ~in_range)
    compare = given & ~differs
    if not compare.any():
        return differs
    text_start = np.concatenate(([0], np.cumsum(size_of)))
    joined = _utf32("".join(texts))
    value_start = np.concatenate(([0], np.cumsum(lengths)))  # of every row (0 if not given)
    values = _utf32("".join(filter(None, value_texts)))  # "" adds nothing either way
    n = lengths[compare]
    total = int(n.sum())
    if not total:
        return differs
    source = np.repeat(text_start[row_text[compare]] + start[compare], n)
    target = np.repeat(value_start[:-1][compare], n)
    step = np.arange(total) - np.repeat(np.cumsum(n) - n, n)
    wrong = joined[source + step] != values[target + step]
    rows_compared = np.repeat(np.flatnonzero(compare), n)
    differs[rows_compared[wrong]] = True
    return differs


def _repeats_or_overlaps(
    n_groups: int, group: Int, start: Int, end: Int, label: Int, region_type: Int, lab: Int
) -> Bool:
    """Groups with a repeated span or an overlap the schema forbids (among labels results)."""
    bad = np.zeros(n_groups, dtype=bool)
    if not len(lab):
        return bad
    g, s, e, la, t = group[lab], start[lab], end[lab], label[lab], region_type[lab]
    order = np.lexsort((t, la, e, s, g))
    g, s, e, la, t = g[order], s[order], e[order], la[order], t[order]
    same = (g[1:] == g[:-1]) & (s[1:] == s[:-1]) & (e[1:] == e[:-1])
    same &= (la[1:] == la[:-1]) & (t[1:] == t[:-1])
    bad[g[1:][same]] = True
    # Every (row, exclusive set it belongs to), sorted by (set, group, start) in one key: a
    # running maximum of the ends then finds every overlap inside one set of one group, since
    # the key of each (set, group) starts above every end before it. Offsets of rows that
    # passed the span rules are below 2**31; the others only make noise in groups that are not
    # clean anyway.
    rows, sets = np.nonzero(_IN_SET[np.maximum(la, 0)])
    shift = (sets * n_groups + g[rows]) << 32
    s_, e_ = shift + np.clip(s[rows], 0, 2**31), shift + np.clip(e[rows], 0, 2**31)
    order = np.argsort(s_, kind="stable")
    reach = np.maximum.accumulate(e_[order])
    hit = s_[order][1:] < reach[:-1]
    bad[g[rows[order][1:][hit]]] = True
    return bad
