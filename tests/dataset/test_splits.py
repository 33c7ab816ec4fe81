"""The split rules: first release, new articles (never test, never moving one), explicit moves."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chainpolicy.corpus.add_article import Metadata, add_article
from chainpolicy.dataset import splits
from chainpolicy.dataset.source import CorpusSource
from chainpolicy.errors import InputError
from chainpolicy.paths import annotations_dir
from chainpolicy.validate.index import SentenceIndex


def test_rule_groups_by_article_and_puts_both_scripts_in_test(corpus_source: CorpusSource) -> None:
    index = SentenceIndex.build(corpus_source.sentences(), "corpus")
    sizes = index.article_sizes()
    assigned = splits.assign(sizes)
    assert set(assigned) == set(index.articles)
    assert set(assigned.values()) == set(splits.SPLITS)
    scripts = {script for article, script, _ in sizes if assigned[article] == "test"}
    assert scripts == {"Hans", "Hant"}


def test_committed_assignment_is_valid_under_the_rules(corpus_source: CorpusSource) -> None:
    # Valid, not "equal to what the first-release rule gives today": a committed assignment
    # stays as it is when articles are added or change size.
    index = SentenceIndex.build(corpus_source.sentences(), "corpus")
    path = annotations_dir() / splits.SPLITS_FILE
    committed = splits.load(path)
    splits.check(committed, index.articles, path)
    log_file = splits.log_path(path)
    assert splits.audit(committed, splits.load_log(log_file), log_file) == []
    assert splits.extend(committed, index.article_sizes()) == []  # nothing waits for a split


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "not JSON at line 1"),
        ('{"a": "dev"}', "a: Input should be 'train', 'validation' or 'test'"),
    ],
)
def test_bad_split_file(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "splits.json"
    path.write_text(content, "utf-8")
    with pytest.raises(InputError, match=message):
        splits.load(path)


def test_missing_and_unknown_articles_are_named(tmp_path: Path) -> None:
    path = tmp_path / "splits.json"
    with pytest.raises(InputError, match=r"no split for article.*bbb"):
        splits.check({"aaa": "train"}, ["aaa", "bbb"], path)
    with pytest.raises(InputError, match="not in the corpus: zzz"):
        splits.check({"aaa": "train", "zzz": "test"}, ["aaa"], path)
    with pytest.raises(InputError, match="no split file"):
        splits.load(tmp_path / "missing.json")


A, C, D, E, F = ("a" * 16, "c" * 16, "d" * 16, "e" * 16, "f" * 16)


@pytest.mark.parametrize(
    ("sizes", "assigned", "expected"),
    [
        # 170 records: train 100 (target 119, 19 below), validation 0 (target 25.5): validation.
        ({A: 40, C: 100, D: 30}, {A: "test", C: "train"}, {D: "validation"}),
        # 90 records: train 20 (target 63, 43 below), validation 0 (target 13.5): train.
        ({A: 40, C: 20, D: 30}, {A: "test", C: "train"}, {D: "train"}),
        # 100 records, largest first: E (20) to train (20 below vs 15), then train is on target
        # and D (15) goes to validation (placed first, D would go to train and E to validation).
        ({A: 15, C: 50, D: 15, E: 20}, {A: "test", C: "train"}, {E: "train", D: "validation"}),
        # Both on target: a tie goes to train.
        ({A: 15, C: 70, F: 15, D: 0}, {A: "test", C: "train", F: "validation"}, {D: "train"}),
    ],
)
def test_new_articles_go_to_the_split_furthest_below_its_share(
    sizes: dict[str, int], assigned: dict[str, splits.Split], expected: dict[str, str]
) -> None:
    decisions = splits.extend(assigned, [(a, "Hans", n) for a, n in sizes.items()])
    assert {d.article: d.to for d in decisions} == expected
    assert [d.article for d in decisions] == list(expected)  # the order they were placed in
    assert all(d.from_ is None and d.by == "rule" for d in decisions)


@given(
    sizes=st.lists(st.integers(0, 500), min_size=1, max_size=12),
    data=st.data(),
)
def test_extend_never_moves_an_assigned_article_and_never_adds_to_test(
    sizes: list[int], data: st.DataObject
) -> None:
    articles = [(f"{n:016x}", "Hans", size) for n, size in enumerate(sizes)]
    assigned = {
        a: data.draw(st.sampled_from(splits.SPLITS))
        for a, _, _ in articles
        if data.draw(st.booleans())
    }
    decisions = splits.extend(assigned, articles)
    result = splits.apply(assigned, decisions)
    assert {a: result[a] for a in assigned} == assigned
    assert set(result) == {a for a, _, _ in articles}
    assert all(d.to in splits.NEW_ARTICLE_SPLITS for d in decisions)


def test_move_refuses_what_it_cannot_log() -> None:
    assigned: dict[str, splits.Split] = {"a" * 16: "test"}
    with pytest.raises(InputError, match="no article 'zzz' in the corpus"):
        splits.move(assigned, "zzz", "train", "a reason", ["a" * 16])
    with pytest.raises(InputError, match="needs --reason"):
        splits.move(assigned, "a" * 16, "train", "  ", ["a" * 16])
    with pytest.raises(InputError, match="already in test"):
        splits.move(assigned, "a" * 16, "test", "a reason", ["a" * 16])
    moved = splits.move(assigned, "a" * 16, "train", " too small ", ["a" * 16])
    assert (moved.from_, moved.to, moved.by, moved.reason) == (
        "test",
        "train",
        "maintainer",
        "too small",
    )


def _decision(article: str, from_: str | None, to: str, by: str = "maintainer") -> splits.Decision:
    fields = {"date": "2025-01-01T00:00:00Z", "article": article, "from": from_, "to": to}
    return splits.Decision.model_validate({**fields, "by": by, "reason": "r"})


@pytest.mark.parametrize(
    ("assigned", "log", "problem"),
    [
        (
            {"a": "train", "b": "test"},
            [_decision("b", None, "test", "rule")],
            "the rule put article b in test",
        ),
        (
            {"a": "train", "b": "test"},
            [_decision("b", None, "train", "rule"), _decision("b", "validation", "test")],
            "line 2: article b moves from validation, but line 1 left it in train",
        ),
        (
            {"a": "train", "b": "test"},
            [_decision("b", None, "validation", "rule")],
            r"article b is in test, but its last logged decision \(line 1\) put it in validation",
        ),
        ({"a": "test"}, [], "no article in train"),
    ],
)
def test_audit_names_what_the_log_contradicts(
    tmp_path: Path, assigned: dict[str, splits.Split], log: list[splits.Decision], problem: str
) -> None:
    problems = splits.audit(assigned, log, tmp_path / "log.jsonl")
    assert len(problems) == 1 and problems[0].startswith(f"{tmp_path / 'log.jsonl'}: ")
    assert re.search(problem, problems[0]), problems


def _cli(*args: str, root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chainpolicy", *args],
        capture_output=True,
        text=True,
        cwd=root,
        env={**os.environ, "CHAINPOLICY_ROOT": str(root)},
        check=False,
    )


def test_adding_an_article_never_moves_an_assigned_one(
    repo_copy: Path, synthetic_article: Path
) -> None:
    path = repo_copy / "annotations" / splits.SPLITS_FILE
    log_file = splits.log_path(path)
    committed = splits.load(path)
    earlier = splits.load_log(log_file)  # a later release has decisions already
    new = add_article(synthetic_article, repo_copy / "sources", Metadata()).article.id

    shown = _cli("splits", root=repo_copy)
    assert shown.returncode == 0, shown.stderr
    assert "1 article(s) without a split" in shown.stdout
    assert splits.load(path) == committed  # showing writes nothing

    written = _cli("splits", "--write", root=repo_copy)
    assert written.returncode == 0, written.stderr
    after = splits.load(path)
    assert {a: after[a] for a in committed} == committed  # nobody moved, test included
    assert (
        after[new] in splits.NEW_ARTICLE_SPLITS and f"{new}: new -> {after[new]}" in written.stdout
    )
    (line,) = splits.load_log(log_file)[len(earlier) :]
    assert (line.article, line.from_, line.to, line.by) == (new, None, after[new], "rule")
    again = _cli("splits", "--write", root=repo_copy)
    assert "nothing to add" in again.stdout and splits.load(path) == after

    # Into test only by an explicit, logged decision.
    moved = _cli("splits", "--assign", new, "test", "--reason", "both scripts", root=repo_copy)
    assert moved.returncode == 0, moved.stderr
    assert splits.load(path) == {**after, new: "test"}
    assert [(d.from_, d.to, d.by, d.reason) for d in splits.load_log(log_file)][-1] == (
        after[new],
        "test",
        "maintainer",
        "both scripts",
    )
    lines = log_file.read_text("utf-8").splitlines()[len(earlier) :]
    assert [json.loads(x)["from"] for x in lines] == [None, after[new]]  # "from" in the file
    checked = _cli("splits", root=repo_copy)
    assert checked.returncode == 0 and "the log agrees" in checked.stdout

    # A hand edit the log does not explain is reported.
    splits.write(path, {**after, new: "validation" if after[new] == "train" else "train"})
    edited = _cli("splits", root=repo_copy)
    assert edited.returncode == 2 and "its last logged decision" in edited.stderr


def test_first_release_writes_the_initial_rule(repo_copy: Path) -> None:
    path = repo_copy / "annotations" / splits.SPLITS_FILE
    committed = splits.load(path)
    path.unlink()
    log_file = splits.log_path(path)
    if log_file.exists():  # a log without the file it explains is refused
        stale = _cli("splits", "--write", root=repo_copy)
        assert stale.returncode == 2 and "restore" in stale.stderr and not path.exists()
        log_file.unlink()
    refused = _cli(
        "splits", "--assign", next(iter(committed)), "train", "--reason", "x", root=repo_copy
    )
    assert refused.returncode == 2 and "no assignment yet" in refused.stderr
    assert _cli("splits", "--write", root=repo_copy).returncode == 0
    sizes = SentenceIndex.build(CorpusSource().sentences(), "corpus").article_sizes()
    assert splits.load(path) == splits.assign(sizes)
    assert not log_file.exists()  # the first release is the rule itself


def test_a_log_without_its_assignment_is_refused(repo_copy: Path) -> None:
    path = repo_copy / "annotations" / splits.SPLITS_FILE
    splits.append_log(splits.log_path(path), [_decision("a" * 16, None, "train", "rule")])
    path.unlink()
    done = _cli("splits", "--write", root=repo_copy)
    assert done.returncode == 2 and not path.exists()
    assert f"{path} is missing but {splits.log_path(path)} records" in done.stderr


def test_an_unknown_article_is_named_even_when_another_is_new(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not in the corpus: zzz"):
        splits.check_known({"aaa": "train", "zzz": "test"}, ["aaa", "bbb"], tmp_path / "s.json")
