"""The export read in chunks of tasks, each validated by one compiled pydantic call.

``iter_tasks`` (``validate.export``) decodes task by task in Python; on big exports that and the
per-task model validation were a third of the build. Here the file is read a few MiB at a time,
each chunk is cut at a task boundary and ``[<tasks>]`` is validated with ONE
``TypeAdapter(list[FastTask]).validate_json`` call (pydantic-core parses and validates in
Rust). ``FastTask`` mirrors the models of ``validate.export`` and ``contract.results`` field for
field (a test compares them); where a model is lax (``int``, ``float``) it is strict, so the
fast schema accepts a subset of what the models accept, with the same values.

Anything unusual goes to today's exact code, so errors, messages and results are unchanged:

* a chunk that is not valid JSON to pydantic (truncated, malformed, not UTF-8, a lone surrogate
  escape, nested too deeply, a number too long ...) is read by the streaming reader of
  ``validate.export`` from the end of the last task read, for at least one chunk; it raises the
  same ``InputError`` as ``iter_tasks`` would (same task index, same byte), or hands back at a
  task boundary it decoded itself;
* a chunk that is JSON but does not fit ``FastTask`` (a malformed result, a task of the wrong
  shape, an id given as a string ...) is decoded with ``json.loads`` and each task validated
  by ``LSTask`` (``validate.export._task``), which raises today's error for a wrong shape.

Why a cut is safe: the chunk starts where a task starts, in the same lexer state as just after
the ``[`` of the file (inside the top-level array, a value expected). JSON lexes left to right
deterministically, so ``[`` + part + ``]`` parses exactly when the state at the cut is "inside
the top-level array, a complete value just read": i.e. when the cut is a real boundary between
two tasks. A cut inside a string leaves the string open; a cut inside a nested value leaves a
bracket open or closes the wrong one; a cut inside a number cannot happen, since a cut always
follows a ``}``. A wrong guess therefore fails to parse (it costs one more parse) and is never
taken. The bytes skipped between two parts are JSON whitespace and one comma, checked by the
boundary pattern itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, BinaryIO, Final, TypeAlias

from pydantic import Field, StrictBool, StrictFloat, StrictInt, TypeAdapter, ValidationError
from typing_extensions import TypedDict

from chainpolicy.validate.export import Id, LSTask, _Buffer, _iter_items, _task

_CHUNK = 1 << 22  # 4 MiB of the file per chunk
_TRIES = 3  # boundary guesses per chunk before the streaming reader takes over
_TAIL = 1 << 16  # where the last boundary of a chunk is looked for first


# Missing keys take the models' defaults, so every key is present and rows are read with
# itemgetter, without a Python call per result.
_OptInt: TypeAlias = Annotated[StrictInt | None, Field(default=None)]
_OptId: TypeAlias = Annotated[Id | None, Field(default=None)]
_OptStr: TypeAlias = Annotated[str | None, Field(default=None)]
_OptStrs: TypeAlias = Annotated[list[str] | None, Field(default=None)]
_No: TypeAlias = Annotated[StrictBool, Field(default=False)]


class FastValue(TypedDict):
    """``contract.results.LSValue``."""

    start: _OptInt
    end: _OptInt
    text: _OptStr
    labels: _OptStrs
    choices: _OptStrs


class FastResult(TypedDict):
    """``contract.results.LSResult``."""

    id: _OptStr
    from_name: str
    to_name: str
    type: str
    value: FastValue
    origin: _OptStr


class FastUser(TypedDict):
    """``validate.export.LSUser``."""

    id: Id
    email: _OptStr


class FastAnnotation(TypedDict):
    """``validate.export.LSAnnotation``; its results typed (the model keeps them raw and
    ``contract.regions`` validates them one by one: a malformed one sends the chunk there)."""

    id: Id
    completed_by: Annotated[Id | FastUser | None, Field(default=None)]
    result: Annotated[list[FastResult], Field(default_factory=list)]
    was_cancelled: _No
    ground_truth: _No
    created_at: _OptStr
    updated_at: _OptStr
    # The model's float is lax ("1.5", true are read as numbers): strict here.
    lead_time: Annotated[StrictFloat | None, Field(default=None)]


class FastDraft(TypedDict):
    """``validate.export.LSDraft`` (its results are only counted)."""

    id: _OptInt  # the model's int is lax
    result: Annotated[list[Any], Field(default_factory=list)]


class FastPrediction(TypedDict):
    """``validate.export.LSPrediction``."""

    id: _OptId
    model_version: _OptStr
    result: Annotated[list[FastResult], Field(default_factory=list)]


class FastTask(TypedDict):
    """``validate.export.LSTask``."""

    id: Id
    data: dict[str, Any]
    annotations: Annotated[list[FastAnnotation], Field(default_factory=list)]
    drafts: Annotated[list[FastDraft | Id], Field(default_factory=list)]
    # The model's int is lax ("3", 3.0 are read as ids): strict here.
    predictions: Annotated[list[FastPrediction | StrictInt], Field(default_factory=list)]


_TASKS: Final = TypeAdapter(list[FastTask])


@dataclass(frozen=True, slots=True)
class FastBatch:
    """Consecutive tasks validated by ``FastTask``; ``first_index`` is the first one's index."""

    first_index: int
    tasks: list[FastTask]


