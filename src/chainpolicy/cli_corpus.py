"""CLI of the corpus layer: ``sentences``, ``repairs``, ``scan``, ``add-article``."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import cast

import click

from chainpolicy import atomic
from chainpolicy.corpus import ERRATA_FILE, load_corpus, mojibake
from chainpolicy.corpus import add_article as adding
from chainpolicy.corpus import manifest as manifest_mod
from chainpolicy.corpus.ingest import Corpus, repair
from chainpolicy.corpus.jsonl import iter_jsonl_articles
from chainpolicy.errors import InputError, decode_utf8
from chainpolicy.paths import annotations_dir, sources_dir
from chainpolicy.records import Script
from chainpolicy.scale import FORMATS
from chainpolicy.schema import ANNOTATED_ROLES, ROLES

_sources = click.option(
    "--sources",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder with manifest.json and the raw articles [default: sources/].",
)
_errata = click.option(
    "--errata",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help=f"Reviewed errata file [default: annotations/{ERRATA_FILE}].",
)


def warn_unlisted(sources: Path | None = None) -> None:
    """One warning line on stderr per file in sources/ that the manifest does not list.

    Every command that reads the corpus calls this first: such a file is silently not part of
    the dataset, which is never what the maintainer who put it there meant.
    """
    folder = sources or sources_dir()
    for path in manifest_mod.unlisted(folder, manifest_mod.load(folder)):
        click.echo(
            f"warning: {path} is not listed in {folder / manifest_mod.MANIFEST_FILE} "
            "(add it with `chainpolicy add-article`)",
            err=True,
        )


def _corpus(sources: Path | None, errata: Path | None) -> Corpus:
    warn_unlisted(sources)
    return load_corpus(sources or sources_dir(), errata or annotations_dir() / ERRATA_FILE)


@click.command("sentences")
@_sources
@_errata
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write JSONL here (atomically) instead of stdout.",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Worker processes building articles in parallel (same output).",
)
@click.option(
    "--datatrove",
    "datatrove_out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Run the ingest as datatrove pipelines (extra chainpolicy[scale]) and write one shard "
    "of records per task into OUT/records of this new folder (docs/cluster.md).",
)
@click.option(
    "--tasks",
    type=click.IntRange(min=1),
    default=None,
    help="With --datatrove: shards, one datatrove task each [default: 1].",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="With --datatrove: tasks run at the same time [default: 1].",
)
@click.option(
    "--shard-format",
    type=click.Choice(FORMATS),
    default=None,
    help=f"With --datatrove: format of the shards [default: {FORMATS[0]}].",
)
@click.pass_context
def sentences_command(
    ctx: click.Context,
    sources: Path | None,
    errata: Path | None,
    out: Path | None,
    jobs: int,
    datatrove_out: Path | None,
    tasks: int | None,
    workers: int | None,
    shard_format: str | None,
) -> None:
    """Write the sentence records, one JSON object per line (streamed article by article).

    With --jobs N, N worker processes build the articles; the output is the same, byte for byte.
    With --datatrove OUT, datatrove builds them into shards OUT/records/NNNNN.parquet (or .jsonl)
    that, read in file-name order, hold the same records in the same order.
    """
    if datatrove_out is not None:
        given = [f"--{n}" for n in ("out", "jobs") if _given(ctx, n)]
        if given:
            raise click.UsageError(f"--datatrove writes shards; it does not take {given[0]}")
        _sentences_datatrove(
            sources, errata, datatrove_out, tasks or 1, workers or 1, shard_format or FORMATS[0]
        )
        return
    given = [
        f"--{n.replace('_', '-')}" for n in ("tasks", "workers", "shard_format") if _given(ctx, n)
    ]
    if given:
        raise click.UsageError(f"{given[0]} needs --datatrove OUT_DIR")
    warn_unlisted(sources)
    articles = iter_jsonl_articles(
        sources or sources_dir(), errata or annotations_dir() / ERRATA_FILE, jobs_=jobs
    )
    if out is None:
        for lines in articles:
            sys.stdout.buffer.writelines(lines)
        sys.stdout.flush()
        return
    count = 0
    with atomic.open_binary(out) as fh:
        for lines in articles:
            fh.writelines(lines)
            count += len(lines)
    click.echo(f"wrote {count} records to {out}", err=True)


def _given(ctx: click.Context, name: str) -> bool:
    return ctx.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT


def _sentences_datatrove(
    sources: Path | None, errata: Path | None, out: Path, tasks: int, workers: int, fmt: str
) -> None:
    from chainpolicy import scale

    scale.require()
    from chainpolicy.scale import pipeline, shards

    warn_unlisted(sources)
    pipeline.run_local(
        sources or sources_dir(),
        errata or annotations_dir() / ERRATA_FILE,
        out,
        tasks=tasks,
        workers=workers,
        output_format=fmt,
    )
    files = shards.record_files(out)
    click.echo(
        f"wrote {shards.count_records(out)} records in {len(files)} shard(s) to "
        f"{out / shards.RECORDS} (datatrove logs: {out / shards.LOGS})",
        err=True,
    )


@click.command("repairs")
@_sources
@_errata
@click.option("--article", "article_id", default=None, help="Only this article id.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--counts", "counts_only", is_flag=True, help="Only the counts per article.")
def repairs_command(
    sources: Path | None,
    errata: Path | None,
    article_id: str | None,
    as_json: bool,
    counts_only: bool,
) -> None:
    """Show the repair log: counts and every change (kind, raw offsets, before, after)."""
    builds = _corpus(sources, errata).builds
    if article_id is not None:
        builds = [b for b in builds if b.source.id == article_id]
        if not builds:
            raise InputError(f"--article: no article with id {article_id!r}")
    if as_json:
        payload = [
            {
                "article_id": b.source.id,
                "counts": b.repair_counts,
                "changes": [] if counts_only else [c.model_dump() for c in b.changes],
            }
            for b in builds
        ]
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    for build in builds:
        counts = ", ".join(f"{k}={v}" for k, v in build.repair_counts.items())
        click.echo(f"{build.source.id} ({build.source.file}): {counts}")
        if counts_only:
            continue
        for change in build.changes:
            click.echo(
                f"  {change.kind:15} raw[{change.raw_start}:{change.raw_end}] "
                f"{change.before!r} -> {change.after!r}"
                + (f"  # {change.note}" if change.note else "")
            )


@click.command("scan")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, exists=True, path_type=Path))
@_sources
@_errata
def scan_command(files: tuple[Path, ...], sources: Path | None, errata: Path | None) -> None:
    """Find mis-decoded runs. Without FILES: in the cleaned corpus (the build runs this too).

    Lists file, offset and run of each; exits 2 when any run is found, or when a file is not
    UTF-8 (the runs this finds are UTF-8 text that was decoded wrongly once before).
    """
    found = 0
    if files:
        for path in files:
            text = decode_utf8(path, path.read_bytes())
            for run in mojibake.find_runs(text):
                click.echo(f"{path}: offset {run.start}: {run.text!r}")
                found += 1
    else:
        for build in _corpus(sources, errata).builds:
            for run in mojibake.find_runs(build.rope.text):
                click.echo(f"{build.source.id}: offset {run.start}: {run.text!r}")
                found += 1
    if found:
        raise InputError(f"{found} mis-decoded run(s) found")
    click.echo("no mis-decoded runs found", err=True)


def _line_role(_ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]) -> object:
    out = []
    for value in values:
        line, _, role = value.partition("=")
        if not line.isdigit() or role not in ROLES:
            raise click.BadParameter(
                f"{value!r}: expected LINE=ROLE with a line number (0 is the first line) and "
                f"one of {', '.join(ROLES)}"
            )
        out.append((int(line), role))
    return tuple(out)


def _authors(_ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]) -> object:
    # `--authors 劉永彪,李忠海` or `--authors 劉永彪 --authors 李忠海`: names never hold a comma.
    return tuple(n.strip() for v in values for n in re.split(r"[,，、]", v) if n.strip())


@click.command("add-article")
@click.argument("path", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--title", default=None, help="The article's own title line, if it has one.")
@click.option(
    "--authors",
    multiple=True,
    callback=_authors,
    help="Author names, comma-separated or the option repeated.",
)
@click.option("--byline", default=None, help="The byline as it is written in the article.")
@click.option("--source", "source_line", default=None, help="The article's source line, if any.")
@click.option(
    "--line-role",
    "line_roles",
    multiple=True,
    callback=_line_role,
    metavar="LINE=ROLE",
    help="A role the rules cannot see, e.g. 0=byline (repeatable; line 0 is the first).",
)
@click.option(
    "--script",
    type=click.Choice(["Hans", "Hant"]),
    default=None,
    help="Declare the script (refused if OpenCC finds the text is the other one).",
)
@_sources
@_errata
def add_article_command(
    path: Path,
    title: str | None,
    authors: tuple[str, ...],
    byline: str | None,
    source_line: str | None,
    line_roles: tuple[tuple[int, str], ...],
    script: str | None,
    sources: Path | None,
    errata: Path | None,
) -> None:
    """Copy PATH byte for byte into sources/ and list it in the manifest.

    The id is the hex part of a name like 005_0123456789abcdef.txt, otherwise the first 16 hex
    digits of the file's sha256 (the copy is then named <next number>_<id>.txt). The script is
    detected with OpenCC. Refused: an empty or non-UTF-8 file, a file or id already listed, an
    existing target, a declared script the text contradicts.
    """
    folder = sources or sources_dir()
    meta = adding.Metadata(
        title=title,
        authors=authors,
        byline=byline,
        source=source_line,
        line_roles=line_roles,
        script=cast("Script | None", script),
    )
    added = adding.add_article(path, folder, meta)
    article = added.article
    how = "already in place" if added.in_place else f"copied from {path}"
    click.echo(f"added article {article.id}: {added.target} ({how}, sha256 {article.sha256})")
    click.echo(f"  script {article.script}: {added.evidence.describe()}")
    warn_unlisted(folder)
    _try_build(article, added.data.decode("utf-8"), errata or annotations_dir() / ERRATA_FILE)
    click.echo(
        "next: `chainpolicy splits --write` gives it a split; then push, annotate, pull and "
        "build (README: Maintainer workflow)"
    )


def _try_build(article: manifest_mod.ArticleSource, raw: str, errata: Path) -> None:
    """Build the new article once, so that a problem shows now rather than at release time."""
    try:
        build = repair(article, raw, [])
    except InputError as exc:
        click.echo(f"warning: article {article.id} does not build yet: {exc}", err=True)
        return
    if build.unrepaired:
        runs = "; ".join(f"offset {r.start}: {r.text!r}" for r in build.unrepaired[:5])
        click.echo(
            f"warning: article {article.id} has {len(build.unrepaired)} mis-decoded run(s) the "
            f"automatic repair cannot undo ({runs}); add reviewed errata to {errata}",
            err=True,
        )
        return
    annotatable = sum(1 for r in build.records if r.role in ANNOTATED_ROLES)
    click.echo(f"  {len(build.records)} sentence records ({annotatable} annotatable)")


COMMANDS: list[click.Command] = [
    sentences_command,
    repairs_command,
    scan_command,
    add_article_command,
]
