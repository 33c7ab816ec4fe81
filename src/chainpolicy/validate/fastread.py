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
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, BinaryIO, Final, TypeAlias

from pydantic import Field, StrictBool, StrictFloat, StrictInt, TypeAdapter, ValidationError
from typing_extensions import TypedDict

from chainpolicy.validate.export import Id, LSTask, _Buffer, _iter_items, _task

# Bytes of the file per chunk. Small enough that the objects one validation makes (about ten
# times the chunk) are still in the CPU caches when they are read and freed: at 200,000
# tasks, 512 KiB chunks took 5.5 s where 4 MiB took 8.0 s (and 200 MB of RSS, not 260).
_CHUNK = 1 << 19
_TRIES = 3  # boundary guesses per chunk before the streaming reader takes over
_TAIL = 1 << 16  # where the last boundary of a chunk is looked for first
_GROW = 16  # chunks a part may grow to before the exact reader takes over


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


class NotABoundary(Exception):
    """A range given to ``read_range`` did not end at a task boundary (the guess was wrong).
    The tasks up to the one ending at byte ``after`` (``index`` tasks) were read."""

    def __init__(self, path: Path, end: int, after: int, index: int) -> None:
        super().__init__(f"{path}: no task ends at byte {end}")
        self.after, self.index = after, index


@dataclass(frozen=True, slots=True)
class Range:
    """Tasks of an export from byte ``start`` (0; a ``{`` just after the task ending at
    ``after``; or -1: whatever follows that task) to byte ``end`` (just after a ``}``; None:
    to the end of the file). A range cut at a guessed boundary is only right once the range
    before it was read to exactly its ``end`` (``read_range`` raises ``NotABoundary``
    otherwise)."""

    start: int
    after: int
    end: int | None
    boundary: bytes  # the boundary pattern, learned from the file's first task


def split_export(path: Path, parts: int, chunk: int | None = None) -> list[Range] | None:
    """The export cut into ``parts`` ranges at guessed task boundaries of about equal size;
    None if it is too small to pay, or does not begin like an array of task objects."""
    chunk = chunk or _CHUNK
    size = path.stat().st_size
    if parts < 2 or size < 2 * parts * chunk:
        return None
    with open(path, "rb") as fh:
        head = fh.read(chunk)
        found = re.match(rb"(?:\xef\xbb\xbf)?" + _WS + rb"\[" + _WS + rb"(?=\{)", head)
        if found is None:
            return None
        boundary = _boundary(head[found.end() : found.end() + 4096])
        cuts = []
        for part in range(1, parts):
            fh.seek(size * part // parts)
            window = fh.read(max(chunk, _TAIL))
            cut = boundary.search(window)
            if cut is None:
                return None
            at = size * part // parts
            cuts.append((at + cut.start() + 1, at + cut.end()))
    if any(b[0] <= a[1] for a, b in pairwise(cuts)):
        return None
    ranges, start, after = [], 0, 0
    for end, nxt in cuts:
        ranges.append(Range(start, after, end, boundary.pattern))
        start, after = nxt, end
    ranges.append(Range(start, after, None, boundary.pattern))
    return ranges


def read_range(
    path: Path, part: Range, first_index: int = 0, chunk: int | None = None
) -> Iterator[Piece]:
    """The tasks of one range, as ``read_export`` gives them, numbered from ``first_index``.
    Raises ``NotABoundary`` if no task ends at ``part.end``, and what ``iter_tasks`` raises
    if the export is not valid there (with this numbering)."""
    with open(path, "rb") as fh:
        reader = _Reader(
            path, fh, chunk or _CHUNK, start=part.start, end=part.end, after=part.after
        )
        reader.index = first_index
        if part.start:
            reader.boundary = re.compile(part.boundary)
        yield from reader.pieces()


class _Reader:
    def __init__(
        self,
        path: Path,
        fh: BinaryIO,
        chunk: int,
        *,
        start: int = 0,
        end: int | None = None,
        after: int = 0,
    ) -> None:
        self.path, self.fh, self.chunk = path, fh, chunk
        self.start, self.end = start, end  # a range of the file (see Range)
        self.data = b""  # bytes of the file from ``base`` on, read so far
        self.base = start if start >= 0 else after
        self.eof = False
        self.index = 0  # tasks read
        self.after = after  # the byte just after the last task read (0: none read yet)
        self.resumed = start != 0  # the range starts after a task (read elsewhere)
        self.boundary: re.Pattern[bytes] | None = None
        fh.seek(self.base)

    def _fill(self, upto: int) -> None:
        """Read until ``data`` reaches byte ``upto`` of the file, or the end (of the range)."""
        if self.end is not None:
            upto = min(upto, self.end)
        while not self.eof and self.base + len(self.data) < upto:
            want = max(self.chunk, upto - self.base - len(self.data))
            if self.end is not None:
                want = min(want, self.end - self.base - len(self.data))
            more = self.fh.read(want)
            self.data += more
            self.eof = not more or self.base + len(self.data) == self.end

    def _drop(self, before: int) -> None:
        if before > self.base:
            self.data = self.data[before - self.base :]
            self.base = before

    def pieces(self) -> Generator[Piece, None, None]:
        if self.resumed:
            at = self.start if self.start > 0 else (yield from self._continue())
            while at is not None:
                at = yield from self._part(at)
            return
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
            if len(self.data) >= _GROW * self.chunk:
                # A task this long, or tasks that do not begin like the first one: the exact
                # reader streams it (memory stays a few chunks), then the boundary is re-learnt.
                return (yield from self._after_exact())
            self._fill(self.base + 2 * len(self.data))  # a task longer than a chunk: grow
        if self.eof and not cuts:
            # The rest of the file: its last task, "]" and whitespace (trailing data fails);
            # or the rest of the range, its last task (given a "]").
            if (yield from self._validate(memoryview(self.data)[at - self.base :], self.end)):
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
        after_item = self.resumed or self.index > 0
        for item in _iter_items(self.path, buf, self.index, after_item):
            yield self.index, _task(self.path, self.index, item)
            self.index += 1
            if stop is not None and buf.passed(stop, exact=stop == self.end):
                self.after = buf.byte_offset(buf.pos)
                return
        self.after = -1  # the end of the file

    def _after_exact(self) -> Generator[Piece, None, int | None]:
        """Hand the current chunk to the exact reader; the next part's start afterwards."""
        stop = max(self.base + len(self.data), self.after + self.chunk)
        if self.end is not None:
            stop = min(stop, self.end)
        yield from self._exact(stop)
        if self.end is not None and (self.after < 0 or self.after >= self.end):
            if self.after != self.end:
                raise NotABoundary(self.path, self.end, self.after, self.index)
            return None
        if self.after < 0:
            return None
        return (yield from self._continue())

    def _continue(self) -> Generator[Piece, None, int | None]:
        """From just after a task: the next part's start, or the exact path to the end."""
        self.fh.seek(self.after)
        self.data, self.base, self.eof = b"", self.after, False
        self._fill(self.after + self.chunk)
        at = _skip_ws(self.data, 0)
        if self.data[at : at + 1] == b",":
            at = _skip_ws(self.data, at + 1)
            if self.data[at : at + 1] == b"{":
                self.boundary = _boundary(self.data[at : at + 4096])
                return self.base + at
        # "]" (the end), a task that is no object, or anything else: the exact path, to the end
        yield from self._exact(None)
        return None
