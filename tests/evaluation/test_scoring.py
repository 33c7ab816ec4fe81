"""The official scorer on the committed test gold: the gate, the matching, the report."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from datasets import ClassLabel, Features
from nervaluate import Evaluator

from chainpolicy.contract.layout import data_path
from chainpolicy.errors import InputError
from chainpolicy.evaluation import scoring
from chainpolicy.evaluation.scoring import load_gold, machine_baseline, score
from chainpolicy.evaluation.submission import GoldSentence
from chainpolicy.paths import dataset_dir, repo_root
from chainpolicy.schema import LABEL_NAMES, LABELS_BY_NAME, TYPE_NAMES


@pytest.fixture(scope="module")
def gold() -> dict[str, GoldSentence]:
    return load_gold(dataset_dir(), "default", "test")


def _line(sentence_id: str, spans: list[Any]) -> dict[str, Any]:
    return {
        "id": sentence_id,
        "spans": [
            {"start": s.start, "end": s.end, "label": s.label, "type": s.type} for s in spans
        ],
    }


def _perfect(gold: dict[str, GoldSentence]) -> list[dict[str, Any]]:
    return [_line(s.id, list(s.spans)) for s in gold.values() if s.gold]


def _write(path: Path, items: list[Any]) -> Path:
    path.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), "utf-8")
    return path


def test_a_perfect_submission_scores_one_with_intervals_and_the_gold_digest(
    gold: dict[str, GoldSentence], tmp_path: Path
) -> None:
    result = score(dataset_dir(), _write(tmp_path / "p.jsonl", _perfect(gold)))
    assert result.micro_strict_f1 == result.macro_strict_f1 == result.micro_partial_f1 == 1.0
    assert result.sentences == sum(s.gold for s in gold.values()) and result.missing == 0
    assert result.intervals["sentences"]["micro_strict_f1"].low == 1.0
    assert result.gold_digest == scoring.gold_digest(gold)
    assert {g.name for g in result.articles} == {s.article_id for s in gold.values() if s.gold}
    assert {g.name for g in result.scripts} == {s.script for s in gold.values() if s.gold}
    assert all(t.f1 == 1.0 for k, t in result.types.items() if t.precision)


def test_strict_and_partial_agree_with_nervaluate_on_shifted_entities(
    gold: dict[str, GoldSentence], tmp_path: Path
) -> None:
    items = _perfect(gold)
    for item in items:  # shorten every entity longer than one character
        for span in item["spans"]:
            if span["label"] == "entity" and span["end"] - span["start"] > 1:
                span["end"] -= 1
    result = score(dataset_dir(), _write(tmp_path / "s.jsonl", items))
    entity = next(r for r in result.labels if r.label == "entity")

    def as_ner(spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {"label": s["type"], "start": s["start"], "end": s["end"] - 1}
            for s in spans
            if s["label"] == "entity"
        ]

    true = [as_ner(_line(s.id, list(s.spans))["spans"]) for s in gold.values() if s.gold]
    pred = [as_ner(item["spans"]) for item in items]
    tags = list(LABELS_BY_NAME["entity"].types)
    overall = Evaluator(true, pred, tags=tags, loader="dict").evaluate()["overall"]
    assert entity.strict_f1 == pytest.approx(overall["strict"].f1)
    assert entity.partial_f1 == pytest.approx(overall["partial"].f1)
    assert entity.strict_f1 < entity.partial_f1 < 1.0


def test_scores_do_not_depend_on_the_order_of_lines_or_spans(
    gold: dict[str, GoldSentence], tmp_path: Path
) -> None:
    items = _perfect(gold)[::2]
    for item in items[::3]:
        item["spans"] = item["spans"][1:]  # some misses
    first = score(dataset_dir(), _write(tmp_path / "a.jsonl", items))
    rng = random.Random(3)
    shuffled = [dict(i, spans=rng.sample(i["spans"], len(i["spans"]))) for i in items]
    rng.shuffle(shuffled)
    assert score(dataset_dir(), _write(tmp_path / "b.jsonl", shuffled)) == first
    assert first.missing == sum(s.gold for s in gold.values()) - len(items)


def _first_gold(gold: dict[str, GoldSentence]) -> GoldSentence:
    return next(s for s in gold.values() if s.gold and len(s.text) > 5)


def _span(**kw: Any) -> dict[str, Any]:
    return {"start": 0, "end": 2, "label": "claim", **kw}


GATE = [
    ("claim with a made-up type", [_span(type="FOO")], "label claim takes no type, got 'FOO'"),
    ("claim with an entity type", [_span(type="ORG")], "label claim takes no type, got 'ORG'"),
    ("unknown type", [_span(label="entity", type="CITY")], "type 'CITY' is not one of"),
    ("no type", [_span(label="entity")], "type None is not one of"),
    ("unknown label", [_span(label="person")], "unknown label 'person'"),
    ("string offset", [_span(start="0")], "spans.0.start: Input should be a valid integer"),
    ("float offset", [_span(end=2.0)], "spans.0.end: Input should be a valid integer"),
    ("bool offset", [_span(start=True)], "spans.0.start: Input should be a valid integer"),
    ("extra key", [_span(score=0.9)], "spans.0.score: Extra inputs are not permitted"),
    ("empty span", [_span(end=0)], "offsets outside the text or empty"),
    ("beyond the text", [_span(end=10_000)], "offsets outside the text or empty"),
    ("wrong text", [_span(text="不对")], "is not the text at these offsets"),
    ("duplicate", [_span(), _span()], "duplicate claim spans 0:2 and 0:2"),
    # The example: (0,2)+(0,3) would let greedy matching lose a true positive.
    (
        "overlapping",
        [_span(label="entity", type="PER"), _span(label="entity", type="PER", end=3)],
        "overlapping entity spans 0:2 and 0:3",
    ),
]


@pytest.mark.parametrize(("name", "spans", "message"), GATE, ids=[g[0] for g in GATE])
def test_the_gate_refuses_what_a_leaderboard_must_not_score(
    gold: dict[str, GoldSentence], tmp_path: Path, name: str, spans: list[Any], message: str
) -> None:
    sentence = _first_gold(gold)
    path = _write(tmp_path / "bad.jsonl", [{"id": sentence.id, "spans": spans}])
    with pytest.raises(InputError) as info:
        score(dataset_dir(), path)
    text = str(info.value)
    assert text.startswith(f"{path}:1: ") and message in text, (name, text)
    assert "\n" not in text


def test_ids_outside_the_split_a_repeated_sentence_and_no_gold_line_are_refused(
    gold: dict[str, GoldSentence], tmp_path: Path
) -> None:
    train = load_gold(dataset_dir(), "default", "train")
    wrong = _write(tmp_path / "w.jsonl", [_line(next(iter(train)), [])])
    with pytest.raises(InputError, match=r"w.jsonl:1: id .* is not a sentence of the scored split"):
        score(dataset_dir(), wrong)
    sentence = _first_gold(gold)
    twice = _write(tmp_path / "t.jsonl", [_line(sentence.id, []), _line(sentence.id, [])])
    with pytest.raises(InputError, match=r"t.jsonl:2: sentence .* appears twice"):
        score(dataset_dir(), twice)
    not_gold = [s for s in gold.values() if not s.gold]
    if not_gold:  # a file with lines for non-gold sentences only scores nothing: refused
        nothing = _write(tmp_path / "n.jsonl", [_line(not_gold[0].id, [])])
        with pytest.raises(InputError, match="no line for any of the"):
            score(dataset_dir(), nothing)


def test_missing_gold_sentences_count_as_empty_unless_require_all(
    gold: dict[str, GoldSentence], tmp_path: Path
) -> None:
    items = _perfect(gold)
    path = _write(tmp_path / "half.jsonl", items[: len(items) // 2])
    result = score(dataset_dir(), path)
    assert result.missing == len(items) - len(items) // 2
    assert result.micro_strict_f1 < 1.0
    with pytest.raises(InputError, match=r"gold sentence\(s\) have no line \(--require-all\)"):
        score(dataset_dir(), path, require_all=True)


def test_paired_bootstrap_of_a_system_with_itself_and_with_nothing(
    gold: dict[str, GoldSentence], tmp_path: Path
) -> None:
    from chainpolicy.evaluation.submission import read

    perfect = read(_write(tmp_path / "p.jsonl", _perfect(gold)), gold)
    empty = read(_write(tmp_path / "e.jsonl", [_line(_first_gold(gold).id, [])]), gold)
    same = scoring.compare(gold, perfect, perfect)
    assert (same.difference, same.interval.low, same.interval.high) == (0.0, 0.0, 0.0)
    assert same.p_value == 1.0
    better = scoring.compare(gold, perfect, empty)
    assert better.difference == 1.0 and better.interval.low > 0 and better.p_value < 0.01


def test_machine_baseline_is_the_machine_config_scored_as_a_submission(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    path = dataset_dir() / "data/machine_preannotations/test-00000-of-00001.parquet"
    items = [
        {
            "id": r["id"],
            "spans": [
                {
                    "start": s["start"],
                    "end": s["end"],
                    "label": LABEL_NAMES[s["label"]],
                    "type": None if s["type"] is None else TYPE_NAMES[s["type"]],
                }
                for s in r["spans"]
            ],
        }
        for r in pq.read_table(path).to_pylist()
    ]
    baseline = machine_baseline(dataset_dir(), "test")
    assert baseline is not None
    assert baseline == score(dataset_dir(), _write(tmp_path / "m.jsonl", items))


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chainpolicy", *args],
        capture_output=True,
        text=True,
        cwd=repo_root(),
        check=False,
    )


def test_the_cli_prints_the_report_refuses_in_one_line_and_compares(
    gold: dict[str, GoldSentence], tmp_path: Path
) -> None:
    perfect = _write(tmp_path / "p.jsonl", _perfect(gold))
    half = _write(tmp_path / "h.jsonl", _perfect(gold)[::2])
    done = _cli("score", str(perfect))
    assert done.returncode == 0, done.stderr
    assert "gold " + scoring.gold_digest(gold)[:16] in done.stdout
    assert "95% CI by sentence" in done.stdout and "by article" in done.stdout
    compared = _cli("score", str(half), "--compare", str(perfect), "--json")
    payload = json.loads(compared.stdout)
    assert {c["unit"] for c in payload["comparison"]} == {"sentences", "articles"}
    assert payload["comparison"][0]["difference"] < 0
    bad = _write(tmp_path / "bad.jsonl", [{"id": "nope", "spans": []}])
    refused = _cli("score", str(bad))
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1
    assert "Traceback" not in refused.stderr


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("not UTF-8", b"\n\xff\xfe\n", ":2: not UTF-8"),
        ("not JSON", b'\n{"id": \n', ":2: not JSON"),
        ("not an object", b"[1, 2]\n", ":1: not a submission line"),
    ],
)
def test_a_file_that_is_not_utf8_json_lines_is_one_line_naming_the_line(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(content)
    done = _cli("score", str(path))
    assert done.returncode == 2, (name, done.stderr)
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, name
    assert str(path) in done.stderr and message in done.stderr, (name, done.stderr)


def test_a_sentence_needing_review_is_neither_scored_nor_missing(tmp_path: Path) -> None:
    # The committed release has no needs_review sentence: make one from a gold sentence of
    # the test split (its spans kept, so scoring it would change the result).
    copy = tmp_path / "dataset"
    shutil.copytree(dataset_dir(), copy)
    path = copy / data_path("default", "test")
    table = pq.read_table(path)
    statuses = Features.from_arrow_schema(table.schema)["annotation_status"]
    assert isinstance(statuses, ClassLabel)
    column = table.column("annotation_status").to_pylist()
    spans = table.column("spans").to_pylist()
    target = next(i for i, s in enumerate(spans) if s and statuses.names[column[i]] == "annotated")
    column[target] = statuses.str2int("needs_review")
    index = table.schema.get_field_index("annotation_status")
    field = table.schema.field(index)
    table = table.set_column(index, field, pa.array(column, type=field.type))
    pq.write_table(table, path)
    review_id = table.column("id")[target].as_py()

    gold = load_gold(copy, "default", "test")
    assert not gold[review_id].gold and gold[review_id].spans == ()
    others = [_line(s.id, list(s.spans)) for s in gold.values() if s.gold]
    # A wrong guess for the review sentence costs nothing, and leaving it out is not "missing".
    wrong = [{"id": review_id, "spans": [_span(start=0, end=1)]}]
    with_it = score(copy, _write(tmp_path / "w.jsonl", others + wrong), require_all=True)
    without = score(copy, _write(tmp_path / "wo.jsonl", others), require_all=True)
    for result in (with_it, without):
        assert result.micro_strict_f1 == 1.0 and result.missing == 0
        assert result.sentences == len(others)
    assert with_it.gold_digest == without.gold_digest == scoring.gold_digest(gold)
    assert scoring.gold_digest(gold) != scoring.gold_digest(
        load_gold(dataset_dir(), "default", "test")
    )
