"""The committed split assignment: ``annotations/splits.json``, article id -> split.

Splits are grouped by article (no article in two splits). The file is generated once by
``chainpolicy splits --write`` with the rule below, reviewed, and committed; the build only reads
it and refuses an article the file does not assign.

The rule (deterministic): articles are sized by their annotatable records and ordered by
(size, id). The test split first takes the smallest article of each script, so that it holds
both scripts, then keeps taking the smallest remaining article while it holds less than
``TEST_SHARE`` of the records; validation then takes the smallest remaining articles while it
holds less than ``VALIDATION_SHARE``; train gets the rest (the largest articles).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Final, Literal

from pydantic import TypeAdapter, ValidationError

from chainpolicy import atomic
from chainpolicy.errors import InputError

Split = Literal["train", "validation", "test"]
SPLITS: Final[tuple[Split, ...]] = ("train", "validation", "test")
TEST_SHARE: Final = 0.15
VALIDATION_SHARE: Final = 0.15
SPLITS_FILE: Final = "splits.json"

_ADAPTER: Final = TypeAdapter(dict[str, Split])


def assign(articles: Iterable[tuple[str, str, int]]) -> dict[str, Split]:
    """Split per article from ``(article id, script, annotatable records)``, by the module rule."""
    items = sorted(articles, key=lambda a: (a[2], a[0]))
    total = sum(size for _, _, size in items) or 1
    out: dict[str, Split] = {}
    remaining = list(items)

    def take(article: tuple[str, str, int], split: Split) -> int:
        remaining.remove(article)
        out[article[0]] = split
        return article[2]

    test = 0
    for script in sorted({script for _, script, _ in items}):
        smallest = next(a for a in remaining if a[1] == script)
        if len(remaining) > 1:  # never leave train empty
            test += take(smallest, "test")
    while remaining[1:] and test < TEST_SHARE * total:
        test += take(remaining[0], "test")
    validation = 0
    while remaining[1:] and validation < VALIDATION_SHARE * total:
        validation += take(remaining[0], "validation")
    for article in list(remaining):
        take(article, "train")
    return dict(sorted(out.items()))


def load(path: Path) -> dict[str, Split]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise InputError(
            f"{path}: no split file; generate it with `chainpolicy splits --write`, review it "
            "and commit it"
        ) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not JSON at line {exc.lineno} column {exc.colno}") from None
    try:
        return _ADAPTER.validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputError(
            f"{path}: {where}: {first['msg']} (splits are {', '.join(SPLITS)})"
        ) from None


def check(splits: Mapping[str, str], article_ids: Iterable[str], path: Path) -> None:
    """Every article of the corpus has a split, and the file names no unknown article."""
    ids = list(article_ids)
    missing = [a for a in ids if a not in splits]
    if missing:
        raise InputError(
            f"{path}: no split for article(s) {', '.join(missing[:10])}"
            f"{' ...' if len(missing) > 10 else ''}; add them (or regenerate with "
            "`chainpolicy splits --write`) and review"
        )
    unknown = sorted(set(splits) - set(ids))
    if unknown:
        raise InputError(
            f"{path}: article(s) not in the corpus: {', '.join(unknown[:10])}"
            f"{' ...' if len(unknown) > 10 else ''}"
        )


def write(path: Path, splits: Mapping[str, str]) -> None:
    atomic.write_text(path, json.dumps(dict(sorted(splits.items())), indent=2) + "\n")
