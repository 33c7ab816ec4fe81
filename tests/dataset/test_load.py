"""The built folder read back the way users read it: ``load_dataset`` in a fresh process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from chainpolicy.dataset.build import BuildResult
from chainpolicy.dataset.configs import CONFIG_NAMES as CONFIGS
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
