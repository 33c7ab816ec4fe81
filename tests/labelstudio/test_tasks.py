from __future__ import annotations

import hashlib

import pytest

from chainpolicy.contract.regions import check_annotation
from chainpolicy.contract.taskdata import (
    ARTICLE_ID_KEY,
    NEXT_KEY,
    PREV_KEY,
    TEXT_HASH_KEY,
    TITLE_KEY,
    task_ref,
)
from chainpolicy.corpus import load_corpus
from chainpolicy.corpus.titles import context_title
from chainpolicy.errors import ChainpolicyError
from chainpolicy.labelstudio.tasks import (
    ROLE_KEY,
    checked_prediction,
    make_tasks,
    prediction,
)
from chainpolicy.prelabel import MODEL_VERSION, predict
from chainpolicy.records import SentenceRecord, Span
from chainpolicy.schema import ANNOTATED_ROLES, LS_LABELS_NAME, TYPE_CONTROLS


def test_one_task_per_annotatable_sentence_with_context_and_predictions() -> None:
    corpus = load_corpus()
    titles = {a.id: a.title for a in corpus.articles}
    tasks = list(make_tasks(corpus.sentences, titles))
    annotatable = [r for r in corpus.sentences if r.role in ANNOTATED_ROLES]
    assert len(tasks) == len(annotatable)
    by_id = {r.id: r for r in corpus.sentences}
    for task, record in zip(tasks, annotatable, strict=True):
        ref = task_ref(task["data"])
        assert (ref.sentence_id, ref.text, ref.article_start) == (
            record.id,
            record.text,
            record.start,
        )
        assert task["data"][TEXT_HASH_KEY] == record.text_sha1
        assert task["predictions"][0]["model_version"] == MODEL_VERSION
    second = tasks[1]["data"]
    assert second["prev_text"] == tasks[0]["data"]["text"]
    assert second["next_text"] == tasks[2]["data"]["text"]
    assert all(by_id[t["data"]["sentence_id"]].role != "boilerplate" for t in tasks)


def _record(article: str, index: int, role: str, text: str, start: int = 0) -> SentenceRecord:
    return SentenceRecord(
        id=f"{article}-p{index:03d}-s01",
        article_id=article,
        index=index,
        line=index,
        role=role,
        script="Hans",
        text=text,
        text_hans=text,
        sep="\n",
        start=start,
        end=start + len(text),
        raw_start=start,
        raw_end=start + len(text),
        text_sha1=hashlib.sha1(text.encode("utf-8")).hexdigest(),
    )


# Two articles; boilerplate between and at the end; astral characters before the spans.
RECORDS = [
    _record("a", 0, "title", "🙂𠀀江苏省区块链产业报告"),
    _record("a", 1, "body", "𠀀𠀀苏州同济区块链研究院共有20家企业。", 14),
    _record("a", 2, "boilerplate", "扫码关注公众号", 35),
    _record("a", 3, "body", "🙂2019年产值达到3亿元。", 43),
    _record("b", 0, "body", "浙江省发布了《区块链发展规划》。"),
    _record("b", 1, "boilerplate", "责任编辑：某某"),
]


@pytest.mark.parametrize(
    ("sentence_id", "title", "prev", "next_"),
    [
        ("a-p000-s01", "题名", "", RECORDS[1].text),
        ("a-p001-s01", "题名", RECORDS[0].text, RECORDS[3].text),  # boilerplate skipped
        ("a-p003-s01", "题名", RECORDS[1].text, ""),  # no context from article b
        # No title or heading: its own first body sentence, not another article's title.
        ("b-p000-s01", RECORDS[4].text, "", ""),
    ],
)
def test_context_stays_in_its_article_and_skips_boilerplate(
    sentence_id: str, title: str, prev: str, next_: str
) -> None:
    tasks = {
        t["data"]["sentence_id"]: t["data"]
        for t in make_tasks(RECORDS, {"a": "题名", "b": None}, predictions=False)
    }
    assert set(tasks) == {r.id for r in RECORDS if r.role != "boilerplate"}
    data = tasks[sentence_id]
    assert (data[TITLE_KEY], data[PREV_KEY], data[NEXT_KEY]) == (title, prev, next_)
    record = next(r for r in RECORDS if r.id == sentence_id)
    assert data[ROLE_KEY] == record.role
    assert data[TEXT_HASH_KEY] == hashlib.sha1(data["text"].encode("utf-8")).hexdigest()


def test_every_task_of_the_committed_corpus_has_its_articles_context_title() -> None:
    corpus = load_corpus()
    titles = {a.id: a.title for a in corpus.articles}
    tasks = list(make_tasks(corpus.sentences, titles, predictions=False))
    assert tasks and all(t["data"][TITLE_KEY].strip() for t in tasks)
    for article in corpus.articles:
        records = [r for r in corpus.sentences if r.article_id == article.id]
        expected = context_title(records, article.title)
        shown = {t["data"][TITLE_KEY] for t in tasks if t["data"][ARTICLE_ID_KEY] == article.id}
        assert shown == {expected}


def test_title_falls_back_to_the_articles_title_record() -> None:
    tasks = list(make_tasks(RECORDS, {}, predictions=False))
    assert tasks[1]["data"][TITLE_KEY] == RECORDS[0].text


@pytest.mark.parametrize("record", [r for r in RECORDS if r.role != "boilerplate"])
def test_predictions_on_astral_text_are_code_point_offsets(record: SentenceRecord) -> None:
    text = record.text
    made = prediction(text)
    spans = predict(text)
    labels = [r for r in made["result"] if r["from_name"] == LS_LABELS_NAME]
    assert labels and len(labels) == len(spans)
    for result, span in zip(labels, spans, strict=True):
        value = result["value"]
        assert (value["start"], value["end"]) == (span.start, span.end)
        assert text[span.start : span.end] == value["text"]
    # Each typed region has its type as a choices result with the same region id.
    ids = {r["id"] for r in labels if r["value"]["labels"][0] in TYPE_CONTROLS.values()}
    typed = {r["id"] for r in made["result"] if r["from_name"] in TYPE_CONTROLS}
    assert ids == typed
    assert not check_annotation(made["result"], text).rejected


TEXT = "𠀀江苏省有20家企业。"


@pytest.mark.parametrize(
    ("span", "reason"),
    [
        (Span(0, 40, "entity", "LOC"), "bad_offsets"),
        (Span(1, 4, "person", None), "unknown_label"),
        (Span(1, 4, "entity", "COUNT"), "unknown_type"),
        (Span(1, 4, "entity", None), "missing_type"),
        (Span(1, 4, "entity", "LOC"), None),
        (Span(5, 8, "figure", "COUNT"), None),
        (Span(0, 1, "figure", "COUNT"), "figure_without_numeral"),
    ],
)
def test_a_prediction_must_pass_the_human_annotation_rules(span: Span, reason: str | None) -> None:
    if reason is None:
        made = checked_prediction(TEXT, [span], "test-1")
        assert (
            made["model_version"] == "test-1" and made["result"][0]["value"]["start"] == span.start
        )
        return
    with pytest.raises(ChainpolicyError, match=reason):
        checked_prediction(TEXT, [span], "test-1")


def test_overlapping_entity_and_figure_predictions_are_refused() -> None:
    spans = [Span(1, 4, "entity", "LOC"), Span(3, 7, "figure", "COUNT")]
    with pytest.raises(ChainpolicyError, match="overlap_entity_figure"):
        checked_prediction(TEXT, spans, "test-1")
