"""Standard training code consumes ``char_bio`` as it is: the card's snippet, run as written.

The snippet is read from the card of a fresh build (so it cannot drift from what users see) and
run in a fresh process with only the repository placeholder replaced by the built folder: it
loads ``char_bio`` with ``load_dataset``, builds a character vocabulary and trains a randomly
initialised ``BertForTokenClassification`` for a few steps. Nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from statistics import mean

from chainpolicy.dataset.build import BuildResult, find_exports
from chainpolicy.dataset.features import tag_names
from chainpolicy.paths import annotations_dir, repo_root
from chainpolicy.schema import GOLD_STATUSES, LABELS

SNIPPET = re.compile(r"<!-- snippet:training -->\n```python\n(.*?)\n```\n", re.S)
PLACEHOLDER = '"<this repository>"'
# Appended to the snippet: what it computed, for the assertions below (it changes nothing).
_PROBE = """
import json as _json
from datasets import ClassLabel as _ClassLabel
print("PROBE " + _json.dumps({
    "losses": losses,
    "tokens": sentence["tokens"],
    "predicted": predicted,
    "names": tags.names,
    "columns": train.column_names,
    "tags_are_class_labels": isinstance(train.features["ner_tags"].feature, _ClassLabel),
    "rows": {name: split.num_rows for name, split in bio.items()},
}))
"""


def _snippet(card: str) -> str:
    found = SNIPPET.findall(card)
    assert len(found) == 1, "the card holds one training snippet"
    code: str = found[0]
    assert code.count(PLACEHOLDER) == 1
    return code


def test_the_cards_training_snippet_trains_a_tagger_on_char_bio(
    run_build: Callable[..., BuildResult], tmp_path: Path
) -> None:
    result = run_build(find_exports(annotations_dir() / "exports"))
    assert result.out is not None
    card = (result.out / "README.md").read_text("utf-8")
    code = _snippet(card)
    assert code == _snippet((repo_root() / "dataset_card.md").read_text("utf-8"))
    program = code.replace(PLACEHOLDER, repr(str(result.out))) + _PROBE
    env = {
        **os.environ,
        "HF_DATASETS_OFFLINE": "1",
        "HF_HUB_OFFLINE": "1",
        "HF_HOME": str(tmp_path / "hf"),
    }
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    probe = json.loads(done.stdout.split("PROBE ", 1)[1])

    # The columns the transformers token-classification example picks by default.
    assert probe["columns"][:2] == ["id", "tokens"] and "ner_tags" in probe["columns"]
    assert probe["tags_are_class_labels"]
    (entity,) = [spec for spec in LABELS if spec.tag_column == "ner_tags"]
    assert probe["names"] == tag_names(entity.name)
    # Gold sentences only, every split that has them.
    gold = {
        name: sum(counts.status.get(s, 0) for s in GOLD_STATUSES)
        for name, counts in result.report.splits.items()
    }
    assert probe["rows"] == {name: n for name, n in gold.items() if n}

    # It trained: the loss of the last steps is below that of the first ones.
    losses = probe["losses"]
    assert len(losses) >= 10
    assert mean(losses[-3:]) < mean(losses[:3]), losses
    # Predictions decode through the ClassLabel names, one tag per character.
    assert len(probe["predicted"]) == len(probe["tokens"]) > 0
    assert set(probe["predicted"]) <= set(probe["names"])
