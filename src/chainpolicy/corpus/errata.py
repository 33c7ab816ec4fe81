"""Reviewed errata: exact replacements for damage the code cannot undo by itself."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chainpolicy.corpus.rope import Edit
from chainpolicy.errors import InputError, decode_utf8, describe_validation


class Erratum(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    article: str = Field(description="article id")
    before: str = Field(min_length=1, description="exact raw text, must occur exactly once")
    after: str
    reason: str = Field(min_length=10)
    reviewed_by: str = Field(min_length=1)


def load(path: Path) -> list[Erratum]:
    if not path.is_file():
        return []
    try:
        items = json.loads(decode_utf8(path, path.read_bytes()))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON at line {exc.lineno} column {exc.colno}") from exc
    if not isinstance(items, list):
        raise InputError(f"{path}: expected a JSON list of errata, got {type(items).__name__}")
    out = []
    for number, item in enumerate(items, 1):
        try:
            out.append(Erratum.model_validate(item))
        except ValidationError as exc:
            raise InputError(f"{path}: erratum #{number}: {describe_validation(exc)}") from None
    return out


def find(text: str, errata: list[tuple[int, Erratum]], article_id: str, source: Path) -> list[Edit]:
    """One edit per erratum; an erratum that does not match exactly once fails loudly."""
    edits = []
    for number, erratum in errata:
        count = text.count(erratum.before)
        if count != 1:
            raise InputError(
                f"{source}: erratum #{number} for article {article_id} is stale: "
                f"{erratum.before!r} occurs {count} times (expected exactly once)"
            )
        start = text.index(erratum.before)
        edits.append(
            Edit(
                start=start,
                end=start + len(erratum.before),
                after=erratum.after,
                kind="erratum",
                note=erratum.reason,
            )
        )
    return edits
