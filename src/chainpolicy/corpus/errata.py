"""Reviewed errata: exact replacements for damage the code cannot undo by itself."""

from __future__ import annotations

import json
from collections.abc import Container, Sequence
from pathlib import Path
from typing import NamedTuple, NoReturn

import ijson
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


class Correction(NamedTuple):
    """What applying an erratum needs (the article is known from where it is kept)."""

    before: str
    after: str
    reason: str


def by_article(path: Path, known: Container[str]) -> dict[str, list[tuple[int, Correction]]]:
    """The errata of ``path`` grouped by article, numbered from 1 in file order, each checked
    as ``load`` checks it and naming a ``known`` article. The file is streamed (ijson) and only
    what applying needs is kept, so a big errata file costs its text, not its models; a problem
    is reported as ``load`` reports it."""
    grouped: dict[str, list[tuple[int, Correction]]] = {}
    if not path.is_file():
        return grouped
    with open(path, "rb") as fh:
        try:
            head = fh.read(4096).lstrip()
            fh.seek(0)
            if not head.startswith(b"["):
                _refuse(path, "not a list")
            for number, item in enumerate(ijson.items(fh, "item", use_float=True), 1):
                try:
                    erratum = Erratum.model_validate(item)
                except ValidationError:
                    _refuse(path, "an invalid erratum")
                if erratum.article not in known:
                    raise InputError(
                        f"{path}: erratum #{number} names unknown article {erratum.article!r}"
                    )
                fix = Correction(erratum.before, erratum.after, erratum.reason)
                grouped.setdefault(erratum.article, []).append((number, fix))
        except (ijson.JSONError, UnicodeDecodeError):
            _refuse(path, "not JSON")
    return grouped


def _refuse(path: Path, what: str) -> NoReturn:
    load(path)  # raises the InputError that names the problem
    raise InputError(f"{path}: not a valid errata file ({what})")


def find(
    text: str,
    errata: Sequence[tuple[int, Erratum | Correction]],
    article_id: str,
    source: Path,
) -> list[Edit]:
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
