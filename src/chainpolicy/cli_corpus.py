"""CLI of the corpus layer: ``sentences``, ``repairs``, ``scan``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from chainpolicy import atomic
from chainpolicy.corpus import ERRATA_FILE, load_corpus, mojibake
from chainpolicy.corpus.ingest import Corpus, iter_marked_builds
from chainpolicy.errors import InputError, decode_utf8
from chainpolicy.paths import annotations_dir, sources_dir

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


def _corpus(sources: Path | None, errata: Path | None) -> Corpus:
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
def sentences_command(sources: Path | None, errata: Path | None, out: Path | None) -> None:
    """Write the sentence records, one JSON object per line (streamed article by article)."""
    builds = iter_marked_builds(sources or sources_dir(), errata or annotations_dir() / ERRATA_FILE)
    lines = (r.model_dump_json() + "\n" for build in builds for r in build.records)
    if out is None:
        sys.stdout.writelines(lines)
        return
    count = 0
    with atomic.open_text(out) as fh:
        for line in lines:
            fh.write(line)
            count += 1
    click.echo(f"wrote {count} records to {out}", err=True)


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


COMMANDS: list[click.Command] = [sentences_command, repairs_command, scan_command]
