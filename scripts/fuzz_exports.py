#!/usr/bin/env python
"""Fuzz `chainpolicy build` with mutated Label Studio exports, in-process, and check every case.

Bases are real exports: the fixture ``tests/fixtures/ls_export_small.json`` and slices of a few
tasks of the committed exports (``annotations/exports/*.json``), chosen by the seed. Each case
takes one base and mutates it either structurally (on the parsed JSON: paths into tasks,
annotations, results) or byte by byte (on the serialised file), builds it with
``chainpolicy.dataset.build.build`` into one reused output folder and checks it.

Structural kinds: missing keys, wrong types, offsets (huge, negative, float, string, bool, NaN,
5000-digit literals), unknown labels / types / control names, duplicated results, annotations,
predictions and tasks, deep nesting (up to 100,000 levels), lone surrogates (in values and keys),
NaN and infinities, task data (changed, long or swapped text, other / unknown / boilerplate
sentence ids, re-segmented sentences), ids, flags and timestamps, removals, reordering, unknown
extra fields, ``value.text``, repeated object keys. Byte kinds: truncation, bit flips, invalid
UTF-8, BOMs (UTF-8, doubled, misplaced, UTF-16/32), garbage, reformatting (whitespace, ``\\u``
escapes, CRLF), a reader's chunk boundary (512 KiB or 1 MiB of the chunked reader, 4 MiB of
the exact one) at a chosen byte, number literals.

The checks:

1. **errors**: the build either succeeds or raises the project's own ``ChainpolicyError`` (one
   line); anything else escaping it is a failure. A refused build leaves the previous output
   folder in place (same inode) and nothing staged beside it.
2. **accounting**: ``results_read`` equals the sum of all outcomes and the number of results in
   the file (counted here independently, from the file parsed with ``json``).
3. **quarantine**: one line of ``quarantine.jsonl`` per quarantined result, each with a known
   reason, and the per-reason counts equal the report's ``quarantine``.
4. **untouched valid results**: the parsed mutated tasks are matched against the base's tasks as
   a multiset (canonical JSON); a sentence is *touched* when a task that changed, appeared or
   disappeared names it (its ``sentence_id``), or when such a task could re-anchor spans onto it
   (the sentences of its article, through the sentence id or ``article_id``, that overlap
   ``[article_start, article_start + len(text)]``). Every other sentence is *untouched*. The
   build's policy that an annotation which lost a result to quarantine makes its whole sentence
   ``needs_review`` (its other results become ``held_for_review``) therefore only changes touched
   sentences. For every untouched sentence the rows of ``default``, ``zh_hans``, ``char_bio``,
   ``annotations`` and ``machine_preannotations`` (by sentence id) and its quarantine entries
   (all fields but the export name and the task's position in the file) must equal the base
   build's: together they fix the outcome of each of its results (adopted / not adopted by the
   gold spans, held for review by the status, superseded by the vote, quarantined by the list).
   The ``articles`` config never depends on annotations and must not change at all.
5. **no-op mutations** (task, annotation or key order, unknown extra fields, whitespace and
   escapes, a BOM, a reader's chunk boundary anywhere): every output file and the whole report
   (but the export's size in bytes) must equal the base build's.

Every case is reproducible from (seed, case number) and the committed files; a failure prints a
one-line reproducer (``--case N --keep DIR`` writes the base, the mutated export and the outputs).

    scripts/fuzz_exports.py --cases 5000 --seed 1
    scripts/fuzz_exports.py --seed 1 --case 17 --keep /tmp/case17
"""

from __future__ import annotations

import argparse
import copy
import gc
import hashlib
import json
import math
import random
import shutil
import sys
import tempfile
import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "ls_export_small.json"
EXPORT_NAME = "export.json"
N_SLICES = 12
SLOW_SECONDS = 10.0

Json = Any
PathT = tuple[Any, ...]


# --------------------------------------------------------------------------------------------
# The corpus as the fuzzer needs it (which sentence ids exist, where they sit in their article)


@dataclass
class Corpus:
    by_id: dict[str, tuple[str, int, int, bool]]  # id -> (article, start, end, annotatable)
    by_article: dict[str, list[tuple[str, int, int]]]
    annotatable_ids: list[str]
    other_ids: list[str]  # boilerplate: never annotated
    texts: list[str]
    order: list[str] = field(default_factory=list)  # ids in corpus order
    text_sep: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (text, sep)

    def neighbour(self, sentence_id: str, step: int) -> str | None:
        """The record ``step`` places away in the same article, if any."""
        if sentence_id not in self.by_id:
            return None
        i = self.order.index(sentence_id) + step
        if not 0 <= i < len(self.order):
            return None
        other = self.order[i]
        return other if self.by_id[other][0] == self.by_id[sentence_id][0] else None

    @classmethod
    def load(cls, source: Any) -> Corpus:
        from chainpolicy.schema import ANNOTATED_ROLES

        by_id: dict[str, tuple[str, int, int, bool]] = {}
        by_article: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
        annotatable, other, texts, order, text_sep = [], [], [], [], {}
        for r in source.sentences():
            order.append(r.id)
            text_sep[r.id] = (r.text, r.sep)
            ok = r.role in ANNOTATED_ROLES
            by_id[r.id] = (r.article_id, r.start, r.end, ok)
            by_article[r.article_id].append((r.id, r.start, r.end))
            (annotatable if ok else other).append(r.id)
            texts.append(r.text)
        return cls(by_id, dict(by_article), annotatable, other, texts, order, text_sep)

    def reach(self, task: Json) -> set[str]:
        """Sentence ids whose outcomes a changed task may legitimately change (docstring, 4)."""
        data = task.get("data") if isinstance(task, dict) else None
        if not isinstance(data, dict):
            return set()
        out: set[str] = set()
        sid, aid = data.get("sentence_id"), data.get("article_id")
        text, start = data.get("text"), data.get("article_start")
        articles = set()
        if isinstance(sid, str):
            out.add(sid)
            if sid in self.by_id:
                articles.add(self.by_id[sid][0])
        if isinstance(aid, str) and aid in self.by_article:
            articles.add(aid)
        if type(start) is int and isinstance(text, str):
            lo, hi = start, start + len(text)
            for article in articles:
                out.update(i for i, s, e in self.by_article[article] if s < hi and e > lo)
        return out


# --------------------------------------------------------------------------------------------
# Bases


@dataclass
class Base:
    name: str
    tasks: list[Json]


def make_bases(seed: int) -> list[Base]:
    """The fixture and N_SLICES slices of the committed exports (a function of the seed)."""
    bases = [Base("fixture", json.loads(FIXTURE.read_text("utf-8")))]
    rng = random.Random(f"bases:{seed}")
    exports = sorted((ROOT / "annotations" / "exports").glob("*.json"))
    loaded = [(p, json.loads(p.read_text("utf-8"))) for p in exports]
    loaded = [(p, tasks) for p, tasks in loaded if tasks]
    for _ in range(N_SLICES if loaded else 0):
        path, tasks = rng.choice(loaded)
        size = rng.randint(2, min(6, len(tasks)))
        if rng.random() < 0.5:
            first = rng.randrange(len(tasks) - size + 1)
            picks = list(range(first, first + size))
            name = f"{path.name}[{first}:{first + size}]"
        else:
            picks = sorted(rng.sample(range(len(tasks)), size))
            name = f"{path.name}[{','.join(map(str, picks))}]"
        bases.append(Base(name, [tasks[i] for i in picks]))
    return bases


# --------------------------------------------------------------------------------------------
# Tree helpers


def walk(node: Json, path: PathT = ()) -> Iterator[tuple[PathT, Json]]:
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk(value, (*path, i))


def get(root: Json, path: PathT) -> Json:
    for part in path:
        root = root[part]
    return root


