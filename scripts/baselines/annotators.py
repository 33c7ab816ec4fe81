#!/usr/bin/env python
"""Annotator rows: each annotator's pass scored against the gold of the *other* annotators.

The gold annotations of this release are three passes by language-model annotator sessions
(``annotations/passes/README.md``: one underlying model, guidelines v1, no session saw
another's output). For each annotator A, and for each split asked for:

- A's spans are its vote in the ``annotations`` config (the annotation as entered into Label
  Studio and validated by the build; ``annotator`` is the Label Studio user id);
- the leave-one-out gold is recomputed per sentence by the project's adjudication policy
  (``chainpolicy.validate.adjudicate.adjudicate``) from the other annotators' votes only: votes
  ``counted`` in the config are complete votes, ``incomplete`` ones are incomplete votes (the
  policy then gives the sentence no gold), ``superseded`` ones are not votes. Recency, which
  breaks ties, is the annotation's ``updated_at`` in the Label Studio exports
  (``annotations/exports``); without an export, the annotation id orders them, as
  ``adjudicate`` does on equal recency.
- A's spans are scored against that gold with the official matching
  (``chainpolicy.evaluation.scoring.score_submission``).

With two remaining votes the policy keeps a span both marked, and a span one of them marked
when it is in the more recent annotation (the tie-break), so the leave-one-out gold is the
more recent of the other two passes, span for span. The metadata says which pass that is, and
also gives A's score against each other annotator alone.

Which Label Studio user is which pass (annotator-a/b/c) is read off the pass files, not
assumed: the pass whose span texts agree with the user's annotations on most sentences.
A sanity check recomputes the gold from all votes and compares it with the dataset's gold.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from baselines_common import (
    EVAL_SPLITS,
    Sentence,
    Span,
    data_summary,
    features_of,
    gold_table,
    load_split,
    metadata_path,
    read_rows,
    resolve,
    score_line,
    score_summary,
    span_label_names,
    span_type_names,
    spans_of,
    versions,
    write_submission,
    write_text,
)

from chainpolicy.evaluation.scoring import score_submission
from chainpolicy.evaluation.submission import Submission
from chainpolicy.paths import annotations_dir, dataset_dir
from chainpolicy.records import Span as ScoredSpan
from chainpolicy.schema import TYPE_NAMES
from chainpolicy.validate.adjudicate import Vote, adjudicate

TYPES = TYPE_NAMES


@dataclass(frozen=True)
class Annotation:
    sentence_id: str
    annotation_id: int
    annotator: int
    ground_truth: bool
    vote: str  # counted | superseded | incomplete
    spans: tuple[Span, ...]


def load_annotations(dataset: Path, split: str) -> list[Annotation]:
    features = features_of(dataset, "annotations", split)
    votes, labels = features["vote"].names, span_label_names(features)
    types = span_type_names(features)
    out = []
    for row in read_rows(dataset, "annotations", split):
        spans = spans_of(row["spans"], labels, types)
        out.append(
            Annotation(
                row["sentence_id"],
                row["annotation_id"],
                row["annotator"],
                row["ground_truth"],
                votes[row["vote"]],
                spans,
            )
        )
    return out


def export_recency(exports: Path | None) -> dict[int, int]:
    """annotation id -> microseconds since the epoch of its ``updated_at`` (else created_at)."""
    out: dict[int, int] = {}
    if exports is None or not exports.is_dir():
        return out
    for path in sorted(exports.glob("*.json")):
        for task in json.loads(path.read_text(encoding="utf-8")):
            for annotation in task.get("annotations", []):
                stamp = annotation.get("updated_at") or annotation.get("created_at")
                if not stamp:
                    continue
                moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
                if moment.tzinfo is None:  # the build reads stamps without offset as UTC
                    moment = moment.replace(tzinfo=UTC)
                micros = int(moment.timestamp() * 1_000_000)
                out[annotation["id"]] = max(micros, out.get(annotation["id"], -1))
    return out


def votes_of(
    annotations: Iterable[Annotation], recency: Mapping[int, int]
) -> dict[str, list[Vote]]:
    """sentence id -> its votes (superseded annotations are no votes)."""
    out: dict[str, list[Vote]] = defaultdict(list)
    for a in annotations:
        if a.vote == "superseded":
            continue
        out[a.sentence_id].append(
            Vote(
                annotation_id=a.annotation_id,
                annotator=a.annotator,
                ground_truth=a.ground_truth,
                recency=recency.get(a.annotation_id, -1),
                spans=tuple(ScoredSpan(*s) for s in a.spans),
                complete=a.vote == "counted",
            )
        )
    return out


def gold_without(
    votes: Mapping[str, Sequence[Vote]], excluded: int | None
) -> dict[str, tuple[Span, ...]]:
    """sentence id -> gold adjudicated from the votes of everyone but ``excluded``; sentences
    the others leave without gold (no vote, or needs review) are absent."""
    out = {}
    for sentence_id, sentence_votes in votes.items():
        others = [v for v in sentence_votes if v.annotator != excluded]
        decision = adjudicate(others)
        if decision.method == "none" or decision.needs_review:
            continue
        out[sentence_id] = tuple(Span(s.start, s.end, s.label, s.type) for s in decision.spans)
    return out


def most_recent_other(votes: Mapping[str, Sequence[Vote]], excluded: int) -> dict[int, int]:
    """How often each other annotator's vote is the most recent one (the tie-breaker)."""
    counts: dict[int, int] = defaultdict(int)
    for sentence_votes in votes.values():
        others = [v for v in sentence_votes if v.annotator != excluded]
        if others:
            latest = max(others, key=lambda v: v.order)
            if latest.annotator is not None:
                counts[latest.annotator] += 1
    return dict(counts)


