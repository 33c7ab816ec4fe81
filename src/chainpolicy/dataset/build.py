"""``chainpolicy build``: sentence records + Label Studio exports -> the dataset folder.

Pass 1 streams every export and validates every result (``validate.collect``); valid annotations
go to a scratch SQLite file. Pass 2 streams the sentence records in corpus order, adjudicates
each sentence's annotations and writes every config in row batches. The folder is written
beside the target and swapped in at the end (``atomic.replace_dir``): a malformed export, a
``--strict`` failure or a killed build leaves the previous folder as it was.
"""

from __future__ import annotations

import gc
import itertools
import os
import shutil
import sqlite3
import tempfile
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from chainpolicy import atomic, dirswap
from chainpolicy.corpus.ingest import REPAIR_KINDS
from chainpolicy.dataset import card, splits
from chainpolicy.dataset.features import CONFIGS, METHODS, VOTE_STATUSES, features_for
from chainpolicy.dataset.rows import CharBioBuffer, project_spans, sentence_row, span_rows
from chainpolicy.dataset.source import ArticleInfo, RecordSource
from chainpolicy.dataset.writer import BATCH_ROWS, SplitWriter
from chainpolicy.errors import ChainpolicyError, InputError
from chainpolicy.records import SentenceRecord
from chainpolicy.schema import LABEL_NAMES, all_type_names
from chainpolicy.validate.adjudicate import Decision, Vote, adjudicate, one_per_annotator
from chainpolicy.validate.agreement import Agreement, AgreementReport
from chainpolicy.validate.collect import Collector
from chainpolicy.validate.index import SentenceIndex, text_digest
from chainpolicy.validate.reasons import OUTCOMES
from chainpolicy.validate.report import BuildReport, SplitCounts, summary
from chainpolicy.validate.store import AnnotationStore, PackedSpan, StoredAnnotation

TYPE_NAMES = all_type_names()
REPORT_JSON = "build_report.json"
REPORT_MD = "build_report.md"
QUARANTINE_JSONL = "quarantine.jsonl"
GUIDELINES = "guidelines.md"


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


@dataclass
class BuildResult:
    report: BuildReport
    summary: str
    out: Path | None  # None when --strict refused to publish
    report_dir: Path
    recovered: list[str] = field(default_factory=list)  # what was left by killed builds


class StrictFailure(ChainpolicyError):
    """--strict and something was quarantined: the dataset folder was left as it was."""


def build(inputs: BuildInputs, out: Path, report_dir: Path, *, strict: bool = False) -> BuildResult:
    """Write the dataset folder ``out`` and its report folder ``report_dir``, swapped in together.

    Both targets must be new, empty, or made by an earlier build (``dirswap.check_target``); what
    a killed build left beside them is recovered first.
    """
    with dirswap.lock(out), dirswap.lock(report_dir), _quiet_gc():
        recovered = dirswap.recover(out) + dirswap.recover(report_dir)
        dirswap.check_target(out, "dataset")
        dirswap.check_target(report_dir, "report")
        try:
            result = _build(inputs, out, report_dir, strict)
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


def _build(inputs: BuildInputs, out: Path, report_dir: Path, strict: bool) -> BuildResult:
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
        with open(quarantine_path, "w", encoding="utf-8") as quarantine:
            collector = Collector(index, store, quarantine)
            for number, path in enumerate(inputs.exports):
                collector.read(path, number)
            collector.reanchor(source.sentences())
        staging = dirswap.stage(out, staged)
        writer = _Pass2(index, assignment, collector, staging)
        writer.run(source)
        report = writer.report(source.description)
        card.write(staging, report, inputs.card_template, writer.split_rows)
        if inputs.guidelines is not None:
            shutil.copyfile(inputs.guidelines, staging / GUIDELINES)
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


def measure_agreement(inputs: BuildInputs) -> AgreementReport:
    """Agreement over the exports as the build would validate them (nothing is written)."""
    source = inputs.source
    index = SentenceIndex.build(source.sentences(), source.description)
    agreement = Agreement()
    with tempfile.TemporaryDirectory(prefix="chainpolicy-agreement-") as scratch:
        store = AnnotationStore(Path(scratch) / "annotations.sqlite")
        try:
            with open(os.devnull, "w", encoding="utf-8") as quarantine:
                collector = Collector(index, store, quarantine)
                for number, path in enumerate(inputs.exports):
                    collector.read(path, number)
                collector.reanchor(source.sentences())
            lengths = (len(r.text) for r in source.sentences())
            position = 0
            for idx, stored in store.by_sentence():
                length = next(itertools.islice(lengths, idx - position, None))
                position = idx + 1
                latest, _ = _latest_copies(stored)
                kept, _ = one_per_annotator([_vote(a) for a in latest])
                if not adjudicate(kept).needs_review:
                    agreement.add(length, kept)
        finally:
            store.close()
    return agreement.report()


