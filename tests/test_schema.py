"""The schema is the single source: label names live only there, and policy derives from it."""

from __future__ import annotations

import ast
from pathlib import Path

import chainpolicy
from chainpolicy.contract.reasons import REASONS, overlap_reason
from chainpolicy.contract.spanrules import REASON_CODES, numeral_reason
from chainpolicy.schema import (
    LABEL_INDEX,
    LABEL_NAMES,
    LABELS,
    TYPE_CONTROLS,
    TYPE_INDEX,
    TYPE_NAMES,
    forbidden_overlaps,
    may_overlap,
)

SRC = Path(chainpolicy.__file__).parent


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def test_no_module_but_the_schema_spells_a_label_name() -> None:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if path == SRC / "schema.py":
            continue
        tree = ast.parse(path.read_text("utf-8"))
        skip = _docstrings(tree)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and node.value in LABEL_NAMES
                and id(node) not in skip
            ):
                found.append(f"{path.relative_to(SRC)}:{node.lineno}: {node.value!r}")
    assert found == []


def test_overlap_policy_is_symmetric_and_yields_its_reason_codes() -> None:
    for a in LABEL_NAMES:
        assert not may_overlap(a, a)
        for b in LABEL_NAMES:
            assert may_overlap(a, b) == may_overlap(b, a)
    for a, b in forbidden_overlaps():
        assert LABEL_INDEX[a] < LABEL_INDEX[b] and overlap_reason(a, b) in REASONS
    assert overlap_reason(LABEL_NAMES[0], LABEL_NAMES[0]) == "overlap_same_label"


def test_every_code_a_span_rule_can_give_is_a_described_reason() -> None:
    assert set(REASON_CODES) <= set(REASONS)
    for spec in LABELS:
        assert (numeral_reason(spec.name) in REASONS) == spec.needs_numeral


def test_type_controls_and_the_codec_are_derived_from_the_labels() -> None:
    assert tuple(t for spec in LABELS for t in spec.types) == TYPE_NAMES
    assert [TYPE_INDEX[t] for t in TYPE_NAMES] == list(range(len(TYPE_NAMES)))
    assert {label for label in TYPE_CONTROLS.values()} == {s.name for s in LABELS if s.types}
    for control, label in TYPE_CONTROLS.items():
        assert control == f"{label}_type"
