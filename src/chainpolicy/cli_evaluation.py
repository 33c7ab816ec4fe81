"""CLI of the evaluation layer: ``score`` (the official scorer) and ``leaderboard``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from chainpolicy import atomic
from chainpolicy.errors import InputError
from chainpolicy.paths import dataset_dir, repo_root

if TYPE_CHECKING:
    from chainpolicy.evaluation.scoring import Score

_dataset = click.option(
    "--dataset",
    "folder",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="The dataset folder [default: dataset/].",
)


@click.command("score")
@click.argument("predictions", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--config", default="default", show_default=True, help="default or zh_hans.")
@click.option("--split", default="test", show_default=True)
@_dataset
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
@click.option(
    "--require-all", is_flag=True, help="Refuse a submission that leaves out a gold sentence."
)
@click.option(
    "--compare",
    "other",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="A second submission: the paired-bootstrap difference PREDICTIONS minus OTHER.",
)
@click.option("--resamples", default=1000, show_default=True, type=click.IntRange(min=1000))
@click.option("--seed", default=None, type=int, help="Bootstrap seed [default: the fixed one].")
def score_command(
    predictions: Path,
    config: str,
    split: str,
    folder: Path | None,
    as_json: bool,
    require_all: bool,
    other: Path | None,
    resamples: int,
    seed: int | None,
) -> None:
    """Validate a submission (JSONL: id, spans) and score it against the gold of a split.

    The submission is refused (exit 2, one line naming the line, id, span and value) if any line
    is malformed, names a sentence outside the split, repeats a sentence, or has a label, type
    or offsets outside the schema and text, or duplicate/overlapping spans of one label.
    """
    from chainpolicy.evaluation import bootstrap, scoring, submission

    if config not in scoring.SCORED_CONFIGS:
        raise InputError(
            f"--config must be one of {', '.join(scoring.SCORED_CONFIGS)}, got {config!r}"
        )
    root = folder or dataset_dir()
    seed = bootstrap.SEED if seed is None else seed
    sentences = scoring.load_gold(root, config, split)
    mine = submission.read(predictions, sentences, require_all=require_all)
    result = scoring.score_submission(
        sentences, mine, config, split, resamples=resamples, seed=seed
    )
    comparisons = []
    if other is not None:
        theirs = submission.read(other, sentences, require_all=require_all)
        for unit in ("sentences", "articles"):
            for metric in scoring.HEADLINE:
                comparisons.append(
                    scoring.compare(
                        sentences,
                        mine,
                        theirs,
                        metric=metric,
                        unit=unit,
                        resamples=resamples,
                        seed=seed,
                    )
                )
    if as_json:
        import json

        payload = result.model_dump()
        if comparisons:
            payload["comparison"] = [c.model_dump() for c in comparisons]
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    if result.sentences == 0:
        click.echo(f"no gold-annotated sentence in {config}/{split} yet: nothing to score")
        return
    _print(result, mine.missing)
    if comparisons:
        click.echo(f"\n{predictions.name} minus {other.name if other else ''} (paired bootstrap):")
        for c in comparisons:
            click.echo(
                f"  {c.metric:17} by {c.unit:9} {c.difference:+.3f} "
                f"[{c.interval.low:+.3f}, {c.interval.high:+.3f}]  p={c.p_value:.3f}"
            )


def _print(result: Score, missing: list[str]) -> None:
    click.echo(
        f"{result.config}/{result.split}: {result.sentences} gold sentences "
        f"(gold {result.gold_digest[:16]})"
    )
    if missing:
        click.echo(
            f"{len(missing)} gold sentence(s) not in the submission, scored as empty: "
            + ", ".join(missing[:5])
            + (" ..." if len(missing) > 5 else "")
        )
    click.echo("label\tgold\tpred\tstrict P\tstrict R\tstrict F1\tpartial P\tpartial R\tpartial F1")
    for r in result.labels:
        click.echo(
            f"{r.label}\t{r.gold}\t{r.predicted}\t{r.strict_precision:.3f}\t{r.strict_recall:.3f}\t"
            f"{r.strict_f1:.3f}\t{r.partial_precision:.3f}\t{r.partial_recall:.3f}\t{r.partial_f1:.3f}"
        )
    for name, value in (
        ("micro strict F1", result.micro_strict_f1),
        ("macro strict F1", result.macro_strict_f1),
        ("micro partial F1", result.micro_partial_f1),
    ):
        key = name.replace(" ", "_").replace("f1", "f1").lower()
        by_s = result.intervals["sentences"][key]
        by_a = result.intervals["articles"][key]
        click.echo(
            f"{name:17} {value:.3f}  95% CI by sentence [{by_s.low:.3f}, {by_s.high:.3f}], "
            f"by article [{by_a.low:.3f}, {by_a.high:.3f}]"
        )
    click.echo("by script: " + ", ".join(f"{g.name} {g.strict_f1:.3f}" for g in result.scripts))
    click.echo("by article: " + ", ".join(f"{g.name} {g.strict_f1:.3f}" for g in result.articles))


@click.command("leaderboard")
@_dataset
@click.option(
    "--entries",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The leaderboard folder [default: leaderboard/].",
)
@click.option("--check", is_flag=True, help="Only check that README.md is up to date (exit 1).")
def leaderboard_command(folder: Path | None, entries: Path | None, check: bool) -> None:
    """Re-score every leaderboard entry and regenerate leaderboard/README.md.

    Refuses an entry whose submission fails the scorer's gate or that was scored on another
    release's gold (its gold_digest); the README is rewritten byte for byte from the entries.
    """
    from chainpolicy.evaluation import leaderboard

    root = entries or repo_root() / "leaderboard"
    text = leaderboard.readme(folder or dataset_dir(), root)
    target = root / leaderboard.README
    if check:
        current = target.read_text("utf-8") if target.exists() else ""
        if current != text:
            raise InputError(f"{target}: out of date; run `chainpolicy leaderboard`")
        click.echo(f"{target}: up to date")
        return
    atomic.write_text(target, text)
    click.echo(f"wrote {target}")


COMMANDS: list[click.Command] = [score_command, leaderboard_command]
