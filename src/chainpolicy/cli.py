"""The ``chainpolicy`` command. Each layer registers its subcommands from its own module."""

from __future__ import annotations

import sys
import traceback
from typing import NoReturn

import click

from chainpolicy import __version__
from chainpolicy.errors import ChainpolicyError


class _Main(click.Group):
    """Turns ChainpolicyError (and pydantic/OS errors at the edges) into one clear line."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except ChainpolicyError as exc:
            _fail(ctx, f"{exc}", exc.exit_code)
        except BrokenPipeError:
            # The reader went away (`chainpolicy sentences | head`): not an error of ours.
            sys.stderr.close()
            sys.exit(0)
        except OSError as exc:
            name = f"{exc.filename}: " if exc.filename else ""
            _fail(ctx, f"{name}{exc.strerror or exc}", 1)
        except (click.exceptions.Exit, click.ClickException, KeyboardInterrupt):
            raise
        except Exception as exc:
            # A bug of ours, not bad input: still one line; --debug shows where.
            detail = " ".join(str(exc).split())[:200]
            _fail(
                ctx,
                f"internal error ({type(exc).__name__}: {detail}); please report it with the "
                "output of `chainpolicy --debug ...`",
                INTERNAL_ERROR,
            )
        raise AssertionError("unreachable")


INTERNAL_ERROR = 70  # EX_SOFTWARE


def _fail(ctx: click.Context, message: str, code: int) -> NoReturn:
    """One line on stderr and the exit code; with --debug the traceback first, same code."""
    if ctx.meta.get("debug"):
        traceback.print_exc()
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def _set_debug(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    ctx.meta["debug"] = value


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="chainpolicy")
@click.option(
    "--debug",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_set_debug,
    help="Show tracebacks instead of one-line errors.",
)
def main() -> None:
    """Build, annotate, validate and publish the ChainPolicy-ZH dataset."""


def _register() -> None:
    # Imported here so that `chainpolicy --help` stays fast and each layer stays in its module.
    from chainpolicy import cli_corpus, cli_dataset, cli_evaluation, cli_labelstudio, cli_pass

    for module in (cli_corpus, cli_dataset, cli_evaluation, cli_labelstudio, cli_pass):
        for command in module.COMMANDS:
            main.add_command(command)


_register()
