#!/usr/bin/env python
"""Load a built dataset folder with several versions of `datasets`, each in a throwaway venv.

For each version (by default 3.6, a 4.x and the pinned 5.2.0, each with a pyarrow it supports)
a virtualenv is made in a temporary folder and `datasets` installed from PyPI (with the torch
and transformers that the card's training snippet imports, pinned as in the dev extra); then,
in that venv, offline: `load_dataset(folder, config)` for every config of the card's YAML (and
`load_dataset(folder)`), with the row count of every split checked against the card's
`dataset_info`, and the card's own Python snippets (the ```python blocks of README.md that call
`load_dataset`, with `<this repository>` replaced by the folder). Prints a table; exits 1 if
anything failed. `--python PY` checks with an existing interpreter instead (no venv, no
install): the tests use it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
# (datasets, pyarrow): a 3.x, a 4.x and the version pyproject.toml pins, each with a pyarrow
# from its own time (datasets 3.6 predates pyarrow 21; 5.2.0 runs with the pinned 24.0.0).
VERSIONS: tuple[tuple[str, str], ...] = (
    ("3.6.0", "20.0.0"),
    ("4.8.5", "22.0.0"),
    ("5.2.0", "24.0.0"),
)
# What the card's training snippet imports besides datasets, at the versions the dev extra
# pins (tests/dataset/test_training.py runs the same snippet with them).
SNIPPET_PACKAGES = ("torch", "transformers")
PLACEHOLDER = "<this repository>"
NO_CONFIG = "(no config)"  # load_dataset(folder): the default config
_FRONT = re.compile(r"\A---\n(.*?)\n---\n", re.S)
_PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)

# Runs inside the venv being checked: standard library and `datasets` only.
CHILD = r"""
import json, sys, traceback
import datasets, pyarrow
try:
    import huggingface_hub
    hub = huggingface_hub.__version__
except Exception:
    hub = "?"
from datasets import load_dataset

job = json.loads(sys.stdin.read())
folder = job["folder"]
out = {"datasets": datasets.__version__, "pyarrow": pyarrow.__version__, "hub": hub,
       "checks": {}}

def one_line(exc):
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"[:300]

for config, splits in job["configs"].items():
    try:
        ds = load_dataset(folder, config) if config != job["no_config"] else load_dataset(folder)
        got = {split: ds[split].num_rows for split in ds}
        out["checks"][config] = "ok" if got == splits else f"rows {got} != card {splits}"
    except Exception as exc:
        out["checks"][config] = one_line(exc)
for n, code in enumerate(job["snippets"]):
    try:
        exec(compile(code, f"<card snippet {n + 1}>", "exec"), {"__name__": "__snippet__"})
        out["checks"][f"snippet {n + 1}"] = "ok"
    except Exception as exc:
        out["checks"][f"snippet {n + 1}"] = one_line(exc)
print(json.dumps(out))
"""


@dataclass(frozen=True)
class Job:
    folder: str
    configs: dict[str, dict[str, int]]  # config (NO_CONFIG: no name) -> split -> rows
    snippets: list[str]
    no_config: str = NO_CONFIG


def read_card(folder: Path) -> tuple[dict[str, Any], str]:
    text = (folder / "README.md").read_text("utf-8")
    match = _FRONT.match(text)
    if match is None:
        raise SystemExit(f"{folder / 'README.md'}: no YAML front matter")
    return yaml.safe_load(match.group(1)) or {}, text[match.end() :]


def snippets(body: str, folder: Path) -> list[str]:
    """The card's ```python blocks that load the dataset, pointed at ``folder``."""
    blocks = [b for b in _PYTHON_BLOCK.findall(body) if "load_dataset(" in b]
    return [b.replace(f'"{PLACEHOLDER}"', repr(str(folder))) for b in blocks]


def job(folder: Path) -> Job:
    front, body = read_card(folder)
    infos = {i["config_name"]: i for i in front.get("dataset_info", [])}
    configs: dict[str, dict[str, int]] = {}
    for entry in front.get("configs", []):
        name = entry["config_name"]
        rows = {s["name"]: s["num_examples"] for s in infos[name]["splits"]}
        configs[name] = rows
        if entry.get("default"):
            configs[NO_CONFIG] = rows
    return Job(str(folder), configs, snippets(body, folder))


