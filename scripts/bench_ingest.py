#!/usr/bin/env python
"""Benchmark the corpus ingest against plain OpenCC t2s on the same text.

Builds a corpus of at least --mb megabytes by repeating the five articles under new ids (errata
copied to every copy), then in the same run measures, each in a fresh child process:
  * ingest: the whole pipeline (errata, mis-decoding repair, glosses, footnotes, roles, script
    view, segmentation, duplicate marking) writing the JSONL records, as `chainpolicy sentences`;
  * ingest-2: the same with two worker processes, as `chainpolicy sentences --jobs 2` (its output
    is compared byte for byte with the one-worker output);
  * floor:  OpenCC t2s over the same raw text, file by file, nothing else;
  * datatrove-1, datatrove-2: the same ingest as datatrove pipelines (chainpolicy.scale, extra
    chainpolicy[scale]) with 1 and 2 tasks (as many workers), writing Parquet shards, as
    `chainpolicy sentences --datatrove OUT --tasks N --workers N`; left out, with a note, when
    datatrove is not installed.
Prints MB/s, wall time and memory of each at two sizes (memory should not grow with input), the
ratio ingest/floor, and the datatrove runs' speed as a fraction of the in-process ingest's.
"cpu s" is the user and system time of the child and its workers: on a machine whose cores are
busy with other work, it shows the cost of a run where wall time cannot show a speed-up.
Memory: "peak RSS" is the largest peak of one process (the child's own, or of a process it
waited for: datatrove's workers); "tree MB" is the largest sum of the PSS of the child and all
its descendants at one moment (sampled every 0.1 s; PSS splits the pages that forked workers
share), what the run needs from the machine.
On a terminal, progress (corpus made, runs done) is shown on stderr.
"""

from __future__ import annotations

import argparse
import filecmp
import hashlib
import importlib.util
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def make_corpus(target: Path, megabytes: float) -> int:
    """Copies of the committed sources under new ids until the raw text reaches ``megabytes``."""
    from chainpolicy.cli_progress import bar

    manifest = json.loads((ROOT / "sources" / "manifest.json").read_text("utf-8"))
    errata = json.loads((ROOT / "annotations" / "errata.json").read_text("utf-8"))
    target.mkdir(parents=True)
    articles, copied_errata, total, copy = [], [], 0, 0
    goal = int(megabytes * 1_000_000)
    with bar(f"making a {megabytes:g} MB corpus", goal, "B") as advance:
        while total < goal:
            for article in manifest["articles"]:
                new_id = hashlib.sha256(f"{article['id']}:{copy}".encode()).hexdigest()[:16]
                name = f"{copy:05d}_{new_id}.txt"
                data = (ROOT / "sources" / article["file"]).read_bytes()
                (target / name).write_bytes(data)
                total += len(data)
                advance(len(data))
                articles.append({**article, "id": new_id, "file": name})
                copied_errata += [
                    {**e, "article": new_id} for e in errata if e["article"] == article["id"]
                ]
            copy += 1
    (target / "manifest.json").write_text(json.dumps({"articles": articles}), "utf-8")
    (target / "errata.json").write_text(json.dumps(copied_errata, ensure_ascii=False), "utf-8")
    return total


def child_ingest(sources: Path, out: Path, jobs: int = 1) -> None:
    # Exactly what `chainpolicy sentences --jobs N --out FILE` runs.
    from chainpolicy.corpus.jsonl import iter_jsonl_articles

    with out.open("wb") as fh:
        for lines in iter_jsonl_articles(sources, sources / "errata.json", jobs_=jobs):
            fh.writelines(lines)


def child_floor(sources: Path, out: Path) -> None:
    import opencc

    converter = opencc.OpenCC("t2s.json")
    manifest = json.loads((sources / "manifest.json").read_text("utf-8"))
    with out.open("w", encoding="utf-8") as fh:
        for article in manifest["articles"]:
            fh.write(converter.convert((sources / article["file"]).read_text("utf-8")))


def child_datatrove(sources: Path, out: Path, tasks: int) -> None:
    # Exactly what `chainpolicy sentences --datatrove OUT --tasks N --workers N` runs.
    from chainpolicy.scale.pipeline import run_local

    shutil.rmtree(out, ignore_errors=True)
    run_local(sources, sources / "errata.json", out, tasks=tasks, workers=tasks)


DATATROVE = {"datatrove-1": 1, "datatrove-2": 2}
INGEST = {"ingest": 1, "ingest-2": 2}  # `chainpolicy sentences --jobs 1 / 2`


