"""The three datatrove pipelines of the sharded ingest, and a local run of them.

``stages()`` gives the step lists; any datatrove executor runs them, chained with ``depends=``:
``shard`` and ``mark`` with ``tasks`` tasks, ``firsts`` with ``buckets`` tasks (docs/cluster.md
shows Slurm and Ray). ``run_local()`` is what ``chainpolicy sentences --datatrove`` runs.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datatrove.executor import LocalPipelineExecutor

from chainpolicy.errors import InputError
from chainpolicy.scale import FORMATS
from chainpolicy.scale.shards import LOGS, WORK
from chainpolicy.scale.steps import (
    ArticleShardReader,
    CrossShardDuplicates,
    CrossShardFirsts,
    RecordShardWriter,
    ShardDuplicates,
)

STAGES = ("shard", "firsts", "mark")
CONSOLE_LOG = "console.log"
_FSSPEC_IO_THREAD = "fsspecIO"  # fsspec.asyn names its event-loop thread so


def _start_method() -> str:
    """Local workers are forked from this process on Linux when it runs no other thread, so they
    start with chainpolicy, datatrove and pyarrow imported (forkserver, datatrove's default,
    imports them again in every worker of every stage: measured about 1 s per stage on 2 cores).
    A process with other threads (a lock held by one would stay held in the child) keeps
    forkserver; fsspec's own IO thread, which every DataFolder starts, does not count: fsspec
    resets it in a forked child (``os.register_at_fork``)."""
    others = [
        t
        for t in threading.enumerate()
        if t is not threading.main_thread() and t.name != _FSSPEC_IO_THREAD
    ]
    return "fork" if sys.platform.startswith("linux") and not others else "forkserver"


@dataclass(frozen=True)
class Stages:
    """The pipelines in run order; ``shard`` and ``mark`` need ``tasks`` tasks (the shard count),
    ``firsts`` needs ``buckets`` tasks. ``out`` is the output folder (local or any fsspec URL)."""

    out: str
    tasks: int
    buckets: int
    shard: list[Any]
    firsts: list[Any]
    mark: list[Any]

    def logging_dir(self, stage: str) -> str:
        """Where a stage's executor keeps its logs, stats and completion marks."""
        return f"{self.out}/{LOGS}/{stage}"


@contextlib.contextmanager
def _stderr_to(path: Path) -> Iterator[None]:
    """File descriptor 2 into ``path``: datatrove's workers (forkserver children) inherit it,
    where replacing ``sys.stderr`` would reach only this process."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with path.open("ab") as fh:
            os.dup2(fh.fileno(), 2)
            try:
                yield
            finally:
                sys.stderr.flush()
                os.dup2(saved, 2)
    finally:
        os.close(saved)


def stages(
    sources: Path | str,
    errata: Path | str,
    out: Path | str,
    *,
    tasks: int,
    buckets: int | None = None,
    output_format: str = "parquet",
) -> Stages:
    """The pipelines writing the records of ``sources`` to ``out/records`` in ``tasks`` shards.

    ``sources`` and ``errata`` must be readable by every task (a shared filesystem on a
    cluster); ``buckets`` (default: ``tasks``) splits the duplicate bookkeeping of stage 2.
    """
    if tasks < 1:
        raise InputError(f"--tasks must be at least 1, got {tasks}")
    if output_format not in FORMATS:
        raise InputError(f"output format {output_format!r}: expected one of {', '.join(FORMATS)}")
    buckets = tasks if buckets is None else buckets
    if buckets < 1:
        raise InputError(f"buckets must be at least 1, got {buckets}")
    root = str(out).rstrip("/")
    return Stages(
        out=root,
        tasks=tasks,
        buckets=buckets,
        shard=[
            ArticleShardReader(sources, errata),
            ShardDuplicates(root, buckets),
            RecordShardWriter(root),
        ],
        firsts=[CrossShardFirsts(root, buckets)],
        mark=[CrossShardDuplicates(root, tasks, output_format)],
    )


def local_executor(plan: Stages, *, workers: int = 1) -> Any:
    """The ``mark`` executor of a local run; its ``run()`` runs ``shard`` and ``firsts`` first."""
    if workers < 1:
        raise InputError(f"--workers must be at least 1, got {workers}")
    start = _start_method()
    shard = LocalPipelineExecutor(
        plan.shard,
        tasks=plan.tasks,
        workers=min(workers, plan.tasks),
        logging_dir=plan.logging_dir("shard"),
        start_method=start,
    )
    firsts = LocalPipelineExecutor(
        plan.firsts,
        tasks=plan.buckets,
        workers=min(workers, plan.buckets),
        logging_dir=plan.logging_dir("firsts"),
        start_method=start,
        depends=shard,
    )
    return LocalPipelineExecutor(
        plan.mark,
        tasks=plan.tasks,
        workers=min(workers, plan.tasks),
        logging_dir=plan.logging_dir("mark"),
        start_method=start,
        depends=firsts,
    )


def run_local(
    sources: Path,
    errata: Path,
    out: Path,
    *,
    tasks: int = 1,
    workers: int = 1,
    buckets: int | None = None,
    output_format: str = "parquet",
    keep_work: bool = False,
    quiet: bool = True,
) -> Stages:
    """Run the three pipelines on this machine into a new (or empty) folder ``out``.

    ``out/work`` is removed after the last stage unless ``keep_work``; ``out/logs`` stays. With
    ``quiet``, datatrove's console log (every task's pipeline and stats) goes to
    ``out/logs/console.log`` instead of stderr; a failing task's error is raised either way.
    """
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(
            f"{out}: exists and is not an empty folder (the datatrove ingest writes a new one)"
        )
    plan = stages(sources, errata, out, tasks=tasks, buckets=buckets, output_format=output_format)
    executor = local_executor(plan, workers=workers)
    if quiet:
        with _stderr_to(out / LOGS / CONSOLE_LOG):
            executor.run()
    else:
        executor.run()
    if not keep_work:
        shutil.rmtree(out / WORK, ignore_errors=True)
    return plan
