"""The computed sections of the dataset card: a registry of functions, one per section.

``dataset_card.md`` places a section with a ``<!-- computed:NAME -->`` marker; ``card.write``
replaces each marker with ``SECTIONS[NAME](context)``. Adding a section is one decorated function
here plus its marker in the template (and a test).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pyarrow.parquet as pq

from chainpolicy import __version__
from chainpolicy.contract.layout import SPLITS, data_path
from chainpolicy.contract.reasons import OUTCOMES, REASONS
from chainpolicy.dataset import examples, licensing
from chainpolicy.dataset.chart import CHART_PATH
from chainpolicy.dataset.configs import CONFIGS, TRAINING_CONFIGS
from chainpolicy.dataset.croissant import CROISSANT_PATH
from chainpolicy.dataset.report import BuildReport
from chainpolicy.evaluation import leaderboard
from chainpolicy.schema import (
    GOLD_STATUSES,
    LABEL_NAMES,
    LABELS,
    REPAIR_KINDS,
    STATUSES,
    TYPE_DESCRIPTIONS,
    TYPE_NAMES,
)

# Where the card is published is known only to `chainpolicy publish --repo-id ORG/NAME`: the
# build writes these and publish replaces them in the copy it uploads (`fill_repository`).
REPO_ID_PLACEHOLDER: Final = "<this repository>"  # the snippets' `load_dataset(...)` argument
UNPUBLISHED_URL: Final = "(not published yet: chainpolicy publish writes the address here)"
HUB_DATASETS: Final = "https://huggingface.co/datasets/"
GUIDELINES_PATH: Final = "guidelines.md"
CITATION_KEY: Final = "chainpolicy_zh"
CITATION_TITLE: Final = (
    "ChainPolicy-ZH: span-annotated Chinese sentences on regional blockchain policy"
)


def repository_url(repo_id: str) -> str:
    return HUB_DATASETS + repo_id


def fill_repository(text: str, repo_id: str) -> str:
    """The card (or any text the build wrote) as published to ``repo_id``: no placeholder left."""
    return text.replace(REPO_ID_PLACEHOLDER, repo_id).replace(
        UNPUBLISHED_URL, repository_url(repo_id)
    )


def placeholders(text: str) -> list[str]:
    """The placeholders still in ``text`` (none in anything publish uploads)."""
    return [p for p in (REPO_ID_PLACEHOLDER, UNPUBLISHED_URL) if p in text]


def citation(version: str = __version__) -> str:
    """The BibTeX entry of this release (its address is filled in on publish)."""
    fields = {
        "title": CITATION_TITLE,
        "author": "{" + licensing.HOLDER + "}",
        "year": str(licensing.FIRST_YEAR),
        "version": version,
        "url": UNPUBLISHED_URL,
        "note": "Dataset built with the chainpolicy package",
    }
    width = max(map(len, fields))
    body = ",\n".join(f"  {k:<{width}} = {{{v}}}" for k, v in fields.items())
    return f"@misc{{{CITATION_KEY},\n{body}\n}}\n"


@dataclass(frozen=True)
class CardContext:
    report: BuildReport
    rows: Mapping[str, Mapping[str, int]]  # rows per config and split
    root: Path  # the dataset folder being written
    leaderboard: Path | None = None  # the leaderboard entries (leaderboard/), if any

    @property
    def splits(self) -> list[str]:
        return list(self.report.splits)


Section = Callable[[CardContext], str]
SECTIONS: dict[str, Section] = {}


def section(name: str) -> Callable[[Section], Section]:
    def register(function: Section) -> Section:
        if name in SECTIONS:
            raise ValueError(f"card section {name!r} registered twice")
        SECTIONS[name] = function
        return function

    return register


def table(header: Sequence[str], body: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in body]
    return "\n".join(lines) + "\n"


def _code_list(names: Sequence[str]) -> str:
    quoted = [f"`{n}`" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


@section("status")
def _status(ctx: CardContext) -> str:
    report = ctx.report
    training = _code_list(TRAINING_CONFIGS)
    if not report.gold_annotations:
        return (
            "**No gold annotations yet.** Every record is marked `not_annotated` (or "
            "`not_annotatable` for boilerplate) and carries an empty `spans` list. An empty "
            "list means *nobody annotated this sentence*, not *there is nothing to mark*. "
            f"The training configs ({training}) hold gold sentences only, so this release "
            "has none of them.\n"
        )
    totals: dict[str, int] = {}
    for split in report.splits.values():
        for key, value in split.status.items():
            totals[key] = totals.get(key, 0) + value
    listed = ", ".join(f"`{k}` {v}" for k, v in sorted(totals.items()))
    review = (
        " `needs_review` means an annotation of it lost results to validation: its gold is "
        "unknown, so it has no spans and is not gold."
        if totals.get("needs_review")
        else ""
    )
    return (
        f"Records by annotation status: {listed}. `annotated_empty` means annotated with "
        "nothing to mark; `not_annotated` means nobody annotated it yet."
        f"{review} In `default` and `zh_hans`, filter on `annotation_status` before training; "
        f"{training} hold gold sentences only (see *Training configs* below).\n"
    )


@section("configs")
def _configs(ctx: CardContext) -> str:
    body = [
        [f"`{c.name}`", c.description, *(ctx.rows.get(c.name, {}).get(s, 0) for s in SPLITS)]
        for c in CONFIGS
        if c.name in ctx.rows
    ]
    return table(["config", "what a record is", *SPLITS], body)


@section("training")
def _training(ctx: CardContext) -> str:
    """Which sentences the training configs leave out, and how many, per split."""
    report = ctx.report
    left_out = [s for s in STATUSES if s not in GOLD_STATUSES]
    training = _code_list(TRAINING_CONFIGS)
    gold = {
        name: sum(split.status.get(s, 0) for s in GOLD_STATUSES)
        for name, split in report.splits.items()
    }
    body = [
        [name, split.records, gold[name], *(split.status.get(s, 0) for s in left_out)]
        for name, split in report.splits.items()
    ]
    total = sum(s.records for s in report.splits.values())
    kept = sum(gold.values())
    out = (
        f"{kept} of the {total} sentences are gold ({_code_list(GOLD_STATUSES)}) and in "
        f"{training}; {total - kept} are left out of them:\n\n"
    )
    out += table(["split", "sentences", "gold (kept)", *left_out], body)
    empty = [name for name, count in gold.items() if count == 0]
    if empty:
        out += (
            f"\nNo gold sentence in {', '.join(empty)}: the training configs have no such "
            "split (datasets cannot load an empty split).\n"
        )
    return out


@section("counts")
def _counts(ctx: CardContext) -> str:
    report, splits = ctx.report, ctx.splits
    statuses = sorted({k for s in report.splits.values() for k in s.status})
    body = [
        [
            name,
            s.articles,
            ", ".join(f"{k} {v}" for k, v in sorted(s.scripts.items())),
            s.records,
            s.characters,
            *(s.status.get(k, 0) for k in statuses),
        ]
        for name, s in report.splits.items()
    ]
    out = table(["split", "articles", "scripts", "records", "characters", *statuses], body)
    spans = [
        [label, *(report.splits[s].spans.get(label, 0) for s in splits)] for label in LABEL_NAMES
    ]
    out += "\nGold spans per label:\n\n" + table(["label", *splits], spans)
    types = [
        [f"{spec.name}/{t}", TYPE_DESCRIPTIONS[t]]
        + [report.splits[s].types.get(f"{spec.name}/{t}", 0) for s in splits]
        for spec in LABELS
        for t in spec.types
    ]
    return out + "\nGold spans per type:\n\n" + table(["type", "meaning", *splits], types)


@section("repairs")
def _repairs(ctx: CardContext) -> str:
    report = ctx.report
    body = [[k, *(report.splits[s].repairs.get(k, 0) for s in ctx.splits)] for k in REPAIR_KINDS]
    return table(["repair", *ctx.splits], body)


@section("agreement")
def _agreement(ctx: CardContext) -> str:
    a = ctx.report.agreement
    if a.sentences == 0:
        return "Not measured yet: no sentence has been annotated by two or more annotators.\n"
    body = [
        [
            r.label,
            r.pairs,
            f"{r.strict_precision:.3f}",
            f"{r.strict_recall:.3f}",
            f"{r.strict_f1:.3f}",
            f"{r.partial_f1:.3f}",
            "n/a" if r.alpha is None else f"{r.alpha:.3f}",
        ]
        for r in a.layers
    ]
    head = (
        f"{a.sentences} sentences ({a.layers[0].characters} characters) were annotated by "
        f"two or more of {a.annotators} annotators.\n\n"
    )
    return head + table(
        ["label", "pairs", "strict P", "strict R", "strict F1", "partial F1", "alpha"], body
    )


@section("chart")
def _chart(_ctx: CardContext) -> str:
    return f"![Gold spans per label and split]({CHART_PATH})\n"


@section("adjudication")
def _adjudication(ctx: CardContext) -> str:
    return table(["method", "records"], [[k, v] for k, v in ctx.report.adjudication.items()])


@section("build")
def _build(ctx: CardContext) -> str:
    report = ctx.report
    exports = [
        [e.file, e.tasks, e.annotations, e.cancelled_annotations, e.results] for e in report.exports
    ]
    out = (
        table(["export", "tasks", "annotations", "cancelled", "results"], exports)
        if exports
        else "No Label Studio export was used.\n"
    )
    out += "\n" + table(
        ["outcome", "results", "meaning"],
        [[k, report.outcomes.get(k, 0), v] for k, v in OUTCOMES.items()],
    )
    if report.quarantine:
        out += "\n" + table(
            ["quarantine reason", "results", "rule"],
            [[k, v, REASONS.get(k, "")] for k, v in report.quarantine.items()],
        )
    return out


@section("leaderboard")
def _leaderboard(ctx: CardContext) -> str:
    """The leaderboard table, scored against this build's gold (``evaluation.leaderboard``)."""
    if not any(
        split.status.get(s, 0) for split in ctx.report.splits.values() for s in GOLD_STATUSES
    ):
        return "Not measured yet: the dataset has no gold annotation.\n"
    if ctx.leaderboard is None or not ctx.leaderboard.is_dir():
        return "No leaderboard entries yet.\n"
    rows, stale = leaderboard.score_entries(ctx.root, ctx.leaderboard, strict=False)
    out = leaderboard.render(ctx.root, rows)
    if stale:
        out += (
            f"\n{len(stale)} entr{'y was' if len(stale) == 1 else 'ies were'} left out: scored "
            f"on another release's gold ({', '.join(stale)}); re-run and resubmit.\n"
        )
    return out


