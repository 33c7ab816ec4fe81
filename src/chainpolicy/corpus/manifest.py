"""The source manifest: which raw files make the corpus, with their checksums and metadata.

``sources/manifest.json`` lists every article once (an id or a file listed twice is refused). A
file in ``sources/`` that the manifest does not list is not part of the corpus; ``unlisted()``
names such files so that the commands can warn about them (this layer never prints).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, NoReturn

import ijson
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from chainpolicy.errors import InputError, decode_utf8, describe_validation
from chainpolicy.records import Script
from chainpolicy.schema import ROLES


class ArticleSource(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[0-9a-f]{16}$")
    file: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    script: Script
    title: str | None = Field(description="the article's own title line, None if it has none")
    authors: list[str] = []
    byline: str | None = None
    source: str | None = Field(default=None, description="the article's source line, if any")
    line_roles: dict[int, str] = Field(
        default_factory=dict, description="roles the rules cannot see (title, byline ...)"
    )

    def model_post_init(self, _context: object) -> None:
        for line, role in self.line_roles.items():
            if role not in ROLES:
                raise ValueError(f"line {line}: unknown role {role!r}")


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    articles: list[ArticleSource]

    @model_validator(mode="after")
    def _each_article_once(self) -> Manifest:
        # Two entries with one id would give two articles the same sentence ids; two entries for
        # one file would put the same text in the corpus twice.
        for field in ("id", "file"):
            seen: dict[str, int] = {}
            for number, article in enumerate(self.articles):
                value = getattr(article, field)
                if value in seen:
                    first = self.articles[seen[value]]
                    raise ValueError(
                        f"duplicate article {field} {value!r}: articles.{seen[value]} "
                        f"({first.id}, {first.file}) and articles.{number} "
                        f"({article.id}, {article.file})"
                    )
                seen[value] = number
        return self


MANIFEST_FILE = "manifest.json"


def load(sources: Path) -> Manifest:
    path = sources / MANIFEST_FILE
    try:
        return Manifest.model_validate_json(path.read_bytes())
    except FileNotFoundError as exc:
        raise InputError(f"{path}: manifest not found") from exc
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        check = first.get("ctx", {}).get("error")
        if not first["loc"] and check is not None:  # a check of the whole manifest
            raise InputError(f"{path}: {check}") from None
        raise InputError(f"{path}: {describe_validation(exc, 'the manifest')}") from None


def iter_articles(sources: Path) -> Iterator[ArticleSource]:
    """The manifest's articles in order, each validated as ``load`` validates it, without
    holding the manifest: the file is streamed (ijson) twice, once to check every entry and
    that no id or file repeats, then to hand the articles out one at a time. Memory keeps the
    ids and files seen (for the repeat check), not the articles.

    A problem found while streaming is reported exactly as ``load`` reports it (``load`` is run
    for its message), so both readers refuse the same files with the same words.
    """
    path = sources / MANIFEST_FILE
    ids: set[str] = set()
    files: set[str] = set()
    for article in _stream(path, sources, check_keys=True):
        if article.id in ids or article.file in files:
            _refuse(path, sources, "a repeated article")
        ids.add(article.id)
        files.add(article.file)
    del ids, files
    yield from _stream(path, sources, check_keys=False)


def _stream(path: Path, sources: Path, *, check_keys: bool) -> Iterator[ArticleSource]:
    if not path.is_file():
        raise InputError(f"{path}: manifest not found")
    with open(path, "rb") as fh:
        try:
            if check_keys:
                if _first_byte(fh) != b"{":
                    _refuse(path, sources, "not an object")
                keys: set[str] = set()
                kinds: set[str] = set()  # what the value of "articles" starts with
                for at, kind, value in ijson.parse(fh, use_float=True):
                    if not at and kind == "map_key":
                        keys.add(value)
                    elif at == "articles" and kind not in ("end_array", "end_map", "map_key"):
                        kinds.add(kind)
                fh.seek(0)
                if keys != {"articles"} or kinds != {"start_array"}:
                    _refuse(path, sources, "not an object with a list of articles")
            for item in ijson.items(fh, "articles.item", use_float=True):
                try:
                    yield ArticleSource.model_validate(item)
                except ValidationError:
                    _refuse(path, sources, "an invalid article")
        except (ijson.JSONError, UnicodeDecodeError):
            _refuse(path, sources, "not JSON")


def _first_byte(fh: BinaryIO) -> bytes:
    while (byte := fh.read(1)) in (b" ", b"\t", b"\r", b"\n"):
        pass
    fh.seek(0)
    return byte


def _refuse(path: Path, sources: Path, what: str) -> NoReturn:
    load(sources)  # raises the InputError that names the problem
    raise InputError(f"{path}: not a valid manifest ({what})")  # load found nothing: say so


def unlisted(sources: Path, manifest: Manifest) -> list[Path]:
    """Files in ``sources`` that are neither the manifest nor listed in it (sorted).

    Hidden files (``.name``: editor backups, the temporary files of an atomic write) are skipped.
    """
    listed = {article.file for article in manifest.articles} | {MANIFEST_FILE}
    return sorted(
        path
        for path in sources.iterdir()
        if path.is_file() and not path.name.startswith(".") and path.name not in listed
    )


def read_source(sources: Path, article: ArticleSource) -> str:
    """The raw text of one article, refusing anything that is not the reviewed file."""
    path = sources / article.file
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise InputError(f"{path}: source file missing (article {article.id})") from exc
    if not data:
        raise InputError(f"{path}: source file is empty (article {article.id})")
    digest = hashlib.sha256(data).hexdigest()
    if digest != article.sha256:
        raise InputError(
            f"{path}: sha256 mismatch for article {article.id}: "
            f"manifest {article.sha256}, file {digest}"
        )
    return decode_utf8(path, data)


def dumps(manifest: Manifest) -> str:
    return json.dumps(manifest.model_dump(), ensure_ascii=False, indent=2) + "\n"
