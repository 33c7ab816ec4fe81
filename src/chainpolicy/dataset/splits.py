"""The committed split assignment: ``annotations/splits.json``, article id -> split.

Splits are grouped by article (no article in two splits). The build only reads the file and
refuses an article it does not assign. Splits are stable across releases:

1. **First release** (no assignment file yet): ``assign()``. Articles are sized by their
   annotatable records and ordered by (size, id). The test split first takes the smallest article
   of each script, so that it holds both scripts, then keeps taking the smallest remaining article
   while it holds less than ``TEST_SHARE`` of the records; validation then takes the smallest
   remaining articles while it holds less than ``VALIDATION_SHARE``; train gets the rest.
2. **A new article** (``chainpolicy splits --write``): ``extend()``. An assigned article is never
   moved. A new article goes to train or validation, never test: to whichever of the two is
   furthest below its target share (``TARGET_SHARE``) in records, counting every article of the
   corpus; a tie goes to train. Several new articles are placed largest first, ties by id.
3. **An explicit decision** (``chainpolicy splits --assign ID SPLIT --reason TEXT``): ``move()``.
   The only way an article enters or leaves test, or changes split at all.

Every change after the first release (2 and 3) is appended to the committed log next to the
assignment (``splits_log.jsonl``: date, article, from, to, by, reason), and ``audit()`` checks
that the assignment is what the log says.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from chainpolicy import atomic
from chainpolicy.contract.layout import SPLITS, Split
from chainpolicy.errors import InputError, describe_validation, utf8_lines

TEST_SHARE: Final = 0.15
VALIDATION_SHARE: Final = 0.15
TARGET_SHARE: Final[Mapping[Split, float]] = {
    "train": 1 - TEST_SHARE - VALIDATION_SHARE,
    "validation": VALIDATION_SHARE,
    "test": TEST_SHARE,
}
NEW_ARTICLE_SPLITS: Final[tuple[Split, ...]] = ("train", "validation")
SPLITS_FILE: Final = "splits.json"

_ADAPTER: Final = TypeAdapter(dict[str, Split])


def assign(articles: Iterable[tuple[str, str, int]]) -> dict[str, Split]:
    """Split per article from ``(article id, script, annotatable records)``: the first release."""
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


class Decision(BaseModel):
    """One line of the split log: an article got a split (``from`` None) or changed split."""

    # "from" is a Python keyword: the field is from_ in code, "from" in the log (and when made).
    model_config = ConfigDict(extra="forbid", frozen=True)

    date: str = Field(description="UTC time of the decision, ISO 8601")
    article: str
    from_: Split | None = Field(alias="from")
    to: Split
    by: Literal["rule", "maintainer"]
    reason: str = Field(min_length=1)


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def extend(
    assigned: Mapping[str, Split], articles: Iterable[tuple[str, str, int]]
) -> list[Decision]:
    """Decisions for the articles ``assigned`` lacks (module rule 2); assigned ones never move."""
    items = list(articles)
    total = sum(size for _, _, size in items)
    sizes = {article: size for article, _, size in items}
    held = dict.fromkeys(SPLITS, 0)
    for article, split in assigned.items():
        held[split] += sizes.get(article, 0)
    new = sorted((a for a in items if a[0] not in assigned), key=lambda a: (-a[2], a[0]))
    date, out = _now(), []
    for article, _, size in new:
        # max() keeps the first of equal deficits: train before validation.
        split = max(NEW_ARTICLE_SPLITS, key=lambda s: TARGET_SHARE[s] * total - held[s])
        reason = (
            f"new article ({size} records): {split} was furthest below its target share "
            f"({held[split]} of {total} records, target {TARGET_SHARE[split]:.0%})"
        )
        held[split] += size
        out.append(
            Decision.model_validate(
                {
                    "date": date,
                    "article": article,
                    "from": None,
                    "to": split,
                    "by": "rule",
                    "reason": reason,
                }
            )
        )
    return out


def move(
    assigned: Mapping[str, Split], article: str, to: Split, reason: str, corpus: Iterable[str]
) -> Decision:
    """An explicit decision (module rule 3), refused when it names no article or changes nothing."""
    if article not in set(corpus):
        raise InputError(f"--assign: no article {article!r} in the corpus")
    if not reason.strip():
        raise InputError("--assign needs --reason: why the article changes split (it is logged)")
    current = assigned.get(article)
    if current == to:
        raise InputError(f"--assign: article {article} is already in {to}")
    return Decision.model_validate(
        {
            "date": _now(),
            "article": article,
            "from": current,
            "to": to,
            "by": "maintainer",
            "reason": reason.strip(),
        }
    )


def apply(assigned: Mapping[str, Split], decisions: Iterable[Decision]) -> dict[str, Split]:
    out = dict(assigned)
    for decision in decisions:
        out[decision.article] = decision.to
    return dict(sorted(out.items()))


def log_path(splits_file: Path) -> Path:
    """The log beside the assignment: ``splits.json`` -> ``splits_log.jsonl``."""
    return splits_file.with_name(f"{splits_file.stem}_log.jsonl")


def load_log(path: Path) -> list[Decision]:
    if not path.exists():
        return []
    out = []
    for number, line in utf8_lines(path):
        if not line.strip():
            continue
        try:
            out.append(Decision.model_validate_json(line))
        except ValidationError as exc:
            raise InputError(f"{path}:{number}: {describe_validation(exc)}") from None
    return out


def append_log(path: Path, decisions: Sequence[Decision]) -> None:
    # The whole file is rewritten atomically: an interrupted run leaves no half line.
    before = path.read_text("utf-8") if path.exists() else ""
    lines = "".join(d.model_dump_json(by_alias=True) + "\n" for d in decisions)
    atomic.write_text(path, before + lines)


def audit(assigned: Mapping[str, Split], log: Sequence[Decision], path: Path) -> list[str]:
    """What makes a committed assignment invalid under the module rules (empty: valid).

    The log must chain (each decision starts from the split the previous one left), the rule never
    puts an article in test, every logged article is where its last decision put it, and train is
    not empty. Articles the log never mentions are from the first release and are kept as they are.
    """
    problems = []
    last: dict[str, tuple[int, Split]] = {}  # article -> (line, split) of its latest decision
    for number, d in enumerate(log, 1):
        if d.by == "rule" and d.to not in NEW_ARTICLE_SPLITS:
            problems.append(f"line {number}: the rule put article {d.article} in {d.to}")
        previous = last.get(d.article)
        if previous is not None and previous[1] != d.from_:
            problems.append(
                f"line {number}: article {d.article} moves from {d.from_}, but line "
                f"{previous[0]} left it in {previous[1]}"
            )
        last[d.article] = (number, d.to)
    for article, (number, split) in sorted(last.items()):
        if assigned.get(article) != split:
            problems.append(
                f"article {article} is in {assigned.get(article)}, but its last logged decision "
                f"(line {number}) put it in {split}"
            )
    if assigned and "train" not in assigned.values():
        problems.append("no article in train")
    return [f"{path}: {p}" for p in problems]


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
        raise InputError(
            f"{path}: {describe_validation(exc)} (splits are {', '.join(SPLITS)})"
        ) from None


def check(splits: Mapping[str, str], article_ids: Iterable[str], path: Path) -> None:
    """Every article of the corpus has a split, and the file names no unknown article."""
    ids = list(article_ids)
    missing = [a for a in ids if a not in splits]
    if missing:
        raise InputError(
            f"{path}: no split for article(s) {', '.join(missing[:10])}"
            f"{' ...' if len(missing) > 10 else ''}; run `chainpolicy splits --write` (it adds "
            "new articles to train or validation and never moves an assigned one), review and "
            "commit the file and its log"
        )
    check_known(splits, ids, path)


def check_known(splits: Mapping[str, str], article_ids: Iterable[str], path: Path) -> None:
    """The file names no article the corpus lacks (a removed article is a reviewed hand edit)."""
    unknown = sorted(set(splits) - set(article_ids))
    if unknown:
        raise InputError(
            f"{path}: article(s) not in the corpus: {', '.join(unknown[:10])}"
            f"{' ...' if len(unknown) > 10 else ''}"
        )


def write(path: Path, splits: Mapping[str, str]) -> None:
    atomic.write_text(path, json.dumps(dict(sorted(splits.items())), indent=2) + "\n")
