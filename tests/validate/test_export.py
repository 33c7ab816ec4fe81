from __future__ import annotations

import json
from pathlib import Path

import pytest

from chainpolicy.contract.results import LSResult, parse_result
from chainpolicy.corpus import load_sentences
from chainpolicy.errors import InputError
from chainpolicy.records import Span
from chainpolicy.validate import export
from chainpolicy.validate.export import LSDraft, iter_tasks
from chainpolicy.validate.synthetic import annotation, prediction, task, write_export

# Real sentences from sources/000_02dec154e1ac7468.txt, plus one with an astral character.
TEXT = (
    "2017年初,相城区与同济大学签约共建苏州同济区块链研究院,这是国内第一个校地合作的区块链研究院。"
)
ASTRAL = "𠀀相城区🙂发布3亿元基金。"


def _export(tmp_path: Path) -> Path:
    ann = annotation(11, 1, TEXT, [Span(0, 7, "figure", "DATE"), Span(8, 11, "entity", "LOC")])
    ann["future_field"] = {"added": "in a later Label Studio"}
    astral = annotation(
        12, 2, ASTRAL, [Span(1, 4, "entity", "LOC"), Span(7, 10, "figure", "MONEY")]
    )
    tasks = [
        task(
            1,
            "02dec154e1ac7468-p003-s01",
            "02dec154e1ac7468",
            TEXT,
            100,
            [ann],
            drafts=[{"id": 5, "result": [], "user": "a@b.c"}],
            predictions=[prediction(TEXT, [Span(0, 7, "figure", "DATE")])],
        ),
        task(2, "x-p000-s01", "x", ASTRAL, 0, [astral]),
    ]
    path = tmp_path / "export.json"
    write_export(path, tasks)
    return path


def test_reads_tasks_annotations_drafts_predictions(tmp_path: Path) -> None:
    tasks = list(iter_tasks(_export(tmp_path)))
    assert [t.id for t in tasks] == [1, 2]
    first = tasks[0]
    assert first.data["sentence_id"] == "02dec154e1ac7468-p003-s01"
    assert len(first.drafts) == 1 and len(first.predictions) == 1
    ann = first.annotations[0]
    assert ann.annotator == 1 and not ann.was_cancelled and not ann.ground_truth
    assert (ann.model_extra or {})["future_field"] == {"added": "in a later Label Studio"}
    results = [parse_result(r) for r in ann.result]
    assert all(isinstance(r, LSResult) for r in results)
    labels = [r for r in results if isinstance(r, LSResult) and r.type == "labels"]
    assert [(r.value.start, r.value.end, r.value.labels) for r in labels] == [
        (0, 7, ["figure"]),
        (8, 11, ["entity"]),
    ]


def _draft_export(tmp_path: Path) -> tuple[Path, list[object]]:
    """Task 1 lists its draft as a bare id (the export default), task 2 gives it in full."""
    record = next(r for r in load_sentences() if r.role == "body" and "区块链" in r.text)
    start = record.text.index("区块链")
    full = annotation(8, 1, record.text, [Span(start, start + 3, "claim")])["result"]
    bare = task(1, record.id, record.article_id, record.text, record.start)
    bare["drafts"] = [17]
    whole = task(
        2,
        record.id,
        record.article_id,
        record.text,
        record.start,
        drafts=[{"id": 18, "result": full, "lead_time": 3.0, "user": "a@b.c"}],
    )
    path = tmp_path / "drafts.json"
    write_export(path, [bare, whole])
    return path, full


def test_drafts_are_read_as_bare_ids_or_in_full(tmp_path: Path) -> None:
    path, full = _draft_export(tmp_path)
    first, second = iter_tasks(path)
    assert first.drafts == [17]
    (draft,) = second.drafts
    assert isinstance(draft, LSDraft) and (draft.id, draft.result) == (18, full)


def test_astral_offsets_are_code_points(tmp_path: Path) -> None:
    second = list(iter_tasks(_export(tmp_path)))[1]
    for raw in second.annotations[0].result:
        result = parse_result(raw)
        assert isinstance(result, LSResult)
        value = result.value
        assert value.start is not None and value.end is not None
        assert ASTRAL[value.start : value.end] == value.text