def pass_names(
    annotations: Iterable[Annotation], texts: Mapping[str, str], passes: Path
) -> dict[int, str]:
    """Label Studio user id -> pass file stem: the pass whose span set (text, label, type)
    equals the user's on the most sentences."""
    by_pass: dict[str, dict[str, set[tuple[str, str, str | None]]]] = {}
    for path in sorted(passes.glob("annotator-*.jsonl")) if passes.is_dir() else []:
        items = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                items[item["id"]] = {
                    (s["text"], s["label"], s.get("type")) for s in item.get("spans", [])
                }
        by_pass[path.stem] = items
    agree: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for a in annotations:
        text = texts.get(a.sentence_id, "")
        mine = {(text[s.start : s.end], s.label, s.type) for s in a.spans}
        for name, items in by_pass.items():
            if items.get(a.sentence_id) == mine:
                agree[a.annotator][name] += 1
    return {
        user: max(sorted(counts), key=lambda n: counts[n])
        for user, counts in agree.items()
        if counts
    }


def display_name(user: int, passes: Mapping[int, str]) -> tuple[str, str]:
    stem = passes.get(user)
    if stem and stem.startswith("annotator-"):
        letter = stem.removeprefix("annotator-").upper()
        return stem, f"language-model annotator {letter} (one pass, guidelines v1)"
    return f"user-{user}", f"language-model annotator, Label Studio user {user} (one pass)"


def _gold_lines(
    sentences: Sequence[Sentence], gold: Mapping[str, Sequence[Span]], voters: Mapping[str, Any]
) -> str:
    lines = []
    for s in sentences:
        if s.id in gold:
            item = {
                "id": s.id,
                "spans": [
                    {"start": g.start, "end": g.end, "label": g.label, "type": g.type}
                    for g in gold[s.id]
                ],
                "adjudicated_from": voters[s.id],
            }
            lines.append(json.dumps(item, ensure_ascii=False) + "\n")
    return "".join(lines)


def as_gold_sentences(sentences: Sequence[Sentence], gold: Mapping[str, Sequence[Span]]) -> list:
    return [
        Sentence(s.id, s.text, tuple(gold[s.id]), True, s.article_id, s.script, s.role)
        for s in sentences
        if s.id in gold
    ]


def score_against(
    sentences: Sequence[Sentence],
    gold: Mapping[str, Sequence[Span]],
    predicted: Mapping[str, Sequence[Span]],
    split: str,
) -> Any:
    table = gold_table(as_gold_sentences(sentences, gold))
    pred = {sid: [ScoredSpan(*s) for s in spans] for sid, spans in predicted.items()}
    return score_submission(table, Submission(spans=pred), "default", split, resamples=0)


