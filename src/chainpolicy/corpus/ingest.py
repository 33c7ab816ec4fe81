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

from chainpolicy.corpus import errata as errata_mod
from chainpolicy.corpus import footnotes, mojibake, repairs, roles, segment
from chainpolicy.corpus.manifest import ArticleSource, load, read_source
from chainpolicy.corpus.rope import Change, Edit, Rope
from chainpolicy.corpus.scriptview import to_hans
from chainpolicy.errors import InputError
from chainpolicy.records import ArticleRecord, SentenceRecord


@dataclass
class ArticleBuild:
    source: ArticleSource
    raw: str
    rope: Rope
    changes: list[Change]
    records: list[SentenceRecord] = field(default_factory=list)
    unrepaired: list[mojibake.Run] = field(default_factory=list)

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
            n_records=len(self.records),
        )


def repair(source: ArticleSource, raw: str, errata: list[Edit]) -> ArticleBuild:
    """Text repair (the table in ``corpus.repairs``), then segmentation into records."""
    state = repairs.run(raw, errata)
    build = ArticleBuild(source, raw, state.rope, state.changes)
    build.unrepaired = mojibake.find_runs(state.rope.text)
    _segment(build, state.notes, state.moves)
    return build


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
    for number, line in enumerate(lines):
        line_skip = frozenset(p - offset for p in skip if offset <= p < offset + len(line))
        if number < n_body:
            raw_line = build.raw.count("\n", 0, rope.raw_span(offset, offset + 1)[0]) if line else 0
            stem, role = f"p{number:03d}", line_roles[number]
        else:
            note = notes[number - n_body]
            raw_line = build.raw.count("\n", 0, moves[number - n_body].raw_start)
            stem, role = f"fn{note.number:02d}", "footnote"
        for start, end in segment.split(line, line_skip):
            spans.append((offset + start, offset + end, raw_line, role, stem))
        offset += len(line) + 1

    anchors = _anchor_offsets(notes)
    records: list[SentenceRecord] = []
    per_stem: Counter[str] = Counter()
    for index, (start, end, raw_line, role, stem) in enumerate(spans):
        per_stem[stem] += 1
        next_start = spans[index + 1][0] if index + 1 < len(spans) else len(text)
        sentence = text[start:end]
        raw_start, raw_end = rope.raw_span(start, end)
        fn_number = int(stem[2:]) if stem.startswith("fn") else None
        # model_construct: every field is computed here from validated inputs; the records are
        # validated where they cross a boundary (JSONL readers, the dataset build).
        records.append(
            SentenceRecord.model_construct(
                id=f"{article.id}-{stem}-s{per_stem[stem]:02d}",
                article_id=article.id,
                index=index,
                line=raw_line,
                role=role,
                script=article.script,
                text=sentence,
                text_hans=to_hans(sentence),
                sep=text[end:next_start],
                start=start,
                end=end,
                raw_start=raw_start,
                raw_end=raw_end,
                text_sha1=hashlib.sha1(sentence.encode("utf-8")).hexdigest(),
                footnote_number=fn_number,
                duplicate_of=None,
                footnote_anchor=None,
            )
        )
    build.records = _link_footnotes(records, anchors)


def _anchor_offsets(notes: list[footnotes.Footnote]) -> dict[int, int]:
    """Footnote number -> cleaned offset where its anchor was (earlier moves shift later ones)."""
    removed, out = 0, {}
    for note in notes:
        out[note.number] = note.anchor_start - removed
        removed += note.end - note.anchor_start
    return out


def _link_footnotes(records: list[SentenceRecord], anchors: dict[int, int]) -> list[SentenceRecord]:
    body = [r for r in records if r.role != "footnote"]
    out = []
    for record in records:
        if record.footnote_number is not None:
            pos = anchors[record.footnote_number]
            holder = next((r for r in body if r.start < pos <= r.end), None) or next(
                r for r in body if r.start >= pos
            )
            record = record.model_copy(update={"footnote_anchor": holder.id})
        out.append(record)
    return out


@dataclass
class Corpus:
    builds: list[ArticleBuild]

    @property
    def sentences(self) -> list[SentenceRecord]:
        return [r for b in self.builds for r in b.records]

    @property
    def articles(self) -> list[ArticleRecord]:
        return [b.article_record() for b in self.builds]


def iter_builds(sources: Path, errata_path: Path) -> Iterator[ArticleBuild]:
    """Build article by article, in corpus order (memory stays flat however many articles)."""
    manifest = load(sources)
    known = {a.id for a in manifest.articles}
    by_article: dict[str, list[tuple[int, errata_mod.Erratum]]] = {}
    for number, erratum in enumerate(errata_mod.load(errata_path), 1):
        if erratum.article not in known:
            raise InputError(
                f"{errata_path}: erratum #{number} names unknown article {erratum.article!r}"
            )
        by_article.setdefault(erratum.article, []).append((number, erratum))
    # Worker processes were measured (scripts/bench_ingest.py): shipping each build back costs
    # more than building it, so articles are built in this process.
    for article in manifest.articles:
        yield _build_one((sources, errata_path, article, by_article.get(article.id, [])))


def _build_one(
    job: tuple[Path, Path, ArticleSource, list[tuple[int, errata_mod.Erratum]]],
) -> ArticleBuild:
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
    same text. Only a digest per distinct text is kept, so memory grows with distinct sentences,
    never with the size of the articles."""
    first: dict[bytes, str] = {}
    for build in iter_builds(sources, errata_path):
        marked = []
        for record in build.records:
            original = first.setdefault(hashlib.sha1(record.text.encode()).digest(), record.id)
            if original != record.id:
                record = record.model_copy(update={"duplicate_of": original})
            marked.append(record)
        build.records = marked
        yield build


def build_corpus(sources: Path, errata_path: Path) -> Corpus:
    return Corpus(list(iter_marked_builds(sources, errata_path)))
