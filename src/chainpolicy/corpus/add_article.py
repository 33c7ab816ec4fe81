"""Add an article to the corpus: copy the raw file into ``sources/`` and list it in the manifest.

The file is copied byte for byte (it is never edited, like every source). Its id and file name
follow the scheme of the committed sources, ``NNN_<id>.txt`` with a 16-digit lowercase hex id:

- a file already named ``NNN_<16 hex>.txt`` (the upstream names of the seed articles) keeps its
  name, and the hex part is its id;
- any other file gets the first 16 hex digits of the sha256 of its raw bytes as id (the same
  bytes always get the same id) and is copied to ``<next NNN>_<id>.txt``, where the next number
  is one more than the highest ``NNN`` in ``sources/``.

Refused, with nothing written: a file that is empty, not UTF-8 or starts with a byte order mark;
a file whose sha256 or id is already in the manifest; a target file that already exists; a file
inside ``sources/`` that is not named by the scheme (it cannot be renamed for the maintainer: no
command moves a file it did not make); metadata the manifest model refuses; a declared script
that contradicts the text.

The script is detected with OpenCC (see ``script_evidence``): Traditional when t2s changes at
least ``SIGNIFICANT_SHARE`` of the CJK characters and s2t changes less, Simplified the other way
round. A text that is neither (too short, or mixed) must be declared with ``script``.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final

import opencc
from pydantic import ValidationError

from chainpolicy import atomic
from chainpolicy.corpus import manifest as manifest_mod
from chainpolicy.corpus.manifest import ArticleSource, Manifest
from chainpolicy.errors import InputError, decode_utf8, describe_validation
from chainpolicy.records import Script

FILE_NAME: Final = re.compile(r"^(?P<number>\d{3})_(?P<id>[0-9a-f]{16})\.txt$")
SIGNIFICANT_SHARE: Final = 0.05
# CJK unified ideographs (with extension A and the astral extensions) and compatibility ideographs.
_CJK: Final = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")


@lru_cache(maxsize=2)
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


@dataclass(frozen=True)
class ScriptEvidence:
    """How many CJK characters OpenCC's t2s and s2t each change, one character at a time."""

    cjk: int
    t2s_changed: int
    s2t_changed: int

    @property
    def detected(self) -> Script | None:
        """Hant or Hans when one conversion changes a significant share and the other does not."""
        traditional = self.t2s_changed >= SIGNIFICANT_SHARE * self.cjk > 0
        simplified = self.s2t_changed >= SIGNIFICANT_SHARE * self.cjk > 0
        if traditional != simplified:
            return "Hant" if traditional else "Hans"
        return None

    def describe(self) -> str:
        return (
            f"OpenCC t2s changes {self.t2s_changed} and s2t changes {self.s2t_changed} "
            f"of its {self.cjk} CJK characters"
        )


def script_evidence(text: str) -> ScriptEvidence:
    # Character by character (each distinct character converted once): a phrase rule may change
    # a text's length, a single character never does, so the counts are exact.
    counts = Counter(c for c in text if _CJK.match(c))
    t2s, s2t = _converter("t2s.json"), _converter("s2t.json")
    return ScriptEvidence(
        cjk=sum(counts.values()),
        t2s_changed=sum(n for c, n in counts.items() if t2s.convert(c) != c),
        s2t_changed=sum(n for c, n in counts.items() if s2t.convert(c) != c),
    )


def resolve_script(text: str, declared: Script | None, path: Path) -> Script:
    evidence = script_evidence(text)
    detected = evidence.detected
    if declared is not None and detected is not None and declared != detected:
        raise InputError(
            f"{path}: --script {declared} contradicts the text: {evidence.describe()} "
            f"(that is {detected})"
        )
    script = declared or detected
    if script is None:
        raise InputError(
            f"{path}: cannot tell the script: {evidence.describe()}; declare it with "
            "--script Hans or --script Hant"
        )
    return script


@dataclass(frozen=True)
class Metadata:
    """What the maintainer knows about the article beyond its text (see ``ArticleSource``)."""

    title: str | None = None
    authors: tuple[str, ...] = ()
    byline: str | None = None
    source: str | None = None
    line_roles: tuple[tuple[int, str], ...] = ()
    script: Script | None = None


