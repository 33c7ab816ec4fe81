"""Counts per split for the build report and the card (records, statuses, spans, repairs)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from chainpolicy.contract.layout import SPLITS
from chainpolicy.dataset.report import SplitCounts
from chainpolicy.dataset.source import ArticleInfo
from chainpolicy.schema import LABEL_NAMES, METHODS, STATUSES, TYPE_NAMES
from chainpolicy.validate.batch import FlatSpans

Ints = npt.NDArray[np.int64]


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

    def block(
        self,
        block: pa.RecordBatch,
        split_of: Ints,
        keep: npt.NDArray[np.bool_],
        status: Ints,
        method: Ints,
        gold: FlatSpans,
    ) -> None:
        """Count the kept rows of a block of sentence records (their gold spans ``gold``). The
        keys of each count appear in the order they are first met, row by row."""
        for code, n in Counter(method[keep].tolist()).items():
            self.methods[METHODS[code]] += n
        chars = pc.utf8_length(block.column("text")).to_numpy()
        scripts = np.array(block.column("script").to_pylist(), dtype=object)
        articles = np.array(block.column("article_id").to_pylist(), dtype=object)
        for code, split in enumerate(SPLITS):
            rows = keep & (split_of == code)
            if not rows.any():
                continue
            counts = self.counts[split]
            counts.records += int(rows.sum())
            counts.characters += int(chars[rows].sum())
            _add(counts.status, status[rows], STATUSES.__getitem__)
            _add(counts.scripts, scripts[rows], str)
            self._articles[split].update(articles[rows].tolist())
            mine = gold.take(rows[gold.owner])
            _add(counts.spans, mine.label, LABEL_NAMES.__getitem__)
            typed = mine.type >= 0
            width = len(TYPE_NAMES)
            _add(counts.types, mine.label[typed] * width + mine.type[typed], _type_key)

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


def _type_key(code: int) -> str:
    label, type_ = divmod(code, len(TYPE_NAMES))
    return f"{LABEL_NAMES[label]}/{TYPE_NAMES[type_]}"


def _add(counts: dict[str, int], values: npt.NDArray[Any], name: Callable[[Any], str]) -> None:
    # Counter keeps keys in the order first met, and so does the report's dict.
    for value, n in Counter(values.tolist()).items():
        key = name(value)
        counts[key] = counts.get(key, 0) + n
