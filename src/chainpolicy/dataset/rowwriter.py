"""Writes the rows of every config, a block of sentences (or one article) at a time: it only
writes rows.

What goes into a row was decided before (``validate.batch``: gold spans, statuses of the votes;
the build: the split and which records are left out). A block's rows are assembled column-wise
(``dataset.rows``) and handed, split by split, to one ``SplitWriter`` per config and split; the
training configs (``char_bio``, ``char_bio_hans``) take the gold rows only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from chainpolicy.contract.layout import SPLITS
from chainpolicy.dataset.configs import config as config_spec
from chainpolicy.dataset.configs import features_for
from chainpolicy.dataset.rows import char_bio_table, project, span_column
from chainpolicy.dataset.source import ArticleInfo
from chainpolicy.dataset.writer import SplitWriter, TextColumn, Writes
from chainpolicy.schema import GOLD_STATUSES, REPAIR_KINDS, STATUSES
from chainpolicy.validate.batch import BlockDecision, FlatSpans, Votes

Ints = npt.NDArray[np.int64]
_GOLD = np.array([status in GOLD_STATUSES for status in STATUSES], dtype=bool)
_PROVENANCE = (
    "article_id",
    "index",
    "role",
    "script",
    "start",
    "end",
    "raw_start",
    "raw_end",
    "text_sha1",
    "duplicate_of",
    "footnote_anchor",
)


@dataclass(frozen=True)
class BlockPredictions:
    """The latest machine prediction of the block's sentences that have one."""

    row: Ints
    model_version: Sequence[str]
    spans: FlatSpans  # owner = prediction number, sorted by key


def _positions(mask: npt.NDArray[np.bool_]) -> Ints:
    """Old row -> new row of the rows ``mask`` keeps (-1 for the others)."""
    out = np.full(len(mask), -1, dtype=np.int64)
    out[mask] = np.arange(int(mask.sum()))
    return out


@dataclass(frozen=True)
class _Rows:
    """Rows of a block with everything decided about them, owners numbered by row."""

    block: pa.RecordBatch
    status: Ints
    method: Ints
    n_annotators: Ints
    quarantined: Ints
    gold: FlatSpans
    votes: Votes
    machine: BlockPredictions

    def __len__(self) -> int:
        return self.block.num_rows

    def select(self, mask: npt.NDArray[np.bool_]) -> _Rows:
        """The rows ``mask`` keeps, in order (a slice when they are one run)."""
        where = np.flatnonzero(mask)
        if len(where) and where[-1] - where[0] + 1 == len(where):
            block = self.block.slice(int(where[0]), len(where))
        else:
            block = self.block.take(pa.array(where))
        position = _positions(mask)
        votes, machine = self.votes, self.machine
        vote_kept = mask[votes.row]
        kept = mask[machine.row]
        return _Rows(
            block,
            self.status[mask],
            self.method[mask],
            self.n_annotators[mask],
            self.quarantined[mask],
            self.gold.take(mask[self.gold.owner]).renumbered(position),
            Votes(
                position[votes.row[vote_kept]],
                votes.annotation_id[vote_kept],
                votes.annotator[vote_kept],
                votes.anonymous[vote_kept],
                votes.ground_truth[vote_kept],
                votes.task_id[vote_kept],
                votes.status[vote_kept],
                votes.recency[vote_kept],
                votes.spans.take(vote_kept[votes.spans.owner]).renumbered(_positions(vote_kept)),
            ),
            BlockPredictions(
                position[machine.row[kept]],
                [v for v, k in zip(machine.model_version, kept.tolist(), strict=True) if k],
                machine.spans.take(kept[machine.spans.owner]).renumbered(_positions(kept)),
            ),
        )


