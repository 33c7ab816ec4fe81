"""Writes the rows of every config, one sentence (or article) at a time: it only writes rows.

What goes into a row was decided before (``validate.decide``: gold spans, statuses of the votes;
the build: the split and the record's status). Rows go into one ``SplitWriter`` per config and
split; the rows of the training configs (``char_bio``, ``char_bio_hans``: gold sentences only)
are assembled column-wise a batch at a time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from chainpolicy.contract.regions import Region
from chainpolicy.dataset.configs import config as config_spec
from chainpolicy.dataset.configs import features_for
from chainpolicy.dataset.rows import CharBioBuffer, project_spans, sentence_row, span_rows
from chainpolicy.dataset.source import ArticleInfo
from chainpolicy.dataset.writer import BATCH_ROWS, SplitWriter
from chainpolicy.records import SentenceRecord, Span, sorted_spans
from chainpolicy.schema import GOLD_STATUSES, METHODS, REPAIR_KINDS, VOTE_STATUSES
from chainpolicy.validate.decide import SentenceDecision


class RowWriter:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._writers: dict[tuple[str, str], SplitWriter] = {}
        self._char_bio: dict[tuple[str, str], CharBioBuffer] = {}

    def _writer(self, config: str, split: str) -> SplitWriter:
        key = (config, split)
        if key not in self._writers:
            self._writers[key] = SplitWriter(self.root, config, split, features_for(config))
        return self._writers[key]

    @property
    def rows(self) -> dict[str, dict[str, int]]:
        """Rows written per config and split (only those with a file)."""
        out: dict[str, dict[str, int]] = {}
        for (config, split), writer in self._writers.items():
            out.setdefault(config, {})[split] = writer.rows
        return out

    def sentence(
        self,
        record: SentenceRecord,
        split: str,
        decided: SentenceDecision,
        status: str,
        quarantined: int,
    ) -> None:
        decision = decided.decision
        method = METHODS.index(decision.method)
        self._writer("default", split).add(
            **sentence_row(
                record,
                record.text,
                span_rows(record.text, decision.spans),
                status,
                decision.n_annotators,
                method,
                quarantined,
            )
        )
        hans_spans = project_spans(record, decision.spans)
        hans = span_rows(record.text_hans, hans_spans)
        self._writer("zh_hans", split).add(
            **sentence_row(
                record, record.text_hans, hans, status, decision.n_annotators, method, quarantined
            )
        )
        self._tagged("char_bio", split, record, record.text, decision.spans, status)
        self._tagged("char_bio_hans", split, record, record.text_hans, hans_spans, status)
        for vote in decided.votes:
            self._writer("annotations", split).add(
                sentence_id=record.id,
                article_id=record.article_id,
                annotation_id=vote.annotation_id,
                annotator=vote.annotator,
                ground_truth=vote.ground_truth,
                task_id=decided.task_of[vote.annotation_id],
                vote=VOTE_STATUSES.index(decided.vote_status[vote.annotation_id]),
                updated_at=vote.recency if vote.recency >= 0 else None,  # microseconds, UTC
                text=record.text,
                spans=span_rows(record.text, sorted_spans(vote.spans)),
            )

    def _tagged(
        self,
        config: str,
        split: str,
        record: SentenceRecord,
        text: str,
        spans: Sequence[Span],
        status: str,
    ) -> None:
        if config_spec(config).gold_only and status not in GOLD_STATUSES:
            return  # not gold: it stays in the sentence configs with its status, not here
        buffer = self._char_bio.setdefault((config, split), CharBioBuffer())
        buffer.add(record, text, spans, status)
        if len(buffer) >= BATCH_ROWS:
            self._writer(config, split).add_table(buffer.table())
            buffer.clear()

    def prediction(
        self, record: SentenceRecord, split: str, version: str, regions: Sequence[Region]
    ) -> None:
        self._writer("machine_preannotations", split).add(
            id=record.id,
            article_id=record.article_id,
            script=record.script,
            role=record.role,
            text=record.text,
            model_version=version,
            spans=span_rows(record.text, sorted_spans(r.span for r in regions)),
        )

    def article(self, article: ArticleInfo, split: str) -> None:
        repairs: Mapping[str, int] = dict(article.repair_counts)
        self._writer("articles", split).add(
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
        """Flush the tagged batches and close every file (call once, after the last row)."""
        for (config, split), buffer in self._char_bio.items():
            if len(buffer):
                self._writer(config, split).add_table(buffer.table())
        for writer in self._writers.values():
            writer.close()