def test_completed_by_expanded_user(tmp_path: Path) -> None:
    item = task(1, "s", "a", TEXT, 0, [annotation(3, 9, TEXT, [])])
    item["annotations"][0]["completed_by"] = {"id": 9, "email": "x@y.z", "first_name": ""}
    path = tmp_path / "e.json"
    path.write_text(json.dumps([item]), "utf-8")
    assert next(iter_tasks(path)).annotations[0].annotator == 9


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"from_name": "label"}, "to_name: Field required"),
        ({"from_name": "label", "to_name": "text", "type": "labels", "value": 3}, "value:"),
        ("a string", "result:"),
    ],
)
def test_malformed_result_is_a_reason_not_a_crash(raw: object, expected: str) -> None:
    reason = parse_result(raw)
    assert isinstance(reason, str) and expected in reason


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "expected a top-level array of tasks at byte 0, found 'an empty file'"),
        (b"nope", "found 'n'"),
        (b'{"tasks": []}', "found '{'"),
        (b"[1]", "task #0 is a int"),
        (b'[{"id": 1, "data": {}}, {"id": 2}]', "task #1 (id 2) has the wrong shape at 'data'"),
        (b'[{"id": 1, "data": {}, "annotations": [{"result": []}]}]', "'annotations.0.id'"),
        (b'[{"id": 1, "data": {}}, {"id": 2, "data": {', "truncated in task #1"),
        (b'[{"id": 1, "data": {}},, ]', "malformed JSON in task #1"),
        (b'[{"id": 1, "data": {}}] trailing', "malformed JSON in task #1"),
        # Python refuses to convert such a literal with a ValueError that is no JSON error.
        (b'[{"id": 1, "data": {"n": ' + b"9" * 5000 + b"}}]", "number too long to read in task #0"),
    ],
)
def test_malformed_export_names_file_and_position(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        list(iter_tasks(path))
    message = str(info.value)
    assert str(path) in message and expected in message


@pytest.mark.parametrize("keep", [0.3, 0.5, 0.97])
def test_truncated_real_export_reports_the_byte_where_it_ends(tmp_path: Path, keep: float) -> None:
    path = _export(tmp_path)
    data = path.read_bytes()
    cut = data[: int(len(data) * keep)].decode("utf-8", "ignore").encode("utf-8")
    path.write_bytes(cut)
    with pytest.raises(InputError, match=r"truncated in task #[01] ") as info:
        list(iter_tasks(path))
    # The position is exact: the byte where the file stops (or where an open string began).
    at = int(str(info.value).split(" at byte ")[1].split(":")[0])
    assert at == len(cut) or cut[at : at + 1] == b'"'


def test_streams_tasks_before_a_later_error(tmp_path: Path) -> None:
    # Streaming: the first task arrives although the file breaks afterwards.
    path = tmp_path / "e.json"
    good = json.dumps(task(1, "s", "a", TEXT, 0, []), ensure_ascii=False)
    path.write_text(f"[{good}, {{broken", "utf-8")
    tasks = iter_tasks(path)
    assert next(tasks).id == 1
    with pytest.raises(InputError, match="task #1"):
        next(tasks)


def test_bom_and_whitespace_before_array(tmp_path: Path) -> None:
    path = tmp_path / "e.json"
    path.write_bytes(b"\xef\xbb\xbf \n[]")
    assert list(iter_tasks(path)) == []


@pytest.mark.parametrize("chunk", [1, 7, 64])
def test_chunk_boundaries_anywhere_give_the_same_tasks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    # Chunks split tasks, numbers, escapes and multi-byte characters at every possible place.
    path = _export(tmp_path)
    expected = [t.model_dump() for t in iter_tasks(path)]
    monkeypatch.setattr(export, "_CHUNK", chunk)
    assert [t.model_dump() for t in iter_tasks(path)] == expected


FIXTURE = Path(__file__).parents[1] / "fixtures" / "ls_export_small.json"


def test_reads_an_export_captured_from_a_real_server() -> None:
    """tests/fixtures/ls_export_small.json, made by scripts/capture_ls_fixture.py."""
    from chainpolicy.contract.regions import check_annotation

    tasks = {t.data["sentence_id"]: t for t in iter_tasks(FIXTURE)}
    a = tasks["02dec154e1ac7468-p001-s02"]
    assert len({ann.annotator for ann in a.annotations}) == 2  # two users
    assert all(not isinstance(p, int) and p.result for p in a.predictions)  # full predictions
    (cancelled,) = tasks["02dec154e1ac7468-p001-s01"].annotations
    assert cancelled.was_cancelled
    (b_ann,) = tasks["4f7741a2ad09df20-p002-s01"].annotations
    checked = check_annotation(b_ann.result, tasks["4f7741a2ad09df20-p002-s01"].data["text"])
    # The label result is quarantined; its type choice then has no region: quarantined too.
    assert [r.reason for r in checked.rejected] == ["wrong_from_name", "orphan_type"]
    assert [(r.label, r.type) for r in checked.spans] == [("entity", "WORK")]
