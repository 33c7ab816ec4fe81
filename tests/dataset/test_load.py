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
from chainpolicy.paths import annotations_dir
from chainpolicy.schema import LABEL_NAMES

_READER = """
import json, sys
from datasets import load_dataset
root = sys.argv[1]
out = {}
for config in json.loads(sys.argv[2]):
    ds = load_dataset(root, config) if config != "-" else load_dataset(root)
    out[config] = {split: ds[split].num_rows for split in ds}
    if "spans" in ds["train"].features:
        out[config + ":labels"] = ds["train"].features["spans"].feature["label"].names
        out[config + ":status"] = ds["train"].features["annotation_status"].names
print(json.dumps(out))
"""


def test_every_config_loads_offline_in_a_fresh_process(
    run_build: Callable[..., BuildResult], tmp_path: Path
) -> None:
    result = run_build([])
    configs = [c for c in CONFIGS if (result.out / "data" / c).is_dir()]  # type: ignore[operator]
    assert {"default", "zh_hans", "char_bio", "articles"} <= set(configs)
    env = {**os.environ, "HF_DATASETS_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}
    done = subprocess.run(
        [sys.executable, "-c", _READER, str(result.out), json.dumps(["-", *configs])],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    for config in configs:
        for split, rows in loaded[config].items():
            assert rows == result.report.splits[split].records or config == "articles"
    assert loaded["-"] == loaded["default"]
    assert loaded["default:labels"] == list(LABEL_NAMES) == loaded["zh_hans:labels"]
    assert "not_annotated" in loaded["default:status"]
    assert sum(loaded["articles"].values()) == result.report.articles


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
