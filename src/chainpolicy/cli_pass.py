"""CLI for offline annotation passes: ``pass sheet`` and ``pass check``."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import click

from chainpolicy import annotation_pass, atomic
from chainpolicy.cli_corpus import warn_unlisted
from chainpolicy.corpus import load_sentences


@click.group("pass")
def pass_group() -> None:
    """Work sheets for independent annotators, and checks of the passes they return."""


@pass_group.command("sheet")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Where to write the work sheet (JSONL).",
)
def sheet_command(out: Path) -> None:
    """Write the annotatable sentences (id, role, text), without any machine prediction."""
    warn_unlisted()
    rows = list(annotation_pass.sheet(load_sentences()))
    atomic.write_text(out, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    click.echo(f"wrote {len(rows)} items to {out}")


@pass_group.command("check")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
def check_command(file: Path) -> None:
    """Resolve every span of a pass to offsets; list every problem (exit 2) or print counts."""
    warn_unlisted()
    resolved = annotation_pass.load(file, load_sentences())
    counts = Counter(span.label for spans in resolved.values() for span in spans)
    empty = sum(1 for spans in resolved.values() if not spans)
    click.echo(
        f"{file}: {len(resolved)} sentences, {sum(counts.values())} spans "
        f"({', '.join(f'{k}={v}' for k, v in sorted(counts.items()))}), {empty} with no span"
    )


COMMANDS: list[click.Command] = [pass_group]