def put(root: Json, path: PathT, value: Json) -> None:
    get(root, path[:-1])[path[-1]] = value


def delete(root: Json, path: PathT) -> None:
    del get(root, path[:-1])[path[-1]]


def show(path: PathT) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path) or "<root>"


def items_of(tasks: list[Json], group: str) -> list[PathT]:
    """Paths of every annotation / prediction / draft object."""
    out = []
    for t, task in enumerate(tasks):
        if isinstance(task, dict) and isinstance(task.get(group), list):
            out += [(t, group, i) for i, a in enumerate(task[group]) if isinstance(a, dict)]
    return out


def results_of(tasks: list[Json], groups: tuple[str, ...] = ("annotations",)) -> list[PathT]:
    out = []
    for group in groups:
        for path in items_of(tasks, group):
            result = get(tasks, path).get("result")
            if isinstance(result, list):
                out += [(*path, "result", r) for r in range(len(result))]
    return out


def pick_result(rng: random.Random, tasks: list[Json], want: str | None = None) -> PathT | None:
    """A result path (annotations mostly, sometimes predictions and drafts), with a value dict."""
    groups = ("annotations",) if rng.random() < 0.8 else ("annotations", "predictions", "drafts")
    paths = [
        p
        for p in results_of(tasks, groups)
        if isinstance(get(tasks, p), dict)
        and isinstance(get(tasks, p).get("value"), dict)
        and (want is None or get(tasks, p).get("type") == want)
    ]
    return rng.choice(paths) if paths else None


def fresh_id(tasks: list[Json], rng: random.Random) -> int:
    ids = [v for _, v in walk(tasks) if type(v) is int]
    return max([0, *ids]) + rng.randint(1, 50)


# --------------------------------------------------------------------------------------------
# Mutations. A structural mutation edits ``m.tasks`` and returns a note (or None when it does
# not apply to this base); a byte mutation edits ``m.data``. ``m.same`` stays True only when
# every mutation applied is a no-op for the build (see the docstring, point 5).


@dataclass
class Mutant:
    rng: random.Random
    tasks: list[Json]
    corpus: Corpus
    raws: dict[str, str] = field(default_factory=dict)  # sentinel string -> raw JSON text
    data: bytes = b""
    same: bool = True
    notes: list[str] = field(default_factory=list)

    def raw(self, text: str) -> str:
        """A sentinel that serialises to ``text`` verbatim (nesting, huge literals, dup keys)."""
        key = f"\x00fuzz-raw-{len(self.raws)}\x00"
        self.raws[key] = text
        return key

    def changed(self) -> None:
        self.same = False


HUGE_DIGITS = "9" * 5000  # past Python's default int-string conversion limit (4300 digits)


def _offset_values(m: Mutant, current: Json, length: int) -> list[Json]:
    v = current if type(current) is int else 3
    return [
        -1,
        -(2**31),
        2**31,
        2**53 + 1,
        2**63,
        2**64,
        10**30,
        float(v),
        v + 0.5,
        str(v),
        True,
        False,
        None,
        length,
        length + 1,
        0,
        m.raw(HUGE_DIGITS),
        m.raw("1e999"),
        m.raw("-" + HUGE_DIGITS),
        float("nan"),
    ]


TASK_KEYS = frozenset({"id", "data", "annotations", "predictions", "drafts"})
DATA_KEYS = frozenset({"text", "sentence_id", "article_id", "article_start"})
ITEM_KEYS = frozenset(
    {
        "id",
        "completed_by",
        "result",
        "was_cancelled",
        "ground_truth",
        "created_at",
        "updated_at",
        "lead_time",
        "model_version",
    }
)
RESULT_KEYS = frozenset({"id", "from_name", "to_name", "type", "value"})
VALUE_KEYS = frozenset({"start", "end", "text", "labels", "choices"})


def read_by_build(path: PathT) -> bool:
    """Whether the build reads the node at ``path`` (the rest of an export is carried along)."""
    if len(path) <= 1:
        return True
    key, rest = path[1], path[2:]
    if key == "data":
        return not rest or (len(rest) == 1 and rest[0] in DATA_KEYS)
    if key not in TASK_KEYS or key == "id":
        return key == "id" and not rest
    if len(rest) <= 1:
        return True
    if rest[1] != "result":
        return rest[1] in ITEM_KEYS and (len(rest) == 2 or rest[1] == "completed_by")
    result = rest[2:]
    if len(result) <= 1:
        return True
    if result[1] != "value":
        return result[1] in RESULT_KEYS and len(result) == 2
    return len(result) == 2 or result[2] in VALUE_KEYS


def choose(m: Mutant, candidates: list[Any], path_of: Callable[[Any], PathT] = lambda p: p) -> Any:
    """A random candidate, most often one the build reads, at a random depth (results far
    outnumber tasks: without this, a task's own keys would hardly ever be hit)."""
    read = [c for c in candidates if read_by_build(path_of(c))]
    pool = read if read and m.rng.random() < 0.8 else candidates
    depths = sorted({len(path_of(c)) for c in pool})
    depth = m.rng.choice(depths)
    return m.rng.choice([c for c in pool if len(path_of(c)) == depth])


def mut_missing_key(m: Mutant) -> str | None:
    keys = [(*p, k) for p, n in walk(m.tasks) if isinstance(n, dict) for k in n]
    path = choose(m, keys)
    delete(m.tasks, path)
    m.changed()
    return f"drop key {show(path)}"


WRONG_TYPES: list[Json] = [None, True, False, 0, 1, -1, 2.5, "", "x", "3", [], {}, [None], {"x": 1}]


def mut_wrong_type(m: Mutant) -> str | None:
    path = choose(m, [p for p, _ in walk(m.tasks) if p])
    old = get(m.tasks, path)
    choices = [v for v in WRONG_TYPES if type(v) is not type(old)]
    value = copy.deepcopy(m.rng.choice(choices))
    put(m.tasks, path, value)
    m.changed()
    return f"{show(path)}: {type(old).__name__} -> {value!r}"


def mut_offset(m: Mutant) -> str | None:
    if m.rng.random() < 0.15:  # the task's article offset, which re-anchoring goes through
        tasks = [t for t, task in enumerate(m.tasks) if isinstance(task.get("data"), dict)]
        if not tasks:
            return None
        t = m.rng.choice(tasks)
        data = m.tasks[t]["data"]
        value = m.rng.choice(
            [*_offset_values(m, data.get("article_start"), 10**4), data.get("article_start", 0)]
        )
        if type(value) is int and m.rng.random() < 0.5:
            value += m.rng.choice([-3, -1, 1, 2, 50])
        data["article_start"] = value
        m.changed()
        return f"[{t}].data.article_start = {_short(m, value)}"
    path = pick_result(m.rng, m.tasks)
    if path is None:
        return None
    value = get(m.tasks, path)["value"]
    text = m.tasks[path[0]].get("data", {}).get("text", "")
    length = len(text) if isinstance(text, str) else 0
    notes = []
    how = m.rng.random()
    if how < 0.15 and "start" in value and "end" in value:
        value["start"], value["end"] = value["end"], value["start"]
        notes.append("swap start/end")
    else:
        for key in m.rng.choice([("start",), ("end",), ("start", "end")]):
            new = m.rng.choice(_offset_values(m, value.get(key), length))
            value[key] = new
            notes.append(f"{key} = {_short(m, new)}")
    m.changed()
    return f"{show(path)}.value: {', '.join(notes)}"


def _short(m: Mutant, value: Json) -> str:
    if isinstance(value, str) and value in m.raws:
        raw = m.raws[value]
        return raw if len(raw) < 40 else f"<{len(raw)} chars: {raw[:12]}...>"
    return repr(value)[:60]


