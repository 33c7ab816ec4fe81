"""Counts per split for the build report and the card (records, statuses, spans, repairs)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from chainpolicy.contract.layout import SPLITS
from chainpolicy.dataset.report import SplitCounts
from chainpolicy.dataset.source import ArticleInfo
from chainpolicy.records import SentenceRecord, Span
from chainpolicy.schema import METHODS


@dataclass
class Tally:
    counts: dict[str, SplitCounts] = field(
        default_factory=lambda: {split: SplitCounts() for split in SPLITS}
    )
    methods: Counter[str] = field(default_factory=Counter)
    cross_split: list[str] = field(default_factory=list)  # ids left out: same text elsewhere
    gold: bool = False  # some sentence has gold
    _articles: dict[str, set[str]] = field(
        default_factory=lambda: {split: set() for split in SPLITS}
    )

    def sentence(
        self,
        split: str,
        record: SentenceRecord,
        status: str,
        method: str,
        gold_spans: tuple[Span, ...],
    ) -> None:
        counts = self.counts[split]
        counts.records += 1
        counts.characters += len(record.text)
        counts.status[status] = counts.status.get(status, 0) + 1
        counts.scripts[record.script] = counts.scripts.get(record.script, 0) + 1
        self._articles[split].add(record.article_id)
        self.methods[method] += 1
        for span in gold_spans:
            counts.spans[span.label] = counts.spans.get(span.label, 0) + 1
            if span.type is not None:
                key = f"{span.label}/{span.type}"
                counts.types[key] = counts.types.get(key, 0) + 1

    def article(self, split: str, article: ArticleInfo) -> None:
        counts = self.counts[split]
        for kind, value in article.repair_counts:
            counts.repairs[kind] = counts.repairs.get(kind, 0) + value

    def splits(self) -> dict[str, SplitCounts]:
        for split, articles in self._articles.items():
            self.counts[split].articles = len(articles)
        return self.counts

    def adjudication(self) -> dict[str, int]:
        return {method: self.methods.get(method, 0) for method in METHODS}
