"""The rows of every config and split: what the Parquet files hold, re-derived sentence by
sentence from the records and the per-sentence policy (``validate.decide``), whatever the block
cuts and the rows left out.

The block below has four articles in three splits (train twice, not adjacent, so a split's rows
are not one run), every status, a left-out copy, a simplified view of another length, several
annotators (one anonymous, one superseded, one without a timestamp) and machine predictions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from chainpolicy.contract.figures import normalise
from chainpolicy.contract.layout import SPLITS, data_path
from chainpolicy.contract.regions import Region
from chainpolicy.corpus.arrow_schema import record_schema
from chainpolicy.corpus.scriptview import to_hans
from chainpolicy.dataset.configs import CONFIG_NAMES, config
from chainpolicy.dataset.features import tag_names
from chainpolicy.dataset.rowwriter import BlockPredictions, RowWriter
from chainpolicy.dataset.source import ArticleInfo
from chainpolicy.records import SentenceRecord, Span
from chainpolicy.schema import (
    GOLD_STATUSES,
    LABEL_INDEX,
    LABELS,
    LABELS_BY_NAME,
    METHODS,
    REPAIR_KINDS,
    STATUSES,
    TYPE_INDEX,
    VOTE_STATUSES,
)
from chainpolicy.validate.batch import FlatSpans, decide_block
from chainpolicy.validate.decide import SentenceDecision, decide
from chainpolicy.validate.store import Aligned, AnnotationColumns, AnnotationStore, StoredAnnotation

T = 1_700_000_000_000_000  # microseconds since the epoch
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SENTENCE_CONFIGS = ("default", "zh_hans")
TRAINING = tuple(name for name in CONFIG_NAMES if config(name).gold_only)


@dataclass
class Sentence:
    article: str
    text: str
    role: str = "body"
    hans: str | None = None  # the simplified view, if not OpenCC's
    keep: bool = True
    annotations: list[tuple[int, int | None, bool, int, list[Span], bool]] = field(
        default_factory=list
    )  # (annotation id, annotator, ground truth, recency, spans, complete)
    prediction: tuple[str, list[Span]] | None = None
    quarantined: int = 0


def _at(text: str, chars: str, label: str, type_: str | None = None) -> Span:
    start = text.index(chars)
    return Span(start, start + len(chars), label, type_)


A1 = "杭州市區塊鏈產業園入駐企業近100家。"
D0 = "甲乙區塊鏈產業"
D1 = "溫州市企業20家。"
SPLIT_OF = {"a": "train", "b": "test", "c": "validation", "d": "train"}
SCRIPT_OF = {"a": "Hant", "b": "Hans", "c": "Hant", "d": "Hant"}
SENTENCES = [
    # a (train): single, ground truth over another annotator, empty, boilerplate
    Sentence(
        "a",
        "浙江省區塊鏈產業報告",
        role="title",
        annotations=[(1, 1, False, T + 1, [Span(0, 3, "entity", "LOC")], True)],
        prediction=("prelabel-v1", [Span(0, 3, "entity", "LOC"), Span(3, 6, "entity", "PRODUCT")]),
    ),
    Sentence(
        "a",
        A1,
        annotations=[
            (2, 1, False, T + 5, [_at(A1, "杭州市", "entity", "LOC"), Span(0, 18, "claim")], True),
            (
                3,
                2,
                True,
                T + 2,
                [_at(A1, "杭州市", "entity", "LOC"), _at(A1, "近100家", "figure", "COUNT")],
                True,
            ),
        ],
    ),
    Sentence("a", "寧波市也在建設。", annotations=[(4, 1, False, T + 3, [], True)]),
    Sentence("a", "責任編輯:張三", role="boilerplate"),
    # b (test): an anonymous annotator, no annotation, an incomplete one
    Sentence(
        "b",
        "南京市区块链企业8家。",
        annotations=[
            (
                5,
                None,
                False,
                T + 4,
                [Span(0, 3, "entity", "LOC"), Span(8, 10, "figure", "COUNT")],
                True,
            )
        ],
        prediction=("prelabel-v2", []),
    ),
    Sentence("b", "苏州市没有标注。"),
    Sentence(
        "b",
        "无锡市产业园。",
        annotations=[(6, 2, False, T + 6, [Span(0, 3, "claim")], False)],
        quarantined=2,
    ),
    # c (validation): nothing gold; a copy left out between two kept rows
    Sentence(
        "c",
        "合肥市區塊鏈產業園。",
        annotations=[(7, 1, False, T + 7, [Span(0, 3, "entity", "LOC")], False)],
        quarantined=1,
    ),
    Sentence(
        "c",
        "合肥市企業30家。",
        keep=False,
        annotations=[(8, 1, False, T + 8, [Span(0, 3, "entity", "LOC")], True)],
        prediction=("prelabel-v1", [Span(0, 3, "entity", "LOC")]),
    ),
    Sentence("c", "安徽省報告。", prediction=("prelabel-v1", [Span(0, 3, "entity", "LOC")])),
    # d (train): a simplified view one character longer; a majority of three voters
    Sentence(
        "d",
        D0,
        hans="甲乙丙区块链产业",
        annotations=[
            (
                9,
                3,
                False,
                T + 9,
                [_at(D0, "區塊鏈", "entity", "PRODUCT"), Span(0, 1, "claim")],
                True,
            )
        ],
    ),
    Sentence(
        "d",
        D1,
        annotations=[
            (13, 1, False, T, [Span(0, 9, "claim")], True),  # superseded by 10
            (
                10,
                1,
                False,
                T + 10,
                [_at(D1, "溫州市", "entity", "LOC"), _at(D1, "20家", "figure", "COUNT")],
                True,
            ),
            (11, 2, False, T + 11, [_at(D1, "溫州市", "entity", "LOC")], True),
            (
                12,
                None,
                False,
                -1,
                [_at(D1, "溫州市", "entity", "LOC"), _at(D1, "20家", "figure", "COUNT")],
                True,
            ),
        ],
        prediction=("prelabel-v2", [_at(D1, "溫州市", "entity", "ORG")]),
    ),
]


def _records(sentences: Sequence[Sentence]) -> list[SentenceRecord]:
    out: list[SentenceRecord] = []
    for n, s in enumerate(sentences):
        index = sum(1 for r in out if r.article_id == s.article)
        start = sum(len(r.text) + 1 for r in out if r.article_id == s.article)
        out.append(
            SentenceRecord(
                id=f"{s.article}-p{index + 1:03d}-s01",
                article_id=s.article,
                index=index,
                line=index + 1,
                role=s.role,
                script=SCRIPT_OF[s.article],
                text=s.text,
                text_hans=s.hans if s.hans is not None else to_hans(s.text),
                sep="\n",
                start=start,
                end=start + len(s.text),
                raw_start=start + 3,
                raw_end=start + 3 + len(s.text),
                text_sha1=f"{n:040d}",
                footnote_anchor=out[-1].id if s.article == "d" and index == 1 else None,
            )
        )
    return out


def _stored(sentences: Sequence[Sentence]) -> list[StoredAnnotation]:
    return [
        StoredAnnotation(
            idx,
            ann_id,
            annotator,
            truth,
            recency,
            100 + ann_id,
            0,
            [Region(span, 1 + (span.type is not None)) for span in spans],
            complete,
        )
        for idx, s in enumerate(sentences)
        for ann_id, annotator, truth, recency, spans, complete in s.annotations
    ]


# -- writing, as pass 2 of the build does it ------------------------------------------------


def _write(
    root: Path, sentences: Sequence[Sentence], cuts: Sequence[int] = ()
) -> dict[str, dict[str, int]]:
    records = _records(sentences)
    store = AnnotationStore(root.parent / f"{root.name}.sqlite")
    try:
        for a in _stored(sentences):
            store.add(a)
        annotations = Aligned(store.annotation_columns(), AnnotationColumns.empty())
        with RowWriter(root) as writer:
            for lo, hi in pairwise([0, *sorted(cuts), len(sentences)]):
                part = sentences[lo:hi]
                block = pa.RecordBatch.from_pylist(
                    [r.model_dump() for r in records[lo:hi]], schema=record_schema()
                )
                keep = np.array([s.keep for s in part], dtype=bool)
                annotatable = np.array([s.role != "boilerplate" for s in part], dtype=bool)
                decided = decide_block(lo, hi - lo, annotations.upto(hi), annotatable, ~keep)
                predicted = [
                    (i, s.prediction) for i, s in enumerate(part) if s.prediction is not None
                ]
                machine = BlockPredictions(
                    np.array([i for i, _ in predicted], dtype=np.int64),
                    [p[0] for _, p in predicted],
                    FlatSpans.of(range(len(predicted)), [p[1] for _, p in predicted]).sorted(),
                )
                split_of = np.array([SPLITS.index(SPLIT_OF[s.article]) for s in part], np.int64)
                quarantined = np.array([s.quarantined for s in part], dtype=np.int64)
                writer.block(block, split_of, keep, decided, quarantined, machine)
            for article in _articles(records):
                writer.article(article, SPLIT_OF[article.id])
            writer.close()
    finally:
        store.close()
    return writer.rows


def _articles(records: Sequence[SentenceRecord]) -> list[ArticleInfo]:
    out = []
    for article in dict.fromkeys(r.article_id for r in records):
        mine = [r for r in records if r.article_id == article]
        repairs = (("mojibake", 2), ("erratum", 1)) if article == "a" else ()
        out.append(
            ArticleInfo(
                article,
                SCRIPT_OF[article],
                "".join(r.text + r.sep for r in mine),
                len(mine),
                title=mine[0].text if article != "c" else None,
                authors=("張三",) if article == "a" else (),
                repair_counts=repairs,
            )
        )
    return out


def _read(root: Path, name: str, split: str) -> list[dict[str, Any]] | None:
    path = root / data_path(name, split)
    return pq.read_table(path).to_pylist() if path.exists() else None


# -- what the rows should be, sentence by sentence -------------------------------------------


def _decisions(sentences: Sequence[Sentence]) -> list[SentenceDecision | None]:
    stored = _stored(sentences)
    return [
        decide([a for a in stored if a.sentence == idx]) if s.keep else None
        for idx, s in enumerate(sentences)
    ]


def _status(s: Sentence, d: SentenceDecision) -> str:
    if s.role == "boilerplate":
        return "not_annotatable"
    if d.needs_review:
        return "needs_review"
    if d.decision.method == "none":
        return "not_annotated"
    return "annotated" if d.decision.spans else "annotated_empty"


def _span_rows(text: str, spans: Sequence[Span]) -> list[dict[str, Any]]:
    out = []
    for span in sorted(spans, key=lambda s: s.key):
        chars = text[span.start : span.end]
        value, unit, qualifier = (
            normalise(chars) if LABELS_BY_NAME[span.label].normalised else (None, None, None)
        )
        out.append(
            {
                "start": span.start,
                "end": span.end,
                "label": LABEL_INDEX[span.label],
                "type": None if span.type is None else TYPE_INDEX[span.type],
                "text": chars,
                "value": value,
                "unit": unit,
                "qualifier": qualifier,
            }
        )
    return out


def _on_hans(record: SentenceRecord, span: Span) -> Span:
    """The span on the simplified view: the same offsets where OpenCC kept the length, else
    where the converted characters are (unique in these texts)."""
    hans = record.text_hans
    if len(hans) == len(record.text):
        return span
    converted = to_hans(record.text[span.start : span.end])
    assert hans.count(converted) == 1
    start = hans.index(converted)
    return Span(start, start + len(converted), span.label, span.type)


def _bio(text: str, spans: Sequence[Span]) -> dict[str, list[int]]:
    out = {}
    for spec in LABELS:
        tags = ["O"] * len(text)
        for span in (s for s in spans if s.label == spec.name):
            kind = span.type or span.label
            tags[span.start : span.end] = [f"B-{kind}"] + [f"I-{kind}"] * (
                span.end - span.start - 1
            )
        names = tag_names(spec.name)
        out[spec.tag_column] = [names.index(t) for t in tags]
    return out


def _micros(when: datetime | None) -> int:
    return -1 if when is None else (when - EPOCH) // timedelta(microseconds=1)


def _in_split(sentences: Sequence[Sentence], split: str) -> list[int]:
    return [i for i, s in enumerate(sentences) if s.keep and SPLIT_OF[s.article] == split]


# -- the tests ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict[str, int]]]:
    root = tmp_path_factory.mktemp("rows") / "dataset"
    return root, _write(root, SENTENCES)


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize("name", SENTENCE_CONFIGS)
def test_sentence_configs_hold_every_kept_sentence_with_its_decision(
    written: tuple[Path, dict[str, dict[str, int]]], name: str, split: str
) -> None:
    root, _ = written
    records, decisions = _records(SENTENCES), _decisions(SENTENCES)
    rows = _read(root, name, split)
    assert rows is not None
    mine = _in_split(SENTENCES, split)
    assert [row["id"] for row in rows] == [records[i].id for i in mine]
    for i, row in zip(mine, rows, strict=True):
        record, s, d = records[i], SENTENCES[i], decisions[i]
        assert d is not None
        text = record.text if name == "default" else record.text_hans
        gold = list(d.decision.spans)
        if name == "zh_hans":
            gold = [_on_hans(record, span) for span in gold]
        assert row["text"] == text
        assert row["spans"] == _span_rows(text, gold), record.id
        assert STATUSES[row["annotation_status"]] == _status(s, d), record.id
        assert METHODS[row["adjudication"]] == d.decision.method
        assert row["n_annotators"] == d.decision.n_annotators
        assert row["quarantined_results"] == s.quarantined
        provenance = {k: v for k, v in record.model_dump().items() if k in row and k != "text"}
        assert {k: row[k] for k in provenance} == provenance
        # Every other column is the record's own field (id and provenance), as it is.
        assert set(row) - set(provenance) == {
            "text",
            "spans",
            "annotation_status",
            "n_annotators",
            "adjudication",
            "quarantined_results",
        }


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize("name", TRAINING)
def test_training_configs_hold_the_gold_sentences_only_with_their_bio_tags(
    written: tuple[Path, dict[str, dict[str, int]]], name: str, split: str
) -> None:
    root, _ = written
    records, decisions = _records(SENTENCES), _decisions(SENTENCES)
    gold_rows = []
    for i in _in_split(SENTENCES, split):
        d = decisions[i]
        assert d is not None
        if _status(SENTENCES[i], d) in GOLD_STATUSES:
            gold_rows.append((records[i], d))
    rows = _read(root, name, split)
    if not gold_rows:
        assert rows is None  # a split without gold has no file (datasets cannot load it empty)
        return
    assert rows is not None
    assert [row["id"] for row in rows] == [r.id for r, _ in gold_rows]
    for (record, d), row in zip(gold_rows, rows, strict=True):
        hans = name.endswith("_hans")
        text = record.text_hans if hans else record.text
        spans = [_on_hans(record, s) if hans else s for s in d.decision.spans]
        assert row["tokens"] == list(text)  # one token per code point
        assert {k: row[k] for k in _bio(text, spans)} == _bio(text, spans), record.id
        assert STATUSES[row["annotation_status"]] in GOLD_STATUSES
        assert (row["article_id"], row["script"]) == (record.article_id, record.script)


@pytest.mark.parametrize("split", SPLITS)
def test_annotations_hold_every_vote_of_the_kept_sentences_as_made(
    written: tuple[Path, dict[str, dict[str, int]]], split: str
) -> None:
    root, _ = written
    records, decisions = _records(SENTENCES), _decisions(SENTENCES)
    expected = []
    for i in _in_split(SENTENCES, split):
        d = decisions[i]
        assert d is not None
        for vote in d.votes:
            expected.append(
                {
                    "sentence_id": records[i].id,
                    "article_id": records[i].article_id,
                    "annotation_id": vote.annotation_id,
                    "annotator": vote.annotator,
                    "ground_truth": vote.ground_truth,
                    "task_id": d.task_of[vote.annotation_id],
                    "vote": VOTE_STATUSES.index(d.vote_status[vote.annotation_id]),
                    "recency": vote.recency,
                    "text": records[i].text,
                    "spans": _span_rows(records[i].text, vote.spans),
                }
            )
    rows = _read(root, "annotations", split)
    assert rows is not None
    for row in rows:
        row["recency"] = _micros(row.pop("updated_at"))
    assert rows == expected


def test_the_vote_statuses_and_anonymous_annotators_reach_the_annotations_rows(
    written: tuple[Path, dict[str, dict[str, int]]],
) -> None:
    root, _ = written
    rows = _read(root, "annotations", "train")
    assert rows is not None
    by_id = {r["annotation_id"]: r for r in rows}
    assert VOTE_STATUSES[by_id[13]["vote"]] == "superseded"
    assert by_id[12]["annotator"] is None and by_id[12]["updated_at"] is None
    assert by_id[10]["updated_at"] == EPOCH + timedelta(microseconds=T + 10)
    test_rows = _read(root, "annotations", "test")
    assert test_rows is not None
    assert [VOTE_STATUSES[r["vote"]] for r in test_rows] == ["counted", "incomplete"]


@pytest.mark.parametrize("split", SPLITS)
def test_machine_preannotations_hold_the_kept_sentences_with_a_prediction(
    written: tuple[Path, dict[str, dict[str, int]]], split: str
) -> None:
    root, _ = written
    records = _records(SENTENCES)
    expected = [
        {
            "id": records[i].id,
            "article_id": records[i].article_id,
            "script": records[i].script,
            "role": records[i].role,
            "text": records[i].text,
            "model_version": prediction[0],
            "spans": _span_rows(records[i].text, prediction[1]),
        }
        for i in _in_split(SENTENCES, split)
        if (prediction := SENTENCES[i].prediction) is not None
    ]
    assert _read(root, "machine_preannotations", split) == expected


def test_articles_hold_one_row_each_with_every_repair_kind(
    written: tuple[Path, dict[str, dict[str, int]]],
) -> None:
    root, _ = written
    articles = _articles(_records(SENTENCES))
    assert [a.id for a in articles] == list(SPLIT_OF)
    for split in SPLITS:
        rows = _read(root, "articles", split)
        mine = [a for a in articles if SPLIT_OF[a.id] == split]
        assert rows is not None
        assert [(r["id"], r["split"], r["text"]) for r in rows] == [
            (a.id, split, a.text) for a in mine
        ]
        for article, row in zip(mine, rows, strict=True):
            assert row["authors"] == list(article.authors) and row["title"] == article.title
            repairs = dict(article.repair_counts)
            assert row["repair_counts"] == (
                {kind: repairs.get(kind, 0) for kind in REPAIR_KINDS} if repairs else None
            )


def test_rows_counts_every_file_and_no_file_is_empty(
    written: tuple[Path, dict[str, dict[str, int]]],
) -> None:
    root, counts = written
    on_disk = {
        name: {
            split: pq.read_metadata(root / data_path(name, split)).num_rows
            for split in SPLITS
            if (root / data_path(name, split)).exists()
        }
        for name in CONFIG_NAMES
    }
    assert counts == {name: splits for name, splits in on_disk.items() if splits}
    assert all(n > 0 for splits in counts.values() for n in splits.values())
    assert "validation" not in counts["char_bio"]  # no gold there
    kept = sum(s.keep for s in SENTENCES)
    assert sum(counts["default"].values()) == kept == sum(counts["zh_hans"].values())


@pytest.mark.parametrize("cuts", [[1], [4, 7], [8, 9], [3, 6, 9, 11], list(range(1, 12))])
def test_the_files_do_not_depend_on_the_block_cuts(
    written: tuple[Path, dict[str, dict[str, int]]], tmp_path: Path, cuts: list[int]
) -> None:
    root, counts = written
    other = tmp_path / "dataset"
    assert _write(other, SENTENCES, cuts) == counts
    files = sorted(p.relative_to(root) for p in root.rglob("*.parquet"))
    assert files == sorted(p.relative_to(other) for p in other.rglob("*.parquet"))
    for path in files:
        assert (root / path).read_bytes() == (other / path).read_bytes(), path


# One sentence of each status: which configs take it (the configs table says which are
# training configs; only gold statuses go there).
STATUS_CASES = [
    ("not_annotated", "body", []),
    ("annotated", "body", [(1, 1, False, T, [Span(0, 2, "entity", "LOC")], True)]),
    ("annotated_empty", "body", [(1, 1, False, T, [], True)]),
    ("not_annotatable", "boilerplate", []),
    ("needs_review", "body", [(1, 1, False, T, [Span(0, 2, "claim")], False)]),
]


@pytest.mark.parametrize(("status", "role", "annotations"), STATUS_CASES)
def test_each_status_reaches_the_sentence_configs_and_only_gold_the_training_ones(
    tmp_path: Path, status: str, role: str, annotations: list[Any]
) -> None:
    assert {c[0] for c in STATUS_CASES} == set(STATUSES)
    sentence = Sentence("a", "蘇州市。", role=role, annotations=annotations)
    root = tmp_path / "dataset"
    counts = _write(root, [sentence])
    rows = _read(root, "default", "train")
    assert rows is not None and STATUSES[rows[0]["annotation_status"]] == status
    for name in CONFIG_NAMES:
        if name in ("articles", "machine_preannotations"):
            continue
        if name == "annotations":
            present = bool(annotations)
        else:
            present = not config(name).gold_only or status in GOLD_STATUSES
        assert counts.get(name, {}).get("train", 0) == int(present), name
        assert (_read(root, name, "train") is not None) == present, name
    assert "machine_preannotations" not in counts  # no prediction, no row
    assert all(split == "train" for splits in counts.values() for split in splits)


def test_a_block_with_every_row_left_out_writes_no_sentence_rows(tmp_path: Path) -> None:
    sentences = [
        Sentence(
            "b",
            "南京市。",
            keep=False,
            annotations=[(1, 1, False, T, [Span(0, 3, "entity", "LOC")], True)],
            prediction=("v", []),
        )
    ]
    counts = _write(tmp_path / "dataset", sentences)
    assert counts == {"articles": {"test": 1}}