LABELS: list[Json] = [
    ["unknown"],
    [],
    ["entity", "figure"],
    ["Entity"],
    ["entity "],
    ["ent\u00adity"],
    [None],
    ["claim"],
    ["figure"],
    ["entity"],
    "entity",
]
CHOICES: list[Json] = [["XYZ"], [], ["ORG", "LOC"], ["org"], ["MONEY"], ["ORG"], ["DATE"], None]
FROM_NAMES = ["labels", "label ", "entity_type", "figure_type", "claim_type", "", "LABEL", "label"]
TO_NAMES = ["Text", "text2", "", "label", "text"]
TYPES = ["Labels", "choices", "labels", "textarea", "rectanglelabels", "taxonomy", ""]


def mut_names(m: Mutant) -> str | None:
    path = pick_result(m.rng, m.tasks)
    if path is None:
        return None
    result = get(m.tasks, path)
    what = m.rng.choice(["labels", "choices", "from_name", "to_name", "type"])
    if what == "labels":
        result["value"]["labels"] = new = copy.deepcopy(m.rng.choice(LABELS))
    elif what == "choices":
        result["value"]["choices"] = new = copy.deepcopy(m.rng.choice(CHOICES))
    else:
        palette = {"from_name": FROM_NAMES, "to_name": TO_NAMES, "type": TYPES}[what]
        result[what] = new = m.rng.choice(palette)
    m.changed()
    return f"{show(path)}.{what} = {new!r}"


def mut_duplicate(m: Mutant) -> str | None:
    rng, tasks = m.rng, m.tasks
    how = rng.choice(
        [
            "result",
            "result_new_id",
            "result_same_id_other_label",
            "result_same_id_moved",
            "annotation",
            "annotation_new_id",
            "annotation_new_id_other_user",
            "task",
            "task_new_id",
            "annotation_into_other_task",
            "annotation_into_drafts",
            "prediction",
        ]
    )
    m.changed()
    if how.startswith("result"):
        path = pick_result(rng, tasks)
        if path is None:
            return None
        results = get(tasks, path[:-1])
        copied = copy.deepcopy(results[path[-1]])
        if how == "result_new_id":
            new_id = f"fz{rng.randint(0, 999)}"
            twins = [copy.deepcopy(r) for r in results if r.get("id") == copied.get("id")]
            for twin in twins:
                twin["id"] = new_id
                results.insert(rng.randint(0, len(results)), twin)
            return f"{show(path)}: region copied under id {new_id!r}"
        if how == "result_same_id_other_label" and copied.get("type") == "labels":
            copied["value"]["labels"] = [rng.choice(["entity", "figure", "claim"])]
        elif how == "result_same_id_moved":
            value = copied["value"]
            for key in ("start", "end"):
                if type(value.get(key)) is int:
                    value[key] += 1
        results.insert(rng.randint(0, len(results)), copied)
        return f"{show(path)}: {how}"
    if how.startswith("annotation") or how == "prediction":
        group = "predictions" if how == "prediction" else "annotations"
        paths = items_of(tasks, group)
        if not paths:
            return None
        path = rng.choice(paths)
        copied = copy.deepcopy(get(tasks, path))
        if how in ("annotation_new_id", "annotation_new_id_other_user"):
            copied["id"] = fresh_id(tasks, rng)
            copied["updated_at"] = rng.choice(["2027-01-01T00:00:00Z", "2020-01-01T00:00:00Z"])
        if how == "annotation_new_id_other_user":
            copied["completed_by"] = fresh_id(tasks, rng)
        if how == "annotation_into_other_task":
            target = tasks[rng.randrange(len(tasks))]
            target.setdefault("annotations", []).append(copied)
            return f"{show(path)} copied (same id) into task {target.get('id')!r}"
        if how == "annotation_into_drafts":
            draft = {"id": fresh_id(tasks, rng), "result": copied.get("result", [])}
            tasks[path[0]].setdefault("drafts", []).append(draft)
            return f"{show(path)}: its results as a draft"
        items = get(tasks, path[:-1])
        items.insert(rng.randint(0, len(items)), copied)
        return f"{show(path)}: {how}"
    t = rng.randrange(len(tasks))
    copied = copy.deepcopy(tasks[t])
    if how == "task_new_id":
        copied["id"] = fresh_id(tasks, rng)
    tasks.insert(rng.randint(0, len(tasks)), copied)
    return f"[{t}]: {how}"


def mut_nesting(m: Mutant) -> str | None:
    depth = m.rng.choice([1, 5, 50, 500, 990, 1000, 5000, 100_000])
    opener, closer = ("[", "]") if m.rng.random() < 0.6 else ('{"a":', "}")
    leaf = m.rng.choice(["1", '"x"', "null", "[]"])
    path = choose(m, [p for p, _ in walk(m.tasks) if p])
    put(m.tasks, path, m.raw(opener * depth + leaf + closer * depth))
    m.changed()
    return f"{show(path)} = nested {opener}{leaf}{closer} depth {depth}"


SURROGATES = ["\ud800", "\udfff", "\udc00\ud800", "\ud83d"]


def mut_surrogate(m: Mutant) -> str | None:
    strings = [(p, v) for p, v in walk(m.tasks) if p and isinstance(v, str)]
    if not strings:
        return None
    lone = m.rng.choice(SURROGATES)
    if m.rng.random() < 0.15:  # in a key
        dicts = [(p, n) for p, n in walk(m.tasks) if isinstance(n, dict) and n]
        path, node = m.rng.choice(dicts)
        key = m.rng.choice(list(node))
        node[key + lone] = node.pop(key)
        m.changed()
        return f"{show((*path, key))}: key + {lone!r}"
    path, value = choose(m, strings, lambda c: c[0])
    at = m.rng.randint(0, len(value))
    put(m.tasks, path, value[:at] + lone + value[at:])
    m.changed()
    return f"{show(path)}: {lone!r} at {at}"


def mut_nan(m: Mutant) -> str | None:
    numbers = [p for p, v in walk(m.tasks) if p and type(v) in (int, float)]
    if not numbers:
        return None
    path = choose(m, numbers)
    value = m.rng.choice(
        [float("nan"), float("inf"), float("-inf"), m.raw("1e999"), m.raw("-1e999")]
    )
    put(m.tasks, path, value)
    m.changed()
    return f"{show(path)} = {_short(m, value)}"


INSERTS = ["𠀀", "😀", "a", " ", "\n", "。", "\u200b", "中", "\u3000"]


