"""Label Studio tasks: one per annotatable sentence, with context and machine pre-annotations.

``data`` carries what the validator needs to trust an export later (sentence id, article id,
the sentence's start in the cleaned article, text and its hash) and what the annotator sees
as context (article title, derived from the text when the article has none; previous and next
sentence). Pre-annotations go in as ``predictions`` with the pre-annotator's ``model_version``;
each one is checked with the same rules as a human annotation before it is offered.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import groupby
from typing import Any

from chainpolicy.contract.regions import check_annotation
from chainpolicy.contract.results import region_results
from chainpolicy.contract.taskdata import (
    NEXT_KEY,
    PREV_KEY,
    ROLE_KEY,
    SCRIPT_KEY,
    TEXT_HASH_KEY,
    TITLE_KEY,
    task_data,
)
from chainpolicy.corpus.titles import context_title
from chainpolicy.errors import ChainpolicyError
from chainpolicy.records import SentenceRecord, Span
from chainpolicy.schema import ANNOTATED_ROLES


def prediction(text: str) -> dict[str, Any]:
    """The pre-annotator's prediction for one text, validated like a human annotation.

    No ``score``: the pre-annotator is rule-based and has no confidence to report, and a made-up
    number would steer Label Studio's uncertainty sampling.
    """
    from chainpolicy.prelabel import MODEL_VERSION, predict

    return checked_prediction(text, predict(text), MODEL_VERSION)


def checked_prediction(text: str, spans: Sequence[Span], model_version: str) -> dict[str, Any]:
    """A prediction of ``spans``; raises if any result fails the human-annotation rules."""
    result = [r for n, s in enumerate(spans) for r in region_results(text, s, f"pre{n}", None)]
    checked = check_annotation(result, text)
    if checked.rejected:
        first = checked.rejected[0]
        raise ChainpolicyError(
            f"pre-annotator {model_version} made {len(checked.rejected)} invalid result(s) on "
            f"{text!r}; the first: {first.reason} ({first.detail})"
        )
    return {"model_version": model_version, "result": result}


def make_tasks(
    records: Iterable[SentenceRecord],
    titles: Mapping[str, str | None],
    *,
    predictions: bool = True,
) -> Iterator[dict[str, Any]]:
    """Tasks in corpus order; boilerplate is neither a task nor shown as context.

    ``titles`` are the articles' own titles (None if none); an article without one is shown
    with a title taken from its text (``corpus.titles.context_title``).
    """
    for article_id, group in groupby(records, key=lambda r: r.article_id):
        article = list(group)
        shown = [r for r in article if r.role in ANNOTATED_ROLES]
        title = context_title(article, titles.get(article_id))
        for i, record in enumerate(shown):
            data = task_data(record.id, record.article_id, record.text, record.start)
            data.update(
                {
                    ROLE_KEY: record.role,
                    SCRIPT_KEY: record.script,
                    TEXT_HASH_KEY: record.text_sha1,
                    TITLE_KEY: title,
                    PREV_KEY: shown[i - 1].text if i else "",
                    NEXT_KEY: shown[i + 1].text if i + 1 < len(shown) else "",
                }
            )
            task: dict[str, Any] = {"data": data}
            if predictions:
                task["predictions"] = [prediction(record.text)]
            yield task
