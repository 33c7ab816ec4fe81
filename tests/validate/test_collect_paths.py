"""The fast path of pass 1 against the exact path, on the same inputs: everything pass 1
produces must be identical (store rows, predictions and pending annotations as the readers
give them, the ledger's counters, export summaries, quarantine lines in order), or, for an
export the build refuses, the error message (task number and byte).

Inputs: the committed export and the captured fixture, the benchmark's synthetic export, an
export with every quarantine reason, hypothesis-mutated exports (results, annotations, tasks,
formatting, chunk sizes) and byte-level damage (truncation, invalid UTF-8, lone surrogates ...).
"""

from __future__ import annotations

import copy
import hashlib
import importlib.util
import io
import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainpolicy.contract import spanrules
from chainpolicy.contract.reasons import REASONS
from chainpolicy.contract.results import region_results
from chainpolicy.corpus import load_sentences
from chainpolicy.dataset.source import JsonlSource
from chainpolicy.errors import InputError
from chainpolicy.paths import annotations_dir, repo_root
from chainpolicy.records import SentenceRecord, Span
from chainpolicy.schema import LABELS, LABELS_BY_NAME
from chainpolicy.validate import collect as collect_module
from chainpolicy.validate import fastread
from chainpolicy.validate.collect import collect
from chainpolicy.validate.index import SentenceIndex
from chainpolicy.validate.ledger import Ledger
from chainpolicy.validate.store import AnnotationStore
from chainpolicy.validate.synthetic import annotation, prediction, task, write_export

FIXTURE = Path(__file__).parents[1] / "fixtures" / "ls_export_small.json"


def snapshot(
    tmp: Path,
    exports: Sequence[Path],
    records: Sequence[SentenceRecord],
    *,
    fast: bool,
    jobs: int = 1,
) -> dict[str, Any]:
    """Everything pass 1 leaves behind, as plain data."""
    index = SentenceIndex.build(records, "records")
    db = tmp / f"store-{int(fast)}.sqlite"
    if db.exists():
        db.unlink()
    store = AnnotationStore(db)
    out = io.StringIO()
    ledger = Ledger(out)
    error = None
    try:
        collect(index, store, ledger, list(exports), records, fast=fast, jobs=jobs)
    except InputError as exc:
        error = str(exc)
    try:
        state = {
            "error": error,
            "rows": [(idx, [repr(a) for a in group]) for idx, group in store.by_sentence()],
            "predictions": [repr(p) for p in store.predictions()],
            "pending": [repr(p) for p in store.pending()],
        }
    finally:
        store.close()
    return {
        **state,
        "quarantine": out.getvalue().splitlines(),
        "results_read": ledger.results_read,
        "outcomes": dict(ledger.outcomes),
        "reasons": dict(ledger.reasons),
        "per_sentence": dict(ledger.quarantined_per_sentence),
        "annotations": ledger.annotations.model_dump(),
        "exports": [s.model_dump() for s in ledger.exports],
    }


def assert_same(
    tmp: Path,
    exports: Sequence[Path],
    records: Sequence[SentenceRecord],
    chunk: int | None = None,
    jobs: int = 1,
) -> dict[str, Any]:
    with pytest.MonkeyPatch.context() as mp:
        if chunk is not None:
            mp.setattr(fastread, "_CHUNK", chunk)
        fast = snapshot(tmp, exports, records, fast=True, jobs=jobs)
    exact = snapshot(tmp, exports, records, fast=False)
    if exact["error"] is not None:
        # A build that fails keeps nothing (and how far the exact reader got before it found
        # the error depends on its own read size): the error itself must be the same.
        assert fast["error"] == exact["error"]
        return exact
    for key in exact:
        assert fast[key] == exact[key], key
    return exact


# ---- a small corpus with what matters for offsets and content rules


_ARTICLES = {
    "aaaaaaaaaaaaaaaa": [
        ("title", "浙江区块链产业报告"),
        (
            "body",
            "𠀀 江苏省在国家互联网信息办公室备案的区块链信息服务企业共有20家,其中苏州市占有6家。",
        ),
        ("body", "区块链  产业\n发展报告发布🙂两家企业。"),
        ("body", '注意 }, {"id": 7, "data": {"text": "x"}} 结束,共3项。'),
        ("body", "\t前导空白的句子,有十二个城市。"),
        ("boilerplate", "责任编辑:张三"),
    ],
    "bbbbbbbbbbbbbbbb": [
        ("body", "2017年初,相城区与同济大学签约共建苏州同济区块链研究院。"),
        ("list_item", "一、加快推动区块链技术和产业创新发展;"),
        ("body", "第1位 TOP100 3亿元 11%。"),
        ("body", "𠀀𠀁🙂 😀"),
    ],
}