def mut_data(m: Mutant) -> str | None:
    rng = m.rng
    tasks = [t for t, task in enumerate(m.tasks) if isinstance(task.get("data"), dict)]
    if not tasks:
        return None
    t = rng.choice(tasks)
    data = m.tasks[t]["data"]
    text = data.get("text") if isinstance(data.get("text"), str) else ""
    how = rng.choice(
        [
            "insert",
            "delete",
            "replace",
            "empty",
            "other_text",
            "long",
            "sentence_other",
            "sentence_boilerplate",
            "sentence_unknown",
            "sentence_spaced",
            "article_other",
            "article_unknown",
            "drop",
            "swap_data",
            "swap_text",
            "resegment_merge",
            "resegment_shift",
            "id_gone",
        ]
    )
    m.changed()
    if how.startswith("resegment") or how == "id_gone":
        return _resegment(m, t, how)
    at = rng.randint(0, len(text))
    if how == "insert":
        data["text"] = text[:at] + rng.choice(INSERTS) + text[at:]
    elif how == "delete" and text:
        data["text"] = text[: min(at, len(text) - 1)] + text[min(at, len(text) - 1) + 1 :]
    elif how == "replace" and text:
        at = min(at, len(text) - 1)
        data["text"] = text[:at] + rng.choice(INSERTS) + text[at + 1 :]
    elif how == "empty":
        data["text"] = ""
    elif how == "other_text":
        data["text"] = rng.choice(m.corpus.texts)
    elif how == "long":
        data["text"] = text * rng.choice([50, 2000]) if text else "x" * 100_000
    elif how == "sentence_other":
        data["sentence_id"] = rng.choice(m.corpus.annotatable_ids)
    elif how == "sentence_boilerplate" and m.corpus.other_ids:
        data["sentence_id"] = rng.choice(m.corpus.other_ids)
    elif how == "sentence_unknown":
        data["sentence_id"] = rng.choice(["", "0123456789abcdef-p999-s99", "x" * 300])
    elif how == "sentence_spaced" and isinstance(data.get("sentence_id"), str):
        data["sentence_id"] = rng.choice([" ", "\t", "\u00a0"]) + data["sentence_id"]
    elif how == "article_other":
        data["article_id"] = rng.choice(list(m.corpus.by_article))
    elif how == "article_unknown":
        data["article_id"] = rng.choice(["", "ffffffffffffffff", None])
    elif how == "drop":
        key = rng.choice(["text", "sentence_id", "article_id", "article_start"])
        data.pop(key, None)
        return f"[{t}].data: drop {key}"
    elif how in ("swap_data", "swap_text") and len(m.tasks) > 1:
        u = rng.choice([i for i in range(len(m.tasks)) if i != t])
        other = m.tasks[u]
        if how == "swap_data":
            m.tasks[t]["data"], other["data"] = other.get("data"), data
        elif isinstance(other.get("data"), dict):
            data["text"], other["data"]["text"] = other["data"].get("text"), data.get("text")
        return f"[{t}] <-> [{u}]: {how}"
    else:
        return None
    return f"[{t}].data: {how}"


def _resegment(m: Mutant, t: int, how: str) -> str | None:
    """The task as if its article had been segmented differently since it was made: the
    annotated characters stay at the same article offsets, so re-anchoring can move them."""
    data = m.tasks[t]["data"]
    sid = data.get("sentence_id")
    if (
        not isinstance(sid, str)
        or sid not in m.corpus.by_id
        or type(data.get("article_start")) is not int
    ):
        return None
    if how == "id_gone":
        data["sentence_id"] = sid + "-gone"
        return f"[{t}].data.sentence_id: {sid} -> gone (text and offsets kept)"
    text, sep = m.corpus.text_sep[sid]
    if how == "resegment_merge":
        nxt = m.corpus.neighbour(sid, 1)
        if nxt is None:
            return None
        data["text"] = text + sep + m.corpus.text_sep[nxt][0]
        return f"[{t}].data.text: merged with {nxt}"
    prev = m.corpus.neighbour(sid, -1)
    if prev is None:
        return None
    ptext, psep = m.corpus.text_sep[prev]
    k = m.rng.randint(1, len(ptext + psep))
    data["text"] = (ptext + psep)[-k:] + data.get("text", "")
    data["article_start"] -= k
    for group in ("annotations", "predictions", "drafts"):
        for item in m.tasks[t].get(group) or []:
            for result in (item.get("result") or []) if isinstance(item, dict) else []:
                value = result.get("value") if isinstance(result, dict) else None
                for key in ("start", "end"):
                    if isinstance(value, dict) and type(value.get(key)) is int:
                        value[key] += k
    return f"[{t}].data: starts {k} characters earlier (offsets shifted)"


def mut_ids(m: Mutant) -> str | None:
    rng, tasks = m.rng, m.tasks
    how = rng.choice(
        ["annotation", "task", "completed_by", "prediction_bare", "prediction", "drafts"]
    )
    m.changed()
    existing = [v for p, v in walk(tasks) if p and p[-1] == "id" and type(v) is int]
    palette: list[Json] = [*existing[:20], 0, 2**63 - 1, 2**63, -1, fresh_id(tasks, rng), "7", 7.0]
    if how in ("annotation", "completed_by"):
        paths = items_of(tasks, "annotations")
        if not paths:
            return None
        path = rng.choice(paths)
        ann = get(tasks, path)
        if how == "annotation":
            ann["id"] = new = rng.choice(palette)
        else:
            new = rng.choice(
                [
                    *palette,
                    None,
                    {"id": rng.choice(palette), "email": "a@example.org"},
                    {"id": "x"},
                    {"email": "a@example.org"},
                    "missing",
                ]
            )
            if new == "missing":
                ann.pop("completed_by", None)
            else:
                ann["completed_by"] = new
        return f"{show(path)}.{how.replace('annotation', 'id')} = {new!r}"
    if how == "task":
        t = rng.randrange(len(tasks))
        tasks[t]["id"] = new = rng.choice(palette)
        return f"[{t}].id = {new!r}"
    if how.startswith("prediction"):
        paths = items_of(tasks, "predictions")
        if not paths:
            return None
        path = rng.choice(paths)
        pred = get(tasks, path)
        if how == "prediction_bare":
            put(tasks, path, pred.get("id", 1))
            return f"{show(path)}: bare id"
        key = rng.choice(["id", "model_version"])
        pred[key] = new = rng.choice([*palette, None, "", "v\ud800", 123])
        return f"{show(path)}.{key} = {new!r}"
    t = rng.randrange(len(tasks))
    new = rng.choice(
        [[1, 2], [{"id": 5, "result": []}], [{"result": "x"}], [True], [2**63], [None], {}]
    )
    tasks[t]["drafts"] = copy.deepcopy(new)
    return f"[{t}].drafts = {new!r}"


TIMES: list[Json] = [
    "garbage",
    "2026-13-01T00:00:00Z",
    "2026-11-23T08:18:15",
    "2026-11-23T16:18:15+08:00",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59.999999-23:59",
    "",
    None,
    12345,
    "2026-11-23T08:18:15.5527640000Z",
    "2030-01-01T00:00:00Z",
]


def mut_flags(m: Mutant) -> str | None:
    paths = items_of(m.tasks, "annotations")
    if not paths:
        return None
    path = m.rng.choice(paths)
    ann = get(m.tasks, path)
    key = m.rng.choice(["was_cancelled", "ground_truth", "created_at", "updated_at", "lead_time"])
    if key in ("was_cancelled", "ground_truth"):
        new = m.rng.choice([True, False, "true", 1, None, 0])
    elif key == "lead_time":
        new = m.rng.choice(["x", "1.5", float("nan"), -1, 1e308, True, None])
    else:
        new = m.rng.choice(TIMES)
    ann[key] = new
    m.changed()
    return f"{show(path)}.{key} = {new!r}"


def mut_remove(m: Mutant) -> str | None:
    rng, tasks = m.rng, m.tasks
    how = rng.choice(
        ["result", "annotation", "task", "prediction", "all_results", "key_annotations", "data"]
    )
    m.changed()
    if how in ("result", "all_results"):
        path = pick_result(rng, tasks)
        if path is None:
            return None
        if how == "result":
            delete(tasks, path)
        else:
            put(tasks, path[:-1], [])
        return f"{show(path)}: remove {how}"
    if how in ("annotation", "prediction"):
        paths = items_of(tasks, how + "s")
        if not paths:
            return None
        path = rng.choice(paths)
        delete(tasks, path)
        return f"{show(path)}: removed"
    t = rng.randrange(len(tasks))
    if how == "task":
        del tasks[t]
    elif how == "key_annotations":
        tasks[t].pop("annotations", None)
    else:
        tasks[t].pop("data", None)
    return f"[{t}]: remove {how}"


