from __future__ import annotations

from pathlib import Path

import pytest

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


def test_committed_file_is_the_rule_and_covers_the_corpus(corpus_source: CorpusSource) -> None:
    index = SentenceIndex.build(corpus_source.sentences(), "corpus")
    path = annotations_dir() / splits.SPLITS_FILE
    committed = splits.load(path)
    splits.check(committed, index.articles, path)
    assert committed == splits.assign(index.article_sizes())


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
