from __future__ import annotations

from chainpolicy.corpus import load_corpus
from chainpolicy.labelstudio.tasks import TEXT_HASH_KEY, make_tasks
from chainpolicy.prelabel import MODEL_VERSION
from chainpolicy.schema import ANNOTATED_ROLES
from chainpolicy.validate.taskdata import task_ref


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