def mut_reorder(m: Mutant) -> str | None:
    rng, tasks = m.rng, m.tasks
    how = rng.choice(["tasks", "annotations", "keys", "results"])
    if how == "tasks":
        rng.shuffle(tasks)
        return "tasks shuffled"
    if how == "annotations":
        t = rng.randrange(len(tasks))
        if isinstance(tasks[t].get("annotations"), list):
            rng.shuffle(tasks[t]["annotations"])
        return f"[{t}].annotations shuffled"
    if how == "keys":
        dicts = [n for _, n in walk(tasks) if isinstance(n, dict)]
        for node in rng.sample(dicts, min(len(dicts), 20)):
            items = list(node.items())
            rng.shuffle(items)
            node.clear()
            node.update(items)
        return "key order shuffled"
    paths = items_of(tasks, "annotations")
    if not paths:
        return None
    path = rng.choice(paths)
    if isinstance(get(tasks, path).get("result"), list):
        rng.shuffle(get(tasks, path)["result"])
    m.changed()  # result positions are in the quarantine list
    return f"{show(path)}.result shuffled"


def mut_extra(m: Mutant) -> str | None:
    """Unknown fields (Label Studio adds fields between versions): tolerated, changing nothing."""
    node = m.rng.choice([n for _, n in walk(m.tasks) if isinstance(n, dict)])
    key = f"fuzz_{m.rng.randint(0, 9999)}"
    node[key] = value = copy.deepcopy(m.rng.choice([1, "x", None, [1, {"a": []}], {"b": 2.5}]))
    return f"extra field {key} = {value!r}"


def mut_value_text(m: Mutant) -> str | None:
    path = pick_result(m.rng, m.tasks)
    if path is None:
        return None
    value = get(m.tasks, path)["value"]
    old = value.get("text") if isinstance(value.get("text"), str) else ""
    new = m.rng.choice(
        [old + " ", "  " + old, old.replace("", " ")[1:-1], old + "\\n", "other", None, 3, ""]
    )
    if m.rng.random() < 0.1:
        value.pop("text", None)
        new = "<removed>"
    else:
        value["text"] = new
    m.changed()
    return f"{show(path)}.value.text = {new!r}"


def mut_dup_key(m: Mutant) -> str | None:
    """An object with a repeated key: JSON readers keep the last one."""
    dicts = [(p, n) for p, n in walk(m.tasks) if p and isinstance(n, dict) and n]
    if not dicts:
        return None
    path, node = choose(m, dicts, lambda c: c[0])
    key = m.rng.choice(list(node))
    other = m.rng.choice([None, 0, "x", 2**63, [], {"start": 1}])
    first = m.rng.random() < 0.5  # a repeat before the real key is overridden by it
    body = [f"{json.dumps(k)}: {_dumps(v)}" for k, v in node.items()]
    extra = f"{json.dumps(key)}: {_dumps(other)}"
    body = [extra, *body] if first else [*body, extra]
    put(m.tasks, path, m.raw("{" + ", ".join(body) + "}"))
    if not first:
        m.changed()
    return f"{show(path)}: key {key!r} repeated {'before' if first else 'after'} as {other!r}"


def _dumps(value: Json) -> str:
    return json.dumps(value, ensure_ascii=True, allow_nan=True)


STRUCTURAL: dict[str, Callable[[Mutant], str | None]] = {
    "missing_key": mut_missing_key,
    "wrong_type": mut_wrong_type,
    "offset": mut_offset,
    "names": mut_names,
    "duplicate": mut_duplicate,
    "nesting": mut_nesting,
    "surrogate": mut_surrogate,
    "nan": mut_nan,
    "data": mut_data,
    "ids": mut_ids,
    "flags": mut_flags,
    "remove": mut_remove,
    "reorder": mut_reorder,
    "extra": mut_extra,
    "value_text": mut_value_text,
    "dup_key": mut_dup_key,
}


def serialise(m: Mutant) -> bytes:
    rng = m.rng
    ascii_ = rng.random() < 0.3
    indent = rng.choice([None, None, 1, 2])
    try:
        text = json.dumps(m.tasks, ensure_ascii=ascii_, indent=indent, allow_nan=True)
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: written as \ud800 escapes, like JSON allows
        text = json.dumps(m.tasks, ensure_ascii=True, indent=indent, allow_nan=True)
    for key, raw in m.raws.items():
        text = text.replace(json.dumps(key), raw)
    return text.encode("utf-8")


# Byte mutations ------------------------------------------------------------------------------


def _text(data: bytes) -> str:
    """The file as text; bytes that are not UTF-8 (an earlier mutation) kept as escapes."""
    return data.decode("utf-8", "surrogateescape")


def structure(text: str) -> tuple[list[int], list[int], list[tuple[int, int]]]:
    """Positions of structural characters, of (unescaped) characters inside strings, and
    number tokens (start, end)."""
    structural, inside, numbers = [], [], []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            i += 1
            while i < n and text[i] != '"':
                if text[i] == "\\":  # an escape (\n, \u0041) is not a character of its own
                    i += 6 if text[i + 1 : i + 2] == "u" else 2
                    continue
                inside.append(i)
                i += 1
        elif c in "[]{},:":
            structural.append(i)
        elif c in "-0123456789":
            j = i
            while j < n and text[j] in "-+.eE0123456789":
                j += 1
            numbers.append((i, j))
            i = j - 1
        i += 1
    return structural, inside, numbers


def byte_truncate(m: Mutant) -> str:
    cut = m.rng.randint(0, len(m.data) - 1)
    m.data = m.data[:cut]
    m.changed()
    return f"truncated to {cut} bytes"


def byte_bitflip(m: Mutant) -> str:
    data = bytearray(m.data)
    flips = []
    for _ in range(m.rng.randint(1, 8)):
        at, bit = m.rng.randrange(len(data)), m.rng.randrange(8)
        data[at] ^= 1 << bit
        flips.append(f"{at}:{bit}")
    m.data = bytes(data)
    m.changed()
    return f"bits flipped (byte:bit) {' '.join(flips)}"


BAD_UTF8 = [b"\xff", b"\xc0\x80", b"\x80", b"\xe4\xb8", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80"]


def byte_bad_utf8(m: Mutant) -> str:
    text = _text(m.data)
    _, inside, _ = structure(text)
    seq = m.rng.choice(BAD_UTF8)
    char_at = m.rng.choice(inside) if inside and m.rng.random() < 0.8 else m.rng.randint(0, 5)
    at = len(text[:char_at].encode("utf-8", "surrogateescape"))
    m.data = m.data[:at] + seq + m.data[at:]
    m.changed()
    return f"invalid UTF-8 {seq!r} at byte {at}"


def byte_bom(m: Mutant) -> str:
    how = m.rng.choice(["bom", "bom", "double", "ws_then_bom", "middle", "utf16", "utf32"])
    bom = "\ufeff".encode()
    if how == "bom":
        m.data = bom + m.data
        return "UTF-8 BOM"
    m.changed()
    text = _text(m.data)
    if how == "double":
        m.data = bom + bom + m.data
    elif how == "ws_then_bom":
        m.data = b" " + bom + m.data
    elif how == "middle":
        structural, _, _ = structure(text)
        at = len(text[: m.rng.choice(structural) + 1].encode("utf-8", "surrogateescape"))
        m.data = m.data[:at] + bom + m.data[at:]
    elif how == "utf16":
        m.data = text.encode("utf-16", "surrogatepass")
    else:
        m.data = text.encode("utf-32", "surrogatepass")
    return f"BOM: {how}"


def byte_garbage(m: Mutant) -> str:
    rng = m.rng
    how = rng.choice(["insert", "append", "prepend", "overwrite", "nul", "empty", "blank", "[]"])
    junk = bytes(rng.randrange(256) for _ in range(rng.randint(1, 40)))
    if rng.random() < 0.5:
        junk = bytes(rng.choice(b'{}[],:"\\0123456789abcnulltrue -') for _ in junk)
    at = rng.randint(0, len(m.data))
    m.changed()
    if how == "insert":
        m.data = m.data[:at] + junk + m.data[at:]
    elif how == "append":
        m.data = m.data + junk
    elif how == "prepend":
        m.data = junk + m.data
    elif how == "overwrite":
        m.data = m.data[:at] + junk + m.data[at + len(junk) :]
    elif how == "nul":
        m.data = m.data[:at] + b"\x00" + m.data[at:]
    elif how == "empty":
        m.data = b""
    elif how == "blank":
        m.data = b" \n\t\r "
    else:
        m.data = b"[]"
    return f"garbage: {how} {junk[:16]!r}.. at {at}"


def byte_reformat(m: Mutant) -> str:
    """Whitespace, escapes and line endings: the same JSON value."""
    rng = m.rng
    text = _text(m.data)
    how = rng.choice(["whitespace", "escape", "crlf", "slash"])
    structural, inside, _ = structure(text)
    if how == "whitespace" and structural:
        spots = set(rng.sample(structural, min(len(structural), 50)))
        text = "".join(
            c + rng.choice([" ", "\n", "\t", "\r\n", "  "]) if i in spots else c
            for i, c in enumerate(text)
        )
    elif how == "escape" and inside:
        spots = set(rng.sample(inside, min(len(inside), 50)))
        text = "".join(
            "".join(f"\\u{u:04x}" for u in _utf16(c)) if i in spots else c
            for i, c in enumerate(text)
        )
    elif how == "slash" and inside:
        spots = {i for i in inside if text[i] == "/"} or set(rng.sample(inside, 1))
        text = "".join(
            ("\\/" if c == "/" else f"\\u{ord(c):04x}" if len(_utf16(c)) == 1 else c)
            if i in spots
            else c
            for i, c in enumerate(text)
        )
    else:
        text = text.replace("\n", "\r\n")
    m.data = text.encode("utf-8", "surrogateescape")
    return f"reformat: {how}"


def _utf16(char: str) -> list[int]:
    data = char.encode("utf-16-be", "surrogatepass")
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]


