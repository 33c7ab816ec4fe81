"""The title shown to annotators as a sentence's context, derived from its article's own text.

Three of the five articles have no title line (``title: null`` in the manifest), which left most
tasks without any context title. This title is for display only: ``ArticleRecord.title`` and the
dataset's ``articles`` config keep the article's own title line (None if it has none).
"""

from __future__ import annotations

from collections.abc import Iterable

from chainpolicy.corpus.roles import _LEAD_MARKER  # the marker the role rules themselves use
from chainpolicy.records import SentenceRecord

MAX_CHARS = 40  # a sentence used as a title is cut to this many code points, ellipsis included
ELLIPSIS = "…"
# The opening sentences: a lead (the "导读" section) is body text under another name.
_OPENING_ROLES = ("lead", "body")


def context_title(records: Iterable[SentenceRecord], manifest_title: str | None) -> str:
    """The title of one article (``records`` are its records, in order) for the task context.

    In order: the article's own title (the manifest's, else its ``title`` record); else its first
    heading that is not a lead marker such as ``导读`` / ``導 讀``; else its first body sentence,
    shortened to ``MAX_CHARS`` with an ellipsis. "" for an article with none of these.
    """
    if manifest_title and manifest_title.strip():
        return manifest_title.strip()
    title = heading = opening = None
    for record in records:
        text = record.text.strip()
        if not text:
            continue
        if record.role == "title":
            title = text
            break
        if record.role == "heading" and heading is None and not _LEAD_MARKER.match(text):
            heading = text
        elif record.role in _OPENING_ROLES and opening is None:
            opening = text
    if title is not None:
        return title
    if heading is not None:
        return heading
    return shorten(opening) if opening is not None else ""


def shorten(text: str, limit: int = MAX_CHARS) -> str:
    """``text`` if it has at most ``limit`` code points, else its start and an ellipsis."""
    return text if len(text) <= limit else text[: limit - len(ELLIPSIS)] + ELLIPSIS
