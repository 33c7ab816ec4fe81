"""``chainpolicy publish``: the dataset folder to the Hugging Face Hub.

The plan (every file with its size and sha256) is computed the same way for ``--dry-run`` and for
the upload, so what the dry run lists is what gets uploaded. The token comes from ``HF_TOKEN``
only; it is never printed.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from chainpolicy.errors import ChainpolicyError, InputError

TOKEN_ENV = "HF_TOKEN"


@dataclass(frozen=True)
class PlannedFile:
    path: str  # relative to the folder, with forward slashes
    size: int
    sha256: str


def plan(folder: Path) -> list[PlannedFile]:
    """Every file of the dataset folder that would be uploaded (hidden files excluded)."""
    if not (folder / "README.md").is_file():
        raise InputError(f"{folder}: not a dataset folder (no README.md); run `chainpolicy build`")
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


def upload(folder: Path, files: list[PlannedFile], repo_id: str, revision: str | None) -> str:
    from huggingface_hub import HfApi, constants
    from huggingface_hub.errors import HfHubHTTPError, HFValidationError

    token = os.environ.get(TOKEN_ENV)
    if not token:
        raise InputError(
            f"no Hugging Face token: set {TOKEN_ENV} (never pass it on the command line)"
        )
    api = HfApi(token=token)
    try:
        api.create_repo(repo_id, repo_type="dataset", exist_ok=True)
        if revision:
            api.create_branch(repo_id, repo_type="dataset", branch=revision, exist_ok=True)
        info = api.upload_folder(
            repo_id=repo_id,
            repo_type="dataset",
            folder_path=folder,
            revision=revision,
            allow_patterns=[f.path for f in files],
            # Files of an earlier build that this build no longer has must not linger.
            delete_patterns=["data/**", "images/**"],
            commit_message=f"chainpolicy build ({len(files)} files)",
        )
    except HfHubHTTPError as exc:
        raise ChainpolicyError(f"upload to {repo_id} failed: {_first_line(exc)}") from None
    except HFValidationError as exc:
        raise InputError(f"--repo-id {repo_id!r}: {_first_line(exc)}") from None
    except _transport_errors() as exc:
        raise ChainpolicyError(
            f"upload to {repo_id} failed: cannot reach the Hub at {constants.ENDPOINT} "
            f"({type(exc).__name__}: {_first_line(exc)})"
        ) from None
    return str(info)


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