def _tree_pss(root: int) -> int:
    """Bytes of memory of ``root`` and all its descendants now: the sum of their PSS (pages
    shared between processes, as after a fork, divided among them; a sum of RSS would count
    them once per process)."""
    parents: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as fh:
                    # the command name may hold spaces: the fields after it start past ")"
                    parents[int(entry.name)] = int(fh.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        children = [c for c, p in parents.items() if p == pid and c not in tree]
        tree.update(children)
        frontier += children
    total = 0
    for pid in tree:
        try:
            with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
                pss = next(line for line in fh if line.startswith(b"Pss:"))
            total += int(pss.split()[1]) * 1024
        except (OSError, IndexError, ValueError, StopIteration):
            continue
    return total


def measure(kind: str, sources: Path, workdir: Path) -> tuple[float, float, float, float]:
    """Wall seconds, peak RSS of one process, peak PSS of the process tree (MB) and CPU seconds
    (user + system, the child's and its workers') of a child."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", kind, str(sources), str(workdir / f"{kind}.out")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    peak_tree = [0]

    def sample() -> None:
        while proc.poll() is None:
            peak_tree[0] = max(peak_tree[0], _tree_pss(proc.pid))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - start
    sampler.join()
    if proc.returncode != 0:
        sys.exit(f"{kind} failed:\n{stderr}")
    own = float(stdout.strip())
    # CPU times of waited-for children add up (unlike their peak RSS): the difference is this
    # child's, its workers' included (each waited for by its parent).
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return wall, own, peak_tree[0] / 2**20, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=100.0, help="corpus size in MB [100]")
    parser.add_argument("--small-mb", type=float, default=25.0, help="size for the memory check")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, sources, out = args.child
        if kind in DATATROVE:
            child_datatrove(Path(sources), Path(out), DATATROVE[kind])
        elif kind in INGEST:
            child_ingest(Path(sources), Path(out), INGEST[kind])
        else:
            child_floor(Path(sources), Path(out))
        # The largest of this process and the processes it waited for (datatrove's workers).
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        waited = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        print(max(own, waited) / 1024)
        return

    from chainpolicy.cli_progress import bar, echo

    kinds = ["floor", "ingest", "ingest-2"]
    if importlib.util.find_spec("datatrove") is None:
        print("datatrove is not installed (pip install -e '.[scale]'): no datatrove runs")
    else:
        kinds += list(DATATROVE)
    workdir = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    try:
        print(
            f"{'size':>8} {'step':>11} {'MB/s':>8} {'wall s':>8} {'cpu s':>7} "
            f"{'peak RSS MB':>12} {'tree MB':>8}"
        )
        results = {}
        identical = True  # --jobs 2 wrote the same bytes as one worker, at every size
        with bar("benchmark runs", 2 * len(kinds), "runs") as runs:
            for megabytes in (args.small_mb, args.mb):
                sources = workdir / f"sources-{megabytes:g}"
                size = make_corpus(sources, megabytes) / 1_000_000
                for kind in kinds:
                    wall, rss, tree, cpu = measure(kind, sources, workdir)
                    runs(1)
                    results[(megabytes, kind)] = (size / wall, rss)
                    if kind == "ingest-2":
                        same = filecmp.cmp(
                            workdir / "ingest.out", workdir / "ingest-2.out", shallow=False
                        )
                        identical = identical and same
                    echo(
                        f"{size:7.1f}M {kind:>11} {size / wall:8.2f} {wall:8.2f} {cpu:7.2f} "
                        f"{rss:12.1f} {tree:8.1f}"
                    )
                shutil.rmtree(sources)
        big_ingest, big_floor = results[(args.mb, "ingest")], results[(args.mb, "floor")]
        small_ingest = results[(args.small_mb, "ingest")]
        print(
            f"throughput ratio ingest/floor at {args.mb:g} MB: {big_ingest[0] / big_floor[0]:.3f}"
        )
        print(
            f"peak RSS ingest {args.small_mb:g} MB -> {args.mb:g} MB: "
            f"{small_ingest[1]:.1f} -> {big_ingest[1]:.1f} MB "
            f"(x{big_ingest[1] / small_ingest[1]:.2f} for x{args.mb / args.small_mb:.0f} input)"
        )
        print(
            f"sentences --jobs 2 at {args.mb:g} MB: "
            f"{results[(args.mb, 'ingest-2')][0] / big_ingest[0]:.3f} of the speed of one "
            f"worker; output {'byte-identical' if identical else 'DIFFERENT'}"
        )
        if "datatrove-1" in kinds:
            one, two = (results[(args.mb, k)][0] / big_ingest[0] for k in DATATROVE)
            print(
                f"datatrove ingest with 1 / 2 tasks at {args.mb:g} MB: "
                f"{one:.3f} / {two:.3f} of the in-process speed"
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
