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

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from chainpolicy import atomic, dirswap
from chainpolicy.contract.layout import SPLITS
from chainpolicy.corpus.gcpause import quiet_gc
from chainpolicy.dataset import card, croissant, licensing, splits
from chainpolicy.dataset.report import BuildReport, summary
from chainpolicy.dataset.rowwriter import BlockPredictions, RowWriter
from chainpolicy.dataset.source import ArticleAssembler, ArticleInfo, RecordSource
from chainpolicy.dataset.tally import Tally
from chainpolicy.errors import ChainpolicyError, InputError
from chainpolicy.evaluation.agreement import Agreement, AgreementReport
from chainpolicy.records import SentenceRecord
from chainpolicy.validate.batch import FlatSpans, decide_block
from chainpolicy.validate.collect import collect
from chainpolicy.validate.decide import decide
from chainpolicy.validate.index import SentenceIndex, id_key, text_digest
from chainpolicy.validate.ledger import Ledger
from chainpolicy.validate.store import (
    Aligned,
    AnnotationColumns,
    AnnotationStore,
    PredictionColumns,
)

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
    with dirswap.lock(out), dirswap.lock(report_dir), _quiet_gc(), _returning_arrow_memory():
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
    # Collected once first, so that only live objects are frozen.
    gc.collect()
    with quiet_gc():
        yield


@contextmanager
def _returning_arrow_memory() -> Iterator[None]:
    # Arrow's default allocator (mimalloc) keeps freed blocks for reuse, so over a long build
    # the RSS climbs block after block (measured: +70 MB in pass 2 at 20,000 tasks, +120 MB at
    # 200,000). jemalloc without decay hands freed pages back at once.
    try:
        pool = pa.jemalloc_memory_pool()
    except NotImplementedError:  # a pyarrow built without jemalloc
        yield
        return
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pool)
    pa.jemalloc_set_decay_ms(0)
    try:
        yield
    finally:
        pa.set_memory_pool(previous)


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
        with (
            progress("writing records", len(index), "sentences") as advance,
            licensing.writing(staging) as notice,
            RowWriter(staging) as rows,
        ):
            tally, agreement = _pass2(
                source, index, assignment, store, ledger, rows, notice, advance
            )
        report = _report(source.description, index, ledger, tally, agreement)
        if inputs.guidelines is not None:
            shutil.copyfile(inputs.guidelines, staging / GUIDELINES)
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
    notice: Callable[[ArticleInfo], None],
    advance: Callable[[int], None] = _ignore,
) -> tuple[Tally, Agreement]:
    """The sentences in corpus order, a block at a time: decide, settle, count, write the rows;
    and the articles (rebuilt from the same blocks when the source has no article records)."""
    article_split = np.array([SPLITS.index(assignment[a]) for a in index.articles], np.int64)
    article_of = np.frombuffer(index.article_of, dtype=np.int32)
    annotatable = np.frombuffer(bytes(index.annotatable), dtype=bool)
    keys = index.ids.keys_in_order()
    duplicates = _sorted_map(index.duplicate_of)
    quarantined = _sorted_map(ledger.quarantined_per_sentence)
    tally, agreement = Tally(), Agreement()
    annotations = Aligned(store.annotation_columns(), AnnotationColumns.empty())
    predictions = Aligned(store.prediction_columns(), PredictionColumns.empty())
    assembler = None if source.has_article_records else ArticleAssembler()
    lo = 0
    for block in source.sentence_blocks():
        n = block.num_rows
        hi = lo + n
        advance(n)
        _check_block(block, index, keys, lo, source.description)
        split_of = article_split[article_of[lo:hi]]
        # The same text in another split: this copy is left out of every sentence config.
        first = _lookup(duplicates, lo, hi, -1)
        has_first = first >= 0
        excluded = np.zeros(n, dtype=bool)
        excluded[has_first] = article_split[article_of[first[has_first]]] != split_of[has_first]
        decided = decide_block(lo, n, annotations.upto(hi), annotatable[lo:hi], excluded)
        ledger.settle("excluded_cross_split_duplicate", decided.excluded_results)
        ledger.settle_all(decided.outcomes)
        ledger.annotations.superseded += decided.superseded
        if decided.agreement:
            lengths = pc.utf8_length(block.column("text")).to_numpy()
            for row, kept in decided.agreement:
                agreement.add(int(lengths[row]), kept)
        tally.gold = tally.gold or decided.gold_seen
        if excluded.any():
            ids = block.column("id")
            tally.cross_split += ids.filter(pa.array(excluded)).to_pylist()
        keep = ~excluded
        tally.block(block, split_of, keep, decided.status, decided.method, decided.gold)
        predicted = predictions.upto(hi)
        machine = BlockPredictions(
            predicted.sentence - lo,
            predicted.model_version,
            FlatSpans.packed(
                predicted.spans, np.arange(len(predicted)), np.arange(len(predicted))
            ).sorted(),
        )
        rows.block(block, split_of, keep, decided, _lookup(quarantined, lo, hi, 0), machine)
        if assembler is not None:
            for article in assembler.add(block):
                _article(article, assignment, rows, tally, notice)
        lo = hi
    if lo != len(index):
        raise InputError(f"{source.description}: the records changed during the build")
    articles = assembler.finish() if assembler is not None else source.articles()
    for article in articles:
        _article(article, assignment, rows, tally, notice)
    rows.close()
    return tally, agreement


def _article(
    article: ArticleInfo,
    assignment: Mapping[str, str],
    rows: RowWriter,
    tally: Tally,
    notice: Callable[[ArticleInfo], None],
) -> None:
    split = assignment[article.id]
    rows.article(article, split)
    tally.article(split, article)
    notice(article)


def _check_block(
    block: pa.RecordBatch,
    index: SentenceIndex,
    keys: npt.NDArray[np.int64],
    lo: int,
    description: str,
) -> None:
    """The records read now are those the index was built from (ids and text digests)."""
    hi = lo + block.num_rows
    ids = block.column("id").to_pylist()
    texts = block.column("text").to_pylist()
    same = (
        hi <= len(index)
        and np.array_equal(np.array([id_key(i) for i in ids], dtype=np.int64), keys[lo:hi])
        and b"".join(text_digest(t) for t in texts) == bytes(index.digests[20 * lo : 20 * hi])
    )
    if not same:
        raise InputError(f"{description}: the records changed during the build")


def _sorted_map(mapping: Mapping[int, int]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    keys = np.array(sorted(mapping), dtype=np.int64)
    return keys, np.array([mapping[k] for k in keys.tolist()], dtype=np.int64)


def _lookup(
    table: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]], lo: int, hi: int, default: int
) -> npt.NDArray[np.int64]:
    """``mapping.get(i, default)`` for ``i`` in ``lo .. hi-1``, from ``_sorted_map``."""
    keys, values = table
    out = np.full(hi - lo, default, dtype=np.int64)
    a, b = np.searchsorted(keys, [lo, hi])
    out[keys[a:b] - lo] = values[a:b]
    return out


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
