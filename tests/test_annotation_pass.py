from __future__ import annotations

import json
from pathlib import Path

import pytest

from chainpolicy import annotation_pass
from chainpolicy.errors import InputError
from chainpolicy.records import SentenceRecord


def _record(text: str, sid: str = "00000000000000aa-p001-s01") -> SentenceRecord:
    return SentenceRecord(
        id=sid, article_id="00000000000000aa", index=0, line=1, role="body", script="Hans",
        text=text, text_hans=text, sep="", start=0, end=len(text), raw_start=0,
        raw_end=len(text), text_sha1="0" * 40,
    )  # fmt: skip


def _write(tmp_path: Path, items: list[dict[str, object]]) -> Path:
    path = tmp_path / "pass.jsonl"
    path.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), "utf-8")
    return path


def test_spans_resolve_to_code_point_offsets(tmp_path: Path) -> None:
    record = _record("😀苏州有20家企业,苏州第1位。")
    path = _write(
        tmp_path,
        [{"id": record.id, "spans": [
            {"text": "苏州", "label": "entity", "type": "LOC", "occurrence": 2},
            {"text": "20家", "label": "figure", "type": "COUNT"},
        ]}],
    )  # fmt: skip
    [first, second] = annotation_pass.load(path, [record])[record.id]
    assert (first.start, first.end) == (10, 12)
    assert record.text[first.start : first.end] == "苏州"
    assert (second.start, second.end) == (4, 7)


def test_every_problem_is_listed(tmp_path: Path) -> None:
    record = _record("苏州有20家企业。")
    path = _write(
        tmp_path,
        [
            {"id": record.id, "spans": [
                {"text": "杭州", "label": "entity", "type": "LOC"},
                {"text": "苏州", "label": "entity", "type": "CITY"},
                {"text": "苏州", "label": "claim", "type": "ORG"},
                {"text": "苏州", "label": "person"},
            ]},
            {"id": "nope", "spans": []},
        ],
    )  # fmt: skip
    with pytest.raises(InputError) as info:
        annotation_pass.load(path, [record])
    message = str(info.value)
    assert "5 problem(s)" in message
    assert "'杭州': occurrence 1 not found" in message
    assert "type 'CITY' is not one of" in message
    assert "label claim takes no type" in message
    assert "unknown label 'person'" in message
    assert "unknown sentence id 'nope'" in message


def test_malformed_line_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "pass.jsonl"
    path.write_text('{"id": "x", "spans": []}\n{"id": \n', "utf-8")
    with pytest.raises(InputError, match=r"pass.jsonl:2: not valid JSON"):
        annotation_pass.load(path, [])


def test_sheet_leaves_out_boilerplate_and_predictions() -> None:
    records = [_record("正文。"), _record("责任编辑:张 宁", "00000000000000aa-p002-s01")]
    records[1] = records[1].model_copy(update={"role": "boilerplate"})
    rows = list(annotation_pass.sheet(records))
    assert rows == [{"id": records[0].id, "role": "body", "text": "正文。"}]
