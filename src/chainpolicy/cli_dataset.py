"""CLI of the dataset layer: ``build``, ``splits``, ``agreement``, ``publish``."""

from __future__ import annotations

import json
import shutil
import signal
from pathlib import Path
from typing import TYPE_CHECKING

import click

from chainpolicy.cli_corpus import warn_unlisted
from chainpolicy.dataset import splits as split_rule
from chainpolicy.errors import InputError
from chainpolicy.paths import annotations_dir, dataset_dir, repo_root

if TYPE_CHECKING:  # the build imports datasets/pyarrow: only when a command runs
    from chainpolicy.dataset.build import BuildInputs

_exports = click.option(
    "--exports",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder of Label Studio JSON exports [default: annotations/exports/]; it must exist and "
    "hold at least one export.",
)
_no_exports = click.option(
    "--no-exports",
    is_flag=True,
    help="Build without any Label Studio export (a release with no annotations).",
)
_sentences = click.option(
    "--sentences",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="Sentence records instead of the committed corpus: a JSONL file (`chainpolicy "
    "sentences`), or the folder of `chainpolicy sentences --datatrove OUT` (its shards).",
)
_articles = click.option(
    "--articles",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="Article records as JSONL, with --sentences (otherwise rebuilt from the sentences).",
)
_splits = click.option(
    "--splits",
    "splits_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help=f"Split assignment [default: annotations/{split_rule.SPLITS_FILE}].",
)


def _inputs(
    exports: Path | None,
    sentences: Path | None,
    articles: Path | None,
    splits_file: Path | None,
    card: Path | None = None,
    *,
    no_exports: bool = False,
) -> BuildInputs:
    from chainpolicy.dataset.build import BuildInputs, find_exports
    from chainpolicy.dataset.source import open_source

    if articles is not None and sentences is None:
        raise InputError("--articles needs --sentences")
    if articles is not None and sentences is not None and sentences.is_dir():
        raise InputError("--articles goes with a JSONL file of sentences, not a shard folder")
    if no_exports and exports is not None:
        raise InputError("--no-exports and --exports exclude each other")
    if sentences is None:
        warn_unlisted()
    source = open_source(sentences, articles)
    return BuildInputs(
        source=source,
        exports=[] if no_exports else find_exports(exports or annotations_dir() / "exports"),
        splits_file=splits_file or annotations_dir() / split_rule.SPLITS_FILE,
        card_template=card or repo_root() / "dataset_card.md",
        guidelines=annotations_dir() / "guidelines.md",
        leaderboard=repo_root() / "leaderboard",
    )


@click.command("build")
@_exports
@_no_exports
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The dataset folder to (re)place: new, empty, or made by an earlier build "
    "[default: dataset/].",
)
@click.option(
    "--report-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the build report and quarantine list go [default: annotations/build_report/ "
    "for dataset/, else OUT-report/ beside OUT].",
)
@_sentences
@_articles
@_splits
@click.option(
    "--card",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="Hand-written card source [default: dataset_card.md].",
)
@click.option(
    "--strict", is_flag=True, help="Fail (and keep the old folder) if any result is quarantined."
)
@click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="Print the full report (every outcome, quarantine reason, split) instead of a summary.",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Processes that read each big export (the same output whatever the number).",
)
def build_command(
    exports: Path | None,
    no_exports: bool,
    out: Path | None,
    report_dir: Path | None,
    sentences: Path | None,
    articles: Path | None,
    splits_file: Path | None,
    card: Path | None,
    strict: bool,
    verbose: bool,
    jobs: int,
) -> None:
    """Validate every export and write the Hugging Face dataset folder (atomically).

    Every result of every export ends in the dataset or in the quarantine list with its reason;
    a summary is printed (the full report with --verbose) and the report is written to the report
    folder. The dataset folder and its report are swapped in together; a killed build leaves the
    previous ones in place, and the next build cleans up after it. On a terminal, progress is
    shown on stderr.
    """
    from chainpolicy.cli_progress import bar
    from chainpolicy.dataset.build import build

    inputs = _inputs(exports, sentences, articles, splits_file, card, no_exports=no_exports)
    target = out or dataset_dir()
    reports = report_dir or default_report_dir(target)
    # SIGTERM (a CI timeout, `kill`) cleans up like Ctrl-C: staging folders are removed.
    signal.signal(signal.SIGTERM, _interrupt)
    result = build(inputs, target, reports, strict=strict, progress=bar, jobs=jobs)
    for line in result.recovered:
        click.echo(f"note: {line}", err=True)
    click.echo(result.summary if verbose else result.brief, nl=False)
    click.echo(f"\nwrote {target} (report: {reports})")


