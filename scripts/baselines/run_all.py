#!/usr/bin/env python
"""Run every baseline into one folder and print the table of their scores.

Each baseline runs as its own process (``python scripts/baselines/<script>.py``), exactly as a
user would run it, writing ``<out>/<system>/submission.jsonl`` and its ``.meta.json``; the
annotator rows go to ``<out>/annotators/<annotator>/``. The table (Markdown) is built from the
metadata files: validation and test micro strict F1, per-label strict F1 and run time.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SYSTEMS: tuple[tuple[str, str], ...] = (
    ("rules", "rules.py"),
    ("crf", "crf.py"),
    ("bilstm-crf", "bilstm_crf.py"),
    ("jieba", "lexical.py"),
)
LABELS = ("entity", "figure", "claim")


def row(meta: dict[str, Any], seconds: float | None) -> str:
    cells = [meta["name"]]
    for split in ("validation", "test"):
        result = meta["scores"][split]
        cells.append(f"{result['micro_strict_f1']:.3f}")
        cells += [f"{result['strict_f1'][label]:.3f}" for label in LABELS]
    cells.append(f"{seconds:.0f} s" if seconds is not None else "")
    return "| " + " | ".join(cells) + " |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for every submission")
    parser.add_argument("--split", choices=("validation", "test"), default="test")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--only", nargs="*", default=None, help="systems to run (default: all)")
    args = parser.parse_args(argv)
    common = ["--split", args.split, "--seed", str(args.seed)]
    lines = [
        "| system | val micro | val entity | val figure | val claim "
        "| test micro | test entity | test figure | test claim | run time |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, script in SYSTEMS:
        if args.only and name not in args.only:
            continue
        out = args.out / name / "submission.jsonl"
        started = time.perf_counter()
        command = [sys.executable, str(HERE / script), "--out", str(out), *common]
        subprocess.run(command, check=True)
        seconds = time.perf_counter() - started
        meta = json.loads(out.with_name("submission.meta.json").read_text(encoding="utf-8"))
        lines.append(row(meta, seconds))
    if not args.only or "annotators" in args.only:
        folder = args.out / "annotators"
        started = time.perf_counter()
        command = [sys.executable, str(HERE / "annotators.py"), "--out", str(folder), *common]
        subprocess.run(command, check=True)
        seconds = time.perf_counter() - started
        for meta_file in sorted(folder.glob("*/submission.meta.json")):
            lines.append(row(json.loads(meta_file.read_text(encoding="utf-8")), seconds))
    table = "\n".join(lines) + "\n"
    (args.out / "table.md").write_text(table, encoding="utf-8")
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
