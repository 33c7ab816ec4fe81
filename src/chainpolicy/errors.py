"""The one exception type the CLI turns into a clear message (no traceback), and the helpers
that put other libraries' errors into one line."""

from __future__ import annotations

import reprlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError


class ChainpolicyError(Exception):
    """A user-facing failure. The message must name the file/task/field and the offending value."""

    exit_code = 1


class InputError(ChainpolicyError):
    """Bad input (a source, an erratum, an export): exit code 2."""

    exit_code = 2


_REPR = reprlib.Repr()  # a huge or deeply nested value is shortened, never recursed into
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother, _REPR.maxlist, _REPR.maxdict = 3, 60, 60, 4, 4


def short(value: object, limit: int = 80) -> str:
    """A short, printable repr of a value for an error message (lone surrogates escaped)."""
    text = _REPR.repr(value).encode("utf-8", "backslashreplace").decode("utf-8")
    text = " ".join(text.split())  # one line, whatever the value holds
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe_validation(exc: ValidationError, whole: str = "value") -> str:
    """The first problem of a pydantic error on one line: ``field: problem (got value)``.

    pydantic's own message spans several lines and ends in a documentation link. ``whole``
    names the value itself when the problem is not in one of its fields.
    """
    errors = exc.errors(include_url=False)
    if not errors:
        return str(exc).splitlines()[0]
    first = errors[0]
    where = ".".join(str(part) for part in first["loc"]) or whole
    text = f"{where}: {first['msg']}"
    if "input" in first and first["type"] != "missing":
        text += f" (got {short(first['input'])})"
    if len(errors) > 1:
        text += f" (and {len(errors) - 1} more problem(s))"
    return text


def utf8_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, line) of a UTF-8 text file; a line that is not UTF-8 is an InputError
    naming the line and the byte."""
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, 1):
            try:
                yield number, raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"{path}:{number}: not UTF-8 (byte 0x{raw[exc.start]:02x} at column "
                    f"{exc.start + 1} of the line)"
                ) from None


def decode_utf8(path: Path, data: bytes) -> str:
    """``data`` (the bytes of ``path``) as text; not UTF-8 is an InputError naming the byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None
