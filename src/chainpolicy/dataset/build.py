"""``chainpolicy build``: sentence records + Label Studio exports -> the dataset folder.

The build only orchestrates: pass 1 (``validate.collect``) streams every export, validates every
result and stores the valid annotations in a scratch SQLite file; pass 2 streams the sentence
records in corpus order, takes each sentence's decision (``validate.decide``), settles its
outcomes in the ledger and hands it to the row writer (``dataset.rowwriter``); then the report
and the card, the terms (``LICENSE``, ``NOTICE``) and the Croissant file. The dataset folder and
its report folder are staged beside their targets and swapped in together (``dirswap``): a
malformed export, a ``--strict`` failure or a killed build leaves the previous folders as they
were.

Progress is reported through ``progress`` (the CLI passes progress bars on a terminal, nothing
otherwise): pass 1 per task read, pass 2 per sentence.
"""

from __future__ import annotations

import gc
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from chainpolicy import atomic, dirswap
from chainpolicy.dataset import card, croissant, licensing, splits
from chainpolicy.dataset.report import BuildReport, summary
from chainpolicy.dataset.rowwriter import RowWriter
from chainpolicy.dataset.source import RecordSource
from chainpolicy.dataset.tally import Tally
from chainpolicy.errors import ChainpolicyError, InputError
from chainpolicy.evaluation.agreement import Agreement, AgreementReport
from chainpolicy.records import SentenceRecord
from chainpolicy.validate.collect import collect
from chainpolicy.validate.decide import SentenceDecision, decide, excluded
from chainpolicy.validate.index import SentenceIndex, text_digest
from chainpolicy.validate.ledger import Ledger
from chainpolicy.validate.store import AnnotationStore, StoredAnnotation

REPORT_JSON = "build_report.json"
REPORT_MD = "build_report.md"
QUARANTINE_JSONL = "quarantine.jsonl"
GUIDELINES = "guidelines.md"

# (what, total or None, unit) -> a context whose value advances the bar by n.
Progress = Callable[[str, int | None, str], AbstractContextManager[Callable[[int], None]]]


def no_progress(
    _what: str, _total: int | None, _unit: str
) -> AbstractContextManager[Callable[[int], None]]:
    return nullcontext(_ignore)


def _ignore(_n: int) -> None:
    pass


def find_exports(folder: Path, *, allow_none: bool = False) -> list[Path]:
    """Every ``*.json`` export in the folder, by name.

    A missing folder is an error, and so is a folder without any export unless ``allow_none``:
    a typo in ``--exports`` must not publish a release without its gold.
    """
    if not folder.exists():
        raise InputError(f"{folder}: no such folder of Label Studio exports")
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder of Label Studio exports")
    found = sorted(p for p in folder.iterdir() if p.suffix == ".json" and p.is_file())
    if not found and not allow_none:
        raise InputError(
            f"{folder}: no Label Studio export (*.json) in this folder; pull one with "
            "`chainpolicy ls pull`, or pass --no-exports to build a release without annotations"
        )
    return found


@dataclass
class BuildInputs:
    source: RecordSource
    exports: list[Path]
    splits_file: Path
    card_template: Path
    guidelines: Path | None = None  # copied into the folder so the card can point to it
    leaderboard: Path | None = None  # entries the card's Evaluation section scores and shows


@dataclass
class BuildResult:
    report: BuildReport
    summary: str  # the full Markdown summary (also build_report.md)
    out: Path | None  # None when --strict refused to publish
    report_dir: Path
    recovered: list[str] = field(default_factory=list)  # what was left by killed builds

    @property
    def brief(self) -> str:
        return brief(self.report, self.report_dir)


def brief(report: BuildReport, report_dir: Path) -> str:
    """The few lines the build prints by default; the full summary is in the report folder."""
    outcomes = ", ".join(f"{k} {v}" for k, v in report.outcomes.items() if v)
    quarantine = ", ".join(f"{k} {v}" for k, v in sorted(report.quarantine.items()))
    records = ", ".join(f"{name} {split.records}" for name, split in report.splits.items())
    lines = [
        f"gold annotations: {'yes' if report.gold_annotations else 'none yet'}",
        f"results: {report.results_read} read from {len(report.exports)} export(s)"
        + (f": {outcomes}" if outcomes else ""),
        f"quarantined: {report.quarantined}"
        + (f" ({quarantine}; see {report_dir / QUARANTINE_JSONL})" if quarantine else ""),
        f"records: {records} ({report.sentences} sentences, {report.articles} articles)",
        f"full report: {report_dir / REPORT_MD} (--verbose prints it)",
    ]
    return "\n".join(lines) + "\n"


