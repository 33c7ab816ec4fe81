"""One-task exports that used to crash the build: each is a one-line error or a quarantine.

Also the time-zone rule: a timestamp without a UTC offset is UTC on every machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from chainpolicy.dataset.build import BuildResult
from chainpolicy.errors import InputError
from chainpolicy.records import SentenceRecord, Span
from chainpolicy.validate.export import timestamp_micros
from chainpolicy.validate.synthetic import annotation, prediction, task


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chainpolicy", *args], capture_output=True, text=True, check=False
    )


A = "02dec154e1ac7468-p001-s02"  # 目前,江苏省在国家互联网信息办公室备案的...


def _one_task(record: SentenceRecord, chunk: str = "江苏省", **changes: Any) -> dict[str, Any]:
    start = record.text.index(chunk)
    spans = [Span(start, start + len(chunk), "entity", "LOC")]
    item = task(7, record.id, record.article_id, record.text, record.start)
    item["annotations"] = [annotation(70, 5, record.text, spans, task_id=7)]
    item["predictions"] = [prediction(record.text, spans, "pre-1")]
    for path, value in changes.items():
        target = item
        keys = path.split(".")
        for key in keys[:-1]:
            target = target[int(key)] if key.isdigit() else target[key]
        target[keys[-1]] = value
    return item


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(text, "utf-8")
    return path


def _dump(item: dict[str, Any]) -> str:
    return json.dumps([item], ensure_ascii=True)  # lone surrogates survive as \ud800 escapes


HUGE = 2**63
ERRORS = [
    ("task id", {"id": HUGE}, "task #0 (id 9223372036854775808) has the wrong shape at 'id'"),
    ("task id as a string", {"id": "7"}, "has the wrong shape at 'id'"),
    ("annotation id", {"annotations.0.id": HUGE}, "wrong shape at 'annotations.0.id'"),
    ("annotator", {"annotations.0.completed_by": HUGE}, "at 'annotations.0.completed_by"),
    ("cancelled as a string", {"annotations.0.was_cancelled": "no"}, "was_cancelled"),
    ("prediction id", {"predictions.0.id": HUGE}, "at 'predictions.0"),
]


@pytest.mark.parametrize(("name", "changes", "message"), ERRORS, ids=[e[0] for e in ERRORS])
def test_bad_ids_are_one_line_errors_naming_file_and_task(
    run_build: Callable[..., BuildResult],
    sentences: dict[str, SentenceRecord],
    tmp_path: Path,
    name: str,
    changes: dict[str, Any],
    message: str,
) -> None:
    path = _write(tmp_path / "exports", "e.json", _dump(_one_task(sentences[A], **changes)))
    with pytest.raises(InputError) as caught:
        run_build([path])
    text = str(caught.value)
    assert text.startswith(f"{path}: task #0") and message in text, name
    assert "\n" not in text


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_deep_nesting_is_a_one_line_error(
    run_build: Callable[..., BuildResult], sentences: dict[str, SentenceRecord], tmp_path: Path
) -> None:
    item = _dump(_one_task(sentences[A])).replace('"meta": {}', f'"meta": {_nested(100_000)}')
    path = _write(tmp_path / "exports", "deep.json", item)
    with pytest.raises(InputError, match=r"deep.json: malformed JSON in task #0 .*nested too deep"):
        run_build([path])


def test_deep_nesting_through_the_cli_exits_2_without_traceback(
    sentences: dict[str, SentenceRecord], tmp_path: Path
) -> None:
    item = _dump(_one_task(sentences[A])).replace('"meta": {}', f'"meta": {_nested(5000)}')
    folder = tmp_path / "exports"
    _write(folder, "deep.json", item)
    done = cli("build", "--exports", str(folder), "--out", str(tmp_path / "ds"))
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "deep.json: malformed JSON in task #0" in done.stderr


def _rows(root: Path, config: str) -> list[dict[str, Any]]:
    return [
        row
        for path in sorted((root / "data" / config).glob("*.parquet"))
        for row in pq.read_table(path).to_pylist()
    ]


QUARANTINED = [
    ("surrogate in the text", {"data.text": "目前\ud800"}, "missing_text"),
    (
        "surrogate in the ids",
        {"data.sentence_id": "x\udfff", "data.article_id": "y\udfff"},
        "unknown_sentence",
    ),
    # A changed text with an article offset past 2**63 cannot be re-anchored.
    ("huge article offset", {"data.article_start": HUGE, "data.text": "江苏省 changed"}, None),
]


@pytest.mark.parametrize(
    ("name", "changes", "reason"), QUARANTINED, ids=[q[0] for q in QUARANTINED]
)
def test_bad_task_data_is_quarantined_and_the_rest_is_built(
    run_build: Callable[..., BuildResult],
    sentences: dict[str, SentenceRecord],
    tmp_path: Path,
    name: str,
    changes: dict[str, Any],
    reason: str | None,
) -> None:
    bad = _one_task(sentences[A], **changes)
    if reason is None:  # the changed-text case: the span text must still match its task text
        bad["annotations"][0]["result"][0]["value"].update(start=0, end=3, text="江苏省")
        bad["annotations"][0]["result"][1]["value"].update(start=0, end=3, text="江苏省")
        reason = "text_changed"
    good = _one_task(sentences["4f7741a2ad09df20-p002-s01"], "工信部")
    good["id"], good["annotations"][0]["id"] = 8, 80
    text = json.dumps([bad, good], ensure_ascii=True)
    path = _write(tmp_path / "exports", "e.json", text)
    result = run_build([path])
    report = result.report
    assert report.quarantine == {reason: 2}, name  # the label and its type result
    assert sum(report.outcomes.values()) == report.results_read
    lines = (result.report_dir / "quarantine.jsonl").read_text("utf-8").splitlines()
    assert len(lines) == 2 and all(json.loads(line)["reason"] == reason for line in lines)


def test_a_surrogate_in_model_version_is_kept_visible_and_never_crashes(
    run_build: Callable[..., BuildResult], sentences: dict[str, SentenceRecord], tmp_path: Path
) -> None:
    item = _one_task(sentences[A], **{"predictions.0.model_version": "pre-\ud800"})
    path = _write(tmp_path / "exports", "e.json", _dump(item))
    result = run_build([path])
    machine = _rows(result.out, "machine_preannotations")  # type: ignore[arg-type]
    assert [r["model_version"] for r in machine] == ["pre-\\ud800"]


@pytest.mark.parametrize("copies", ["in one task", "in a repeated task"])
def test_a_repeated_prediction_loses_no_later_sentence_of_the_machine_config(
    run_build: Callable[..., BuildResult],
    sentences: dict[str, SentenceRecord],
    tmp_path: Path,
    copies: str,
) -> None:
    # Two predictions with the same (export, id) on one sentence used to leave the prediction
    # stream one row behind: every later sentence lost its machine pre-annotation.
    first = _one_task(sentences[A])
    later = _one_task(sentences["02dec154e1ac7468-p003-s03"], "3亿元", id=8)
    later["predictions"][0]["result"][0]["value"]["labels"] = ["figure"]
    later["predictions"][0]["result"][1].update(from_name="figure_type")
    later["predictions"][0]["result"][1]["value"]["choices"] = ["MONEY"]
    tasks = [first, later]
    if copies == "in one task":
        first["predictions"].append(json.loads(json.dumps(first["predictions"][0])))
    else:
        tasks.insert(1, json.loads(json.dumps(first)))
    path = _write(tmp_path / "exports", "e.json", json.dumps(tasks, ensure_ascii=False))
    result = run_build([path])
    machine = _rows(result.out, "machine_preannotations")  # type: ignore[arg-type]
    assert sorted(r["id"] for r in machine) == sorted({t["data"]["sentence_id"] for t in tasks})


@pytest.fixture
def time_zone() -> Iterator[Callable[[str], None]]:
    before = os.environ.get("TZ")

    def use(zone: str) -> None:
        os.environ["TZ"] = zone
        time.tzset()

    yield use
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


@pytest.mark.parametrize(
    "stamp",
    ["2024-05-01T10:00:00", "2024-05-01T10:00:00.250000", "2024-05-01 10:00:00"],
)
def test_a_timestamp_without_offset_is_utc_on_every_machine(
    time_zone: Callable[[str], None], stamp: str
) -> None:
    readings = set()
    for zone in ("UTC", "Asia/Shanghai", "America/Los_Angeles"):
        time_zone(zone)
        readings.add(timestamp_micros(stamp))
    assert len(readings) == 1
    assert readings == {timestamp_micros(stamp.replace(" ", "T") + "+00:00")}
    assert timestamp_micros("not a time") == -1 and timestamp_micros(None) == -1


@pytest.mark.parametrize(
    "stamp", ["9999-12-31T23:59:59.999999-23:59", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59Z"]
)
def test_a_timestamp_outside_the_years_1_to_9999_in_utc_is_unknown_and_never_crashes(
    run_build: Callable[..., BuildResult],
    sentences: dict[str, SentenceRecord],
    tmp_path: Path,
    stamp: str,
) -> None:
    # Found by scripts/fuzz_exports.py (seed 1, case 2172): year 10000 in UTC crashed the build
    # when the annotations config's timestamp column was read back into Python.
    in_range = stamp.endswith("Z")
    assert (timestamp_micros(stamp) >= 0) == in_range
    item = _one_task(sentences[A], **{"annotations.0.updated_at": stamp})
    item["annotations"][0]["created_at"] = None
    result = run_build([_write(tmp_path / "exports", "e.json", _dump(item))])
    assert result.report.quarantine == {}
    (vote,) = _rows(result.out, "annotations")  # type: ignore[arg-type]
    assert (vote["updated_at"] is not None) == in_range
