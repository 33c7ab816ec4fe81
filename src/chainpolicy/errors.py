"""The one exception type the CLI turns into a clear message (no traceback)."""

from __future__ import annotations


class ChainpolicyError(Exception):
    """A user-facing failure. The message must name the file/task/field and the offending value."""

    exit_code = 1


class InputError(ChainpolicyError):
    """Bad input (a source, an erratum, an export): exit code 2."""

    exit_code = 2
