"""``chainpolicy publish``: the dataset folder to the Hugging Face Hub.

Order: the repository id and the revision are checked first (no file is read, no network is
used before); then the folder is copied into a temporary folder with the card made for that
repository (its address and id written where the build left placeholders, the Croissant file's
``url`` and citation too; ``dataset/`` itself is never rewritten), and that copy is what is
listed (``--dry-run``) and uploaded, so the list shows exactly the bytes that would go up.

``--revision vX.Y`` (or vX.Y.Z) is a release: the upload goes to ``main`` and the commit is
tagged; an existing tag is never moved. Any other revision is a branch, created if missing.
The token comes from ``HF_TOKEN`` only; it is never printed. Every failure is one line.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from chainpolicy.dataset import croissant
from chainpolicy.dataset.card_sections import fill_repository, placeholders, repository_url
from chainpolicy.errors import ChainpolicyError, InputError

TOKEN_ENV: Final = "HF_TOKEN"
CARD: Final = "README.md"
RELEASE_TAG: Final = re.compile(r"v\d+\.\d+(\.\d+)?")
_BRANCH: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")
# Files the build made that name the repository: rewritten in the copy that is uploaded.
_REWRITE: Final[dict[str, Callable[[str, str], str]]] = {
    CARD: fill_repository,
    croissant.CROISSANT_PATH: lambda text, repo_id: croissant.for_repository(
        text, repository_url(repo_id), lambda s: fill_repository(s, repo_id)
    ),
}


@dataclass(frozen=True)
class PlannedFile:
    path: str  # relative to the folder, with forward slashes
    size: int
    sha256: str


@dataclass(frozen=True)
class Revision:
    name: str | None  # None: main
    tag: bool  # a release tag (vX.Y) rather than a branch

    def describe(self, repo_id: str) -> str:
        if self.name is None:
            return repo_id
        return f"{repo_id} (tag {self.name})" if self.tag else f"{repo_id}@{self.name}"


def check_repo_id(repo_id: str) -> None:
    """``ORG/NAME`` as the Hub accepts it (``huggingface_hub``'s own validator), else one line."""
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    if repo_id.count("/") != 1:
        raise InputError(
            f"--repo-id {repo_id!r}: must be ORG/NAME (a user or organisation, a slash, a name)"
        )
    try:
        validate_repo_id(repo_id)
    except HFValidationError as exc:
        raise InputError(f"--repo-id {repo_id!r}: {_first_line(exc)}") from None


def check_revision(revision: str | None) -> Revision:
    if revision is None:
        return Revision(None, tag=False)
    if RELEASE_TAG.fullmatch(revision):
        return Revision(revision, tag=True)
    if re.fullmatch(r"v\d.*", revision):
        raise InputError(
            f"--revision {revision!r}: a release tag is vMAJOR.MINOR or vMAJOR.MINOR.PATCH "
            "(e.g. v1.0); a branch name must not look like one"
        )
    if (
        not _BRANCH.fullmatch(revision)
        or ".." in revision
        or revision.endswith(("/", ".lock", "."))
        or "//" in revision
    ):
        raise InputError(
            f"--revision {revision!r}: not a valid branch name (letters, digits, '.', '_', "
            "'-', '/'; no '..')"
        )
    return Revision(revision, tag=False)


def plan(folder: Path) -> list[PlannedFile]:
    """Every file of the dataset folder that would be uploaded (hidden files excluded)."""
    if not (folder / CARD).is_file():
        raise InputError(f"{folder}: not a dataset folder (no {CARD}); run `chainpolicy build`")
    files = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if not path.is_file() or any(part.startswith(".") for part in relative.parts):
            continue
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        files.append(PlannedFile(relative.as_posix(), path.stat().st_size, digest.hexdigest()))
    if not any(f.path.endswith(".parquet") for f in files):
        raise InputError(f"{folder}: no Parquet file under data/; run `chainpolicy build`")
    return files


def prepare(folder: Path, repo_id: str, into: Path) -> list[PlannedFile]:
    """Copy the folder into ``into`` as it is published to ``repo_id``; the plan of the copy."""
    for f in plan(folder):
        source, target = folder / f.path, into / f.path
        target.parent.mkdir(parents=True, exist_ok=True)
        rewrite = _REWRITE.get(f.path)
        if rewrite is not None:
            text = rewrite(source.read_text("utf-8"), repo_id)
            left = placeholders(text)
            if left:
                raise ChainpolicyError(
                    f"{source}: {', '.join(repr(p) for p in left)} left after writing the "
                    f"repository {repo_id} into it; rebuild with `chainpolicy build`"
                )
            target.write_text(text, "utf-8")
            continue
        try:  # the large files are not copied where a hard link will do
            os.link(source, target)
        except OSError:
            shutil.copyfile(source, target)
    return plan(into)


def upload(folder: Path, files: list[PlannedFile], repo_id: str, revision: Revision) -> str:
    """Upload the prepared copy ``folder``; with a release tag, tag the commit. The commit URL."""
    from huggingface_hub import HfApi, constants
    from huggingface_hub.errors import HfHubHTTPError, HfUriError, HFValidationError

    token = os.environ.get(TOKEN_ENV)
    if not token:
        raise InputError(
            f"no Hugging Face token: set {TOKEN_ENV} (never pass it on the command line)"
        )
    api = HfApi(token=token)
    where = revision.describe(repo_id)
    step = "upload"
    try:
        api.create_repo(repo_id, repo_type="dataset", exist_ok=True)
        if revision.tag:
            step = "checking the tags of"
            refs = api.list_repo_refs(repo_id, repo_type="dataset")
            if any(t.name == revision.name for t in refs.tags):
                raise InputError(
                    f"tag {revision.name} already exists in {repo_id}: a release tag is never "
                    "moved; publish a new version"
                )
        elif revision.name is not None:
            step = "creating the branch of"
            api.create_branch(repo_id, repo_type="dataset", branch=revision.name, exist_ok=True)
        step = "upload"
        info = api.upload_folder(
            repo_id=repo_id,
            repo_type="dataset",
            folder_path=folder,
            revision=None if revision.tag else revision.name,
            allow_patterns=[f.path for f in files],
            # Files of an earlier build that this build no longer has must not linger.
            delete_patterns=["data/**", "images/**"],
            commit_message=f"chainpolicy build ({len(files)} files)",
        )
        if revision.tag:
            step = f"uploaded commit {info.oid}, but tagging it {revision.name} in"
            api.create_tag(
                repo_id,
                tag=str(revision.name),
                revision=info.oid,
                repo_type="dataset",
                tag_message=f"ChainPolicy-ZH {revision.name}",
            )
    except HfHubHTTPError as exc:
        raise ChainpolicyError(f"{_step(step)} {where} failed: {_first_line(exc)}") from None
    except HFValidationError as exc:
        raise InputError(f"--repo-id {repo_id!r}: {_first_line(exc)}") from None
    except (HfUriError, json.JSONDecodeError) as exc:
        # HF_ENDPOINT names something that answers, but not like the Hub.
        raise ChainpolicyError(
            f"{_step(step)} {where} failed: the server at {constants.ENDPOINT} does not answer "
            f"like the Hub ({type(exc).__name__}: {_first_line(exc)})"
        ) from None
    except _transport_errors() as exc:
        raise ChainpolicyError(
            f"{_step(step)} {where} failed: cannot reach the Hub at {constants.ENDPOINT} "
            f"({type(exc).__name__}: {_first_line(exc)})"
        ) from None
    return str(info.commit_url)


def _step(step: str) -> str:
    return "upload to" if step == "upload" else step


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _transport_errors() -> tuple[type[BaseException], ...]:
    """The network errors of the HTTP client huggingface_hub uses (httpx2 in 2.x, else httpx)."""
    errors: list[type[BaseException]] = [OSError]
    for name in ("httpx2", "httpx"):
        try:
            module = __import__(name)
        except ImportError:
            continue
        errors.append(module.HTTPError)
    return tuple(errors)