def small_corpus() -> list[SentenceRecord]:
    records = []
    for article, lines in _ARTICLES.items():
        start = 0
        for number, (role, text) in enumerate(lines):
            records.append(
                SentenceRecord(
                    id=f"{article}-p{number:03d}-s01",
                    article_id=article,
                    index=number,
                    line=number,
                    role=role,
                    script="Hans",
                    text=text,
                    text_hans=text,
                    sep="\n",
                    start=start,
                    end=start + len(text),
                    raw_start=start,
                    raw_end=start + len(text),
                    text_sha1=hashlib.sha1(text.encode("utf-8")).hexdigest(),
                )
            )
            start += len(text) + 1
    return records


def valid_spans(text: str, limit: int = 4) -> list[Span]:
    """Non-overlapping spans that pass the span rules, one of each kind where possible."""
    spans: list[Span] = []
    taken = [False] * len(text)
    for spec in LABELS:
        for kind in spec.types[:1] or (None,):
            for length in (3, 2, 4):
                for start in range(len(text) - length + 1):
                    span = Span(start, start + length, spec.name, kind)
                    if any(taken[start : start + length]) or spanrules.check_span(text, span):
                        continue
                    spans.append(span)
                    taken[start : start + length] = [True] * length
                    break
                else:
                    continue
                break
    return spans[:limit]


def base_tasks(records: Sequence[SentenceRecord]) -> list[dict[str, Any]]:
    tasks = []
    for number, r in enumerate(records, 1):
        spans = valid_spans(r.text)
        anns = [annotation(10 * number, 1, r.text, spans, task_id=number)]
        if number % 2:
            anns.append(
                annotation(
                    10 * number + 1,
                    2,
                    r.text,
                    spans[:1],
                    task_id=number,
                    updated_at=f"2024-05-0{number % 9 + 1}T10:00:00+02:00",
                )
            )
        preds = [prediction(r.text, spans[1:])] if number % 3 == 0 else []
        tasks.append(task(number, r.id, r.article_id, r.text, r.start, anns, predictions=preds))
    return tasks


@pytest.fixture(scope="module")
def corpus() -> list[SentenceRecord]:
    return small_corpus()


# ---- fixed inputs


@pytest.mark.parametrize("chunk", [None, 4096, 700, 64])
def test_committed_export_and_fixture(tmp_path: Path, chunk: int | None) -> None:
    exports = [*sorted((annotations_dir() / "exports").glob("*.json")), FIXTURE]
    exact = assert_same(tmp_path, exports, load_sentences(), chunk)
    assert exact["error"] is None and exact["rows"]