class RowWriter:
    """Use as a context: leaving it waits for the background writes (``writer.Writes``) and
    closes every file, also when the build fails."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._writers: dict[tuple[str, str], SplitWriter] = {}
        self._writes = Writes()

    def __enter__(self) -> RowWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self._writes.close()

    def _split_writer(self, config: str, split: str) -> SplitWriter:
        key = (config, split)
        if key not in self._writers:
            features = features_for(config)
            self._writers[key] = SplitWriter(self.root, config, split, features, self._writes)
        return self._writers[key]

    def _write(self, config: str, split: str, table: pa.Table) -> None:
        if not table.num_rows:
            return  # a split without rows has no file
        self._split_writer(config, split).add_table(table)

    @property
    def rows(self) -> dict[str, dict[str, int]]:
        """Rows written per config and split (only those with a file)."""
        out: dict[str, dict[str, int]] = {}
        for (config, split), writer in self._writers.items():
            out.setdefault(config, {})[split] = writer.rows
        return out

    def block(
        self,
        block: pa.RecordBatch,
        split_of: Ints,
        keep: npt.NDArray[np.bool_],
        decided: BlockDecision,
        quarantined: Ints,
        predictions: BlockPredictions,
    ) -> None:
        """The rows of a block of sentence records (``split_of``: a ``SPLITS`` index per row;
        rows not in ``keep`` are left out of every config)."""
        everything = _Rows(
            block,
            decided.status,
            decided.method,
            decided.n_annotators,
            quarantined,
            decided.gold,
            decided.votes,
            predictions,
        )
        for code, split in enumerate(SPLITS):
            mask = keep & (split_of == code)
            if not mask.any():
                continue
            rows = everything.select(mask)
            hans_gold = project(
                rows.block.column("text"), rows.block.column("text_hans"), rows.gold, len(rows)
            )
            self._write("machine_preannotations", split, self._machine(rows.block, rows.machine))
            self._write("default", split, self._sentences(rows, "text", rows.gold))
            self._write("zh_hans", split, self._sentences(rows, "text_hans", hans_gold))
            self._write("annotations", split, self._votes(rows.block, rows.votes))
            gold = _GOLD[rows.status]
            golden = rows.select(gold)
            golden_hans = hans_gold.take(gold[hans_gold.owner]).renumbered(_positions(gold))
            for config, text, spans in (
                ("char_bio", "text", (rows.gold, golden.gold)),
                ("char_bio_hans", "text_hans", (hans_gold, golden_hans)),
            ):
                # Training configs hold gold sentences only (the configs table says which).
                chosen, tags = (
                    (golden, spans[1]) if config_spec(config).gold_only else (rows, spans[0])
                )
                table = char_bio_table(chosen.block, text, tags, chosen.status)
                self._write(config, split, table)

    def _sentences(self, rows: _Rows, text: str, spans: FlatSpans) -> pa.Table:
        block, n = rows.block, len(rows)
        column = TextColumn.of(block.column(text))
        columns = {
            "id": block.column("id"),
            "text": block.column(text),
            "spans": span_column(column, np.arange(n, dtype=np.int64), spans, n),
            "annotation_status": pa.array(rows.status, pa.int64()),
            "n_annotators": pa.array(rows.n_annotators, pa.int32()),
            "adjudication": pa.array(rows.method, pa.int64()),
            "quarantined_results": pa.array(rows.quarantined, pa.int32()),
            **{name: block.column(name) for name in _PROVENANCE},
        }
        return pa.table(columns)

    def _votes(self, block: pa.RecordBatch, votes: Votes) -> pa.Table:
        rows = pa.array(votes.row)
        column = TextColumn.of(block.column("text"))
        recency = pa.array(votes.recency, pa.int64(), mask=votes.recency < 0)
        columns = {
            "sentence_id": block.column("id").take(rows),
            "article_id": block.column("article_id").take(rows),
            "annotation_id": pa.array(votes.annotation_id, pa.int64()),
            "annotator": pa.array(votes.annotator, pa.int64(), mask=votes.anonymous),
            "ground_truth": pa.array(votes.ground_truth, pa.bool_()),
            "task_id": pa.array(votes.task_id, pa.int64()),
            "vote": pa.array(votes.status, pa.int64()),
            # microseconds, UTC
            "updated_at": recency.cast(pa.timestamp("us", tz="UTC")),
            "text": block.column("text").take(rows),
            "spans": span_column(column, votes.row, votes.spans, len(votes)),
        }
        return pa.table(columns)

    def _machine(self, block: pa.RecordBatch, predictions: BlockPredictions) -> pa.Table:
        rows = pa.array(predictions.row, pa.int64())
        column = TextColumn.of(block.column("text"))
        owners = len(predictions.row)
        columns = {
            "id": block.column("id").take(rows),
            "article_id": block.column("article_id").take(rows),
            "script": block.column("script").take(rows),
            "role": block.column("role").take(rows),
            "text": block.column("text").take(rows),
            "model_version": pa.array(list(predictions.model_version), pa.string()),
            "spans": span_column(column, predictions.row, predictions.spans, owners),
        }
        return pa.table(columns)

    def article(self, article: ArticleInfo, split: str) -> None:
        repairs: Mapping[str, int] = dict(article.repair_counts)
        self._split_writer("articles", split).add(
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

    def close(self) -> None:
        """Write what is buffered and close every file (call once, after the last row)."""
        for writer in self._writers.values():
            writer.close()
        self._writes.close()
