"""The build end to end: exports over the real corpus -> the dataset folder, with accounting."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from chainpolicy.contract.layout import data_path
from chainpolicy.dataset.build import BuildResult, StrictFailure, refused_report_dir
from chainpolicy.dataset.features import tag_names
from chainpolicy.errors import InputError
from chainpolicy.records import SentenceRecord, Span
from chainpolicy.schema import GOLD_STATUSES, LABELS, STATUSES, TYPE_NAMES, VOTE_STATUSES
from chainpolicy.validate.synthetic import annotation, prediction, task

A = "02dec154e1ac7468-p001-s02"  # 目前,江苏省在国家互联网信息办公室备案的...共有20家,...
B = "4f7741a2ad09df20-p002-s01"  # 今年6月,工信部等部門聯合印發《關于...指導意見》,... (traditional)
C = "02dec154e1ac7468-p001-s01"  # 习近平总书记在中央政治局第十八次集体学习时强调,...
D = "4f7741a2ad09df20-p002-s02"  # 近日,工信部正式復函支持蘇州創建區塊鏈發展先導區。


def _task(record: SentenceRecord, task_id: int, annotations: list[dict[str, Any]], **kw: Any):
    return task(task_id, record.id, record.article_id, record.text, record.start, annotations, **kw)


def _span(record: SentenceRecord, chunk: str, label: str, type_: str | None = None) -> Span:
    start = record.text.index(chunk)
    return Span(start, start + len(chunk), label, type_)


def _type(span: dict[str, Any]) -> str | None:
    return None if span["type"] is None else TYPE_NAMES[span["type"]]


def _rows(root: Path, config: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for path in sorted((root / "data" / config).glob("*.parquet")):
        rows += pq.read_table(path).to_pylist()
    return rows


def _hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def annotated(
    sentences: dict[str, SentenceRecord],
    export_file: Callable[[str, list[dict[str, Any]]], Path],
) -> Path:
    a, b, c, d = sentences[A], sentences[B], sentences[C], sentences[D]
    agreed = [_span(a, "江苏省", "entity", "LOC"), _span(a, "20家", "figure", "COUNT")]
    tasks = [
        # A: two annotators agree on two spans; one of them also marks 苏州市 (1 of 2, older).
        _task(
            a,
            1,
            [
                annotation(101, 1, a.text, agreed, updated_at="2024-05-01T10:00:00Z"),
                annotation(
                    102,
                    2,
                    a.text,
                    [*agreed, _span(a, "苏州市", "entity", "LOC")],
                    updated_at="2024-04-01T10:00:00Z",
                ),
                annotation(103, 3, a.text, [], cancelled=True),
            ],
            predictions=[prediction(a.text, [_span(a, "6家", "figure", "COUNT")])],
        ),
        # B: one annotator, a WORK title and a date (traditional script).
        _task(
            b,
            2,
            [
                annotation(
                    104,
                    1,
                    b.text,
                    [
                        _span(b, "今年6月", "figure", "DATE"),
                        _span(
                            b, "關于加快推動區塊鏈技術應用和產業發展的指導意見", "entity", "WORK"
                        ),
                    ],
                )
            ],
        ),
        # C: annotated, nothing to mark.
        _task(c, 3, [annotation(105, 2, c.text, [])]),
        # D: one annotator, a valid entity plus a figure without a numeral (quarantined): the
        # annotation is incomplete, so D needs review and has no gold.
        _task(
            d,
            4,
            [
                annotation(
                    106,
                    1,
                    d.text,
                    [_span(d, "工信部", "entity", "ORG"), _span(d, "近日", "figure", "DATE")],
                )
            ],
        ),
    ]
    return export_file("project-20240501T000000Z.json", tasks)


def test_without_exports_every_record_is_marked_not_annotated(
    run_build: Callable[..., BuildResult],
) -> None:
    result = run_build([])
    rows = _rows(result.out, "default")  # type: ignore[arg-type]
    assert rows and not result.report.gold_annotations
    statuses = {STATUSES[r["annotation_status"]] for r in rows}
    assert statuses == {"not_annotated", "not_annotatable"}
    assert all(r["spans"] == [] for r in rows)
    card = (result.out / "README.md").read_text("utf-8")  # type: ignore[operator]
    assert "No gold annotations yet" in card


def test_gold_spans_statuses_and_accounting(
    run_build: Callable[..., BuildResult], annotated: Path, sentences: dict[str, SentenceRecord]
) -> None:
    result = run_build([annotated])
    report = result.report
    by_id = {r["id"]: r for r in _rows(result.out, "default")}  # type: ignore[arg-type]

    a = by_id[A]
    assert [(s["text"], _type(s)) for s in a["spans"]] == [("江苏省", "LOC"), ("20家", "COUNT")]
    assert a["n_annotators"] == 2 and a["adjudication"] == 2  # majority
    assert STATUSES[a["annotation_status"]] == "annotated"
    figure = a["spans"][1]
    assert a["text"][figure["start"] : figure["end"]] == "20家"

    b = by_id[B]
    assert {s["text"] for s in b["spans"]} == {
        "今年6月",
        "關于加快推動區塊鏈技術應用和產業發展的指導意見",
    }
    assert STATUSES[by_id[C]["annotation_status"]] == "annotated_empty"
    # D's only annotation lost a span: never "annotated" with the rest, never "annotated_empty".
    d = by_id[D]
    assert STATUSES[d["annotation_status"]] == "needs_review" and d["spans"] == []
    assert d["quarantined_results"] == 2  # the label and the type result of the bad figure

    # Every result read ends in exactly one outcome.
    assert sum(report.outcomes.values()) == report.results_read
    assert report.quarantine == {"figure_without_numeral": 2}
    assert report.outcomes["excluded_prediction"] == 2  # label + type result of the prediction
    assert report.outcomes["not_adopted"] == 2  # 苏州市 (label + type), 1 vote of 2, older
    assert report.outcomes["held_for_review"] == 2  # 工信部 (label + type) of D
    assert report.annotations.cancelled == 1
    quarantine = [
        json.loads(line)
        for line in (result.report_dir / "quarantine.jsonl").read_text("utf-8").splitlines()
    ]
    assert {
        (q["task_id"], q["annotation_id"], q["annotator"], q["reason"]) for q in quarantine
    } == {(4, 106, 1, "figure_without_numeral")}
    # The per-annotator config keeps both annotations of A as their annotators made them, and
    # D's valid span, marked as an incomplete vote: nothing an annotator marked is lost.
    rows = _rows(result.out, "annotations")  # type: ignore[arg-type]
    votes = [r for r in rows if r["sentence_id"] == A]
    assert sorted(len(v["spans"]) for v in votes) == [2, 3]
    (incomplete,) = [r for r in rows if r["sentence_id"] == D]
    assert VOTE_STATUSES[incomplete["vote"]] == "incomplete"
    assert [s["text"] for s in incomplete["spans"]] == ["工信部"]
    # Not gold for training either: the training configs leave it out.
    bio = {r["id"]: r for r in _rows(result.out, "char_bio")}  # type: ignore[arg-type]
    assert D not in bio and {A, B, C} <= set(bio)


def test_simplified_view_and_bio_tags_follow_the_gold_spans(
    run_build: Callable[..., BuildResult], annotated: Path, sentences: dict[str, SentenceRecord]
) -> None:
    result = run_build([annotated])
    root: Path = result.out  # type: ignore[assignment]
    hans = {r["id"]: r for r in _rows(root, "zh_hans")}
    b = hans[B]
    assert b["text"] == sentences[B].text_hans
    assert {b["text"][s["start"] : s["end"]] for s in b["spans"]} == {
        "今年6月",
        "关于加快推动区块链技术应用和产业发展的指导意见",
    }
    bio = {r["id"]: r for r in _rows(root, "char_bio")}
    tags = tag_names("entity")
    row = bio[A]
    assert "".join(row["tokens"]) == sentences[A].text
    start = sentences[A].text.index("江苏省")
    assert [tags[t] for t in row["ner_tags"][start : start + 4]] == [
        "B-LOC",
        "I-LOC",
        "I-LOC",
        "O",
    ]


def _tags_of(text: str, spans: list[dict[str, Any]], label_id: int) -> list[str]:
    """BIO tags of one layer, from stored spans (the layer's kind: its type, else its label)."""
    spec = LABELS[label_id]
    tags = ["O"] * len(text)
    for span in (s for s in spans if s["label"] == label_id):
        kind = _type(span) or spec.name
        tags[span["start"] : span["end"]] = [f"B-{kind}"] + [f"I-{kind}"] * (
            span["end"] - span["start"] - 1
        )
    return tags


@pytest.mark.parametrize(
    ("tagged", "sentences_config"), [("char_bio", "default"), ("char_bio_hans", "zh_hans")]
)
def test_training_configs_hold_the_gold_rows_with_the_tags_of_their_spans(
    run_build: Callable[..., BuildResult], annotated: Path, tagged: str, sentences_config: str
) -> None:
    result = run_build([annotated])
    root: Path = result.out  # type: ignore[assignment]
    gold = [
        r
        for r in _rows(root, sentences_config)
        if STATUSES[r["annotation_status"]] in GOLD_STATUSES
    ]
    rows = _rows(root, tagged)
    # Exactly the gold sentences, in corpus order; nothing that is not gold.
    assert [r["id"] for r in rows] == [r["id"] for r in gold] and rows
    for row, source in zip(rows, gold, strict=True):
        assert row["tokens"] == list(source["text"])
        assert row["annotation_status"] == source["annotation_status"]
        for label_id, spec in enumerate(LABELS):
            names = tag_names(spec.name)
            assert [names[t] for t in row[spec.tag_column]] == _tags_of(
                source["text"], source["spans"], label_id
            ), (row["id"], spec.tag_column)
    # The card counts what the training configs leave out, per split, from the same build.
    card = (root / "README.md").read_text("utf-8")
    section = card.split("<!-- computed:training -->\n", 1)[1].split("\n\n", 2)
    total = sum(s.records for s in result.report.splits.values())
    assert section[0].startswith(f"{len(rows)} of the {total} sentences are gold")
    assert f"{total - len(rows)} are left out" in section[0]
    left_out = [s for s in STATUSES if s not in GOLD_STATUSES]
    lines = section[1].splitlines()[2:]
    for line, (split, counts) in zip(lines, result.report.splits.items(), strict=True):
        cells = [c.strip() for c in line.strip("|").split("|")]
        path = root / data_path(tagged, split)
        written = pq.read_metadata(path).num_rows if path.exists() else 0
        assert cells == [
            split,
            str(counts.records),
            str(written),
            *(str(counts.status.get(s, 0)) for s in left_out),
        ]


def test_same_inputs_give_byte_identical_folders(
    run_build: Callable[..., BuildResult], annotated: Path
) -> None:
    first = run_build([annotated], "one")
    second = run_build([annotated], "two")
    assert _hashes(first.out) == _hashes(second.out)  # type: ignore[arg-type]


def test_strict_refuses_and_keeps_the_previous_folder(
    run_build: Callable[..., BuildResult], annotated: Path
) -> None:
    previous = run_build([])
    before = _hashes(previous.out)  # type: ignore[arg-type]
    report_before = _hashes(previous.report_dir)
    with pytest.raises(StrictFailure, match="figure_without_numeral 2"):
        run_build([annotated], strict=True)
    # The dataset and its report stay as they were, together; the refused build's report goes to
    # a folder of its own.
    assert _hashes(previous.out) == before  # type: ignore[arg-type]
    assert _hashes(previous.report_dir) == report_before
    refused = refused_report_dir(previous.report_dir)
    report = json.loads((refused / "build_report.json").read_text("utf-8"))
    assert report["outcomes"]["quarantined"] == 2


def test_truncated_export_names_file_and_position_and_keeps_the_folder(
    run_build: Callable[..., BuildResult], annotated: Path
) -> None:
    previous = run_build([])
    before = _hashes(previous.out)  # type: ignore[arg-type]
    text = annotated.read_text("utf-8")
    annotated.write_text(text[: len(text) // 2], "utf-8")  # cut between characters
    with pytest.raises(
        InputError, match=rf"{annotated.name}: truncated in task #\d+ .*at byte \d+"
    ):
        run_build([annotated])
    assert _hashes(previous.out) == before  # type: ignore[arg-type]


def test_changed_text_is_reanchored_through_article_offsets(
    run_build: Callable[..., BuildResult],
    sentences: dict[str, SentenceRecord],
    export_file: Callable[[str, list[dict[str, Any]]], Path],
) -> None:
    a = sentences[A]
    # The task was made when the sentence had one more character at its end (a later repair
    # removed it): 江苏省 is still at the same article offsets, 4家 at the end is not.
    old = a.text[:-1] + "X" + a.text[-1]
    spans = [_span(a, "江苏省", "entity", "LOC"), Span(len(old) - 2, len(old) - 1, "claim")]
    ann = annotation(201, 1, old, spans)
    item = task(9, "gone-id", a.article_id, old, a.start, [ann])
    result = run_build([export_file("old.json", [item])])
    row = {r["id"]: r for r in _rows(result.out, "default")}[A]  # type: ignore[arg-type]
    # The claim was lost, so the annotation is incomplete: no gold, the sentence needs review;
    # the re-anchored span is kept in the per-annotator config.
    assert STATUSES[row["annotation_status"]] == "needs_review" and row["spans"] == []
    assert result.report.annotations.reanchored == 1
    assert result.report.quarantine == {"text_changed": 1}
    (vote,) = [r for r in _rows(result.out, "annotations") if r["sentence_id"] == A]  # type: ignore[arg-type]
    assert [s["text"] for s in vote["spans"]] == ["江苏省"]
    # Without the span that cannot be placed, everything moves and is gold.
    whole = task(10, "gone-id", a.article_id, old, a.start, [annotation(202, 1, old, spans[:1])])
    result = run_build([export_file("whole.json", [whole])], "whole")
    row = {r["id"]: r for r in _rows(result.out, "default")}[A]  # type: ignore[arg-type]
    assert [s["text"] for s in row["spans"]] == ["江苏省"]
    assert STATUSES[row["annotation_status"]] == "annotated"


def test_predictions_go_only_to_the_machine_config(
    run_build: Callable[..., BuildResult], annotated: Path
) -> None:
    result = run_build([annotated])
    root: Path = result.out  # type: ignore[assignment]
    machine = {r["id"]: r for r in _rows(root, "machine_preannotations")}
    assert list(machine) == [A]  # the only task with a prediction
    assert machine[A]["model_version"] == "prelabel"
    assert [(s["text"], _type(s), s["value"], s["unit"]) for s in machine[A]["spans"]] == [
        ("6家", "COUNT", "6", "家")
    ]
    gold = {r["id"]: r for r in _rows(root, "default")}[A]
    assert "6家" not in {s["text"] for s in gold["spans"]}
    card = (root / "README.md").read_text("utf-8")
    assert "machine_preannotations" in card and "never gold" in card


def test_real_server_export_is_fully_accounted(
    run_build: Callable[..., BuildResult], tmp_path: Path
) -> None:
    fixture = Path(__file__).parents[1] / "fixtures" / "ls_export_small.json"
    result = run_build([fixture])
    report = result.report
    assert sum(report.outcomes.values()) == report.results_read
    assert report.quarantine == {"orphan_type": 1, "wrong_from_name": 1}
    assert report.annotations.cancelled == 1
    a = {r["id"]: r for r in _rows(result.out, "default")}[A]  # type: ignore[arg-type]
    # 江苏省 by both annotators; 20家 by one of two: gold only if the newer annotation has it.
    assert "江苏省" in {s["text"] for s in a["spans"]}
    assert a["n_annotators"] == 2
