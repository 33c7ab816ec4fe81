"""The command group itself: what any command does on an error that is a bug of ours."""

from __future__ import annotations

from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner

from chainpolicy.cli import INTERNAL_ERROR, main


@pytest.fixture
def failing_command() -> Iterator[str]:
    # A command that fails the way a bug would: an exception that is not an input error.
    @click.command("fail-for-test")
    def fail() -> None:
        raise RuntimeError("a bug\nover two lines")

    main.add_command(fail)
    try:
        yield "fail-for-test"
    finally:
        main.commands.pop("fail-for-test")


def test_an_unexpected_error_is_one_line_with_exit_70(failing_command: str) -> None:
    done = CliRunner().invoke(main, [failing_command])
    assert done.exit_code == INTERNAL_ERROR == 70
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert lines[0].startswith("error: internal error (RuntimeError: a bug over two lines)")
    assert "--debug" in lines[0]


def test_debug_shows_where_and_keeps_exit_70(failing_command: str) -> None:
    done = CliRunner().invoke(main, ["--debug", failing_command])
    assert done.exit_code == INTERNAL_ERROR
    assert "Traceback" in done.stderr and 'raise RuntimeError("a bug' in done.stderr
    assert done.stderr.splitlines()[-1].startswith("error: internal error (RuntimeError")
