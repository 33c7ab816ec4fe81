"""The chunked reader: the tasks of iter_tasks, in order, whatever the chunk size and layout;
today's errors for broken exports; ranges that add up to the whole export."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chainpolicy.errors import InputError
from chainpolicy.records import Span
from chainpolicy.validate import fastread
from chainpolicy.validate.export import LSTask, iter_tasks
from chainpolicy.validate.fastread import FastBatch, Range, read_export, read_range
from chainpolicy.validate.synthetic import annotation, prediction, task, write_export

TEXT = (
    "2017年初,相城区与同济大学签约共建苏州同济区块链研究院,这是国内第一个校地合作的区块链研究院。"
)
# A text with what a boundary guess could take for the start of a task.
TRAP = 'x"}, {"id": 9, "data": {"text": "𠀀'


def _tasks(n: int) -> list[dict[str, Any]]:
    out = []
    for i in range(1, n + 1):
        text = TEXT if i % 3 else TEXT + TRAP
        ann = annotation(i, i % 4, text, [Span(0, 7, "figure", "DATE")], task_id=i)
        preds = [prediction(text, [Span(8, 11, "entity", "LOC")])] if i % 2 else []
        item = task(i, f"s{i}", "a", text, 0, [ann], predictions=preds)
        item["drafts"] = [17] if i % 5 == 0 else []
        out.append(item)
    return out


def _ids(path: Path, **kw: Any) -> list[tuple[int, int]]:
    """(task index, task id) of every task the chunked reader gives, in order."""
    out = []
    for piece in read_export(path, **kw):
        if isinstance(piece, FastBatch):
            out += [(piece.first_index + k, t["id"]) for k, t in enumerate(piece.tasks)]
        else:
            index, model = piece
            assert isinstance(model, LSTask)
            out.append((index, model.id))
    return out


LAYOUTS = {
    "write_export": None,
    "compact": {"separators": (",", ":")},
    "spaces": {},
    "indent": {"indent": 1},
    "ascii": {"ensure_ascii": True, "indent": 2},
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("chunk", [None, 1, 97, 600, 5000])
def test_the_same_tasks_as_iter_tasks(tmp_path: Path, layout: str, chunk: int | None) -> None:
    path = tmp_path / "e.json"
    tasks = _tasks(40)
    options = LAYOUTS[layout]
    if options is None:
        write_export(path, tasks)
    else:
        path.write_text(json.dumps(tasks, **{"ensure_ascii": False, **options}), "utf-8")
    expected = [(i, t.id) for i, t in enumerate(iter_tasks(path))]
    assert _ids(path, chunk=chunk) == expected


def test_batches_hold_what_the_models_read(tmp_path: Path) -> None:
    path = tmp_path / "e.json"
    write_export(path, _tasks(12))
    batches = [p for p in read_export(path, chunk=900) if isinstance(p, FastBatch)]
    fast = [t for b in batches for t in b.tasks]
    models = list(iter_tasks(path))
    assert len(fast) == len(models) and len(batches) > 1
    for got, model in zip(fast, models, strict=True):
        assert got["data"] == model.data
        assert [a["id"] for a in got["annotations"]] == [a.id for a in model.annotations]
        assert [len(a["result"]) for a in got["annotations"]] == [
            len(a.result) for a in model.annotations
        ]
        assert [d if isinstance(d, int) else d["id"] for d in got["drafts"]] == [
            d if isinstance(d, int) else d.id for d in model.drafts
        ]


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"nope",
        b'{"tasks": []}',
        b"[1]",
        b'[{"id": 1, "data": {}}, {"id": 2}]',
        b'[{"id": 1, "data": {}, "annotations": [{"result": []}]}]',
        b'[{"id": 1, "data": {}}, {"id": 2, "data": {',
        b'[{"id": 1, "data": {}},, ]',
        b'[{"id": 1, "data": {}}] trailing',
        b'[{"id": 1, "data": {}},\x0c{"id": 2, "data": {}}]',
        b'[{"id": 1, "data": {"n": ' + b"9" * 5000 + b"}}]",
        b'[{"id": 1, "data": {"t": "\\ud800"}}, 5]',
        b'[{"id": 1, "data": {}}, {"id": 2, "data": {"t": "\xff"}}]',
        b"\xef\xbb\xbf \n[]",
        b'[{"id": 1, "data": {}}, {"id": "2", "data": {}}]',
    ],
)
@pytest.mark.parametrize("chunk", [None, 3, 30])
def test_broken_exports_fail_as_iter_tasks_does(
    tmp_path: Path, content: bytes, chunk: int | None
) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    try:
        expected: object = [t.id for t in iter_tasks(path)]
    except InputError as exc:
        expected = str(exc)
    try:
        got: object = [i for _, i in _ids(path, chunk=chunk)]
    except InputError as exc:
        got = str(exc)
    assert got == expected


@pytest.mark.parametrize("parts", [2, 3, 5])
def test_ranges_add_up_to_the_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parts: int
) -> None:
    monkeypatch.setattr(fastread, "_CHUNK", 700)
    path = tmp_path / "e.json"
    write_export(path, _tasks(80))
    ranges = fastread.split_export(path, parts)
    assert ranges is not None and len(ranges) == parts
    ids: list[int] = []
    for part in ranges:
        for piece in read_range(path, part):
            ids += [t["id"] for t in piece.tasks] if isinstance(piece, FastBatch) else [piece[1].id]
    assert ids == [t.id for t in iter_tasks(path)]


def test_a_range_that_ends_inside_a_task_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fastread, "_CHUNK", 700)
    path = tmp_path / "e.json"
    write_export(path, _tasks(80))
    ranges = fastread.split_export(path, 2)
    assert ranges is not None
    first = ranges[0]
    assert first.end is not None
    inside = Range(first.start, first.after, first.end - 3, first.boundary)
    with pytest.raises(fastread.NotABoundary) as info:
        list(read_range(path, inside))
    # It read on to the end of the task, and says where that is.
    assert info.value.after == first.end
    rest = Range(-1, info.value.after, None, first.boundary)
    tail = [p for p in read_range(path, rest, info.value.index)]
    assert tail and (tail[0].first_index if isinstance(tail[0], FastBatch) else tail[0][0]) == (
        info.value.index
    )


def test_small_or_odd_exports_are_not_split(tmp_path: Path) -> None:
    path = tmp_path / "e.json"
    write_export(path, _tasks(3))
    assert fastread.split_export(path, 2) is None
    path.write_bytes(b"[1, 2, 3]" + b" " * (1 << 24))
    assert fastread.split_export(path, 2) is None


def test_tasks_that_begin_unlike_the_first_keep_memory_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The boundary guess learns how the first task begins; tasks written with other keys
    first are handed to the exact reader a few chunks at a time, never read whole."""
    monkeypatch.setattr(fastread, "_CHUNK", 500)
    tasks = _tasks(60)
    reordered = [tasks[0]] + [{"data": t["data"], **t} for t in tasks[1:]]
    path = tmp_path / "e.json"
    write_export(path, reordered)
    biggest = 0
    real = fastread._Reader._fill

    def watched(self: Any, upto: int) -> None:
        nonlocal biggest
        real(self, upto)
        biggest = max(biggest, len(self.data))

    monkeypatch.setattr(fastread._Reader, "_fill", watched)
    assert _ids(path) == [(i, t.id) for i, t in enumerate(iter_tasks(path))]
    assert biggest <= 2 * fastread._GROW * 500