def default_report_dir(target: Path) -> Path:
    """The committed report belongs to the committed dataset; any other build reports beside it."""
    if target.resolve() == dataset_dir().resolve():
        return annotations_dir() / "build_report"
    return target.parent / f"{target.name}-report"


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


@click.command("splits")
@_sentences
@_splits
@click.option(
    "--write",
    is_flag=True,
    help="Give new articles a split by the rule (assigned ones never move); log it.",
)
@click.option(
    "--assign",
    nargs=2,
    type=(str, click.Choice(split_rule.SPLITS)),
    default=None,
    metavar="ARTICLE SPLIT",
    help="Move one article to a split (the only way into or out of test); needs --reason.",
)
@click.option("--reason", default=None, help="Why, for --assign (written to the split log).")
def splits_command(
    sentences: Path | None,
    splits_file: Path | None,
    write: bool,
    assign: tuple[str, split_rule.Split] | None,
    reason: str | None,
) -> None:
    """Show the split of every article and check the assignment against the rules.

    Assigned articles keep their split; a new article goes to train or validation by the
    documented rule (`--write`); only `--assign ID SPLIT --reason TEXT` moves an article. Both
    append to the split log beside the file (annotations/splits_log.jsonl).
    """
    from chainpolicy.dataset.source import open_source
    from chainpolicy.validate.index import SentenceIndex

    if write and assign:
        raise InputError("--write and --assign: one at a time")
    if reason is not None and not assign:
        raise InputError("--reason goes with --assign")
    if sentences is None:
        warn_unlisted()
    source = open_source(sentences)
    index = SentenceIndex.build(source.sentences(), source.description)
    sizes = index.article_sizes()
    path = splits_file or annotations_dir() / split_rule.SPLITS_FILE
    log_file = split_rule.log_path(path)
    if not path.exists():
        # First release: the original rule over the whole corpus.
        if log_file.exists():
            raise InputError(
                f"{path} is missing but {log_file} records split decisions: restore the "
                "assignment from version control instead of starting over"
            )
        if assign:
            raise InputError(f"{path}: no assignment yet; run `chainpolicy splits --write` first")
        proposed = split_rule.assign(sizes)
        for article, script, size in sizes:
            click.echo(f"{article}\t{script}\t{size} annotatable records\t{proposed[article]}")
        if write:
            split_rule.write(path, proposed)
            click.echo(f"wrote {path} (first release: the initial rule; review, then commit)")
        else:
            click.echo(f"{path}: no assignment yet; `--write` writes the one above")
        return
    current = split_rule.load(path)
    split_rule.check_known(current, index.articles, path)
    log = split_rule.load_log(log_file)
    if assign:
        decisions = [split_rule.move(current, assign[0], assign[1], reason or "", index.articles)]
    else:
        decisions = split_rule.extend(current, sizes)
    planned = {d.article: d for d in decisions}
    for article, script, size in sizes:
        d = planned.get(article)
        where = current.get(article, "(none)")
        change = "" if d is None else f" -> {d.to} ({'new, ' if d.from_ is None else ''}{d.by})"
        click.echo(f"{article}\t{script}\t{size} annotatable records\t{where}{change}")
    problems = split_rule.audit(current, log, log_file)
    if problems:
        raise InputError("; ".join(problems))
    if not (write or assign):
        if decisions:
            click.echo(
                f"{len(decisions)} article(s) without a split: `chainpolicy splits --write` "
                "adds them by the rule"
            )
        else:
            logged = f"the log agrees ({len(log)} decisions)" if log else "no decision logged yet"
            click.echo(f"{path}: every article has a split; {logged}")
        return
    if not decisions:
        click.echo("nothing to add: every article has a split")
        return
    split_rule.write(path, split_rule.apply(current, decisions))
    split_rule.append_log(log_file, decisions)
    for d in decisions:
        click.echo(f"{d.article}: {d.from_ or 'new'} -> {d.to} ({d.by}: {d.reason})")
    click.echo(f"wrote {path} and {log_file} (review, then commit both)")


