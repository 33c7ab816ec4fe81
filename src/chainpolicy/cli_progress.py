"""Progress bars for the long commands (build, ls push/pull, the benchmarks).

A bar goes to stderr, and only when stderr is a terminal: piped or captured output (CI logs,
tests, `2> file`) gets nothing, so the printed results stay as they were. The layers below the
CLI know nothing of bars: they take a callable that advances one (``advance(n)``), and a
factory of such bars where a command has several phases (``dataset.build.Progress``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager


def enabled() -> bool:
    return sys.stderr.isatty()


@contextmanager
def bar(what: str, total: int | None = None, unit: str = "it") -> Iterator[Callable[[int], None]]:
    """A bar while the block runs; its value advances it by n (bytes are shown scaled)."""
    if not enabled():
        yield _ignore
        return
    from tqdm import tqdm

    scaled = unit == "B"
    with tqdm(
        total=total,
        desc=what,
        unit=unit if scaled else f" {unit}",  # "1200 tasks", not "1200tasks"; "1.2MB"
        unit_scale=scaled,
        file=sys.stderr,
        dynamic_ncols=True,
        leave=False,  # the command prints its own result; a finished bar would only repeat it
    ) as progress:
        yield progress.update


def echo(line: str) -> None:
    """Print a line to stdout; on a terminal, above the bars instead of through them."""
    if enabled():
        from tqdm import tqdm

        tqdm.write(line, file=sys.stdout)
    else:
        print(line, flush=True)


def _ignore(_n: int) -> None:
    pass