@dataclass(frozen=True)
class Plan:
    """A checked addition: the manifest entry, where the file goes and the manifest after it."""

    article: ArticleSource
    origin: Path
    target: Path
    data: bytes
    manifest: Manifest
    evidence: ScriptEvidence

    @property
    def in_place(self) -> bool:
        """The file is already in ``sources/`` under its scheme name: nothing to copy."""
        return self.origin.resolve() == self.target.resolve()


def plan(path: Path, sources: Path, meta: Metadata) -> Plan:
    """Every check of the module docstring; writes nothing."""
    current = manifest_mod.load(sources)
    data = path.read_bytes()
    if not data:
        raise InputError(f"{path}: the file is empty")
    text = decode_utf8(path, data)
    if text.startswith("\ufeff"):
        raise InputError(
            f"{path}: starts with a UTF-8 byte order mark, which would become part of the "
            "article's first sentence; save the file without it"
        )
    digest = hashlib.sha256(data).hexdigest()
    for listed in current.articles:
        if listed.sha256 == digest:
            raise InputError(
                f"{path}: the same bytes (sha256 {digest}) are already article {listed.id} "
                f"({sources / listed.file})"
            )
    article_id, name = _id_and_name(path, sources, current, digest)
    for listed in current.articles:
        if listed.id == article_id:
            raise InputError(
                f"{path}: article id {article_id} is already in {sources / 'manifest.json'} "
                f"({listed.file})"
            )
    target = sources / name
    if target.exists() and target.resolve() != path.resolve():
        raise InputError(f"{target}: already exists; refusing to overwrite it with {path}")
    lines = text.count("\n") + 1
    for line, _ in meta.line_roles:
        if not 0 <= line < lines:
            raise InputError(f"{path}: --line-role {line}: the file has lines 0 to {lines - 1}")
    article = _article(
        path,
        id=article_id,
        file=name,
        sha256=digest,
        script=resolve_script(text, meta.script, path),
        title=meta.title,
        authors=list(meta.authors),
        byline=meta.byline,
        source=meta.source,
        line_roles=dict(meta.line_roles),
    )
    updated = Manifest(articles=[*current.articles, article])
    return Plan(article, path, target, data, updated, script_evidence(text))


def _id_and_name(path: Path, sources: Path, current: Manifest, digest: str) -> tuple[str, str]:
    named = FILE_NAME.match(path.name)
    if named:
        return named["id"], path.name
    article_id = digest[:16]
    numbers = [
        int(m["number"])
        for name in [a.file for a in current.articles] + [p.name for p in sources.iterdir()]
        if (m := FILE_NAME.match(name))
    ]
    name = f"{max(numbers, default=-1) + 1:03d}_{article_id}.txt"
    if path.resolve().parent == sources.resolve():
        raise InputError(
            f"{path}: a file in {sources} must be named NNN_<16 hex digits>.txt; rename it "
            f"(`mv {path} {sources / name}`) and add it again"
        )
    return article_id, name


def _article(path: Path, **fields: object) -> ArticleSource:
    try:
        return ArticleSource.model_validate(fields)
    except ValidationError as exc:
        raise InputError(f"{path}: manifest entry: {describe_validation(exc)}") from None


def write(checked: Plan, sources: Path) -> None:
    """Copy the file (unless it is already in place), then rewrite the manifest, atomically."""
    copied = False
    if not checked.in_place:
        atomic.write_bytes(checked.target, checked.data)
        copied = True
    try:
        atomic.write_text(
            sources / manifest_mod.MANIFEST_FILE, manifest_mod.dumps(checked.manifest)
        )
    except BaseException:
        if copied:  # we made this file a moment ago: leave sources/ as it was
            with contextlib.suppress(FileNotFoundError):
                checked.target.unlink()
        raise


def add_article(path: Path, sources: Path, meta: Metadata) -> Plan:
    checked = plan(path, sources, meta)
    write(checked, sources)
    return checked
