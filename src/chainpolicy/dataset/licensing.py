"""``LICENSE`` and ``NOTICE`` of the dataset folder: two kinds of material, two sets of terms.

The source texts (every sentence and article text) stay with their authors and publishers and
are not licensed by this dataset; everything the project made (annotations, repairs, segmentation
and offsets, the card, the code) is Apache-2.0. ``LICENSE`` says so (the card's YAML points the
Hub's licence badge to it with ``license: other`` and ``license_link: LICENSE``); ``NOTICE``
names each article with its authors, source line and sha256, from the article records. Both
are fixed text plus the records: nothing time-dependent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from chainpolicy import atomic
from chainpolicy.dataset.source import ArticleInfo

LICENSE_PATH: Final = "LICENSE"
NOTICE_PATH: Final = "NOTICE"
HOLDER: Final = "chainpolicy contributors"
FIRST_YEAR: Final = 2026  # the year of the first release (the copyright line, the citation)
APACHE_URL: Final = "https://www.apache.org/licenses/LICENSE-2.0"
APACHE_SPDX: Final = "Apache-2.0"
TEXTS_TERMS: Final = (
    "source texts: the property of their authors and publishers, not licensed by this "
    "dataset; included for research on information extraction only (see LICENSE and NOTICE)"
)

_LICENSE: Final = f"""\
ChainPolicy-ZH: terms of use

This dataset holds two kinds of material under different terms.

1. The source texts

The article texts and everything taken from them (every sentence text, its characters in the
BIO configs, the text of every span, in every config) come from Chinese articles published
online in 2019-2021. They remain the property of their authors and publishers, listed in
NOTICE, and are NOT licensed under the terms below. They are included verbatim (after the
repairs the dataset card lists) for research on information extraction only. A rights
holder who wants an article removed can ask in the repository's discussions; it is then left
out of the next release.

2. Everything else

The annotations (spans with their labels, types and normalised figures, BIO tags, annotation
statuses, adjudication, the per-annotator records, the machine pre-annotations), the text
repairs, the sentence segmentation and provenance offsets, the dataset card and the code that
builds them (the chainpolicy package) are

    Copyright {FIRST_YEAR} {HOLDER}

    Licensed under the Apache License, Version 2.0 (the "License"); you may not use these
    files except in compliance with the License. You may obtain a copy of the License at

        {APACHE_URL}

    Unless required by applicable law or agreed to in writing, software distributed under
    the License is distributed on an "AS IS" BASIS, WITHOUT WARRANTIES OR CONDITIONS OF ANY
    KIND, either express or implied. See the License for the specific language governing
    permissions and limitations under the License.
"""


def license_text() -> str:
    return _LICENSE


_NOTICE_HEAD: Final = f"""\
ChainPolicy-ZH
Copyright {FIRST_YEAR} {HOLDER}: the annotations, repairs, card and code (Apache-2.0,
see LICENSE).

The source texts are the work of their authors and publishers (not licensed by this
dataset, see LICENSE). The articles, as listed in the `articles` config:
"""


def notice_entry(article: ArticleInfo) -> str:
    return (
        f"\n{article.id} ({article.file or 'file not recorded'}, {article.script})\n"
        f"  title:   {article.title or '(no title line)'}\n"
        f"  authors: {', '.join(article.authors) or '(not named)'}\n"
        f"  source:  {article.source or '(no source line)'}\n"
        f"  sha256:  {article.sha256 or '(not recorded)'}\n"
    )


def notice_text(articles: Iterable[ArticleInfo]) -> str:
    return _NOTICE_HEAD + "".join(notice_entry(article) for article in articles)


@contextmanager
def writing(root: Path) -> Iterator[Callable[[ArticleInfo], None]]:
    """Write ``LICENSE``, and ``NOTICE`` an article at a time (call the value per article, in
    the order of the ``articles`` config): the articles are streamed, never held."""
    atomic.write_text(root / LICENSE_PATH, license_text())
    with atomic.open_text(root / NOTICE_PATH) as fh:
        fh.write(_NOTICE_HEAD)

        def add(article: ArticleInfo) -> None:
            fh.write(notice_entry(article))

        yield add


def write(root: Path, articles: Iterable[ArticleInfo]) -> None:
    with writing(root) as add:
        for article in articles:
            add(article)
