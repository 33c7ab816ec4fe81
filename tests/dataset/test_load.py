"""The built folder read back the way users read it: ``load_dataset`` in a fresh process."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from chainpolicy.contract.layout import data_path
from chainpolicy.dataset.build import BuildResult, find_exports
from chainpolicy.dataset.configs import CONFIG_NAMES as CONFIGS
from chainpolicy.dataset.configs import TRAINING_CONFIGS
from chainpolicy.dataset.report import SplitCounts
from chainpolicy.paths import annotations_dir
from chainpolicy.records import SentenceRecord, Span, sorted_spans
from chainpolicy.schema import GOLD_STATUSES, LABEL_NAMES, STATUSES, TYPE_NAMES
from chainpolicy.validate.synthetic import annotation, task

A = "02dec154e1ac7468-p001-s02"  # 目前,江苏省在国家互联网信息办公室备案的...共有20家,...
C = "02dec154e1ac7468-p001-s01"  # 习近平总书记在中央政治局第十八次集体学习时强调,...

_READER = """
import json, sys
from datasets import load_dataset
root = sys.argv[1]
out = {}
for config in json.loads(sys.argv[2]):
    ds = load_dataset(root, config) if config != "-" else load_dataset(root)
    out[config] = {split: ds[split].num_rows for split in ds}
    first = next(iter(ds.values()))
    if "spans" in first.features:
        out[config + ":labels"] = first.features["spans"].feature["label"].names
        out[config + ":types"] = first.features["spans"].feature["type"].names
    if "annotation_status" in first.features:
        status = first.features["annotation_status"]
        out[config + ":status"] = status.names
        out[config + ":statuses"] = sorted(
            {status.int2str(s) for split in ds.values() for s in split["annotation_status"]}
        )