@section("submission_example")
def _submission_example(ctx: CardContext) -> str:
    """Two lines in the submission format: test sentences with the machine pre-annotations
    (a format example, not gold)."""
    path = ctx.root / data_path("machine_preannotations", "test")
    if not path.exists():
        return "```json\n" + '{"id": "<sentence id>", "spans": []}' + "\n```\n"
    lines = []
    for row in pq.read_table(path).to_pylist()[:2]:
        spans = [
            {
                "start": s["start"],
                "end": s["end"],
                "label": LABEL_NAMES[s["label"]],
                "type": None if s["type"] is None else TYPE_NAMES[s["type"]],
                "text": s["text"],
            }
            for s in row["spans"][:3]
        ]
        lines.append(json.dumps({"id": row["id"], "spans": spans}, ensure_ascii=False))
    return "```json\n" + "\n".join(lines) + "\n```\n"


@section("sources")
def _sources(ctx: CardContext) -> str:
    lines = [
        f"- **Repository:** {UNPUBLISHED_URL}",
        f"- **Version:** {__version__} (the `chainpolicy` package that built this folder; a "
        "release is tagged `v<major>.<minor>` in the repository)",
        f"- **Croissant metadata:** [`{CROISSANT_PATH}`]({CROISSANT_PATH}) (MLCommons Croissant "
        "1.1: a record set per config, field types, class names, the sha256 of every file)",
        f"- **Terms:** [`{licensing.LICENSE_PATH}`]({licensing.LICENSE_PATH}) and "
        f"[`{licensing.NOTICE_PATH}`]({licensing.NOTICE_PATH}) (the source articles and "
        "their publishers)",
    ]
    if (ctx.root / GUIDELINES_PATH).is_file():
        lines.append(f"- **Annotation guidelines:** [`{GUIDELINES_PATH}`]({GUIDELINES_PATH})")
    lines.append(
        "- **Source articles:** the `articles` config (authors, source line, the sha256 of "
        "each raw file)"
    )
    return "\n".join(lines) + "\n"


@section("examples")
def _examples(ctx: CardContext) -> str:
    out = []
    for spec in CONFIGS:
        if spec.name not in ctx.rows:
            continue
        found = examples.example(ctx.root, spec.name, spec.features(), ctx.rows[spec.name])
        if found is None:
            continue
        head = f"`{spec.name}`: {found.which} from `{found.split}`"
        labels = f" ({found.labels})" if found.labels else ""
        out.append(f"{head}{labels}:\n\n```json\n{found.text}\n```\n")
    if not out:
        return "No records yet.\n"
    return f"{examples.SHORTENED}\n\n" + "\n".join(out)


@section("citation")
def _citation(_ctx: CardContext) -> str:
    return f"```bibtex\n{citation()}```\n"
