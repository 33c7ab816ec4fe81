"""The source manifest: which raw files make the corpus, with their checksums and metadata."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chainpolicy.errors import InputError
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


def load(sources: Path) -> Manifest:
    path = sources / "manifest.json"
    try:
        return Manifest.model_validate_json(path.read_bytes())
    except FileNotFoundError as exc:
        raise InputError(f"{path}: manifest not found") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputError(f"{path}: field {where}: {first['msg']}") from exc


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
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from exc


def dumps(manifest: Manifest) -> str:
    return json.dumps(manifest.model_dump(), ensure_ascii=False, indent=2) + "\n"
