"""The keys of a task's ``data`` that the validator reads.

A task carries the sentence id, its article and where the sentence began in the cleaned article
text when it was imported, so that a span on a sentence whose text changed since can be re-anchored
through article offsets.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from chainpolicy.schema import LS_TEXT_NAME

SENTENCE_ID_KEY = "sentence_id"
ARTICLE_ID_KEY = "article_id"
ARTICLE_START_KEY = "article_start"


class TaskRef(NamedTuple):
    sentence_id: str | None
    article_id: str | None
    text: str | None
    article_start: int | None


def task_data(sentence_id: str, article_id: str, text: str, article_start: int) -> dict[str, Any]:
    return {
        LS_TEXT_NAME: text,
        SENTENCE_ID_KEY: sentence_id,
        ARTICLE_ID_KEY: article_id,
        ARTICLE_START_KEY: article_start,
    }


def task_ref(data: dict[str, Any]) -> TaskRef:
    """What the validator needs from ``data`` (``None`` where a key is missing or mistyped)."""
    sentence_id = data.get(SENTENCE_ID_KEY)
    article_id = data.get(ARTICLE_ID_KEY)
    text = data.get(LS_TEXT_NAME)
    start = data.get(ARTICLE_START_KEY)
    return TaskRef(
        sentence_id if isinstance(sentence_id, str) else None,
        article_id if isinstance(article_id, str) else None,
        text if isinstance(text, str) else None,
        start if isinstance(start, int) and not isinstance(start, bool) else None,
    )
