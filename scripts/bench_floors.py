#!/usr/bin/env python
"""How close pure Python can come to the speed goals: the floors under the build and the ingest.

Measures, in the same run and each in a fresh child process, the references of
``bench_build.py`` and ``bench_ingest.py`` and the parts of the work no build or ingest of this
project can skip, each done alone in its cheapest form:

build (``--tasks`` tasks, the synthetic export of bench_build.py):
  * json_min:  label_studio_sdk.converter's JSON_MIN conversion (the reference)
  * build:     ``chainpolicy build`` as it is today (wall and CPU seconds)
  * floor:     one process doing only, one after the other (each timed inside the child):
               the least the build imports (pyarrow's Parquet writer, pydantic, the two
               readers); the export through the build's own pass-1 reader (every
               task validated by chunked compiled ``validate_json`` calls, nothing else done with
               the tasks); every sentence record validated as the build does; and the build's
               own Parquet output written again with the writer's options and row groups
               (tables read first, untimed).
ingest (``--mb`` MB, the corpus of bench_ingest.py):
  * floor:     plain OpenCC t2s over the raw text (the reference)
  * ingest:    the ingest as ``chainpolicy sentences`` runs it
  * skeleton:  a small part of the ingest's work in its cheapest Python form: read each file,
               list the gloss candidates (the ingest's regex), delete them all (no reading
               check), one OpenCC call per article, cut sentences at end marks (a regex, no
               quote rules), one record per sentence (id, sha1, no provenance) serialised as
               the ingest does. No mojibake repair, errata, footnotes, roles, raw offsets or
               duplicate marking.
The summary says how much of each goal's time budget the floor leaves for everything else.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the two benchmarks it builds on

import bench_build
import bench_ingest

BUILD_GOAL = 3.0  # x the speed of JSON_MIN (issue 11)
INGEST_GOAL = 1 / 3  # of the OpenCC floor's throughput (issue 11)


def child_build_floor(folder: Path) -> dict[str, float]:
    """Seconds of each part of the build's floor, one after the other in this process."""
    start = time.perf_counter()
    # The least any build imports: Arrow's Parquet writer, pydantic and the two readers (the
    # build itself also imports datasets, the card's modules ...: counted as the rest).
    import pyarrow.parquet as pq

    from chainpolicy.dataset.source import JsonlSource
    from chainpolicy.validate.fastread import FastBatch, read_export

    parts = {"imports": time.perf_counter() - start}
    from chainpolicy.corpus.gcpause import quiet_gc

    with quiet_gc():  # as the build runs
        start = time.perf_counter()
        tasks = 0
        for piece in read_export(folder / "exports" / "export.json"):
            tasks += len(piece.tasks) if isinstance(piece, FastBatch) else 1
        parts["validate_json"] = time.perf_counter() - start
        start = time.perf_counter()
        sentences = sum(1 for _ in JsonlSource(folder / "sentences.jsonl").sentences())
        parts["sentences"] = time.perf_counter() - start
    from chainpolicy.dataset import writer

    groups = []
    for path in sorted((folder / "dataset" / "data").glob("*/*.parquet")):
        source = pq.ParquetFile(path)
        groups.append(
            (source.schema_arrow, [source.read_row_group(i) for i in range(source.num_row_groups)])
        )
    out = folder / "floor-parquet"
    out.mkdir()
    start = time.perf_counter()
    for number, (schema, tables) in enumerate(groups):
        with pq.ParquetWriter(out / f"{number}.parquet", schema, **writer._WRITE_OPTIONS) as sink:
            for table in tables:
                sink.write_table(table, row_group_size=max(1, table.num_rows))
    parts["parquet"] = time.perf_counter() - start
    parts["tasks"], parts["sentence_records"] = tasks, sentences
    return parts


# The ingest's gloss pattern (corpus.glosses; a test keeps the two equal), copied so that the
# skeleton does not import pypinyin, which the real check of a reading needs.
_GLOSS = re.compile(r"\(([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ]{1,7})\)")
_SENTENCE = re.compile(r"[^。！？!?\n]*[。！？!?]*\n?")


def child_skeleton(sources: Path, out: Path) -> dict[str, float]:
    import opencc
    from pydantic_core import to_json

    manifest = json.loads((sources / "manifest.json").read_text("utf-8"))
    converter = opencc.OpenCC("t2s.json")
    glosses = records = 0
    with out.open("wb") as fh:
        for article in manifest["articles"]:
            raw = (sources / article["file"]).read_text("utf-8")
            found = [(m.start(), m.end(), m.group(1)) for m in _GLOSS.finditer(raw)]
            glosses += len(found)
            text = _GLOSS.sub("", raw)
            hans = converter.convert(text)
            lines, start = [], 0
            for sentence in _SENTENCE.findall(text):
                if not sentence:
                    continue
                end = start + len(sentence)
                row = {
                    "id": f"{article['id']}-s{records:06d}",
                    "article_id": article["id"],
                    "index": records,
                    "line": 0,
                    "role": "body",
                    "script": "Hans",
                    "text": sentence,
                    "text_hans": hans[start:end],
                    "sep": "",
                    "start": start,
                    "end": end,
                    "raw_start": start,
                    "raw_end": end,
                    "text_sha1": hashlib.sha1(sentence.encode("utf-8")).hexdigest(),
                    "duplicate_of": None,
                    "footnote_anchor": None,
                    "footnote_number": None,
                }
                lines.append(to_json(row) + b"\n")
                start, records = end, records + 1
            fh.writelines(lines)
    return {"glosses": glosses, "records": records}