# A piece of an export: a batch, or one task the exact path read (index, model).
Piece: TypeAlias = FastBatch | tuple[int, LSTask]

_WS: Final = rb"[ \t\r\n]*"  # JSON whitespace only: \f or \v between tasks is an error
_FIRST_KEYS: Final = re.compile(
    rb"\{" + _WS + rb'"((?:[^"\\]|\\.)*)"' + _WS + rb":" + _WS
    + rb'(?:-?[0-9]+' + _WS + rb"," + _WS + rb'"((?:[^"\\]|\\.)*)")?'
)  # fmt: skip


def _boundary(head: bytes) -> re.Pattern[bytes]:
    """``}`` , ``{`` followed by how the first task begins: Label Studio writes every task with
    its keys in one order (``{"id": 1, "annotations": ...``), which its annotations
    (``{"id": 1, "completed_by": ...``) do not share. Only a guess: the parse decides."""
    found = _FIRST_KEYS.match(head)
    sign = rb"\{"
    if found is not None:
        sign += _WS + b'"' + re.escape(found.group(1)) + b'"' + _WS + b":"
        if found.group(2) is not None:
            sign += _WS + rb"-?[0-9]+" + _WS + b"," + _WS + b'"' + re.escape(found.group(2)) + b'"'
    return re.compile(rb"\}" + _WS + b"," + _WS + b"(?=" + sign + b")")


def _skip_ws(data: bytes, at: int) -> int:
    while at < len(data) and data[at] in b" \t\r\n":
        at += 1
    return at


def read_export(path: Path, chunk: int | None = None) -> Iterator[Piece]:
    """The tasks of one export in file order, as batches (and single exact tasks where the
    exact path read them). Raises what ``iter_tasks`` raises, at the same task. ``chunk``:
    bytes per chunk (tests make it small to cut everywhere)."""
    with open(path, "rb") as fh:
        yield from _Reader(path, fh, chunk or _CHUNK).pieces()