def _write_report(folder: Path, report: BuildReport, quarantine: Path) -> None:
    atomic.write_text(folder / REPORT_JSON, report.model_dump_json(indent=2) + "\n")
    atomic.write_text(folder / REPORT_MD, summary(report))
    target = folder / QUARANTINE_JSONL
    with atomic.open_text(target) as fh, open(quarantine, encoding="utf-8") as src:
        shutil.copyfileobj(src, fh)


@dataclass
class _Pass2:
    index: SentenceIndex
    assignment: Mapping[str, str]
    collector: Collector
    root: Path
    writers: dict[tuple[str, str], SplitWriter] = field(default_factory=dict)
    char_bio: dict[str, CharBioBuffer] = field(default_factory=dict)
    counts: dict[str, SplitCounts] = field(default_factory=dict)
    methods: Counter[str] = field(default_factory=Counter)
    agreement: Agreement = field(default_factory=Agreement)
    cross_split: list[str] = field(default_factory=list)
    gold: bool = False

    def __post_init__(self) -> None:
        self.article_split = [self.assignment[a] for a in self.index.articles]
        self.counts = {s: SplitCounts() for s in splits.SPLITS}
        self.articles_per_split: dict[str, set[int]] = {s: set() for s in splits.SPLITS}

    @property
    def split_rows(self) -> dict[str, dict[str, int]]:
        rows: dict[str, dict[str, int]] = {}
        for (config, split), w in self.writers.items():
            rows.setdefault(config, {})[split] = w.rows
        return rows

    def writer(self, config: str, split: str) -> SplitWriter:
        key = (config, split)
        if key not in self.writers:
            self.writers[key] = SplitWriter(
                self.root, config, split, features_for(config, REPAIR_KINDS)
            )
        return self.writers[key]

    def run(self, source: RecordSource) -> None:
        groups = self.collector.store.by_sentence()
        pending = next(groups, None)
        predictions = self.collector.store.predictions()
        predicted = next(predictions, None)
        for idx, record in enumerate(source.sentences()):
            if (
                idx >= len(self.index)
                or self.index.ids.get(record.id) != idx
                or text_digest(record.text) != self.index.digest(idx)
            ):
                raise InputError(f"{source.description}: the records changed during the build")
            stored: list[StoredAnnotation] = []
            if pending is not None and pending[0] == idx:
                stored = pending[1]
                pending = next(groups, None)
            if predicted is not None and predicted[0] == idx:
                self.prediction(idx, record, predicted[1], predicted[2])
                predicted = next(predictions, None)
            self.sentence(idx, record, stored)
        for split, buffer in self.char_bio.items():
            if len(buffer):
                self.writer("char_bio", split).add_table(buffer.table())
        for article in source.articles():
            self.article(article)
        for w in self.writers.values():
            w.close()

    def sentence(self, idx: int, record: SentenceRecord, stored: list[StoredAnnotation]) -> None:
        split = self.article_split[self.index.article_of[idx]]
        latest, copies = _latest_copies(stored)
        votes = [_vote(a) for a in latest]
        kept, superseded = one_per_annotator(votes)
        decision = adjudicate(kept)
        by_id = {a.annotation_id: a for a in latest}
        first = self.index.duplicate_of.get(idx)
        if first is not None and self.article_split[self.index.article_of[first]] != split:
            # The same text is in another split: leave this copy out of every sentence config.
            self.cross_split.append(record.id)
            self._settle("excluded_cross_split_duplicate", stored)
            return
        self._settle("superseded", copies)
        self._settle("superseded", [by_id[v.annotation_id] for v in superseded])
        gold = set(decision.spans)
        for vote in kept:
            for span in by_id[vote.annotation_id].spans:
                if decision.needs_review:
                    outcome = "held_for_review"
                else:
                    outcome = "adopted" if span[:4] in gold else "not_adopted"
                self.collector.outcomes[outcome] += span[4]
        self.collector.annotations.superseded += len(copies) + len(superseded)
        if not decision.needs_review:  # an incomplete vote would distort the agreement
            self.agreement.add(len(record.text), kept)
        status = _status(self.index.annotatable[idx], decision)
        self.methods[decision.method] += 1
        self.gold = self.gold or (bool(kept) and not decision.needs_review)
        quarantined = self.collector.quarantined_per_sentence.get(idx, 0)
        spans = span_rows(record.text, decision.spans)
        self.writer("default", split).add(
            **sentence_row(
                record,
                record.text,
                spans,
                status,
                decision.n_annotators,
                METHODS.index(decision.method),
                quarantined,
            )
        )
        projected = project_spans(record, decision.spans)
        self.writer("zh_hans", split).add(
            **sentence_row(
                record,
                record.text_hans,
                span_rows(record.text_hans, projected),
                status,
                decision.n_annotators,
                METHODS.index(decision.method),
                quarantined,
            )
        )
        buffer = self.char_bio.setdefault(split, CharBioBuffer())
        buffer.add(record, decision.spans, status)
        if len(buffer) >= BATCH_ROWS:
            self.writer("char_bio", split).add_table(buffer.table())
            buffer.clear()
        superseded_ids = {v.annotation_id for v in superseded}
        for vote in sorted(votes, key=lambda v: (v.voter, v.order)):
            if vote.annotation_id in superseded_ids:
                vote_status = "superseded"
            else:
                vote_status = "counted" if vote.complete else "incomplete"
            self.writer("annotations", split).add(
                sentence_id=record.id,
                article_id=record.article_id,
                annotation_id=vote.annotation_id,
                annotator=vote.annotator,
                ground_truth=vote.ground_truth,
                task_id=by_id[vote.annotation_id].task_id,
                vote=VOTE_STATUSES.index(vote_status),
                text=record.text,
                spans=span_rows(record.text, sorted(vote.spans)),
            )
        self._count(split, idx, record, status, decision)

    def prediction(
        self, idx: int, record: SentenceRecord, version: str, spans: list[PackedSpan]
    ) -> None:
        split = self.article_split[self.index.article_of[idx]]
        first = self.index.duplicate_of.get(idx)
        if first is not None and self.article_split[self.index.article_of[first]] != split:
            return  # left out of every sentence config, like its gold row
        self.writer("machine_preannotations", split).add(
            id=record.id,
            article_id=record.article_id,
            script=record.script,
            role=record.role,
            text=record.text,
            model_version=version,
            spans=span_rows(record.text, sorted(s[:4] for s in spans)),
        )

    def _settle(self, outcome: str, stored: list[StoredAnnotation]) -> None:
        self.collector.outcomes[outcome] += sum(s[4] for a in stored for s in a.spans)

    def _count(
        self, split: str, idx: int, record: SentenceRecord, status: str, decision: Decision
    ) -> None:
        counts = self.counts[split]
        counts.records += 1
        counts.characters += len(record.text)
        counts.status[status] = counts.status.get(status, 0) + 1
        counts.scripts[record.script] = counts.scripts.get(record.script, 0) + 1
        self.articles_per_split[split].add(self.index.article_of[idx])
        for _, _, label, type_ in decision.spans:
            name = LABEL_NAMES[label]
            counts.spans[name] = counts.spans.get(name, 0) + 1
            if type_ >= 0:
                key = f"{name}/{TYPE_NAMES[type_]}"
                counts.types[key] = counts.types.get(key, 0) + 1

    def article(self, article: ArticleInfo) -> None:
        split = self.assignment[article.id]
        repairs = dict(article.repair_counts)
        self.writer("articles", split).add(
            id=article.id,
            file=article.file,
            sha256=article.sha256,
            script=article.script,
            title=article.title,
            authors=list(article.authors),
            source=article.source,
            text=article.text,
            raw_chars=article.raw_chars,
            n_records=article.n_records,
            repair_counts={k: repairs.get(k, 0) for k in REPAIR_KINDS} if repairs else None,
            split=split,
        )
        counts = self.counts[split]
        for kind, value in repairs.items():
            counts.repairs[kind] = counts.repairs.get(kind, 0) + value

    def report(self, description: str) -> BuildReport:
        for split, articles in self.articles_per_split.items():
            self.counts[split].articles = len(articles)
        outcomes = {k: self.collector.outcomes.get(k, 0) for k in OUTCOMES}
        accounted = sum(outcomes.values())
        if accounted != self.collector.results_read:
            raise AssertionError(
                f"accounting: {self.collector.results_read} results read, {accounted} settled"
            )
        return BuildReport(
            source=description,
            sentences=len(self.index),
            articles=len(self.index.articles),
            exports=self.collector.exports,
            results_read=self.collector.results_read,
            outcomes=outcomes,
            quarantine=dict(sorted(self.collector.reasons.items())),
            annotations=self.collector.annotations,
            adjudication={m: self.methods.get(m, 0) for m in METHODS},
            splits=self.counts,
            cross_split_duplicates=self.cross_split,
            agreement=self.agreement.report(),
            gold_annotations=self.gold,
        )


def _latest_copies(
    stored: list[StoredAnnotation],
) -> tuple[list[StoredAnnotation], list[StoredAnnotation]]:
    """The same annotation in several exports: keep the newest copy (then the later export)."""
    latest: dict[int, StoredAnnotation] = {}
    for a in stored:
        current = latest.get(a.annotation_id)
        if current is None or (a.recency, a.export) > (current.recency, current.export):
            latest[a.annotation_id] = a
    keep = {id(a) for a in latest.values()}
    return list(latest.values()), [a for a in stored if id(a) not in keep]


def _vote(a: StoredAnnotation) -> Vote:
    return Vote(
        a.annotation_id,
        a.annotator,
        a.ground_truth,
        a.recency,
        tuple(s[:4] for s in a.spans),
        a.complete,
    )


def _status(annotatable: int, decision: Decision) -> str:
    if not annotatable:
        return "not_annotatable"
    if decision.needs_review:
        return "needs_review"
    if decision.method == "none":
        return "not_annotated"
    return "annotated" if decision.spans else "annotated_empty"


__all__ = [
    "CONFIGS",
    "BuildInputs",
    "BuildResult",
    "StrictFailure",
    "build",
    "find_exports",
    "measure_agreement",
]
