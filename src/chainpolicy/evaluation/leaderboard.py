"""The leaderboard: one folder per system, re-scored against the release's gold, one table.

``leaderboard/<system>/`` holds ``submission.jsonl`` (the official submission format) and
``entry.json`` (``Entry``: name, description, what it was trained on, date, URL, the gold digest
it was scored on, whether it is blind). Every entry is re-scored by the official scorer; an
entry whose submission fails the gate, or whose gold digest is not the current gold's (stale:
scored on another release), is refused. Entries for an *annotator* (``annotator``: a Label
Studio user id) are scored against the gold adjudicated from the other annotators' votes only
(leave one out, from the ``annotations`` config), never against a gold they helped make.

``render`` writes the Markdown table that ``leaderboard/README.md`` and the card's Evaluation
section both show: blind systems ranked by micro strict F1 (with its 95% sentence-bootstrap
interval), macro F1, per-label strict and partial F1; then systems that are not blind, then the
annotator rows; then the paired-bootstrap difference of each ranked system to the next.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from pathlib import Path

import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, ValidationError

from chainpolicy.contract.layout import data_path
from chainpolicy.errors import InputError, describe_validation
from chainpolicy.evaluation import scoring
from chainpolicy.evaluation.submission import GoldSentence, Submission, read
from chainpolicy.schema import LABEL_NAMES, VOTE_STATUSES
from chainpolicy.validate.adjudicate import Vote, adjudicate

ENTRY_FILE = "entry.json"
SUBMISSION_FILE = "submission.jsonl"
README = "README.md"
CONFIG, SPLIT = "default", "test"


class Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: str = Field(min_length=1, max_length=120)
    description: str = Field(min_length=1)
    trained_on: str = Field(min_length=1, description="what the system learnt from or used")
    date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    url: str | None = None
    gold_digest: str = Field(pattern=r"^[0-9a-f]{64}$")
    blind: StrictBool = True  # False: the system saw validation/test gold (a reference only)
    annotator: StrictInt | None = None  # a Label Studio user: scored against the others' gold


@dataclass(frozen=True)
class Row:
    folder: str
    entry: Entry
    score: scoring.Score
    submission: Submission


def load_entry(folder: Path) -> Entry:
    path = folder / ENTRY_FILE
    try:
        entry = Entry.model_validate_json(path.read_bytes())
    except FileNotFoundError:
        raise InputError(f"{path}: missing (every leaderboard folder needs {ENTRY_FILE})") from None
    except ValidationError as exc:
        raise InputError(f"{path}: {describe_validation(exc)}") from None
    date.fromisoformat(entry.date)
    return entry


def entry_folders(root: Path) -> list[Path]:
    if not root.is_dir():
        raise InputError(f"{root}: no leaderboard folder")
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def leave_one_out(dataset: Path, split: str, annotator: int) -> dict[str, GoldSentence]:
    """The sentences of ``split`` with gold adjudicated without ``annotator``'s votes.

    Votes are the annotations that were not superseded (``annotations`` config), with their
    ``updated_at`` as the recency the tie-break uses: the same policy as the build.
    """
    sentences = scoring.load_gold(dataset, CONFIG, split)
    path = dataset / data_path("annotations", split)
    table = pq.read_table(path)
    if "updated_at" not in table.column_names:
        raise InputError(f"{path}: no updated_at column (built by an older chainpolicy); rebuild")
    decode = scoring.SpanDecoder(table.schema)
    votes: dict[str, list[Vote]] = {}
    for row in table.to_pylist():
        status = VOTE_STATUSES[row["vote"]]
        if status == "superseded":
            continue
        stamp = row["updated_at"]
        recency = -1 if stamp is None else int(stamp.timestamp() * 1_000_000)
        spans = decode(row["spans"])
        votes.setdefault(row["sentence_id"], []).append(
            Vote(
                row["annotation_id"],
                row["annotator"],
                row["ground_truth"],
                recency,
                spans,
                status == "counted",
            )
        )
    out: dict[str, GoldSentence] = {}
    for sentence_id, sentence in sentences.items():
        others = [v for v in votes.get(sentence_id, []) if v.annotator != annotator]
        decision = adjudicate(others)
        gold = sentence.gold and decision.method != "none" and not decision.needs_review
        out[sentence_id] = GoldSentence(
            sentence.id,
            sentence.text,
            decision.spans if gold else (),
            gold,
            sentence.script,
            sentence.article_id,
        )
    return out


def score_entries(dataset: Path, root: Path, *, strict: bool = True) -> tuple[list[Row], list[str]]:
    """Every entry, validated and re-scored, and the names of stale ones.

    An invalid entry is always refused (one line); a stale one (scored on another release's gold)
    is refused when ``strict``, else left out and named (the build's card does that, so that a
    release whose gold changed still builds and says which entries must be re-run).
    """
    sentences = scoring.load_gold(dataset, CONFIG, SPLIT)
    digest = scoring.gold_digest(sentences)
    rows, stale = [], []
    for folder in entry_folders(root):
        entry = load_entry(folder)
        if entry.gold_digest != digest and not strict:
            stale.append(folder.name)
            continue
        if entry.gold_digest != digest:
            raise InputError(
                f"{folder / ENTRY_FILE}: stale: scored on gold {entry.gold_digest[:16]}, the "
                f"current {CONFIG}/{SPLIT} gold is {digest[:16]}; re-run the system and update "
                "its submission and gold_digest"
            )
        gold = (
            sentences if entry.annotator is None else leave_one_out(dataset, SPLIT, entry.annotator)
        )
        submission = read(folder / SUBMISSION_FILE, gold)
        rows.append(
            Row(
                folder.name,
                entry,
                scoring.score_submission(gold, submission, CONFIG, SPLIT),
                submission,
            )
        )
    return rows, stale


def _f(value: float) -> str:
    return f"{value:.3f}"


def _ranked(rows: Sequence[Row]) -> list[Row]:
    return sorted(rows, key=lambda r: (-r.score.micro_strict_f1, r.entry.name))


def _table(rows: Sequence[Row], numbered: bool) -> list[str]:
    header = ["#"] if numbered else []
    header += ["system", "micro strict F1 [95% CI]", "macro strict F1", "micro partial F1"]
    header += [f"{label} strict / partial" for label in LABEL_NAMES]
    header += ["trained on", "date"]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    for rank, row in enumerate(rows, 1):
        s = row.score
        ci = s.intervals["sentences"]["micro_strict_f1"]
        name = f"[{row.entry.name}]({row.entry.url})" if row.entry.url else row.entry.name
        cells = [str(rank)] if numbered else []
        cells += [name, f"{_f(s.micro_strict_f1)} [{_f(ci.low)}, {_f(ci.high)}]"]
        cells += [_f(s.macro_strict_f1), _f(s.micro_partial_f1)]
        cells += [f"{_f(label.strict_f1)} / {_f(label.partial_f1)}" for label in s.labels]
        cells += [row.entry.trained_on, row.entry.date]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return lines


def render(dataset: Path, rows: Sequence[Row]) -> str:
    """The leaderboard as Markdown (deterministic: the same entries give the same bytes)."""
    sentences = scoring.load_gold(dataset, CONFIG, SPLIT)
    digest = scoring.gold_digest(sentences)
    blind = _ranked([r for r in rows if r.entry.blind and r.entry.annotator is None])
    seen = _ranked([r for r in rows if not r.entry.blind and r.entry.annotator is None])
    annotators = _ranked([r for r in rows if r.entry.annotator is not None])
    n = sum(s.gold for s in sentences.values())
    lines = [
        f"Scored with `chainpolicy score` on the {n} gold sentences of `{CONFIG}`/`{SPLIT}` "
        f"(gold digest `{digest[:16]}`). Intervals: 95% bootstrap over sentences "
        f"({scoring.bootstrap.RESAMPLES} resamples, seed {scoring.bootstrap.SEED}).",
        "",
        "**Blind systems** (learnt from train, tuned on validation; ranked by micro strict F1):",
        "",
        *_table(blind, numbered=True),
    ]
    if seen:
        lines += [
            "",
            "**Not blind** (reference only: built with knowledge of validation/test text):",
            "",
            *_table(seen, numbered=False),
        ]
    if annotators:
        lines += [
            "",
            "**Annotators** (each scored against the gold adjudicated from the *other* "
            "annotators' votes, leave one out; not comparable with the rows above, whose gold "
            "these annotators made):",
            "",
            *_table(annotators, numbered=False),
        ]
    if len(blind) > 1:
        lines += [
            "",
            "Is each ranked system better than the next? Paired bootstrap of the micro strict F1 "
            "difference (same resamples of the same gold; sentences, then whole articles):",
            "",
            "| systems | difference [95% CI], sentences | p | difference [95% CI], articles | p |",
            "| --- | --- | --- | --- | --- |",
        ]
        for upper, lower in pairwise(blind):
            cells = [f"{upper.entry.name} vs {lower.entry.name}"]
            for unit in ("sentences", "articles"):
                c = scoring.compare(sentences, upper.submission, lower.submission, unit=unit)
                cells += [
                    f"{_f(c.difference)} [{_f(c.interval.low)}, {_f(c.interval.high)}]",
                    f"{c.p_value:.3f}",
                ]
            lines.append("| " + " | ".join(cells) + " |")
        articles = len({s.article_id for s in sentences.values() if s.gold})
        lines += [
            "",
            f"The test split holds {articles} article(s): resampling whole articles can only "
            "produce a few distinct resamples, so the article intervals understate the "
            "uncertainty rather than measure it; read the sentence intervals, and treat every "
            "interval as a lower bound on the real uncertainty.",
        ]
    return "\n".join(lines) + "\n"


def readme(dataset: Path, root: Path) -> str:
    rows, _ = score_entries(dataset, root)
    return (
        "# Leaderboard\n\n"
        "Generated by `chainpolicy leaderboard` from the entries in this folder; do not edit. "
        "How to submit: see the dataset card's Evaluation section.\n\n" + render(dataset, rows)
    )


_SAFE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def check_folder_name(name: str) -> None:
    if not _SAFE.match(name):
        raise InputError(
            f"leaderboard entry folder {name!r}: use lowercase letters, digits, - and _"
        )


def entry_json(entry: Entry) -> str:
    return json.dumps(entry.model_dump(), ensure_ascii=False, indent=2) + "\n"


def gold_digest_of(dataset: Path) -> str:
    return scoring.gold_digest(scoring.load_gold(dataset, CONFIG, SPLIT))


def statuses(dataset: Path) -> Mapping[str, int]:
    sentences = scoring.load_gold(dataset, CONFIG, SPLIT)
    return {"sentences": len(sentences), "gold": sum(s.gold for s in sentences.values())}
