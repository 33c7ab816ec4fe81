"""The official scorer, cross-checked with nervaluate on a dataset built from a real export."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from nervaluate import Evaluator

from chainpolicy.dataset.build import BuildResult
from chainpolicy.errors import InputError
from chainpolicy.evaluation.scoring import machine_baseline, score
from chainpolicy.schema import TYPE_NAMES

FIXTURE = Path(__file__).parents[1] / "fixtures" / "ls_export_small.json"


@pytest.fixture
def gold(run_build: Callable[..., BuildResult]) -> Path:
    return run_build([FIXTURE]).out  # type: ignore[return-value]


def _submitted(span: dict[str, Any], label_names: list[str]) -> dict[str, Any]:
    """A stored span as a submission spans it: label and type names (types are ClassLabel ids)."""
    type_ = None if span["type"] is None else TYPE_NAMES[span["type"]]
    return {**span, "label": label_names[span["label"]], "type": type_}


def _write(path: Path, items: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), "utf-8")
    return path


def test_perfect_and_partial_systems_against_nervaluate(gold: Path, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    split = "test"
    table = pq.read_table(gold / f"data/default/{split}-00000-of-00001.parquet")
    rows = [r for r in table.to_pylist() if r["annotation_status"] in (1, 2)]
    assert rows, "the fixture annotates test-split sentences"
    label_names = ["entity", "figure", "claim"]
    perfect = [
        {"id": r["id"], "spans": [_submitted(s, label_names) for s in r["spans"]]} for r in rows
    ]
    result = score(gold, _write(tmp_path / "p.jsonl", perfect), split=split)
    assert result.micro_strict_f1 == 1.0

    # Shift every entity's end by one: strict misses, partial gives half credit.
    shifted = [
        {
            "id": item["id"],
            "spans": [
                {**s, "end": s["end"] - 1}
                if s["label"] == "entity" and s["end"] - s["start"] > 1
                else s
                for s in item["spans"]  # type: ignore[attr-defined]
            ],
        }
        for item in perfect
    ]
    result = score(gold, _write(tmp_path / "s.jsonl", shifted), split=split)
    entity = next(r for r in result.labels if r.label == "entity")

    def as_ner(spans: list[dict[str, object]]) -> list[dict[str, object]]:
        return [
            {"label": s["type"], "start": s["start"], "end": int(s["end"]) - 1}  # type: ignore[call-overload]
            for s in spans
            if s["label"] == "entity"
        ]

    true = [as_ner(item["spans"]) for item in perfect]  # type: ignore[arg-type]
    pred = [as_ner(item["spans"]) for item in shifted]  # type: ignore[arg-type]
    tags = ["ORG", "LOC", "PER", "WORK", "PRODUCT"]
    overall = Evaluator(true, pred, tags=tags, loader="dict").evaluate()["overall"]
    assert entity.strict_f1 == pytest.approx(overall["strict"].f1)
    assert entity.partial_f1 == pytest.approx(overall["partial"].f1)
    assert entity.strict_f1 < entity.partial_f1 < 1.0


def test_bad_predictions_are_named(gold: Path, tmp_path: Path) -> None:
    first = "02dec154e1ac7468-p001-s02"
    bad = _write(
        tmp_path / "bad.jsonl",
        [{"id": first, "spans": [{"start": 0, "end": 999, "label": "entity", "type": "LOC"}]}],
    )
    with pytest.raises(InputError, match=r"bad.jsonl:1: offsets 0:999 outside the text"):
        score(gold, bad)
    typed = _write(
        tmp_path / "t.jsonl",
        [{"id": first, "spans": [{"start": 0, "end": 2, "label": "entity", "type": "CITY"}]}],
    )
    with pytest.raises(InputError, match="type 'CITY'"):
        score(gold, typed)


def test_a_submission_that_is_not_utf8_or_json_is_one_line_naming_the_line(
    gold: Path, tmp_path: Path
) -> None:
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes(b'{"id": "a", "spans": []}\n{"id": "caf\xe9", "spans": []}\n')
    with pytest.raises(InputError) as info:
        score(gold, latin)
    assert str(info.value) == f"{latin}:2: not UTF-8 (byte 0xe9 at column 12 of the line)"
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"id": "a", "spans": [\n', "utf-8")
    with pytest.raises(InputError, match=r"broken.jsonl:1: not JSON \(.* at column \d+\)$"):
        score(gold, broken)
    shape = _write(tmp_path / "shape.jsonl", [{"id": "a", "spans": [{"start": "x"}]}])
    with pytest.raises(InputError) as info:
        score(gold, shape)
    assert "\n" not in str(info.value) and "spans.0.start" in str(info.value)


def test_machine_baseline_is_the_machine_config_scored_as_a_submission(
    gold: Path, tmp_path: Path
) -> None:
    import pyarrow.parquet as pq

    machine = pq.read_table(gold / "data/machine_preannotations/test-00000-of-00001.parquet")
    label_names = ["entity", "figure", "claim"]
    items = [
        {"id": r["id"], "spans": [_submitted(s, label_names) for s in r["spans"]]}
        for r in machine.to_pylist()
    ]
    assert any(item["spans"] for item in items), "the fixture's tasks carry predictions"
    baseline = machine_baseline(gold, "test")
    assert baseline is not None and baseline.sentences > 0
    assert baseline == score(gold, _write(tmp_path / "machine.jsonl", items), split="test")


def test_no_machine_baseline_without_gold(run_build: Callable[..., BuildResult]) -> None:
    assert machine_baseline(run_build([], "empty").out, "test") is None  # type: ignore[arg-type]