print(json.dumps(out))
"""

# How a user decodes span types: through the ClassLabel (int2str), and in pandas by name index.
_TYPES = """
import json, sys
from datasets import load_dataset
ds = load_dataset(sys.argv[1])["test"]
names = ds.features["spans"].feature["type"]
row = ds.filter(lambda r: r["id"] == sys.argv[2])[0]
frame = ds.to_pandas().set_index("id")
print(json.dumps({
    "int2str": [[s["text"], None if s["type"] is None else names.int2str(s["type"])]
                for s in row["spans"]],
    "pandas": [[s["text"], None if s["type"] is None else names.names[int(s["type"])]]
               for s in frame.loc[sys.argv[2], "spans"]],
}))
"""


def _fresh(script: str, *args: str, home: Path) -> Any:
    env = {**os.environ, "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "HF_HOME": str(home)}
    done = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, env=env, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _gold(counts: SplitCounts) -> int:
    return sum(counts.status.get(s, 0) for s in GOLD_STATUSES)


def _span(record: SentenceRecord, chunk: str, label: str, type_: str | None = None) -> Span:
    start = record.text.index(chunk)
    return Span(start, start + len(chunk), label, type_)


def _export(
    sentences: dict[str, SentenceRecord],
    export_file: Callable[[str, list[dict[str, Any]]], Path],
) -> tuple[Path, list[Span]]:
    a, c = sentences[A], sentences[C]
    entity, figure, claim = LABEL_NAMES
    claim_text = a.text[a.text.index("江苏省") : a.text.index("20家") + 3]
    spans = [
        _span(a, "江苏省", entity, "LOC"),
        _span(a, "20家", figure, "COUNT"),
        _span(a, claim_text, claim),  # a claim has no type: null
    ]
    tasks = [
        task(1, a.id, a.article_id, a.text, a.start, [annotation(1, 1, a.text, spans)]),
        task(2, c.id, c.article_id, c.text, c.start, [annotation(2, 1, c.text, [])]),
    ]
    return export_file("export.json", tasks), spans


def test_without_gold_every_config_loads_and_the_training_configs_are_absent(
    run_build: Callable[..., BuildResult], tmp_path: Path
) -> None:
    result = run_build([])
    assert result.out is not None
    configs = [c for c in CONFIGS if (result.out / "data" / c).is_dir()]
    assert {"default", "zh_hans", "articles"} <= set(configs)
    assert not set(TRAINING_CONFIGS) & set(configs)  # no gold sentence, no training row
    loaded = _fresh(_READER, str(result.out), json.dumps(["-", *configs]), home=tmp_path / "hf")
    for config in configs:
        for split, rows in loaded[config].items():
            assert rows == result.report.splits[split].records or config == "articles"
    assert loaded["-"] == loaded["default"]
    assert loaded["default:labels"] == list(LABEL_NAMES) == loaded["zh_hans:labels"]
    assert loaded["default:types"] == list(TYPE_NAMES) == loaded["zh_hans:types"]
    assert "not_annotated" in loaded["default:status"]
    assert sum(loaded["articles"].values()) == result.report.articles
    assert "hold gold sentences only, so this release has none of them" in (
        result.out / "README.md"
    ).read_text("utf-8")


def test_training_configs_load_with_gold_rows_only_and_types_decode(
    run_build: Callable[..., BuildResult],
    sentences: dict[str, SentenceRecord],
    export_file: Callable[[str, list[dict[str, Any]]], Path],
    tmp_path: Path,
) -> None:
    export, spans = _export(sentences, export_file)
    result = run_build([export])
    assert result.out is not None
    configs = ["default", *TRAINING_CONFIGS]
    loaded = _fresh(_READER, str(result.out), json.dumps(configs), home=tmp_path / "hf")
    splits = result.report.splits
    # Every sentence in default; in the training configs only the gold ones, and a split
    # without gold is absent rather than empty.
    assert loaded["default"] == {name: s.records for name, s in splits.items()}
    for config in TRAINING_CONFIGS:
        assert loaded[config] == {name: _gold(s) for name, s in splits.items() if _gold(s)}
        assert loaded[config + ":status"] == list(STATUSES)
        assert set(loaded[config + ":statuses"]) <= set(GOLD_STATUSES)
    assert "not_annotated" in loaded["default:statuses"]

    decoded = _fresh(_TYPES, str(result.out), A, home=tmp_path / "hf")
    text = sentences[A].text
    expected = [[text[s.start : s.end], s.type] for s in sorted_spans(spans)]
    assert decoded["int2str"] == expected == decoded["pandas"]


def _recipes(card: str) -> list[str]:
    """The card's ```python blocks that read the Parquet files without `datasets`."""
    blocks = re.findall(r"^```python\n(.*?)^```", card, re.S | re.M)
    return [b for b in blocks if "load_dataset(" not in b]


def test_the_cards_pandas_polars_and_duckdb_recipes_give_one_row_per_span(
    run_build: Callable[..., BuildResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run_build(find_exports(annotations_dir() / "exports"))
    root: Path = result.out  # type: ignore[assignment]
    table = pq.read_table(root / data_path("default", "train")).to_pylist()
    expected = sorted((r["id"], s["start"], s["text"]) for r in table for s in r["spans"])
    assert expected  # the committed exports have gold spans in train
    recipes = _recipes((root / "README.md").read_text("utf-8"))
    libraries = {re.search(r"^import (\w+)", code, re.M).group(1) for code in recipes}  # type: ignore[union-attr]
    assert libraries == {"pandas", "polars", "duckdb"}
    monkeypatch.chdir(root)  # the recipes use paths relative to the dataset folder
    for code in recipes:
        namespace: dict[str, Any] = {}
        exec(compile(code, "<card recipe>", "exec"), namespace)
        spans = namespace["spans"]
        rows = spans.to_dicts() if hasattr(spans, "to_dicts") else spans.to_dict("records")
        # The span's own fields, whatever the recipe calls them, beside the sentence id.
        prefix = "span_" if "span_text" in rows[0] else ""
        got = sorted((r["id"], r[f"{prefix}start"], r[f"{prefix}text"]) for r in rows)
        assert got == expected, code
