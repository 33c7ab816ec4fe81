#!/usr/bin/env python
"""Turn the outputs of ``run_all.py`` into leaderboard entries (``leaderboard/<system>/``).

For each system: ``submission.jsonl`` (copied as it is) and ``entry.json`` (name, description,
what it was trained on, the date of the run, and the digest of the gold the submission was made
for). Also writes the entry of the machine pre-annotator (the ``machine_preannotations`` config,
marked not blind: its hand lists were written by people who had read the whole corpus). Then run
``chainpolicy leaderboard`` to re-score the entries and regenerate ``leaderboard/README.md``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from chainpolicy.contract.layout import data_path
from chainpolicy.evaluation.leaderboard import (
    ENTRY_FILE,
    SUBMISSION_FILE,
    Entry,
    check_folder_name,
    entry_json,
    gold_digest_of,
)
from chainpolicy.paths import dataset_dir, repo_root


def _entry(meta: dict[str, object], digest: str, **extra: object) -> Entry:
    return Entry(
        name=str(meta["name"]),
        description=str(meta["description"]),
        trained_on=f"{meta['trained_on']}; tuned on {meta.get('tuned_on') or 'nothing'}",
        date=str(meta["date"])[:10],
        url=None,
        gold_digest=digest,
        **extra,  # type: ignore[arg-type]
    )


def _write(folder: Path, entry: Entry, submission: Path | None, lines: list[str] | None) -> None:
    check_folder_name(folder.name)
    folder.mkdir(parents=True, exist_ok=True)
    if submission is not None:
        shutil.copyfile(submission, folder / SUBMISSION_FILE)
    else:
        (folder / SUBMISSION_FILE).write_text("".join(lines or []), encoding="utf-8")
    (folder / ENTRY_FILE).write_text(entry_json(entry), encoding="utf-8")
    print(f"wrote {folder}")


def _machine_lines(dataset: Path) -> list[str]:
    import pyarrow.parquet as pq
    from datasets import Features

    table = pq.read_table(dataset / data_path("machine_preannotations", "test"))
    features = Features.from_arrow_schema(table.schema)
    names = features["spans"].feature["label"].names
    types = features["spans"].feature["type"].names
    lines = []
    for row in table.to_pylist():
        spans = [
            {
                "start": s["start"],
                "end": s["end"],
                "label": names[s["label"]],
                "type": None if s["type"] is None else types[s["type"]],
            }
            for s in row["spans"]
        ]
        lines.append(json.dumps({"id": row["id"], "spans": spans}, ensure_ascii=False) + "\n")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=Path, required=True, help="the --out folder of run_all.py")
    parser.add_argument("--leaderboard", type=Path, default=repo_root() / "leaderboard")
    parser.add_argument("--dataset", type=Path, default=dataset_dir())
    parser.add_argument("--date", required=True, help="date of the machine pre-annotator entry")
    args = parser.parse_args(argv)
    digest = gold_digest_of(args.dataset)
    for meta_file in sorted(args.runs.glob("*/submission.meta.json")):
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        if meta.get("split") != "test":
            continue
        _write(
            args.leaderboard / str(meta["system"]),
            _entry(meta, digest),
            meta_file.with_name(SUBMISSION_FILE),
            None,
        )
    for meta_file in sorted(args.runs.glob("annotators/*/submission.meta.json")):
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        entry = _entry(meta, digest, annotator=int(meta["label_studio_user"]))
        _write(
            args.leaderboard / str(meta["system"]),
            entry,
            meta_file.with_name(SUBMISSION_FILE),
            None,
        )
    machine = Entry(
        name="machine pre-annotator (chainpolicy-prelabel-1.1)",
        description=(
            "The rule-based pre-annotator whose predictions annotators saw in Label Studio "
            "(figures, 《》 titles, organisation suffixes, a place gazetteer, a figure-backed "
            "claim heuristic). Not blind: its hand lists were written with the whole corpus in "
            "view and hold names that occur as gold only in test."
        ),
        trained_on="hand-written rules and lists (the whole corpus in view)",
        date=args.date,
        url=None,
        gold_digest=digest,
        blind=False,
    )
    _write(args.leaderboard / "machine-preannotator", machine, None, _machine_lines(args.dataset))
    return 0


if __name__ == "__main__":
    sys.exit(main())
