"""publish: the repository id and revision checked first, the card written for the repository
in a copy (the built folder untouched), and the plan of exactly what is uploaded. No network."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from chainpolicy.dataset import croissant, publish
from chainpolicy.dataset.build import BuildResult
from chainpolicy.dataset.card_sections import REPO_ID_PLACEHOLDER, UNPUBLISHED_URL
from chainpolicy.errors import ChainpolicyError, InputError


@pytest.mark.parametrize("repo_id", ["org/name", "user-1/ChainPolicy_ZH.v2", "a/b"])
def test_a_valid_repo_id_passes(repo_id: str) -> None:
    publish.check_repo_id(repo_id)


@pytest.mark.parametrize(
    ("repo_id", "expected"),
    [
        ("name", "must be ORG/NAME"),
        ("org/name/extra", "must be ORG/NAME"),
        ("org/na me", "alphanumeric"),
        ("org/x--y", "Cannot have -- or .."),
        ("org/name.git", ".git"),
        ("/name", "alphanumeric"),
    ],
)
def test_a_bad_repo_id_is_one_line_naming_it(repo_id: str, expected: str) -> None:
    with pytest.raises(InputError, match="--repo-id") as info:
        publish.check_repo_id(repo_id)
    message = str(info.value)
    assert repr(repo_id) in message and expected in message and "\n" not in message


@pytest.mark.parametrize(
    ("revision", "name", "tag"),
    [
        (None, None, False),
        ("v1.0", "v1.0", True),
        ("v2.10.3", "v2.10.3", True),
        ("dev", "dev", False),
        ("release/2026", "release/2026", False),
    ],
)
def test_a_release_tag_and_a_branch_are_told_apart(
    revision: str | None, name: str | None, tag: bool
) -> None:
    assert publish.check_revision(revision) == publish.Revision(name, tag)


@pytest.mark.parametrize(
    ("revision", "expected"),
    [
        ("v1", "release tag"),
        ("v1.0-rc", "release tag"),
        ("a..b", "branch"),
        ("x y", "branch"),
        ("-x", "branch"),
        ("dev/", "branch"),
    ],
)
def test_a_bad_revision_is_one_line(revision: str, expected: str) -> None:
    with pytest.raises(InputError, match=expected) as info:
        publish.check_revision(revision)
    assert repr(revision) in str(info.value)


def _hashes(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_the_copy_names_the_repository_and_the_built_folder_is_untouched(
    run_build: Callable[..., BuildResult], tmp_path: Path
) -> None:
    folder = run_build([]).out
    assert folder is not None
    before = _hashes(folder)
    staged = tmp_path / "staged"
    files = publish.prepare(folder, "org/name", staged)
    assert _hashes(folder) == before
    # The plan is the copy, file by file, and nothing hidden goes up.
    assert {f.path: f.sha256 for f in files} == _hashes(staged)
    assert {f.path for f in files} == {k for k in before if not k.startswith(".")}
    for f in files:
        text_like = f.path.endswith((".md", ".json")) or "/" not in f.path
        if text_like:
            text = (staged / f.path).read_text("utf-8")
            assert REPO_ID_PLACEHOLDER not in text and UNPUBLISHED_URL not in text, f.path
    card = (staged / publish.CARD).read_text("utf-8")
    assert "https://huggingface.co/datasets/org/name" in card
    assert 'load_dataset("org/name")' in card
    meta = json.loads((staged / croissant.CROISSANT_PATH).read_text("utf-8"))
    assert meta["url"] == "https://huggingface.co/datasets/org/name"
    # Only the card and the Croissant file differ from the build.
    changed = {k for k, v in _hashes(staged).items() if before[k] != v}
    assert changed == {publish.CARD, croissant.CROISSANT_PATH}


def test_a_folder_that_is_no_build_is_refused_before_copying(tmp_path: Path) -> None:
    (tmp_path / "ds").mkdir()
    with pytest.raises(InputError, match="not a dataset folder"):
        publish.prepare(tmp_path / "ds", "org/name", tmp_path / "staged")
    assert not (tmp_path / "staged").exists()


def test_a_card_left_with_a_placeholder_is_refused(
    run_build: Callable[..., BuildResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = run_build([]).out
    assert folder is not None
    # A rewrite that misses a placeholder (an older build's card) must not reach the Hub.
    monkeypatch.setitem(publish._REWRITE, publish.CARD, lambda text, _repo: text)
    with pytest.raises(ChainpolicyError, match="left after writing the repository org/name"):
        publish.prepare(folder, "org/name", tmp_path / "staged")
