"""Label Studio JSON export: pydantic models and a streaming reader.

An export is one JSON array of tasks and reaches gigabytes on big projects, so it is never loaded
whole: ``iter_tasks`` decodes it task by task from fixed-size chunks. The reader is strict about
the shape of tasks and annotations (a wrong shape is an ``InputError`` naming the file, the task
index and the byte position) and lenient about results: ``LSAnnotation.result`` keeps the raw
items, which ``contract.regions`` validates one by one so that a malformed result is quarantined
with a reason instead of stopping the build. Unknown extra fields are tolerated everywhere (Label
Studio adds fields between versions).
"""

from __future__ import annotations

import codecs
import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, BinaryIO, NoReturn

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, ValidationError

from chainpolicy.errors import InputError, short

_TOLERANT = ConfigDict(extra="allow")
# Ids are stored as SQLite integers (signed 64 bit) and must be real JSON integers: "3", 3.0 or
# true are not ids (pydantic's lax mode would coerce them).
Id = Annotated[StrictInt, Field(ge=0, lt=2**63)]


class LSUser(BaseModel):
    """``completed_by`` when the export expands users instead of giving their id."""

    model_config = _TOLERANT

    id: Id
    email: str | None = None


class LSAnnotation(BaseModel):
    model_config = _TOLERANT

    id: Id
    completed_by: Id | LSUser | None = None
    result: list[Any] = Field(default_factory=list)  # raw: validated per item by parse_result
    was_cancelled: StrictBool = False
    ground_truth: StrictBool = False
    created_at: str | None = None
    updated_at: str | None = None
    lead_time: float | None = None

    @property
    def annotator(self) -> int | None:
        user = self.completed_by
        return user.id if isinstance(user, LSUser) else user

    def recency(self) -> tuple[int, int]:
        """Sort key for "most recent": ``updated_at`` (else ``created_at``), then the id."""
        return timestamp_micros(self.updated_at or self.created_at), self.id


def timestamp_micros(stamp: str | None) -> int:
    """Microseconds since the epoch of an ISO 8601 timestamp; -1 if missing or unreadable.

    A timestamp without a UTC offset is read as UTC (Label Studio writes UTC), never in the
    machine's time zone: two machines must adjudicate the same export the same way.
    """
    if not stamp:
        return -1
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        # In UTC, or unreadable: 9999-12-31T23:59-23:59 is in year 10000 there, which no
        # datetime (and so no timestamp column read back into Python) can hold.
        moment = moment.astimezone(UTC)
        delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    except (ValueError, OverflowError):
        return -1
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


class LSDraft(BaseModel):
    """A draft (saved, never submitted): excluded from the dataset, its results counted.

    The labelling UI saves one when an annotator edits a task and leaves without submitting.
    A snapshot export gives drafts in full only when asked (``drafts.only_id=False``, which
    ``ls pull`` sets); otherwise ``LSTask.drafts`` holds their bare ids.
    """

    model_config = _TOLERANT

    id: int | None = None
    result: list[Any] = Field(default_factory=list)


class LSPrediction(BaseModel):
    """A machine prediction: never gold, its results only counted."""

    model_config = _TOLERANT

    id: Id | None = None
    model_version: str | None = None
    result: list[Any] = Field(default_factory=list)


class LSTask(BaseModel):
    model_config = _TOLERANT

    id: Id
    data: dict[str, Any]
    annotations: list[LSAnnotation] = Field(default_factory=list)
    drafts: list[LSDraft | Id] = Field(default_factory=list)  # ids unless asked in full
    predictions: list[LSPrediction | int] = Field(default_factory=list)  # ids in sync exports


_CHUNK = 1 << 22  # 4 MiB of the file per read
_WS = " \t\r\n"
_DECODER = json.JSONDecoder()


class _Buffer:
    """Decoded text of the file read so far, minus the consumed prefix, with byte accounting."""

    def __init__(self, fh: BinaryIO, path: Path, start: int = 0) -> None:
        """Read ``fh`` from byte ``start`` on (a character boundary; offsets stay absolute)."""
        self._fh, self._path = fh, path
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self.text = ""
        self.pos = 0  # next unread character of ``text``
        self.eof = False
        fh.seek(start)
        self._bytes_read = start
        self._bytes_before = start  # bytes of the file before ``text[0]``

    def refill(self) -> None:
        """Drop the consumed prefix and append the next chunk (sets ``eof`` at the end)."""
        chunk = self._fh.read(_CHUNK)
        self.eof = not chunk
        consumed = self.text[: self.pos]
        self._bytes_before += len(consumed.encode("utf-8"))
        try:
            fresh = self._decoder.decode(chunk, final=self.eof)
        except UnicodeDecodeError as exc:
            at = self._bytes_read - len(self._decoder.getstate()[0]) + exc.start
            raise InputError(f"{self._path}: not UTF-8 at byte {at}: {exc.reason}") from None
        self._bytes_read += len(chunk)
        self.text = self.text[self.pos :] + fresh
        self.pos = 0

    def passed(self, byte: int, exact: bool = False) -> bool:
        """Whether the next unread character is at or after ``byte`` of the file: cheap, from
        a lower bound (each character is one to four bytes), so it may answer late unless
        ``exact`` (then the offset is computed where the bounds do not decide)."""
        if self._bytes_before + self.pos >= byte:
            return True
        if not exact or self._bytes_before + 4 * self.pos < byte:
            return False
        return self.byte_offset(self.pos) >= byte

    def byte_offset(self, char_pos: int) -> int:
        return self._bytes_before + len(self.text[:char_pos].encode("utf-8"))

    def skip_ws(self) -> str:
        """The next significant character ("" at the end of the file), not consumed."""
        while True:
            text, pos = self.text, self.pos
            while pos < len(text) and text[pos] in _WS:
                pos += 1
            self.pos = pos
            if pos < len(text) or self.eof:
                return text[pos] if pos < len(text) else ""
            self.refill()


