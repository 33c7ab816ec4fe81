"""The keys of a Label Studio task's ``data``: written by the task maker, read by the validator
and by the labelling config.

A task carries the sentence id, its article and where the sentence began in the cleaned article
text when it was imported, so that a span on a sentence whose text changed since can be re-anchored
through article offsets; and, for the annotator, the article title and the neighbouring sentences
as read-only context (the labelling config shows them as ``<Header>`` values).
"""

from __future__ import annotations

from typing import Any, Final, NamedTuple

from chainpolicy.schema import LS_TEXT_NAME

SENTENCE_ID_KEY: Final = "sentence_id"
ARTICLE_ID_KEY: Final = "article_id"
ARTICLE_START_KEY: Final = "article_start"
TEXT_HASH_KEY: Final = "text_sha1"
ROLE_KEY: Final = "role"
SCRIPT_KEY: Final = "script"
# Context shown to the annotator.
TITLE_KEY: Final = "title"
PREV_KEY: Final = "prev_text"
NEXT_KEY: Final = "next_text"


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


# Article offsets are code points of one article: far below this; larger values are damage.
MAX_ARTICLE_START = 2**31 - 1


def is_unicode(value: object) -> bool:
    """A str that is valid Unicode text (JSON can carry lone surrogates such as "\\ud800")."""
    if not isinstance(value, str):
        return False
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def task_ref(data: dict[str, Any]) -> TaskRef:
    """What the validator needs from ``data``: ``None`` where a key is missing, mistyped, not
    valid Unicode, or (the article offset) out of range."""
    sentence_id = data.get(SENTENCE_ID_KEY)
    article_id = data.get(ARTICLE_ID_KEY)
    text = data.get(LS_TEXT_NAME)
    start = data.get(ARTICLE_START_KEY)
    valid_start = type(start) is int and 0 <= start <= MAX_ARTICLE_START
    return TaskRef(
        sentence_id if is_unicode(sentence_id) else None,
        article_id if is_unicode(article_id) else None,
        text if is_unicode(text) else None,
        start if valid_start else None,
    )
