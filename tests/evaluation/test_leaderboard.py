"""The leaderboard: entries re-scored, invalid or stale ones refused, the README regenerated."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from chainpolicy.errors import InputError
from chainpolicy.evaluation import leaderboard, scoring
from chainpolicy.paths import dataset_dir, repo_root

ENTRIES = repo_root() / "leaderboard"


def test_the_committed_leaderboard_readme_is_regenerated_byte_for_byte() -> None:
    expected = (ENTRIES / leaderboard.README).read_text("utf-8")
    assert leaderboard.readme(dataset_dir(), ENTRIES) == expected, (
        "leaderboard/README.md is stale: run `chainpolicy leaderboard`"
    )


def test_every_committed_entry_is_valid_and_scored_on_the_current_gold() -> None:
    rows, stale = leaderboard.score_entries(dataset_dir(), ENTRIES)
    assert stale == [] and len(rows) == len(leaderboard.entry_folders(ENTRIES))
    digest = leaderboard.gold_digest_of(dataset_dir())
    assert all(r.entry.gold_digest == digest for r in rows)
    assert any(not r.entry.blind for r in rows)  # the pre-annotator is listed, as not blind


def test_leave_one_out_with_nobody_left_out_is_the_dataset_gold() -> None:
    """The leaderboard's re-adjudication from the annotations config is the build's own."""
    gold = scoring.load_gold(dataset_dir(), "default", "test")
    everyone = leaderboard.leave_one_out(dataset_dir(), "test", annotator=-1)
    for sentence_id, sentence in gold.items():
        again = everyone[sentence_id]
        assert again.gold == sentence.gold
        assert sorted(again.spans, key=lambda s: s.key) == sorted(
            sentence.spans, key=lambda s: s.key
        )


@pytest.fixture
def board(tmp_path: Path) -> Path:
    folder = tmp_path / "board"
    shutil.copytree(ENTRIES / "rules", folder / "rules")
    shutil.copytree(ENTRIES / "crf", folder / "crf")
    return folder


def _edit(path: Path, **changes: object) -> None:
    data = json.loads(path.read_text("utf-8"))
    data.update(changes)
    path.write_text(json.dumps(data), "utf-8")


def test_a_stale_entry_is_refused_and_left_out_of_the_card(board: Path) -> None:
    _edit(board / "crf" / leaderboard.ENTRY_FILE, gold_digest="0" * 64)
    with pytest.raises(InputError, match=r"crf/entry.json: stale: scored on gold 0000"):
        leaderboard.score_entries(dataset_dir(), board)
    rows, stale = leaderboard.score_entries(dataset_dir(), board, strict=False)
    assert [r.folder for r in rows] == ["rules"] and stale == ["crf"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"date": "yesterday"}, "date: String should match pattern"),
        ({"blind": "yes"}, "blind: Input should be a valid boolean"),
        ({"extra": 1}, "extra: Extra inputs are not permitted"),
    ],
)
def test_an_invalid_entry_is_refused_in_one_line(
    board: Path, change: dict[str, object], message: str
) -> None:
    _edit(board / "rules" / leaderboard.ENTRY_FILE, **change)
    with pytest.raises(InputError, match=message) as info:
        leaderboard.score_entries(dataset_dir(), board)
    assert "\n" not in str(info.value)


def test_an_entry_whose_submission_fails_the_gate_is_refused(board: Path) -> None:
    path = board / "rules" / leaderboard.SUBMISSION_FILE
    lines = path.read_text("utf-8").splitlines()
    first = json.loads(lines[0])
    first["spans"].append({"start": 0, "end": 1, "label": "claim", "type": "ORG"})
    path.write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n", "utf-8")
    with pytest.raises(InputError, match=r"rules/submission.jsonl:1: .* takes no type"):
        leaderboard.score_entries(dataset_dir(), board)


def test_blind_systems_are_ranked_by_micro_strict_f1(board: Path) -> None:
    rows, _ = leaderboard.score_entries(dataset_dir(), board)
    text = leaderboard.render(dataset_dir(), rows)
    ranked = sorted(rows, key=lambda r: -r.score.micro_strict_f1)
    positions = [text.index(f"| {r.entry.name} |") for r in ranked]
    assert positions == sorted(positions)
    assert (
        "Paired bootstrap" in text
        and scoring.gold_digest(scoring.load_gold(dataset_dir(), "default", "test"))[:16] in text
    )