def _incomplete(exc: json.JSONDecodeError, text: str, eof: bool) -> bool:
    """Whether the decoder failed only because the text ends inside the value.

    Before the end of the file this is a cheap guess (a wrong guess costs one more chunk); at the
    end it decides between "truncated" and "malformed".
    """
    if exc.msg.startswith("Unterminated string"):
        return True
    if not eof:
        return exc.pos >= len(text) - 8
    rest = text.rstrip()
    return exc.pos >= len(rest) or not rest.endswith("]")


def iter_tasks(path: Path) -> Iterator[LSTask]:
    """Stream the tasks of one Label Studio JSON export, in file order.

    Raises ``InputError`` naming the file and the position (task index, byte offset) when the file
    is not JSON, is truncated, is not a top-level array of task objects, or a task or annotation
    has the wrong shape. Tasks before the error have already been yielded; callers that must stay
    atomic (the build) write their output elsewhere and discard it on error.

    The file is read in chunks and each task decoded with the C JSON decoder (``raw_decode``),
    which measured twice as fast as ijson's C backend on exports; memory holds one chunk plus the
    task being decoded.
    """
    with open(path, "rb") as fh:
        items = _iter_items(path, _Buffer(fh, path))
        yield from (_task(path, index, item) for index, item in enumerate(items))


def _iter_items(
    path: Path, buf: _Buffer, index: int = 0, after_item: bool | None = None
) -> Iterator[object]:
    """The top-level items from where ``buf`` starts: the start of the file, or just after an
    item (``after_item``, by default when ``index`` > 0: where the chunked reader hands a piece
    over to this one); ``index`` is the number of the next item."""
    after_item = index > 0 if after_item is None else after_item
    buf.refill()
    if not after_item:
        if buf.text.startswith("\ufeff"):
            buf.pos = 1
        first = buf.skip_ws()
        if first != "[":
            found = first or "an empty file"
            raise InputError(
                f"{path}: not a Label Studio JSON export: expected a top-level array of tasks "
                f"at byte {buf.byte_offset(buf.pos)}, found {found!r}"
            )
        buf.pos += 1
    while True:
        nxt = buf.skip_ws()
        if nxt == "]":
            buf.pos += 1
            if buf.skip_ws():
                _fail(path, buf, index, "malformed JSON", "data after the closing ']'")
            return
        if after_item:
            if nxt != ",":
                state = "truncated" if not nxt else "malformed JSON"
                _fail(path, buf, index, state, f"expected ',' or ']', found {nxt or 'the end'!r}")
            buf.pos += 1
            buf.skip_ws()
        while True:
            try:
                item, end = _DECODER.raw_decode(buf.text, buf.pos)
            except RecursionError:
                _fail(path, buf, index, "malformed JSON", "nested too deeply to read")
            except json.JSONDecodeError as exc:
                incomplete = _incomplete(exc, buf.text, buf.eof)
                if buf.eof or not incomplete:
                    state = "truncated" if incomplete else "malformed JSON"
                    _fail(path, buf, index, state, exc.msg, exc.pos)
                buf.refill()
                continue
            except ValueError:  # an integer literal longer than Python converts (4300 digits)
                limit = sys.get_int_max_str_digits()
                _fail(path, buf, index, "a number too long to read", f"over {limit} digits")
            if end == len(buf.text) and not buf.eof:  # a number could continue in the next chunk
                buf.refill()
                continue
            break
        buf.pos = end
        yield item
        index += 1
        after_item = True


def _fail(
    path: Path, buf: _Buffer, index: int, state: str, detail: str, char_pos: int | None = None
) -> NoReturn:
    at = buf.byte_offset(buf.pos if char_pos is None else char_pos)
    raise InputError(
        f"{path}: {state} in task #{index} (0-based; {index} complete task(s) before it) "
        f"at byte {at}: {detail}"
    )


def _task(path: Path, index: int, item: object) -> LSTask:
    if not isinstance(item, dict):
        raise InputError(
            f"{path}: task #{index} is a {type(item).__name__}, expected an object with "
            f"'id' and 'data'"
        )
    try:
        return LSTask.model_validate(item)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InputError(
            f"{path}: task #{index} (id {short(item.get('id'))}) has the wrong shape at "
            f"{where!r}: {first['msg']} (got {short(first.get('input'), 60)})"
        ) from None