class StrictFailure(ChainpolicyError):
    """--strict and something was quarantined: the dataset folder was left as it was."""


def build(
    inputs: BuildInputs,
    out: Path,
    report_dir: Path,
    *,
    strict: bool = False,
    progress: Progress = no_progress,
    jobs: int = 1,
) -> BuildResult:
    """Write the dataset folder ``out`` and its report folder ``report_dir``, swapped in together.

    Both targets must be new, empty, or made by an earlier build (``dirswap.check_target``); what
    a killed build left beside them is recovered first. ``jobs``: processes reading each big
    export in pass 1 (``validate.parallel``; the output does not depend on it).
    """
    with dirswap.lock(out), dirswap.lock(report_dir), _quiet_gc():
        recovered = dirswap.recover(out) + dirswap.recover(report_dir)
        dirswap.check_target(out, "dataset")
        dirswap.check_target(report_dir, "report")
        try:
            result = _build(inputs, out, report_dir, strict, progress, jobs)
        except sqlite3.Error as exc:
            # The scratch store lives beside the output; its errors name no file.
            raise ChainpolicyError(
                f"{out}: the build's scratch database in {out.parent} failed: {exc}; "
                "nothing was replaced"
            ) from None
        except OSError as exc:
            if exc.filename:
                raise
            raise ChainpolicyError(
                f"{out}: writing the build failed: {exc.strerror or exc}; nothing was replaced"
            ) from None
        result.recovered = recovered
        return result