def byte_chunk(m: Mutant) -> str:
    """Whitespace so that a reader's chunk boundary falls at a chosen byte (same JSON): the
    build's chunked reader (validate.fastread, its first or second boundary) or the exact
    reader it hands unusual parts to (validate.export)."""
    from chainpolicy.validate.export import _CHUNK as EXACT
    from chainpolicy.validate.fastread import _CHUNK as FAST

    rng = m.rng
    reader, chunk = rng.choice([("fastread", FAST), ("fastread", 2 * FAST), ("export", EXACT)])
    text = _text(m.data)
    structural, inside, numbers = structure(text)
    pad_after = rng.choice(structural[: max(1, len(structural) // 4)])  # pad early in the file
    candidates = [i for i in structural if i > pad_after]
    where = rng.choice(["number", "string", "any"])
    if where == "number":
        candidates = [rng.randint(s, e - 1) for s, e in numbers if s > pad_after] or candidates
    elif where == "string":
        candidates = [i for i in inside if i > pad_after] or candidates
    target_char = rng.choice(candidates) if candidates else pad_after + 1
    target = len(text[:target_char].encode("utf-8", "surrogateescape"))
    if where == "string" and rng.random() < 0.5:
        width = len(text[target_char].encode("utf-8", "surrogateescape"))
        target += rng.randint(0, width - 1)  # between the bytes of one character
    pad_at = len(text[: pad_after + 1].encode("utf-8", "surrogateescape"))
    pad = chunk - target + rng.choice([0, 0, -1, 1])
    filler = rng.choice([b" ", b"\n", b"\t", b"\r\n"])
    blob = (filler * (pad // len(filler) + 1))[:pad]
    if blob.endswith(b"\r"):
        blob = blob[:-1] + b" "
    m.data = m.data[:pad_at] + blob + m.data[pad_at:]
    return (
        f"{reader} chunk boundary {chunk} at byte {target} ({where}) after {len(blob)} bytes"
        " of padding"
    )


def byte_numbers(m: Mutant) -> str:
    text = _text(m.data)
    _, _, numbers = structure(text)
    if not numbers:
        return byte_garbage(m)
    start, end = m.rng.choice(numbers)
    token = text[start:end]
    new = m.rng.choice(
        [
            f"{token}.0",
            f"{token}e0",
            f"{token}E+0",
            f"0{token}",
            f"+{token}",
            f"{token}.",
            ".5",
            "0x1F",
            "1_000",
            "-0",
            "NaN",
            "Infinity",
            "-Infinity",
            "1e999",
            HUGE_DIGITS,
            f"{token}e400",
            f"-{token}",
        ]
    )
    m.data = (text[:start] + new + text[end:]).encode("utf-8", "surrogateescape")
    m.changed()
    return f"number {token} at char {start} -> {new[:20]}"


BYTES: dict[str, Callable[[Mutant], str]] = {
    "truncate": byte_truncate,
    "bitflip": byte_bitflip,
    "bad_utf8": byte_bad_utf8,
    "bom": byte_bom,
    "garbage": byte_garbage,
    "reformat": byte_reformat,
    "chunk": byte_chunk,
    "numbers": byte_numbers,
}
KINDS = (*STRUCTURAL, *BYTES)


@dataclass
class Case:
    number: int
    kind: str
    base: Base
    data: bytes
    notes: list[str]
    same: bool


def make_case(seed: int, number: int, bases: list[Base], corpus: Corpus) -> Case:
    rng = random.Random(f"case:{seed}:{number}")
    kind = rng.choice(KINDS)
    base = rng.choice(bases)
    m = Mutant(rng, copy.deepcopy(base.tasks), corpus)
    if kind in STRUCTURAL:
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            for _attempt in range(10):
                try:
                    note = STRUCTURAL[kind](m)
                except (AttributeError, TypeError, KeyError, IndexError, ValueError):
                    # An earlier mutation left a shape this one cannot walk (a task that is a
                    # number, no tasks at all): try again; what it may have changed stays.
                    m.changed()
                    continue
                if note is not None:
                    m.notes.append(note)
                    break
        m.data = serialise(m)
    else:
        m.data = serialise(m)
        for _ in range(rng.choice([1, 1, 2])):
            m.notes.append(BYTES[kind](m))
    return Case(number, kind, base, m.data, m.notes, m.same)


# --------------------------------------------------------------------------------------------
# Building and reading back


def parse_like_reader(data: bytes) -> Json:
    """The file as the build's reader sees it (UTF-8, one leading BOM skipped), or raises."""
    text = data.decode("utf-8")
    return json.loads(text[1:] if text.startswith("\ufeff") else text)


def canonical(value: Json) -> str:
    # default=str: rows hold timestamps (the annotations config's updated_at).
    return json.dumps(value, sort_keys=True, ensure_ascii=True, allow_nan=True, default=str)


def count_results(tasks: list[Json]) -> int:
    n = 0
    for task in tasks:
        for group in ("annotations", "predictions", "drafts"):
            for item in task.get(group) or []:
                if isinstance(item, dict):
                    n += len(item.get("result") or [])
    return n


def file_hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _rows_by_sentence(path: Path, config: str) -> dict[str, list[str]]:
    import pyarrow.parquet as pq

    key = "sentence_id" if config == "annotations" else "id"
    out: dict[str, list[str]] = defaultdict(list)
    for row in pq.read_table(path).to_pylist():
        out[row[key]].append(canonical(row))
    return {k: sorted(v) for k, v in out.items()}


def _quarantine_by_sentence(path: Path) -> dict[str | None, list[str]]:
    out: dict[str | None, list[str]] = defaultdict(list)
    for line in path.read_text("utf-8").splitlines():
        entry = json.loads(line)
        entry.pop("export", None)
        entry.pop("task_index", None)
        out[entry.get("sentence_id")].append(canonical(entry))
    return {k: sorted(v) for k, v in out.items()}


@dataclass
class Outputs:
    out: Path
    report_dir: Path
    report: dict[str, Any]
    hashes: dict[str, str]
    report_hashes: dict[str, str]
    _rows: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    _quarantine: dict[str | None, list[str]] | None = None

    @classmethod
    def read(cls, out: Path, report_dir: Path) -> Outputs:
        report = json.loads((report_dir / "build_report.json").read_text("utf-8"))
        return cls(out, report_dir, report, file_hashes(out), file_hashes(report_dir))

    def rows(self, rel: str) -> dict[str, list[str]]:
        if rel not in self._rows:
            config = Path(rel).parts[1]
            self._rows[rel] = _rows_by_sentence(self.out / rel, config)
        return self._rows[rel]

    def quarantine(self) -> dict[str | None, list[str]]:
        if self._quarantine is None:
            self._quarantine = _quarantine_by_sentence(self.report_dir / "quarantine.jsonl")
        return self._quarantine

    def snapshot(self, keep: Path) -> Outputs:
        """A copy that survives the next build into the same folder (for baselines)."""
        shutil.copytree(self.out, keep / "out")
        shutil.copytree(self.report_dir, keep / "report")
        return Outputs(keep / "out", keep / "report", self.report, self.hashes, self.report_hashes)


def _report_without_bytes(report: dict[str, Any]) -> dict[str, Any]:
    report = copy.deepcopy(report)
    for export in report.get("exports", []):
        export.pop("bytes", None)
    return report


class Harness:
    """One corpus, one output folder, the bases and their baselines, for any number of cases."""

    def __init__(self, seed: int, work: Path) -> None:
        from chainpolicy.dataset.source import CorpusSource

        self.seed = seed
        self.work = work
        self.source = CorpusSource()
        self.corpus = Corpus.load(self.source)
        self.bases = make_bases(seed)
        self.baselines: dict[str, Outputs] = {}
        self.out = work / "out"
        self.report_dir = work / "out-report"
        self.export = work / "exports" / EXPORT_NAME
        self.export.parent.mkdir(parents=True, exist_ok=True)
        self.builds = 0

    def build(self, data: bytes) -> Any:
        from chainpolicy.dataset.build import BuildInputs, build

        self.export.write_bytes(data)
        inputs = BuildInputs(
            source=self.source,
            exports=[self.export],
            splits_file=ROOT / "annotations" / "splits.json",
            card_template=ROOT / "dataset_card.md",
            guidelines=ROOT / "annotations" / "guidelines.md",
        )
        # The build collects garbage once at its start; freezing what this process already
        # holds (corpus, baselines) keeps that collection to the objects of one case.
        self.builds += 1
        if self.builds % 200 == 0:
            gc.collect()
        gc.freeze()
        return build(inputs, self.out, self.report_dir)

    def baseline(self, base: Base) -> Outputs:
        if base.name not in self.baselines:
            data = json.dumps(base.tasks, ensure_ascii=False).encode("utf-8")
            self.build(data)
            keep = self.work / "baselines" / f"{len(self.baselines):02d}"
            keep.mkdir(parents=True)
            self.baselines[base.name] = Outputs.read(self.out, self.report_dir).snapshot(keep)
        return self.baselines[base.name]

    def run_case(self, case: Case) -> Verdict:
        from chainpolicy.errors import ChainpolicyError

        baseline = self.baseline(case.base)
        verdict = Verdict(case)
        before = self.out.stat().st_ino if self.out.exists() else None
        started = time.perf_counter()
        try:
            self.build(case.data)
        except ChainpolicyError as exc:
            verdict.seconds = time.perf_counter() - started
            verdict.outcome = "refused"
            verdict.error = str(exc)
            self._check_refused(verdict, exc, before)
            return verdict
        except BaseException as exc:  # anything else is what the fuzzer is looking for
            if isinstance(exc, KeyboardInterrupt):
                raise
            verdict.seconds = time.perf_counter() - started
            verdict.outcome = "crashed"
            tb = traceback.extract_tb(exc.__traceback__)[-1]
            verdict.fail(
                f"{type(exc).__name__} escaped the build: {str(exc)[:200]!r} "
                f"at {Path(tb.filename).name}:{tb.lineno} ({tb.name})"
            )
            return verdict
        verdict.seconds = time.perf_counter() - started
        verdict.outcome = "built"
        self._check_built(verdict, baseline)
        return verdict

    def _leftovers(self) -> list[str]:
        prefixes = (f".{self.out.name}.", f".{self.report_dir.name}.")
        return sorted(p.name for p in self.work.iterdir() if p.name.startswith(prefixes))

    def _check_refused(self, v: Verdict, exc: Exception, before: int | None) -> None:
        message = str(exc)
        if not message.strip() or "\n" in message:
            v.fail(f"error message is not one line: {message[:300]!r}")
        after = self.out.stat().st_ino if self.out.exists() else None
        if after != before:
            v.fail("a refused build replaced the output folder")
        if self._leftovers():
            v.fail(f"a refused build left {self._leftovers()} beside the output")
        try:
            parse_like_reader(v.case.data)
        except (ValueError, RecursionError):
            return
        # The file is JSON: the refusal must be about its shape, naming the export.
        if EXPORT_NAME not in message:
            v.fail(f"error on a JSON export does not name the file: {message[:200]!r}")

    def _check_built(self, v: Verdict, baseline: Outputs) -> None:
        from chainpolicy.contract.reasons import OUTCOMES, REASONS

        got = Outputs.read(self.out, self.report_dir)
        report = got.report
        outcomes = report["outcomes"]
        if set(outcomes) != set(OUTCOMES) or any(n < 0 for n in outcomes.values()):
            v.fail(f"outcomes are not the listed ones: {sorted(outcomes)}")
        if sum(outcomes.values()) != report["results_read"]:
            v.fail(f"results_read {report['results_read']} != outcomes {sum(outcomes.values())}")
        if self._leftovers():
            v.fail(f"the build left {self._leftovers()} beside the output")
        try:
            tasks = parse_like_reader(v.case.data)
            canon_tasks = [canonical(t) for t in tasks]
        except (ValueError, RecursionError) as exc:
            v.fail(f"the build accepted a file json cannot read ({type(exc).__name__}: {exc})")
            return
        if not isinstance(tasks, list):
            v.fail("the build accepted a file that is not a JSON array")
            return
        counted = count_results(tasks)
        if counted != report["results_read"]:
            v.fail(f"results_read {report['results_read']} but the file holds {counted} results")
        lines = (self.report_dir / "quarantine.jsonl").read_text("utf-8").splitlines()
        reasons = Counter(json.loads(line).get("reason") for line in lines)
        if len(lines) != outcomes.get("quarantined", 0):
            v.fail(f"{len(lines)} quarantine lines for {outcomes.get('quarantined')} quarantined")
        if dict(reasons) != report["quarantine"]:
            v.fail(f"quarantine list reasons {dict(reasons)} != report {report['quarantine']}")
        unknown = [r for r in reasons if r not in REASONS]
        if unknown:
            v.fail(f"quarantined without a known reason: {unknown}")
        if v.case.same:
            self._check_same(v, baseline, got)
            return
        touched = self._touched(v.case.base, tasks, canon_tasks)
        v.touched = len(touched)
        self._check_untouched(v, baseline, got, touched)

    def _touched(self, base: Base, tasks: list[Json], canon_tasks: list[str]) -> set[str]:
        left = Counter(canonical(t) for t in base.tasks)
        touched: set[str] = set()
        for task, canon in zip(tasks, canon_tasks, strict=True):
            if left[canon] > 0:
                left[canon] -= 1
            else:
                touched |= self.corpus.reach(task)
        for task in base.tasks:
            canon = canonical(task)
            if left[canon] > 0:
                left[canon] -= 1
                touched |= self.corpus.reach(task)
        return touched

    def _check_untouched(
        self, v: Verdict, baseline: Outputs, got: Outputs, touched: set[str]
    ) -> None:
        for rel in sorted(set(baseline.hashes) | set(got.hashes)):
            parts = Path(rel).parts
            if len(parts) < 3 or parts[0] != "data" or not rel.endswith(".parquet"):
                continue
            if baseline.hashes.get(rel) == got.hashes.get(rel):
                continue
            if parts[1] == "articles":
                v.fail(f"{rel} changed (it does not depend on annotations)")
                continue
            # A split's file of a config exists only when some sentence has a row in it.
            old = baseline.rows(rel) if rel in baseline.hashes else {}
            new = got.rows(rel) if rel in got.hashes else {}
            for sid in sorted((set(old) | set(new)) - touched):
                if old.get(sid) != new.get(sid):
                    v.fail(f"{rel}: rows of untouched sentence {sid} changed")
                    break
        old_q, new_q = baseline.quarantine(), got.quarantine()
        for sid in sorted((set(old_q) | set(new_q)) - touched - {None}, key=str):
            if old_q.get(sid) != new_q.get(sid):
                v.fail(f"quarantine entries of untouched sentence {sid} changed")
                break

    def _check_same(self, v: Verdict, baseline: Outputs, got: Outputs) -> None:
        if got.hashes != baseline.hashes:
            diff = sorted(
                k
                for k in set(got.hashes) | set(baseline.hashes)
                if got.hashes.get(k) != baseline.hashes.get(k)
            )
            v.fail(f"a no-op mutation changed the dataset: {diff[:5]}")
        if _report_without_bytes(got.report) != _report_without_bytes(baseline.report):
            v.fail("a no-op mutation changed the build report")
        if got.quarantine() != baseline.quarantine():
            v.fail("a no-op mutation changed the quarantine list")


@dataclass
class Verdict:
    case: Case
    outcome: str = ""  # built / refused / crashed
    error: str = ""
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0
    touched: int = 0

    def fail(self, message: str) -> None:
        self.failures.append(message)


# --------------------------------------------------------------------------------------------
# Running


@dataclass
class Summary:
    seed: int
    cases: int = 0
    seconds: float = 0.0
    build_seconds: float = 0.0
    per_kind: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    failures: list[Verdict] = field(default_factory=list)
    slow: list[Verdict] = field(default_factory=list)
    last: Verdict | None = None

    def add(self, v: Verdict) -> None:
        self.last = v
        self.cases += 1
        self.build_seconds += v.seconds
        counts = self.per_kind[v.case.kind]
        counts["cases"] += 1
        counts[v.outcome] += 1
        if v.failures:
            counts["failed"] += 1
            self.failures.append(v)
        if v.seconds > SLOW_SECONDS:
            self.slow.append(v)

    def table(self) -> str:
        cols = ("cases", "built", "refused", "crashed", "failed")
        lines = [f"{'kind':<12} " + " ".join(f"{c:>8}" for c in cols)]
        total: Counter[str] = Counter()
        for kind in KINDS:
            counts = self.per_kind.get(kind, Counter())
            total.update(counts)
            lines.append(f"{kind:<12} " + " ".join(f"{counts[c]:>8}" for c in cols))
        lines.append(f"{'total':<12} " + " ".join(f"{total[c]:>8}" for c in cols))
        return "\n".join(lines)


def reproducer(seed: int, number: int) -> str:
    return f"scripts/fuzz_exports.py --seed {seed} --case {number} --keep /tmp/fuzz-case-{number}"


def describe(v: Verdict, seed: int) -> str:
    lines = [f"FAIL case {v.case.number} kind={v.case.kind} base={v.case.base.name}"]
    lines += [f"  mutation: {note}" for note in v.case.notes]
    lines += [f"  failure: {f}" for f in v.failures]
    if v.error:
        lines.append(f"  error: {v.error[:300]}")
    lines.append(f"  reproduce: {reproducer(seed, v.case.number)}")
    return "\n".join(lines)


def run(
    seed: int,
    cases: range,
    *,
    kinds: tuple[str, ...] = KINDS,
    keep: Path | None = None,
    echo: Callable[[str], None] = print,
    progress: int = 0,
    verbose: bool = False,
) -> Summary:
    """Run the cases (numbers) of ``seed``; only those of ``kinds`` are built."""
    summary = Summary(seed)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="chainpolicy-fuzz-") as tmp:
        harness = Harness(seed, Path(tmp))
        for number in cases:
            case = make_case(seed, number, harness.bases, harness.corpus)
            if case.kind not in kinds:
                continue
            verdict = harness.run_case(case)
            summary.add(verdict)
            if verdict.failures:
                echo(describe(verdict, seed))
            elif verbose:
                error = f" ({verdict.error[:120]})" if verdict.error else ""
                echo(
                    f"case {number} {case.kind}: {verdict.outcome}{error}: {'; '.join(case.notes)}"
                )
            if keep is not None:
                _keep(keep, harness, case, verdict)
            if progress and summary.cases % progress == 0:
                rate = summary.cases / (time.perf_counter() - started)
                echo(f"... {summary.cases} cases, {len(summary.failures)} failed, {rate:.1f}/s")
    summary.seconds = time.perf_counter() - started
    return summary


def _keep(keep: Path, harness: Harness, case: Case, verdict: Verdict) -> None:
    keep.mkdir(parents=True, exist_ok=True)
    (keep / "base.json").write_text(
        json.dumps(case.base.tasks, ensure_ascii=False, indent=1), "utf-8"
    )
    (keep / EXPORT_NAME).write_bytes(case.data)
    for folder in (harness.out, harness.report_dir):
        if folder.exists():
            shutil.copytree(folder, keep / folder.name, dirs_exist_ok=True)
    notes = {
        "case": case.number,
        "kind": case.kind,
        "base": case.base.name,
        "mutations": case.notes,
        "no_op": case.same,
        "outcome": verdict.outcome,
        "error": verdict.error,
        "failures": verdict.failures,
    }
    (keep / "case.json").write_text(json.dumps(notes, ensure_ascii=False, indent=2), "utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cases", type=int, default=500, help="how many cases (from --start)")
    parser.add_argument("--start", type=int, default=0, help="first case number")
    parser.add_argument("--case", type=int, default=None, help="run this one case only")
    parser.add_argument("--kind", action="append", choices=KINDS, help="only these kinds")
    parser.add_argument("--keep", type=Path, default=None, help="write the case's files here")
    parser.add_argument("--progress", type=int, default=0, help="a line every N cases")
    parser.add_argument("--verbose", action="store_true", help="a line for every case")
    args = parser.parse_args(argv)
    numbers = (
        range(args.case, args.case + 1)
        if args.case is not None
        else range(args.start, args.start + args.cases)
    )
    kinds = tuple(args.kind) if args.kind else KINDS
    summary = run(
        args.seed,
        numbers,
        kinds=kinds,
        keep=args.keep,
        progress=args.progress,
        verbose=args.verbose,
    )
    if args.case is not None and summary.last is not None and not summary.last.failures:
        v = summary.last
        print(f"case {v.case.number} kind={v.case.kind} base={v.case.base.name}: {v.outcome}")
        for note in v.case.notes:
            print(f"  mutation: {note}")
        if v.error:
            print(f"  error: {v.error}")
    print(summary.table())
    rate = summary.cases / summary.seconds if summary.seconds else math.nan
    print(
        f"seed {args.seed}: {summary.cases} cases in {summary.seconds:.0f} s ({rate:.1f} cases/s, "
        f"mean build {summary.build_seconds / max(1, summary.cases) * 1000:.0f} ms), "
        f"{len(summary.failures)} failed"
    )
    for v in summary.slow:
        print(f"slow: case {v.case.number} ({v.case.kind}) took {v.seconds:.1f} s")
    if args.keep is not None:
        print(f"kept the case in {args.keep}")
    return 1 if summary.failures else 0


if __name__ == "__main__":
    sys.exit(main())