def run_child(python: str, work: Job, hf_home: Path) -> dict[str, Any]:
    env = {
        **os.environ,
        "HF_DATASETS_OFFLINE": "1",
        "HF_HUB_OFFLINE": "1",
        "HF_HOME": str(hf_home),
        "TQDM_DISABLE": "1",
    }
    done = subprocess.run(
        [python, "-c", CHILD],
        input=json.dumps(work.__dict__),
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"datasets": "?", "pyarrow": "?", "hub": "?", "checks": {"run": tail}}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def snippet_pins() -> list[str]:
    """The dev extra's pins of ``SNIPPET_PACKAGES`` (``torch==2.13.0`` is the CPU build on
    this machine's disk; a bare ``torch`` would download a CUDA build of several GB)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    dev = project["project"]["optional-dependencies"]["dev"]
    pins = [p for p in dev if p.split("==")[0].strip() in SNIPPET_PACKAGES]
    missing = set(SNIPPET_PACKAGES) - {p.split("==")[0].strip() for p in pins}
    if missing:
        raise SystemExit(f"pyproject.toml: the dev extra pins no {', '.join(sorted(missing))}")
    return pins


def make_venv(where: Path, datasets_version: str, pyarrow_version: str) -> str:
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True)
    python = str(where / "bin" / "python")
    pins = [f"datasets=={datasets_version}", f"pyarrow=={pyarrow_version}", *snippet_pins()]
    done = subprocess.run(
        [python, "-m", "pip", "install", "-q", "--disable-pip-version-check", *pins],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:  # pip's own output only when it failed (it warns a lot)
        raise SystemExit(f"pip install {' '.join(pins)} failed:\n{done.stderr[-3000:]}")
    return python


def table(results: list[dict[str, Any]]) -> str:
    checks = list(dict.fromkeys(k for r in results for k in r["checks"]))
    header = ["datasets", "pyarrow", "huggingface_hub", *checks]
    rows = [
        [
            r["datasets"],
            r["pyarrow"],
            r["hub"],
            *("ok" if r["checks"].get(c) == "ok" else "FAIL" for c in checks),
        ]
        for r in results
    ]
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows, strict=True)]
    lines = [
        "  ".join(f"{c:<{w}}" for c, w in zip(line, widths, strict=True))
        for line in [header, *rows]
    ]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--dataset", type=Path, default=ROOT / "dataset", help="a built dataset folder"
    )
    parser.add_argument(
        "--version",
        action="append",
        metavar="DATASETS:PYARROW",
        help="a version pair to check (repeatable) [default: "
        + ", ".join(f"{d}:{p}" for d, p in VERSIONS)
        + "]",
    )
    parser.add_argument(
        "--python",
        action="append",
        help="check with this interpreter (its installed datasets) instead of a new venv",
    )
    args = parser.parse_args(argv)
    folder = args.dataset.resolve()
    work = job(folder)
    results = []
    with tempfile.TemporaryDirectory(prefix="datasets-versions-") as scratch:
        base = Path(scratch)
        if args.python:
            pythons = list(args.python)
        else:
            pairs = [tuple(v.split(":", 1)) for v in args.version] if args.version else VERSIONS
            pythons = []
            for n, (ds_version, pa_version) in enumerate(pairs):
                print(
                    f"installing datasets {ds_version} with pyarrow {pa_version} ...",
                    file=sys.stderr,
                )
                pythons.append(make_venv(base / f"venv{n}", ds_version, pa_version))
        for n, python in enumerate(pythons):
            results.append(run_child(python, work, base / f"hf{n}"))
    print(f"{folder}: {len(work.configs) - 1} configs, {len(work.snippets)} card snippet(s)")
    print(table(results), end="")
    failed = [
        (r["datasets"], check, outcome)
        for r in results
        for check, outcome in r["checks"].items()
        if outcome != "ok"
    ]
    for version, check, outcome in failed:
        print(f"datasets {version}, {check}: {outcome}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
