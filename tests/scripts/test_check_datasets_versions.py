"""scripts/check_datasets_versions.py, run with this interpreter (`--python`): no venv is made.

The real run (datasets 3.6, 4.x and 5.2.0 in throwaway venvs) installs from PyPI and takes
minutes; it is run by hand for a release. Here the checker itself is tested: every config and
the card's snippets pass on a fresh build, and a failing snippet or a stale row count fails.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import datasets
import pytest

from chainpolicy.dataset.build import BuildResult, find_exports
from chainpolicy.paths import annotations_dir, repo_root

SCRIPT = repo_root() / "scripts" / "check_datasets_versions.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_datasets_versions", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def checker() -> ModuleType:
    return _script()


@pytest.fixture
def folder(run_build: Callable[..., BuildResult], tmp_path: Path) -> Path:
    # The committed exports: the card's snippets read the training configs, which hold gold
    # sentences only, so a build without annotations would not have them.
    built = run_build(find_exports(annotations_dir() / "exports")).out
    assert built is not None
    copy = tmp_path / "copy"
    shutil.copytree(built, copy)
    return copy


def test_every_config_and_the_cards_snippet_load_here(
    checker: ModuleType, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert checker.main(["--dataset", str(folder), "--python", sys.executable]) == 0
    out = capsys.readouterr().out
    work = checker.job(folder)
    assert work.snippets and all(str(folder) in s for s in work.snippets)
    assert all("<this repository>" not in s for s in work.snippets)
    header, row = out.splitlines()[1:3]
    snippets = [f"snippet {n + 1}" for n in range(len(work.snippets))]
    assert re.split(r" {2,}", header.strip())[3:] == [*work.configs, *snippets]
    assert "FAIL" not in row and row.split()[0] == datasets.__version__


def _failing_snippet(text: str) -> str:
    return text.replace('span["label"].names', 'span["label"].names\nds["no such split"]', 1)


def _stale_count(text: str) -> str:
    train = text.index("num_examples:", text.index("config_name: default"))
    return text[:train] + "num_examples: 99999" + text[text.index("\n", train) :]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (_failing_snippet, "snippet 1: KeyError"),
        (_stale_count, "default: NonMatchingSplitsSizesError"),
    ],
)
def test_a_failing_snippet_or_a_stale_row_count_is_reported(
    checker: ModuleType,
    folder: Path,
    capsys: pytest.CaptureFixture[str],
    edit: Callable[[str], str],
    expected: str,
) -> None:
    card = folder / "README.md"
    card.write_text(edit(card.read_text("utf-8")), "utf-8")
    assert checker.main(["--dataset", str(folder), "--python", sys.executable]) == 1
    out = capsys.readouterr().out
    assert f"datasets {datasets.__version__}, {expected}" in out
