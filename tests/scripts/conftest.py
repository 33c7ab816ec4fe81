"""The fault-harness scripts, imported by path (``scripts/`` is not a package)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Callable
from types import ModuleType

import pytest

from chainpolicy.paths import repo_root


def load_script(name: str) -> ModuleType:
    module_name = f"chainpolicy_scripts_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(
        module_name, repo_root() / "scripts" / f"{name}.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


Run = Callable[..., subprocess.CompletedProcess[str]]


def _run(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, f"scripts/{name}.py", *args],
        capture_output=True,
        text=True,
        cwd=repo_root(),
        check=False,
    )


@pytest.fixture(scope="session")
def run_script() -> Run:
    """``run_script(name, *args)``: ``scripts/<name>.py args`` from the repository root, with
    this interpreter, output captured as text."""
    return _run


@pytest.fixture(scope="session")
def fuzz() -> ModuleType:
    return load_script("fuzz_exports")


@pytest.fixture(scope="session")
def kill() -> ModuleType:
    return load_script("kill_build")


@pytest.fixture(scope="session")
def bench_ingest() -> ModuleType:
    return load_script("bench_ingest")


@pytest.fixture(scope="session")
def bench_floors() -> ModuleType:
    return load_script("bench_floors")