class _Reader:
    def __init__(self, path: Path, fh: BinaryIO, chunk: int) -> None:
        self.path, self.fh, self.chunk = path, fh, chunk
        self.data = b""  # bytes of the file from ``base`` on, read so far
        self.base = 0
        self.eof = False
        self.index = 0  # tasks read
        self.after = 0  # the byte just after the last task read (0: none read yet)
        self.boundary: re.Pattern[bytes] | None = None

    def _fill(self, upto: int) -> None:
        """Read until ``data`` reaches byte ``upto`` of the file, or the end."""
        while not self.eof and self.base + len(self.data) < upto:
            more = self.fh.read(max(self.chunk, upto - self.base - len(self.data)))
            self.eof = not more
            self.data += more

    def _drop(self, before: int) -> None:
        if before > self.base:
            self.data = self.data[before - self.base :]
            self.base = before

    def pieces(self) -> Generator[Piece, None, None]:
        self._fill(self.chunk)
        start = 3 if self.data.startswith(b"\xef\xbb\xbf") else 0
        at = _skip_ws(self.data, start)
        if self.data[at : at + 1] != b"[":
            yield from self._exact(None)  # raises today's "not a Label Studio JSON export"
            return
        at = _skip_ws(self.data, at + 1)
        if self.data[at : at + 1] != b"{":  # an empty array, or no task object: exact path
            yield from self._exact(None)
            return
        self.boundary = _boundary(self.data[at : at + 4096])
        while True:
            nxt = yield from self._part(at)
            if nxt is None:
                return
            at = nxt

    def _part(self, at: int) -> Generator[Piece, None, int | None]:
        """Read tasks from byte ``at`` (a ``{`` after a comma or the ``[``) on; the next part's
        start, or None at the end of the file."""
        self._drop(at)
        self._fill(at + self.chunk)
        while True:
            cuts = [] if self.eof else self._cuts(at)
            if cuts or self.eof:
                break
            self._fill(self.base + 2 * len(self.data))  # a task longer than a chunk: grow
        if self.eof and not cuts:
            # The rest of the file: its last task, "]" and whitespace (trailing data fails).
            if (yield from self._validate(memoryview(self.data)[at - self.base :], None)):
                return None
            return (yield from self._after_exact())
        for cut, nxt in cuts[:_TRIES]:
            if (
                yield from self._validate(
                    memoryview(self.data)[at - self.base : cut - self.base], cut
                )
            ):
                return nxt
        return (yield from self._after_exact())

    def _cuts(self, at: int) -> list[tuple[int, int]]:
        """Candidate boundaries in the buffer (end of a task, start of the next), last first."""
        assert self.boundary is not None
        lo = max(at - self.base, len(self.data) - _TAIL)
        while True:
            found = [
                (self.base + m.start() + 1, self.base + m.end())
                for m in self.boundary.finditer(self.data, lo)
            ]
            if len(found) >= _TRIES or lo == at - self.base:
                return found[::-1]
            lo = max(at - self.base, lo - 4 * (len(self.data) - lo))

    def _validate(self, part: memoryview, cut: int | None) -> Generator[Piece, None, bool]:
        """Validate ``[part]`` (``cut`` None: the part holds the closing ``]``). Returns True
        when the part was read (fast, or decoded and validated by the models), False when it
        is not JSON to pydantic (then nothing was yielded)."""
        whole = bytearray(b"[")
        whole += part
        if cut is not None:
            whole += b"]"
        try:
            tasks = _TASKS.validate_json(whole)
        except ValidationError as exc:
            if exc.errors(include_url=False)[0]["type"] == "json_invalid":
                return False
            try:  # JSON, but not of the fast shape: the models decide, task by task
                items = json.loads(whole.decode("utf-8"))
            except (ValueError, RecursionError):
                return False
            for offset, item in enumerate(items):
                yield self.index + offset, _task(self.path, self.index + offset, item)
            count = len(items)
        else:
            yield FastBatch(self.index, tasks)
            count = len(tasks)
        self.index += count
        if cut is not None:
            self.after = cut
        return True

    def _exact(self, stop: int | None) -> Generator[Piece, None, None]:
        """The streaming reader of ``validate.export`` from just after the last task read,
        until it has passed byte ``stop`` (None: to the end). Sets ``after`` and ``index``."""
        buf = _Buffer(self.fh, self.path, self.after)
        for item in _iter_items(self.path, buf, self.index):
            yield self.index, _task(self.path, self.index, item)
            self.index += 1
            if stop is not None and buf.passed(stop):
                self.after = buf.byte_offset(buf.pos)
                return
        self.after = -1  # the end of the file

    def _after_exact(self) -> Generator[Piece, None, int | None]:
        """Hand the current chunk to the exact reader; the next part's start afterwards."""
        stop = max(self.base + len(self.data), self.after + self.chunk)
        yield from self._exact(stop)
        if self.after < 0:
            return None
        self.fh.seek(self.after)
        self.data, self.base, self.eof = b"", self.after, False
        self._fill(self.after + self.chunk)
        at = _skip_ws(self.data, 0)
        if self.data[at : at + 1] == b",":
            at = _skip_ws(self.data, at + 1)
            if self.data[at : at + 1] == b"{":
                return self.base + at
        # "]" (the end), a task that is no object, or anything else: the exact path, to the end
        yield from self._exact(None)
        return None
