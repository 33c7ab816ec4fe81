"""The corpus pipeline: raw source -> repaired, structured, segmented sentence records.

Repairs run in a fixed order on a ``Rope`` so every character keeps its raw provenance (the
table in ``corpus.repairs``: errata -> mis-decoded runs -> pinyin glosses -> footnotes), then
lines get their roles and are split into sentences.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chainpolicy.corpus import errata as errata_mod
from chainpolicy.corpus import footnotes, mojibake, repairs, roles, segment
from chainpolicy.corpus.manifest import ArticleSource, iter_articles, read_source
from chainpolicy.corpus.rope import Change, Edit, Rope
from chainpolicy.corpus.scriptview import to_hans
from chainpolicy.errors import InputError
from chainpolicy.records import ArticleRecord, SentenceRecord

# A sentence record as a plain dict, keys in SentenceRecord's field order: the ingest builds
# hundreds of thousands of these, and pydantic models are made only for callers that need them.
Row = dict[str, Any]


@dataclass
class ArticleBuild:
    source: ArticleSource
    raw: str
    rope: Rope
    changes: list[Change]
    rows: list[Row] = field(default_factory=list)
    unrepaired: list[mojibake.Run] = field(default_factory=list)

    @property
    def records(self) -> list[SentenceRecord]:
        # model_construct: every field was computed here from validated inputs; records are
        # validated where they cross a boundary (JSONL readers, the dataset build).
        return [SentenceRecord.model_construct(**row) for row in self.rows]

    @property
    def repair_counts(self) -> dict[str, int]:
        return repairs.counts(self.changes)

    def article_record(self) -> ArticleRecord:
        return ArticleRecord(
            id=self.source.id,
            file=self.source.file,
            sha256=self.source.sha256,
            script=self.source.script,
            title=self.source.title,
            authors=list(self.source.authors),
            source=self.source.source,
            text=self.rope.text,
            raw_chars=len(self.raw),
            repair_counts=self.repair_counts,
            n_records=len(self.rows),
        )


def repair(source: ArticleSource, raw: str, errata: list[Edit]) -> ArticleBuild:
    """Text repair (the table in ``corpus.repairs``), then segmentation into records."""
    state = repairs.run(raw, errata)
    build = ArticleBuild(source, raw, state.rope, state.changes)
    build.unrepaired = mojibake.find_runs(state.rope.text)
    _segment(build, state.notes, state.moves)
    return build


_NO_SKIP: frozenset[int] = frozenset()


def _segment(build: ArticleBuild, notes: list[footnotes.Footnote], moves: list[Change]) -> None:
    text, rope, article = build.rope.text, build.rope, build.source
    if text[:1].isspace():
        raise InputError(f"{article.file}: article {article.id} starts with whitespace")
    skip = {run.start for run in build.unrepaired}
    lines = text.split("\n")
    n_body = len(lines) - len(notes)
    line_roles = roles.classify(lines[:n_body], article.line_roles)
    spans: list[tuple[int, int, int, str, str]] = []  # start, end, raw line, role, id stem
    offset = 0
    raw, raw_pos, raw_lines = build.raw, 0, 0  # newlines counted up to raw_pos (body lines)
    for number, line in enumerate(lines):
        line_skip = (
            frozenset(p - offset for p in skip if offset <= p < offset + len(line))
            if skip
            else _NO_SKIP
        )
        if number < n_body:
            raw_line = 0
            if line:
                # Body lines keep their raw order, so the newlines are counted once, onwards.
                pos = rope.raw_span(offset, offset + 1)[0]
                if pos < raw_pos:
                    raw_pos, raw_lines = 0, 0
                raw_lines += raw.count("\n", raw_pos, pos)
                raw_pos, raw_line = pos, raw_lines
            stem, role = f"p{number:03d}", line_roles[number]
        else:
            note = notes[number - n_body]
            raw_line = build.raw.count("\n", 0, moves[number - n_body].raw_start)
            stem, role = f"fn{note.number:02d}", "footnote"
        for start, end in segment.split(line, line_skip):
            spans.append((offset + start, offset + end, raw_line, role, stem))
        offset += len(line) + 1

    anchors = _anchor_offsets(notes)
    hans = _hans_view(text)
    rows: list[Row] = []
    per_stem: Counter[str] = Counter()
    for index, (start, end, raw_line, role, stem) in enumerate(spans):
        per_stem[stem] += 1
        next_start = spans[index + 1][0] if index + 1 < len(spans) else len(text)
        sentence = text[start:end]
        raw_start, raw_end = rope.raw_span(start, end)
        rows.append(
            {
                "id": f"{article.id}-{stem}-s{per_stem[stem]:02d}",
                "article_id": article.id,
                "index": index,
                "line": raw_line,
                "role": role,
                "script": article.script,
                "text": sentence,
                "text_hans": hans[start:end] if hans is not None else to_hans(sentence),
                "sep": text[end:next_start],
                "start": start,
                "end": end,
                "raw_start": raw_start,
                "raw_end": raw_end,
                "text_sha1": hashlib.sha1(sentence.encode("utf-8")).hexdigest(),
                "duplicate_of": None,
                "footnote_anchor": None,
                "footnote_number": int(stem[2:]) if stem.startswith("fn") else None,
            }
        )
    _link_footnotes(rows, anchors)
    build.rows = rows


def _hans_view(text: str) -> str | None:
    """The simplified view of the whole article, when it can be sliced per sentence.

    One OpenCC call per article instead of one per sentence. OpenCC converts by the longest
    dictionary phrase from each position, and its phrases hold no sentence-end marks or line
    breaks, so no phrase spans a record boundary: the slice of the converted article is the
    converted sentence. That needs a conversion that keeps the length (t2s does on every text
    here); otherwise each sentence is converted on its own.
    """
    hans = to_hans(text)
    return hans if len(hans) == len(text) else None


def _anchor_offsets(notes: list[footnotes.Footnote]) -> dict[int, int]:
    """Footnote number -> cleaned offset where its anchor was (earlier moves shift later ones)."""
    removed, out = 0, {}
    for note in notes:
        out[note.number] = note.anchor_start - removed
        removed += note.end - note.anchor_start
    return out


def _link_footnotes(rows: list[Row], anchors: dict[int, int]) -> None:
    body = [r for r in rows if r["role"] != "footnote"]
    for row in rows:
        if row["footnote_number"] is not None:
            pos = anchors[row["footnote_number"]]
            holder = next((r for r in body if r["start"] < pos <= r["end"]), None) or next(
                r for r in body if r["start"] >= pos
            )
            row["footnote_anchor"] = holder["id"]


@dataclass
class Corpus:
    builds: list[ArticleBuild]

    @property
    def sentences(self) -> list[SentenceRecord]:
        return [r for b in self.builds for r in b.records]

    @property
    def articles(self) -> list[ArticleRecord]:
        return [b.article_record() for b in self.builds]


Job = tuple[Path, Path, ArticleSource, list[tuple[int, errata_mod.Correction]]]


def iter_jobs(sources: Path, errata_path: Path) -> Iterator[Job]:
    """One job per article of the manifest, in corpus order, with the article's errata.

    Every problem of the manifest or the errata is found before the first job: the manifest
    is streamed once to check it (``iter_articles``) and the errata are read against its ids;
    then the articles are streamed again, one job at a time.
    """
    ids = {a.id for a in iter_articles(sources)}
    grouped = errata_mod.by_article(errata_path, ids)
    del ids
    for article in iter_articles(sources):
        yield (sources, errata_path, article, grouped.pop(article.id, []))


def jobs(sources: Path, errata_path: Path) -> list[Job]:
    """``iter_jobs`` as a list (for pools that want their work up front)."""
    return list(iter_jobs(sources, errata_path))


def iter_builds(sources: Path, errata_path: Path) -> Iterator[ArticleBuild]:
    """Build article by article, in corpus order (memory stays flat however many articles)."""
    for job in iter_jobs(sources, errata_path):
        yield build_one(job)


def build_one(job: Job) -> ArticleBuild:
    sources, errata_path, article, errata = job
    raw = read_source(sources, article)
    build = repair(article, raw, errata_mod.find(raw, errata, article.id, errata_path))
    if build.unrepaired:
        listed = "; ".join(f"offset {run.start}: {run.text!r}" for run in build.unrepaired[:5])
        raise InputError(
            f"{sources / article.file}: {len(build.unrepaired)} mis-decoded run(s) left after "
            f"repair in article {article.id} ({listed}); "
            f"add a reviewed erratum to {errata_path}"
        )
    return build


def iter_marked_builds(sources: Path, errata_path: Path) -> Iterator[ArticleBuild]:
    """Builds whose records carry ``duplicate_of``: the first record (corpus order) with the
    same text. Only the digest of each distinct text is kept, so memory grows with distinct
    sentences, never with the size of the articles."""
    first: dict[str, str] = {}
    for build in iter_builds(sources, errata_path):
        for row in build.rows:
            original = first.setdefault(row["text_sha1"], row["id"])
            if original != row["id"]:
                row["duplicate_of"] = original
        yield build


def build_corpus(sources: Path, errata_path: Path) -> Corpus:
    return Corpus(list(iter_marked_builds(sources, errata_path)))