def evaluate(
    dataset: Path, split: str, recency: Mapping[int, int], passes: Path
) -> tuple[list[Sentence], list[Annotation], dict[str, Any]]:
    sentences = load_split(split, dataset=dataset)
    annotations = load_annotations(dataset, split)
    votes = votes_of(annotations, recency)
    full = gold_without(votes, None)
    official = {s.id: s.spans for s in sentences if s.gold}
    check = {
        "dataset_gold_sentences": len(official),
        "recomputed_gold_sentences": len(full),
        "identical": sum(
            tuple(sorted(full.get(i, ()))) == tuple(sorted(v)) for i, v in official.items()
        ),
    }
    return (
        sentences,
        annotations,
        {
            "votes": votes,
            "check": check,
            "names": pass_names(annotations, {s.id: s.text for s in sentences}, passes),
        },
    )


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    started = time.perf_counter()
    dataset = (args.dataset or dataset_dir()).resolve()
    recency = export_recency(args.exports)
    per_split = {}
    for split in EVAL_SPLITS:
        sentences, annotations, info = evaluate(dataset, split, recency, args.passes)
        per_split[split] = (sentences, annotations, info)
        print(
            f"{split}: recomputed gold from all votes matches the dataset on "
            f"{info['check']['identical']}/{info['check']['dataset_gold_sentences']} sentences"
        )
    names = per_split["test"][2]["names"] or per_split["validation"][2]["names"]
    users = sorted({a.annotator for _, anns, _ in per_split.values() for a in anns})
    written = []
    for user in users:
        stem, title = display_name(user, names)
        meta: dict[str, Any] = {
            "system": f"annotator-loo-{stem}",
            "name": title,
            "description": (
                "One annotation pass by a language-model annotator session (guidelines v1), "
                "scored against the gold adjudicated from the other annotators' votes only "
                "(leave-one-out, chainpolicy.validate.adjudicate). Not a human row."
            ),
            "trained_on": "nothing (an annotation pass made without seeing the dataset's gold)",
            "tuned_on": "nothing",
            "label_studio_user": user,
            "pass_file": f"annotations/passes/{stem}.jsonl" if stem in names.values() else None,
            "config": "default",
            "split": args.split,
            "seed": args.seed,
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "libraries": versions(),
            "scores": {},
            "against_each_other_annotator": {},
            "leave_one_out_gold": {},
            "sanity_check": {},
        }
        for split, (sentences, annotations, info) in per_split.items():
            votes = info["votes"]
            mine = {
                a.sentence_id: list(a.spans)
                for a in annotations
                if a.annotator == user and a.vote == "counted"
            }
            for sid, spans in mine.items():  # an annotator's pass goes out as it is, or not
                if resolve(spans) != sorted(spans):
                    raise SystemExit(f"error: annotator {user}, {sid}: spans are not clean")
            gold = gold_without(votes, user)
            voters = {
                sid: sorted(v.annotator for v in vs if v.annotator != user and v.annotator)
                for sid, vs in votes.items()
            }
            result = score_against(sentences, gold, mine, split)
            meta["scores"][split] = score_summary(result)
            meta["leave_one_out_gold"][split] = {
                "sentences": len(gold),
                "tie_breaker_counts": {
                    display_name(u, names)[0]: n for u, n in most_recent_other(votes, user).items()
                },
            }
            meta["sanity_check"][split] = info["check"]
            for other in users:
                if other == user:
                    continue
                theirs = gold_without(
                    {sid: [v for v in vs if v.annotator == other] for sid, vs in votes.items()},
                    None,
                )
                meta["against_each_other_annotator"].setdefault(split, {})[
                    display_name(other, names)[0]
                ] = score_against(sentences, theirs, mine, split).micro_strict_f1
            print(f"{title}  " + score_line(result))
            if split == args.split:
                folder = args.out / stem
                submission = folder / "submission.jsonl"
                write_submission(submission, sentences, mine)  # clean: checked above
                write_text(folder / "loo-gold.jsonl", _gold_lines(sentences, gold, voters))
                meta["submission"] = str(submission)
                meta["leave_one_out_gold_file"] = str(folder / "loo-gold.jsonl")
                meta["data"] = data_summary({split: sentences})
        meta["run_seconds"] = round(time.perf_counter() - started, 2)
        write_text(
            metadata_path(Path(meta["submission"])),
            json.dumps(meta, ensure_ascii=False, indent=2) + "\n",
        )
        written.append(meta)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out",
        type=Path,
        required=True,
        help="a folder: <out>/<annotator>/submission.jsonl, loo-gold.jsonl, submission.meta.json",
    )
    parser.add_argument("--split", choices=EVAL_SPLITS, default="test")
    parser.add_argument("--seed", type=int, default=13, help="recorded only (nothing is random)")
    parser.add_argument("--dataset", type=Path, default=None)
    parser.add_argument("--exports", type=Path, default=annotations_dir() / "exports")
    parser.add_argument("--passes", type=Path, default=annotations_dir() / "passes")
    run(parser.parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
