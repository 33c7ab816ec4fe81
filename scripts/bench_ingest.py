#!/usr/bin/env python
"""Benchmark the corpus ingest against plain OpenCC t2s on the same text.

Builds a corpus of at least --mb megabytes by repeating the five articles under new ids (errata
copied to every copy), then in the same run measures, each in a fresh child process:
  * ingest: the whole pipeline (errata, mis-decoding repair, glosses, footnotes, roles, script
    view, segmentation, duplicate marking) writing the JSONL records, as `chainpolicy sentences`;
  * floor:  OpenCC t2s over the same raw text, file by file, nothing else.
Prints MB/s for both, their ratio and peak RSS, at two sizes (memory should not grow with input).
On a terminal, progress (corpus made, runs done) is shown on stderr.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import shutil
import subprocess
import sys
import tempfile
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


def measure(kind: str, sources: Path, workdir: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one child process."""
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(sources), str(workdir / f"{kind}.out")],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{kind} failed:\n{proc.stderr}")
    return wall, float(proc.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=100.0, help="corpus size in MB [100]")
    parser.add_argument("--small-mb", type=float, default=25.0, help="size for the memory check")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, sources, out = args.child
        (child_ingest if kind == "ingest" else child_floor)(Path(sources), Path(out))
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        return

    from chainpolicy.cli_progress import bar, echo

    workdir = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    try:
        print(f"{'size':>8} {'step':>7} {'MB/s':>8} {'wall s':>8} {'peak RSS MB':>12}")
        results = {}
        with bar("benchmark runs", 4, "runs") as runs:
            for megabytes in (args.small_mb, args.mb):
                sources = workdir / f"sources-{megabytes:g}"
                size = make_corpus(sources, megabytes) / 1_000_000
                for kind in ("floor", "ingest"):
                    wall, rss = measure(kind, sources, workdir)
                    runs(1)
                    results[(megabytes, kind)] = (size / wall, rss)
                    echo(f"{size:7.1f}M {kind:>7} {size / wall:8.2f} {wall:8.2f} {rss:12.1f}")
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
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