@contextmanager
def _quiet_gc() -> Iterator[None]:
    # The build allocates millions of short-lived objects while holding a large index; the
    # cyclic collector would rescan the index again and again. Nothing here makes cycles.
    gc.collect()
    gc.freeze()
    threshold = gc.get_threshold()
    gc.set_threshold(100_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def refused_report_dir(report_dir: Path) -> Path:
    """Where the report of a build that --strict refused goes (the real report stays as it is)."""
    return report_dir.parent / f"{report_dir.name}-refused"


def _build(
    inputs: BuildInputs, out: Path, report_dir: Path, strict: bool, progress: Progress, jobs: int
) -> BuildResult:
    source = inputs.source
    index = SentenceIndex.build(source.sentences(), source.description)
    assignment = splits.load(inputs.splits_file)
    splits.check(assignment, index.articles, inputs.splits_file)
    staged: list[Path] = []  # every folder made here, removed again unless swapped in
    store: AnnotationStore | None = None
    try:
        scratch_dir = dirswap.scratch(out, staged)
        store = AnnotationStore(scratch_dir / "annotations.sqlite")
        quarantine_path = scratch_dir / QUARANTINE_JSONL
        with (
            open(quarantine_path, "w", encoding="utf-8") as quarantine,
            progress("reading exports", None, "tasks") as advance,
        ):
            ledger = Ledger(quarantine)
            collect(
                index,
                store,
                ledger,
                inputs.exports,
                source.sentences(),
                progress=advance,
                jobs=jobs,
            )
        staging = dirswap.stage(out, staged)
        rows = RowWriter(staging)
        with progress("writing records", len(index), "sentences") as advance:
            tally, agreement = _pass2(source, index, assignment, store, ledger, rows, advance)
        report = _report(source.description, index, ledger, tally, agreement)
        if inputs.guidelines is not None:
            shutil.copyfile(inputs.guidelines, staging / GUIDELINES)
        licensing.write(staging, source.articles())
        card.write(staging, report, inputs.card_template, rows.rows, inputs.leaderboard)
        croissant.write(staging, card.metadata(inputs.card_template), rows.rows)
        if strict and report.quarantined > 0:
            refused = refused_report_dir(report_dir)
            dirswap.check_target(refused, "refused report")
            report_staging = dirswap.stage(refused, staged)
            _write_report(report_staging, report, quarantine_path)
            dirswap.swap_in([(report_staging, refused)])
            raise StrictFailure(
                f"--strict: {report.quarantined} result(s) quarantined "
                f"({', '.join(f'{k} {v}' for k, v in sorted(report.quarantine.items()))}); "
                f"see {refused / REPORT_MD}; {out} and {report_dir} were left as they were"
            )
        report_staging = dirswap.stage(report_dir, staged)
        _write_report(report_staging, report, quarantine_path)
        dirswap.swap_in([(staging, out), (report_staging, report_dir)])
        staged = [scratch_dir]
    finally:
        if store is not None:
            store.close()
        for folder in staged:
            dirswap.discard(folder)
    return BuildResult(report, summary(report), out, report_dir)


def _pass2(
    source: RecordSource,
    index: SentenceIndex,
    assignment: Mapping[str, str],
    store: AnnotationStore,
    ledger: Ledger,
    rows: RowWriter,
    advance: Callable[[int], None] = _ignore,
) -> tuple[Tally, Agreement]:
    """Every sentence in corpus order: decide, settle, count, write its rows; then the articles."""
    article_split = [assignment[a] for a in index.articles]
    tally, agreement = Tally(), Agreement()
    groups = store.by_sentence()
    pending = next(groups, None)
    predictions = store.predictions()
    predicted = next(predictions, None)
    for idx, record in enumerate(source.sentences()):
        advance(1)
        if (
            idx >= len(index)
            or index.ids.get(record.id) != idx
            or text_digest(record.text) != index.digest(idx)
        ):
            raise InputError(f"{source.description}: the records changed during the build")
        stored: list[StoredAnnotation] = []
        if pending is not None and pending[0] == idx:
            stored = pending[1]
            pending = next(groups, None)
        split = article_split[index.article_of[idx]]
        first = index.duplicate_of.get(idx)
        if first is not None and article_split[index.article_of[first]] != split:
            # The same text is in another split: leave this copy out of every sentence config.
            tally.cross_split.append(record.id)
            ledger.settle("excluded_cross_split_duplicate", excluded(stored))
            if predicted is not None and predicted[0] == idx:
                predicted = next(predictions, None)
            continue
        if predicted is not None and predicted[0] == idx:
            rows.prediction(record, split, predicted[1], predicted[2])
            predicted = next(predictions, None)
        decided = decide(stored)
        ledger.settle_all(decided.outcomes)
        ledger.annotations.superseded += decided.superseded
        if not decided.needs_review:  # an incomplete vote would distort the agreement
            agreement.add(len(record.text), decided.kept)
        status = _status(index.annotatable[idx], decided)
        tally.gold = tally.gold or (bool(decided.kept) and not decided.needs_review)
        tally.sentence(split, record, status, decided.decision.method, decided.decision.spans)
        quarantined = ledger.quarantined_per_sentence.get(idx, 0)
        rows.sentence(record, split, decided, status, quarantined)
    for article in source.articles():
        split = assignment[article.id]
        rows.article(article, split)
        tally.article(split, article)
    rows.close()
    return tally, agreement


def _status(annotatable: int, decided: SentenceDecision) -> str:
    if not annotatable:
        return "not_annotatable"
    if decided.needs_review:
        return "needs_review"
    if decided.decision.method == "none":
        return "not_annotated"
    return "annotated" if decided.decision.spans else "annotated_empty"


def _report(
    description: str, index: SentenceIndex, ledger: Ledger, tally: Tally, agreement: Agreement
) -> BuildReport:
    return BuildReport(
        source=description,
        sentences=len(index),
        articles=len(index.articles),
        exports=ledger.exports,
        results_read=ledger.results_read,
        outcomes=ledger.totals(),
        quarantine=dict(sorted(ledger.reasons.items())),
        annotations=ledger.annotations,
        adjudication=tally.adjudication(),
        splits=tally.splits(),
        cross_split_duplicates=tally.cross_split,
        agreement=agreement.report(),
        gold_annotations=tally.gold,
    )


def measure_agreement(inputs: BuildInputs) -> AgreementReport:
    """Agreement over the exports as the build would validate them (nothing is written)."""
    source = inputs.source
    index = SentenceIndex.build(source.sentences(), source.description)
    agreement = Agreement()
    with tempfile.TemporaryDirectory(prefix="chainpolicy-agreement-") as scratch:
        store = AnnotationStore(Path(scratch) / "annotations.sqlite")
        try:
            with open(os.devnull, "w", encoding="utf-8") as quarantine:
                collect(index, store, Ledger(quarantine), inputs.exports, source.sentences())
            records = iter(source.sentences())
            position = 0
            for idx, stored in store.by_sentence():
                record = _advance(records, idx - position)
                position = idx + 1
                decided = decide(stored)
                if not decided.needs_review:
                    agreement.add(len(record.text), decided.kept)
        finally:
            store.close()
    return agreement.report()


def _advance(records: Iterator[SentenceRecord], skip: int) -> SentenceRecord:
    for _ in range(skip):
        next(records)
    return next(records)


def _write_report(folder: Path, report: BuildReport, quarantine: Path) -> None:
    atomic.write_text(folder / REPORT_JSON, report.model_dump_json(indent=2) + "\n")
    atomic.write_text(folder / REPORT_MD, summary(report))
    target = folder / QUARANTINE_JSONL
    with atomic.open_text(target) as fh, open(quarantine, encoding="utf-8") as src:
        shutil.copyfileobj(src, fh)
