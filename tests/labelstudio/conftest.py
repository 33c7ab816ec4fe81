"""A real Label Studio server for the integration tests (no mocks).

The first start migrates a template data folder (~30-50 s); every module then copies it and
starts its own server on a free port (~5 s), so tests never share state.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from chainpolicy.labelstudio import server


@pytest.fixture(scope="session")
def ls_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ls-template") / "data"
    running = server.start(folder, port=server.free_port(), timeout=300)
    running.stop()
    return folder


def start_copy(template: Path, target: Path) -> server.Server:
    shutil.copytree(template, target)
    (target / "server.log").unlink(missing_ok=True)
    return server.start(target, port=server.free_port(), timeout=180)


@pytest.fixture(scope="module")
def ls_server(
    ls_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[server.Server]:
    running = start_copy(ls_template, tmp_path_factory.mktemp("ls") / "data")
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def ls_env(ls_server: server.Server, monkeypatch: pytest.MonkeyPatch) -> server.Server:
    monkeypatch.setenv("CHAINPOLICY_LS_URL", ls_server.url)
    monkeypatch.setenv("CHAINPOLICY_LS_TOKEN", ls_server.token_file.read_text("utf-8").strip())
    return ls_server


@pytest.fixture
def cli_env(ls_server: server.Server) -> dict[str, str]:
    """The environment a user sets for the CLI (URL and token of the module's server)."""
    return {
        **os.environ,
        "CHAINPOLICY_LS_URL": ls_server.url,
        "CHAINPOLICY_LS_TOKEN": ls_server.token_file.read_text("utf-8").strip(),
    }
