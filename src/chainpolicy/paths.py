"""Where the project's inputs and outputs live (overridable for tests and benchmarks)."""

from __future__ import annotations

import os
from pathlib import Path


def repo_root() -> Path:
    """$CHAINPOLICY_ROOT, else the nearest parent folder holding sources/manifest.json."""
    env = os.environ.get("CHAINPOLICY_ROOT")
    if env:
        return Path(env).resolve()
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "sources" / "manifest.json").is_file():
            return folder
    # Installed in development mode: the repo that holds this package.
    return Path(__file__).resolve().parents[2]


def sources_dir() -> Path:
    return repo_root() / "sources"


def annotations_dir() -> Path:
    return repo_root() / "annotations"


def dataset_dir() -> Path:
    return repo_root() / "dataset"