def measure(kind: str, *args: Path) -> tuple[float, float, dict[str, Any]]:
    """Wall and CPU seconds (user + system) of one child, and the JSON it printed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, __file__, "--child", kind, *map(str, args)],
        capture_output=True,
        check=False,
    )
    wall = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{kind} failed:\n{result.stderr.decode(errors='replace')[-3000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return wall, cpu, json.loads(result.stdout.decode().strip() or "{}")


def _positive(kind: type[int] | type[float]) -> Any:
    """An argparse type: a number above zero (an empty export or corpus has no floor)."""

    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be above 0, not {text}")
        return value

    return parse


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tasks", type=_positive(int), default=200_000, help="tasks in the export")
    parser.add_argument(
        "--mb", type=_positive(float), default=100.0, help="corpus size in MB [100]"
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *paths = args.child
        result: dict[str, Any] = {}
        if kind == "json_min":
            bench_build.child_json_min(Path(paths[0]))
        elif kind == "build":
            bench_build.child_build(Path(paths[0]))
        elif kind == "build-floor":
            result = child_build_floor(Path(paths[0]))
        elif kind == "opencc":
            bench_ingest.child_floor(Path(paths[0]), Path(paths[1]))
        elif kind == "ingest":
            bench_ingest.child_ingest(Path(paths[0]), Path(paths[1]))
        else:
            result = child_skeleton(Path(paths[0]), Path(paths[1]))
        print(json.dumps(result))
        return

    workdir = Path(tempfile.mkdtemp(prefix="bench-floors-"))
    try:
        folder = workdir / "build"
        made = bench_build.make_inputs(folder, args.tasks)
        json_min, _, _ = measure("json_min", folder)
        print(f"json_min {json_min:.2f} s", file=sys.stderr)
        build, build_cpu, _ = measure("build", folder)
        print(f"build {build:.2f} s", file=sys.stderr)
        _, _, floor = measure("build-floor", folder)
        if floor["tasks"] != made["tasks"]:
            sys.exit(f"the floor read {floor['tasks']} tasks of {made['tasks']}")
        shutil.rmtree(folder)
        sources = workdir / "sources"
        size = bench_ingest.make_corpus(sources, args.mb) / 1_000_000
        opencc_s, _, _ = measure("opencc", sources, workdir / "opencc.out")
        print(f"opencc {opencc_s:.2f} s", file=sys.stderr)
        ingest, _, _ = measure("ingest", sources, workdir / "ingest.out")
        print(f"ingest {ingest:.2f} s", file=sys.stderr)
        skeleton, _, skel = measure("skeleton", sources, workdir / "skeleton.out")
        with (workdir / "ingest.out").open("rb") as fh:
            ingest_records = sum(1 for _ in fh)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    parts = ("imports", "validate_json", "sentences", "parquet")
    total = sum(floor[p] for p in parts)
    budget = json_min / BUILD_GOAL
    two_cores = floor["imports"] + (total - floor["imports"]) / 2
    print(
        f"build at {args.tasks} tasks ({made['bytes'] / 1e6:.1f} MB): JSON_MIN {json_min:.2f} s, "
        f"build {build:.2f} s (x{json_min / build:.2f}, {build_cpu:.2f} s of CPU)"
    )
    print(
        "build floor, each part alone, one after the other in one process: "
        + ", ".join(f"{p} {floor[p]:.2f} s" for p in parts)
        + f"; sum {total:.2f} s (x{json_min / total:.2f} of JSON_MIN)"
    )
    print(
        f"goal x{BUILD_GOAL:g}: {budget:.2f} s; on one core the floor leaves "
        f"{budget - total:.2f} s for the rest of the build; on two cores shared perfectly the "
        f"floor takes "
        f"{two_cores:.2f} s, leaving {budget - two_cores:.2f} s of wall ("
        f"{2 * (budget - two_cores):.2f} s of CPU) for the rest, which today costs "
        f"{build_cpu - total:.2f} s of CPU"
    )
    ingest_budget = opencc_s / INGEST_GOAL
    print(
        f"ingest at {size:.1f} MB: OpenCC floor {opencc_s:.2f} s, ingest {ingest:.2f} s "
        f"({opencc_s / ingest:.3f} of the floor, {ingest_records} records), skeleton "
        f"{skeleton:.2f} s ({opencc_s / skeleton:.3f}; {skel['records']} records, "
        f"{skel['glosses']} gloss candidates)"
    )
    print(
        f"goal {INGEST_GOAL:.3f} of the floor: {ingest_budget:.2f} s; the skeleton leaves "
        f"{ingest_budget - skeleton:.2f} s for the rest of the ingest (today it costs "
        f"{ingest - skeleton:.2f} s)"
    )


if __name__ == "__main__":
    main()