def _bench() -> Any:
    spec = importlib.util.spec_from_file_location(
        "bench_build_for_tests", repo_root() / "scripts" / "bench_build.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("chunk", [None, 20_000])
def test_benchmark_export(tmp_path: Path, chunk: int | None) -> None:
    _bench().make_inputs(tmp_path / "bench", 600)
    records = list(JsonlSource(tmp_path / "bench" / "sentences.jsonl").sentences())
    exports = [tmp_path / "bench" / "exports" / "export.json"]
    exact = assert_same(tmp_path, exports, records, chunk)
    assert exact["error"] is None and exact["quarantine"] == []


def test_clean_annotations_never_reach_check_annotation(
    tmp_path: Path, corpus: list[SentenceRecord], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fast path is really taken: a clean export is checked column-wise only."""
    path = tmp_path / "clean.json"
    write_export(path, [t for t in base_tasks(corpus) if "boilerplate" not in t["data"]["text"]])
    calls: list[object] = []
    real = collect_module.check_annotation

    def counted(results: Any, text: str) -> Any:
        calls.append(results)
        return real(results, text)

    monkeypatch.setattr(collect_module, "check_annotation", counted)
    fast = snapshot(tmp_path, [path], corpus, fast=True)
    assert calls == [] and fast["rows"]
    exact = snapshot(tmp_path, [path], corpus, fast=False)
    assert fast == exact and calls


def _every_reason(records: Sequence[SentenceRecord]) -> list[dict[str, Any]]:
    """One annotation per quarantine reason (and the task-level ones)."""
    body = next(r for r in records if "江苏省" in r.text)
    text = body.text
    js = text.index("江苏省")
    fig = text.index("20家")
    loc = region_results(text, Span(js, js + 3, "entity", "LOC"), "r1")

    def edit(results: list[dict[str, Any]], i: int, **changes: Any) -> list[dict[str, Any]]:
        out = copy.deepcopy(results)
        for key, value in changes.items():
            if key.startswith("value_"):
                out[i]["value"][key[6:]] = value
            else:
                out[i][key] = value
        return out

    def regions(span: Span, rid: str = "r1") -> list[dict[str, Any]]:
        return region_results(text, span, rid)

    cases = [
        ["oops"],
        edit(loc, 0, to_name="html"),
        edit(loc, 0, type="Labels"),
        edit(loc, 0, from_name="labels"),
        loc + edit(regions(Span(fig, fig + 3, "figure", "COUNT")), 0, id="r1")[:1],
        loc[1:],
        edit(loc, 0, value_labels=["entity", "claim"]),
        edit(loc, 0, value_labels=["person"]),
        edit(loc, 1, value_choices=["LOC", "ORG"]),
        edit(loc, 1, value_choices=["CITY"]),
        loc[:1],
        edit(loc, 1, value_start=js + 1),
        regions(Span(60, 99, "claim")),
        regions(Span(fig + 3, fig + 4, "claim")),
        regions(Span(1, 5, "claim")),
        regions(Span(js, js + 3, "figure", "COUNT")),
        edit(loc, 0, value_text="浙江省"),
        regions(Span(js, js + 8, "claim"), "a") + regions(Span(js + 2, js + 9, "claim"), "b"),
        loc + regions(Span(js + 1, fig + 3, "figure", "COUNT"), "b"),
        loc + regions(Span(js, fig + 3, "figure", "COUNT"), "b"),
    ]
    tasks = []
    for number, results in enumerate(cases, 1):
        ann = annotation(number, 1, text, [])
        ann["result"] = results
        tasks.append(task(number, body.id, body.article_id, text, body.start, [ann]))
    boiler = next(r for r in records if r.role == "boilerplate")
    plain = annotation(900, 1, text, [Span(js, js + 3, "claim")])
    tasks.append(task(900, "nope", "nope", text, 0, [plain]))
    tasks.append(task(901, boiler.id, boiler.article_id, boiler.text, boiler.start, [plain]))
    missing = task(902, body.id, body.article_id, text, body.start, [plain])
    del missing["data"]["text"]
    tasks.append(missing)
    longer = text + "尾巴"  # the task's text went on: its span is not in the article any more
    tail = annotation(903, 1, longer, [Span(len(text), len(longer), "claim")])
    tasks.append(task(903, body.id, body.article_id, longer, body.start, [tail]))
    return tasks


def test_every_reason(tmp_path: Path, corpus: list[SentenceRecord]) -> None:
    path = tmp_path / "reasons.json"
    write_export(path, _every_reason(corpus) + base_tasks(corpus))
    for chunk in (None, 500):
        exact = assert_same(tmp_path, [path], corpus, chunk)
    assert set(exact["reasons"]) == set(REASONS)


# ---- hypothesis: mutated exports


_NAMES = ["label", "labels", "text", "html", "entity_type", "figure_type", "choices", "Labels"]
_ODD = [None, 3, "", True, 2.0, "3", 2**70, -1, [], {}]
_LISTS = [["entity"], ["figure"], ["claim"], ["entity", "claim"], [], ["person"]]
_TYPES = [["LOC"], ["COUNT"], ["ORG", "LOC"], ["CITY"], ["DATE"]]
_TRICKY = ['}, {"id": 3, "data": {', "]}]", '\\"}', "\u2028", "𠀀"]


def _pick(data: st.DataObject, items: Sequence[Any]) -> Any:
    return items[data.draw(st.integers(0, len(items) - 1))] if items else None


def _results(tasks: list[dict[str, Any]]) -> list[tuple[dict[str, Any], int, str]]:
    """(result list holder, index, text) of every result of every annotation / prediction."""
    out = []
    for t in tasks:
        for holder in [*t.get("annotations", []), *t.get("predictions", [])]:
            if isinstance(holder, dict) and isinstance(holder.get("result"), list):
                for i in range(len(holder["result"])):
                    out.append((holder, i, t["data"].get("text") or ""))
    return out


def mutate(tasks: list[dict[str, Any]], data: st.DataObject, corpus: Sequence[Any]) -> None:
    for _ in range(data.draw(st.integers(0, 6))):
        try:
            _mutate_once(tasks, data, corpus)
        except (TypeError, KeyError, IndexError, AttributeError):
            # An earlier mutation left a value this one cannot work on (a text that is now a
            # number, a deleted key): skip it. The readers are under test, not this generator.
            continue


def _mutate_once(tasks: list[dict[str, Any]], data: st.DataObject, corpus: Sequence[Any]) -> None:
    kind = data.draw(st.integers(0, 15))
    results = _results(tasks)
    if kind <= 3 and results:
        holder, i, text = _pick(data, results)
        result = holder["result"][i]
        if not isinstance(result, dict) or not isinstance(result.get("value"), dict):
            return
        value = result["value"]
        field = _pick(data, ["start", "end", "text", "labels", "choices"])
        if kind == 0:
            value[field] = _pick(data, _ODD)
        elif kind == 1 and field in ("start", "end"):
            value[field] = (value.get(field) or 0) + data.draw(st.integers(-2, 2))
        elif kind == 1 and field == "text":
            slice_ = text[value.get("start") or 0 : value.get("end") or 0]
            value["text"] = _pick(data, [slice_, slice_ + " ", f" {slice_}", "\\n", None])
        elif kind == 1:
            value[field] = _pick(data, _LISTS if field == "labels" else _TYPES)
        elif kind == 2:
            key = _pick(data, ["from_name", "to_name", "type", "id", "value", "origin"])
            result[key] = _pick(data, [*_NAMES, *_ODD])
            if data.draw(st.booleans()):
                del result[key]
        else:
            other = _pick(data, results)
            operation = data.draw(st.integers(0, 3))
            if operation == 0:
                holder["result"].insert(i, copy.deepcopy(result))  # exact repeat
            elif operation == 1:
                holder["result"].pop(i)
            elif operation == 2 and isinstance(other[0]["result"][other[1]], dict):
                result["id"] = other[0]["result"][other[1]].get("id")
            else:
                result["id"] = None
    elif kind <= 7 and tasks:
        t = _pick(data, tasks)
        anns = t.get("annotations") or []
        ann = _pick(data, anns)
        if kind == 4 and ann is not None:
            key = _pick(data, ["was_cancelled", "ground_truth", "completed_by", "lead_time"])
            ann[key] = _pick(data, [True, False, None, 5, {"id": 9, "email": "a"}, "1.5"])
        elif kind == 5 and ann is not None:
            anns.append(copy.deepcopy(ann))  # the same annotation twice
        elif kind == 6:
            key = _pick(data, ["text", "sentence_id", "article_start", "article_id"])
            other = _pick(data, corpus)
            t["data"][key] = _pick(
                data, [None, "nope", -1, "3", other.text, other.id, t["data"]["text"] + "X"]
            )
            if data.draw(st.booleans()):
                del t["data"][key]
        else:
            t[_pick(data, ["meta", "extra", "data"])] = {"note": _pick(data, _TRICKY)}
    elif kind <= 10 and tasks:
        t = _pick(data, tasks)
        text = t["data"].get("text") or ""
        spans = valid_spans(text) if isinstance(text, str) else []
        if kind == 8:
            made = prediction(text, spans, _pick(data, ["v1", "v2"]))
            made["id"] = _pick(data, [None, 1, 2])
            t.setdefault("predictions", []).append(_pick(data, [made, 7]))
        elif kind == 9:
            made = {"id": 4, "result": annotation(1, 1, text, spans)["result"]}
            t.setdefault("drafts", []).append(_pick(data, [made, 17]))
        else:
            # An earlier step may have made the id a string already.
            shifted = t["id"] + 1000 if isinstance(t["id"], int) else 1000
            t["id"] = _pick(data, [t["id"], "5", -3, 2**63, shifted])
    elif kind <= 12 and tasks:
        i = data.draw(st.integers(0, len(tasks) - 1))
        tasks.insert(i, copy.deepcopy(tasks[data.draw(st.integers(0, len(tasks) - 1))]))
    elif kind == 13 and len(tasks) > 1:
        tasks.pop(data.draw(st.integers(0, len(tasks) - 1)))
    elif tasks:
        t = _pick(data, tasks)
        big = "区块链" * data.draw(st.integers(100, 3000))
        t["meta"] = {"big": big}  # a task far longer than a small chunk


def serialise(tasks: list[dict[str, Any]], data: st.DataObject) -> bytes:
    style = data.draw(st.integers(0, 4))
    ascii_ = data.draw(st.booleans())
    if style == 0:
        text = json.dumps(tasks, ensure_ascii=ascii_, separators=(",", ":"))
    elif style == 1:
        text = json.dumps(tasks, ensure_ascii=ascii_)
    elif style == 2:
        text = json.dumps(tasks, ensure_ascii=ascii_, indent=data.draw(st.integers(0, 3)))
    elif style == 3:  # one task a line, as write_export does, with CRLF
        text = "[\r\n" + ",\r\n".join(json.dumps(t, ensure_ascii=ascii_) for t in tasks) + "\r\n]"
    else:  # whitespace JSON allows everywhere between tokens
        text = json.dumps(tasks, ensure_ascii=ascii_, indent="\t")
        text = re.sub(r"\n", lambda _: _pick(data, ["\n", "\r\n", " \n ", "\n\t\r"]), text)
    raw = text.encode("utf-8", "surrogatepass" if ascii_ else "strict")
    if data.draw(st.booleans()):
        raw = _pick(data, [b"\xef\xbb\xbf", b" \n", b"\t"]) + raw + _pick(data, [b"", b"\n", b" "])
    return raw


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_mutated_exports(tmp_path: Path, corpus: list[SentenceRecord], data: st.DataObject) -> None:
    tasks = base_tasks(corpus)
    mutate(tasks, data, corpus)
    try:
        raw = serialise(tasks, data)
    except (UnicodeEncodeError, ValueError):  # a lone surrogate in a non-ASCII dump
        return
    path = tmp_path / "mutated.json"
    path.write_bytes(raw)
    chunk = _pick(data, [None, 40, 300, 1500, 6000])
    jobs = _pick(data, [1, 1, 2, 3]) if chunk is not None and chunk <= 1500 else 1
    assert_same(tmp_path, [path], corpus, chunk, jobs)


# ---- byte-level damage: errors name the same task and byte


def _damaged(raw: bytes) -> Iterable[tuple[str, bytes]]:
    yield "truncated early", raw[: len(raw) // 3]
    yield "truncated late", raw[: len(raw) - 5]
    yield "truncated after a task", raw[: raw.rindex(b"}") + 1]
    yield "invalid utf-8", raw[:200] + b"\xff" + raw[200:]
    yield "lone surrogate escape", raw.replace("发展".encode(), b"\\ud800", 1)
    yield "garbage after", raw + b"xyz"
    yield "trailing comma", raw.rstrip()[:-1].rstrip() + b",]"
    yield "empty array", b"[]"
    yield "whitespace only", b"   "
    yield "not an array", b'{"id": 1}'
    yield "a number task", b"[1, 2]"
    yield "form feed between tasks", raw.replace(b"},\n{", b"}\x0c,\n{", 1)
    yield "number too long", raw.replace(b'"lead_time": 12.5', b'"lead_time": ' + b"9" * 5000, 1)
    yield "deep nesting", raw.replace(b'"meta": {}', b'"meta": ' + b"[" * 600 + b"]" * 600, 1)
    yield (
        "task of the wrong shape",
        raw.replace(b'"annotations": [', b'"annotations": 3, "x": [', 1),
    )
    yield "string id", raw.replace(b'{"id": 3,', b'{"id": "3",', 1)


@pytest.mark.parametrize("chunk", [None, 500])
def test_damaged_exports(tmp_path: Path, corpus: list[SentenceRecord], chunk: int | None) -> None:
    path = tmp_path / "base.json"
    write_export(path, base_tasks(corpus))
    raw = path.read_bytes()
    errors = 0
    for name, damaged in _damaged(raw):
        bad = tmp_path / "damaged.json"
        bad.write_bytes(damaged)
        exact = assert_same(tmp_path, [bad], corpus, chunk)
        errors += exact["error"] is not None
        assert name  # (the name shows in pytest's locals on failure)
    assert errors >= 10


def test_the_fast_schema_mirrors_the_models() -> None:
    """Every field of the models has its twin in the fast schema (a field added to a model
    without one would be ignored by the fast path)."""
    from chainpolicy.contract.results import LSResult, LSValue
    from chainpolicy.validate import export

    pairs = [
        (export.LSTask, fastread.FastTask),
        (export.LSAnnotation, fastread.FastAnnotation),
        (export.LSUser, fastread.FastUser),
        (export.LSDraft, fastread.FastDraft),
        (export.LSPrediction, fastread.FastPrediction),
        (LSResult, fastread.FastResult),
        (LSValue, fastread.FastValue),
    ]
    for model, fast in pairs:
        assert set(model.model_fields) == set(fast.__annotations__), model.__name__
    assert LABELS_BY_NAME  # (the schema the checks read is loaded)


# ---- several processes


def _long_export(tmp: Path, corpus: Sequence[SentenceRecord]) -> Path:
    tasks = []
    for copy_number in range(12):
        for t in base_tasks(corpus):
            t = copy.deepcopy(t)
            t["id"] += 1000 * copy_number
            tasks.append(t)
    tasks += _every_reason(corpus)  # quarantine lines in the last range
    path = tmp / "long.json"
    write_export(path, tasks)
    return path


@pytest.mark.parametrize("jobs", [2, 3])
@pytest.mark.parametrize(
    "damage",
    [
        None,
        "invalid utf-8 early",
        "invalid utf-8 late",
        "wrong shape late",
        "malformed result late",
        "truncated",
    ],
)
def test_several_processes_give_one_process_results(
    tmp_path: Path, corpus: list[SentenceRecord], jobs: int, damage: str | None
) -> None:
    path = _long_export(tmp_path, corpus)
    raw = path.read_bytes()
    if damage == "invalid utf-8 early":
        raw = raw[: len(raw) // 5] + b"\xff" + raw[len(raw) // 5 :]
    elif damage == "invalid utf-8 late":
        raw = raw[: len(raw) * 4 // 5] + b"\xff" + raw[len(raw) * 4 // 5 :]
    elif damage == "wrong shape late":
        at = raw.index(b'"was_cancelled": false', len(raw) * 4 // 5)
        raw = raw[:at] + b'"was_cancelled": "no"' + raw[at + len(b'"was_cancelled": false') :]
    elif damage == "malformed result late":
        at = raw.index(b'"from_name": "label"', len(raw) * 3 // 4)
        raw = raw[:at] + b'"from_name": 7' + raw[at + len(b'"from_name": "label"') :]
    elif damage == "truncated":
        raw = raw[: len(raw) * 2 // 3]
    path.write_bytes(raw)
    exact = assert_same(tmp_path, [path], corpus, chunk=2000, jobs=jobs)
    assert (exact["error"] is None) == (damage in (None, "malformed result late"))


@pytest.mark.parametrize(("jobs", "bad"), [(2, 1), (3, 1), (3, 2)])
@pytest.mark.parametrize("shift", [-7, -1, 1, 40])
def test_a_wrong_cut_is_noticed_and_read_by_one_process(
    tmp_path: Path,
    corpus: list[SentenceRecord],
    monkeypatch: pytest.MonkeyPatch,
    jobs: int,
    bad: int,
    shift: int,
) -> None:
    """Cuts that are no task boundary (inside a task or a string): the range before one cannot
    end there, and the export is read on by this process from where that is known."""
    from chainpolicy.validate import parallel

    path = _long_export(tmp_path, corpus)
    real = fastread.split_export

    def wrong(path: Path, parts: int, chunk: int | None = None) -> Any:
        ranges = real(path, parts, chunk)
        assert ranges is not None and len(ranges) == jobs  # the cut before ``bad`` is off
        moved = fastread.Range(
            ranges[bad].start + shift, ranges[bad].after + shift, ranges[bad].end, b"\\{"
        )
        before = ranges[bad - 1]
        ranges[bad - 1] = fastread.Range(before.start, before.after, moved.after, before.boundary)
        ranges[bad] = moved
        return ranges

    monkeypatch.setattr(parallel, "split_export", wrong)
    exact = assert_same(tmp_path, [path], corpus, chunk=2000, jobs=jobs)
    assert exact["error"] is None