@click.command("agreement")
@_exports
@_sentences
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def agreement_command(exports: Path | None, sentences: Path | None, as_json: bool) -> None:
    """Inter-annotator agreement (pairwise span F1, Krippendorff's alpha) per label."""
    from chainpolicy.dataset.build import measure_agreement

    inputs = _inputs(exports, sentences, None, None)
    report = measure_agreement(inputs)
    if as_json:
        click.echo(json.dumps(report.model_dump(), indent=2))
        return
    click.echo(
        f"{report.sentences} sentences with two or more annotators, {report.annotators} annotators"
    )
    click.echo("label\tpairs\tstrict P\tstrict R\tstrict F1\tpartial F1\talpha")
    for r in report.layers:
        alpha = "n/a" if r.alpha is None else f"{r.alpha:.3f}"
        click.echo(
            f"{r.label}\t{r.pairs}\t{r.strict_precision:.3f}\t{r.strict_recall:.3f}\t"
            f"{r.strict_f1:.3f}\t{r.partial_f1:.3f}\t{alpha}"
        )


@click.command("publish")
@click.option("--repo-id", required=True, help="Hugging Face dataset repository, ORG/NAME.")
@click.option(
    "--revision",
    default=None,
    help="vX.Y (or vX.Y.Z): upload to main and tag the commit as that release (an existing tag "
    "is refused); any other name: a branch to upload to (created if missing) [default: main].",
)
@click.option(
    "--dataset",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The folder to upload [default: dataset/].",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="List the files that would be uploaded (as published: the card names the repository), "
    "with sizes and sha256; upload nothing.",
)
@click.option(
    "--copy-to",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="With --dry-run: also write the files exactly as they would be uploaded into this new "
    "folder (to read the published card).",
)
def publish_command(
    repo_id: str,
    revision: str | None,
    folder: Path | None,
    dry_run: bool,
    copy_to: Path | None,
) -> None:
    """Upload the dataset folder to the Hugging Face Hub (token from HF_TOKEN).

    What is uploaded is a copy of the folder whose card (and Croissant file) carries the
    repository's id and address; the folder itself is left as the build wrote it.
    """
    import tempfile

    from chainpolicy.dataset import publish

    publish.check_repo_id(repo_id)  # before anything else: nothing is read with a bad id
    release = publish.check_revision(revision)
    if copy_to is not None and not dry_run:
        raise InputError("--copy-to goes with --dry-run")
    if copy_to is not None and copy_to.exists() and any(copy_to.iterdir()):
        raise InputError(f"--copy-to {copy_to}: the folder exists and is not empty")
    source = folder or dataset_dir()
    if not source.is_dir():
        raise InputError(f"--dataset {source}: no such folder; run `chainpolicy build`")
    with tempfile.TemporaryDirectory(prefix="chainpolicy-publish-") as scratch:
        staged = Path(scratch) / "dataset"
        files = publish.prepare(source, repo_id, staged)
        if dry_run:
            for f in files:
                click.echo(f"{f.size:>12}  sha256:{f.sha256}  {f.path}")
            total = sum(f.size for f in files)
            where = release.describe(repo_id)
            click.echo(f"dry run: {len(files)} files, {total} bytes would be uploaded to {where}")
            if copy_to is not None:
                shutil.copytree(staged, copy_to, dirs_exist_ok=True)
                click.echo(f"wrote the files as they would be uploaded to {copy_to}")
            return
        url = publish.upload(staged, files, repo_id, release)
    click.echo(f"uploaded {len(files)} files to {release.describe(repo_id)}: {url}")


COMMANDS: list[click.Command] = [
    build_command,
    splits_command,
    agreement_command,
    publish_command,
]
