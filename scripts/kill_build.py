#!/usr/bin/env python
"""SIGKILL `chainpolicy build` at random moments of a build into an existing output, and check.

Two complete reference builds come first: A (the committed exports) and B (``--no-exports``),
each into its own folder, hashed file by file (the build is byte-reproducible). Then OUT and REP
(``--out OUT --report-dir REP``) get a complete build of A, and every round starts a real
``chainpolicy build`` subprocess of the other variant into them and SIGKILLs it:

* at a random delay drawn uniformly over the measured duration of a complete build, or
* aimed at the final swap: as soon as the swap journal appears, as soon as OUT has been
  exchanged, a few milliseconds after the report's staging folder appears, or at a random delay
  after the scratch folder appears (the writing phase), or
* at exact moments no poll can hit (``HOOKS``, taken in turn): the build runs with one function
  of ``chainpolicy.dirswap`` wrapped so that the process SIGKILLs itself before or after a given
  call (e.g. between the two exchanges).

After each kill: OUT and REP exist, each is byte for byte one of the two complete builds (every
file hashed), and they are from the same build unless the swap journal is there to roll the pair
forward (a kill between the two exchanges). For a sample of kills (``--load-every``) and at the
end, every config of OUT loads with ``datasets.load_dataset`` in a fresh process. Then, for about
half of the kills, a complete build of the same variant follows: it must succeed, give exactly
the reference files, and leave nothing beside OUT and REP (``.OUT.*``, ``.REP.*``: staging,
scratch, old copies, journal, lock). The other kills are followed directly by the next kill, so
that builds are also killed while recovering from an earlier kill. The phase a kill landed in is
read from what it left behind.

    scripts/kill_build.py --kills 50 --seed 1
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VARIANTS = {"A": [], "B": ["--no-exports"]}  # extra arguments of each build
MODES = {  # how a kill is aimed, with its weight
    "timed": 10,
    "writing": 3,
    "report_staging": 2,
    "journal": 3,
    "exchange": 2,
    "hook": 5,
}
# Exact moments of the swap a poll cannot hit (two exchanges are microseconds apart): the build
# runs with one function of ``chainpolicy.dirswap`` wrapped so that the process SIGKILLs itself
# before or after its n-th call. Everything else is the real command.
HOOKS = (
    ("_write_journal", "before", 1),
    ("_write_journal", "after", 1),
    ("_exchange", "before", 1),
    ("_exchange", "after", 1),  # between the two exchanges: OUT new, REP old
    ("_exchange", "after", 2),  # both exchanged, journal not yet removed
    ("discard", "before", 1),
    ("discard", "after", 1),
    ("discard", "after", 2),
)
_HOOKED = """
import os, signal, sys
from chainpolicy import dirswap
name, when, nth = sys.argv[1], sys.argv[2], int(sys.argv[3])
original = getattr(dirswap, name)
calls = 0
def hooked(*args, **kwargs):
    global calls
    calls += 1
    if calls == nth and when == "before":
        os.kill(os.getpid(), signal.SIGKILL)
    result = original(*args, **kwargs)
    if calls == nth and when == "after":
        os.kill(os.getpid(), signal.SIGKILL)
    return result
setattr(dirswap, name, hooked)
from chainpolicy.cli import main
sys.argv = ["chainpolicy", *sys.argv[4:]]
main()
"""
PHASES = (
    "startup (before any change on disk)",
    "recovery of an earlier kill (what it left changed)",
    "pass 1 (validating exports)",
    "writing the dataset",
    "writing the report",
    "swap (journal written)",
    "after the swap (removing old copies)",
)

_READER = """
import json, sys
from datasets import load_dataset
root = sys.argv[1]
out = {}
for config in json.loads(sys.argv[2]):
    ds = load_dataset(root, config)
    out[config] = {split: ds[split].num_rows for split in ds}
print(json.dumps(out))
"""


def hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def build_command(
    out: Path, report: Path, variant: str, hook: tuple[str, str, int] | None = None
) -> list[str]:
    if hook is None:
        start = [sys.executable, "-m", "chainpolicy"]
    else:
        start = [sys.executable, "-c", _HOOKED, hook[0], hook[1], str(hook[2])]
    return [
        *start,
        "build",
        "--out",
        str(out),
        "--report-dir",
        str(report),
        *VARIANTS[variant],
    ]


def run_build(
    out: Path, report: Path, variant: str
) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.perf_counter()
    done = subprocess.run(
        build_command(out, report, variant), capture_output=True, text=True, cwd=ROOT, check=False
    )
    return done, time.perf_counter() - started


@dataclass
class Reference:
    dataset: dict[str, str]
    report: dict[str, str]
    rows: dict[str, dict[str, int]]  # config -> split -> rows
    seconds: float


def parquet_rows(root: Path) -> dict[str, dict[str, int]]:
    import pyarrow.parquet as pq

    rows: dict[str, dict[str, int]] = {}
    for path in sorted((root / "data").glob("*/*.parquet")):
        split = path.name.split("-")[0]
        rows.setdefault(path.parent.name, {})[split] = pq.ParquetFile(path).metadata.num_rows
    return rows


def load_every_config(root: Path, hf_home: Path) -> dict[str, dict[str, int]]:
    """Row counts per config and split as ``load_dataset`` reads them, in a fresh process."""
    configs = sorted(p.name for p in (root / "data").iterdir() if p.is_dir())
    env = {**os.environ, "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "HF_HOME": str(hf_home)}
    done = subprocess.run(
        [sys.executable, "-c", _READER, str(root), json.dumps(configs)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"load_dataset failed: {done.stderr.strip().splitlines()[-1:]}")
    loaded: dict[str, dict[str, int]] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


@dataclass
class Kill:
    number: int
    variant: str
    mode: str
    delay: float
    phase: str = ""
    state: str = ""  # which build OUT and REP hold afterwards, e.g. "A/A"
    failures: list[str] = field(default_factory=list)


class Harness:
    def __init__(self, work: Path, seed: int, echo: Callable[[str], None] = print) -> None:
        self.work = work
        self.rng = random.Random(f"kill:{seed}")
        self.echo = echo
        self.out = work / "ds"
        self.report = work / "ds-report"
        self.hf_home = work / "hf"
        self.refs: dict[str, Reference] = {}
        self.kills: list[Kill] = []
        self.missed = 0  # builds that finished before the kill came
        self.settled = 0  # complete builds after a kill
        self.recovered: Counter[str] = Counter()  # what the next builds said they recovered
        self.loads = 0
        self.hooks_used = 0
        self.failures: list[str] = []

    # -- references and checks ------------------------------------------------------------

    def make_references(self) -> None:
        for variant in VARIANTS:
            folder = self.work / f"ref-{variant}"
            out, report = folder / "ds", folder / "ds-report"
            done, seconds = run_build(out, report, variant)
            if done.returncode != 0:
                raise RuntimeError(f"reference build {variant} failed: {done.stderr.strip()}")
            self.refs[variant] = Reference(hashes(out), hashes(report), parquet_rows(out), seconds)
            self.echo(
                f"reference {variant}: {len(self.refs[variant].dataset)} files, {seconds:.2f} s"
            )
        if self.refs["A"].dataset == self.refs["B"].dataset:
            raise RuntimeError("the two reference builds are identical: nothing to tell apart")

    def which(self, folder: Path, part: str) -> str | None:
        """Which reference build ``folder`` is, byte for byte (None: neither)."""
        found = hashes(folder) if folder.is_dir() else None
        for variant, ref in self.refs.items():
            if found == getattr(ref, part):
                return variant
        return None

    def leftovers(self) -> list[str]:
        prefixes = (f".{self.out.name}.", f".{self.report.name}.")
        return sorted(p.name for p in self.work.iterdir() if p.name.startswith(prefixes))

    def journal(self) -> Path:
        return self.work / f".{self.out.name}.swap.json"

    def complete_build(self, variant: str, why: str) -> None:
        done, _ = run_build(self.out, self.report, variant)
        problems = []
        if done.returncode != 0:
            problems.append(f"exit {done.returncode}: {done.stderr.strip()[-300:]}")
        for line in done.stderr.splitlines():
            if line.startswith("note: "):
                self.recovered[_kind_of_note(line)] += 1
        if self.which(self.out, "dataset") != variant:
            problems.append("OUT is not the reference build")
        if self.which(self.report, "report") != variant:
            problems.append("REP is not the reference build")
        if self.leftovers():
            problems.append(f"leftovers: {self.leftovers()}")
        for problem in problems:
            self.fail(f"complete build {variant} {why}: {problem}")

    def check_loads(self, variant: str, why: str) -> None:
        self.loads += 1
        try:
            loaded = load_every_config(self.out, self.hf_home)
        except RuntimeError as exc:
            self.fail(f"{why}: {exc}")
            return
        if loaded != self.refs[variant].rows:
            self.fail(f"{why}: load_dataset rows {loaded} != the reference's")

    def fail(self, message: str) -> None:
        self.failures.append(message)
        self.echo(f"FAIL {message}")

    # -- one kill ---------------------------------------------------------------------------

    def kill_once(
        self,
        number: int,
        variant: str,
        mode: str | None = None,
        hook: tuple[str, str, int] | None = None,
    ) -> Kill | None:
        """Start a build of ``variant`` into OUT/REP and SIGKILL it; None if it finished first.

        ``mode`` (one of ``MODES``) and ``hook`` (one of ``HOOKS``) are drawn unless given.
        """
        mode = mode or self.rng.choices(list(MODES), weights=list(MODES.values()))[0]
        delay = self.rng.uniform(0, self.refs[variant].seconds)
        before = _State.take(self)
        if mode == "hook" and hook is None:  # in turn, so that a run hits every one
            hook = HOOKS[self.hooks_used % len(HOOKS)]
            self.hooks_used += 1
        if hook is not None:
            mode = f"hook {hook[0]} {hook[1]} call {hook[2]}"
        proc = subprocess.Popen(
            build_command(self.out, self.report, variant, hook),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        started = time.perf_counter()
        if hook is not None:
            code = proc.wait()
            if code != -signal.SIGKILL:
                self.missed += 1  # the hooked call never came (e.g. nothing to discard)
                return None
        else:
            if mode == "timed":
                time.sleep(delay)
            else:
                self._aim(proc, mode, before)
            if proc.poll() is not None:
                self.missed += 1
                return None
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        killed_at = time.perf_counter() - started
        kill = Kill(number, variant, mode, killed_at)
        kill.phase = _State.take(self).phase(before)
        self.check_after_kill(kill)
        return kill

    def _aim(self, proc: subprocess.Popen[bytes], mode: str, before: _State) -> None:
        """Poll until the moment ``mode`` aims at (or the build ends), then wait a little."""
        extra = 0.0
        if mode == "writing":
            extra = self.rng.uniform(0, 0.8)
        elif mode == "report_staging":
            extra = self.rng.uniform(0, 0.005)
        parent = self.work
        staging = f".{self.report.name}.staging-" if mode == "report_staging" else None
        scratch = f".{self.out.name}.scratch-"
        journal = self.journal()
        while proc.poll() is None:
            if mode == "journal" and journal.exists() and _text_or_none(journal) != before.journal:
                break
            if mode == "exchange" and _ino(self.out) not in (None, before.out):
                break
            if staging or mode == "writing":
                prefix = staging or scratch
                names = {p.name for p in parent.iterdir() if p.name.startswith(prefix)}
                if names - before.names:
                    break
        if extra:
            time.sleep(extra)

    def check_after_kill(self, kill: Kill) -> None:
        dataset = self.which(self.out, "dataset")
        report = self.which(self.report, "report")
        kill.state = f"{dataset}/{report}"
        if not self.out.is_dir() or not self.report.is_dir():
            kill.failures.append("OUT or REP does not exist")
        if dataset is None:
            kill.failures.append("OUT is not byte-identical to a complete build")
        if report is None:
            kill.failures.append("REP is not byte-identical to a complete build")
        if dataset and report and dataset != report and not self.journal().exists():
            kill.failures.append(f"OUT and REP are out of step ({kill.state}) with no journal")
        for failure in kill.failures:
            self.fail(f"kill {kill.number} ({kill.mode}, {kill.phase}): {failure}")

    # -- the run ----------------------------------------------------------------------------

    def run(self, kills: int, load_every: int, settle: float) -> None:
        self.make_references()
        self.complete_build("A", "into a new OUT")
        current = "A"
        number = 0
        while number < kills:
            variant = "B" if current == "A" else "A"
            kill = self.kill_once(number + 1, variant)
            if kill is None:
                continue
            number += 1
            self.kills.append(kill)
            self.echo(
                f"kill {number}: {kill.mode} at {kill.delay:.3f} s -> {kill.phase}; "
                f"OUT/REP {kill.state}"
            )
            if load_every and number % load_every == 0 and kill.state[0] in VARIANTS:
                self.check_loads(kill.state[0], f"load after kill {number}")
            if self.rng.random() < settle or number == kills:
                self.settled += 1
                self.complete_build(variant, f"after kill {number}")
                current = variant
            else:  # the next build starts from what this kill left (OUT may hold either)
                current = kill.state[0] if kill.state[0] in VARIANTS else current
        self.check_loads(current, "load at the end")

    def summary(self) -> str:
        phases = Counter(k.phase for k in self.kills)
        modes = Counter(k.mode for k in self.kills)
        states = Counter(k.state for k in self.kills)
        lines = [
            f"kills: {len(self.kills)} (plus {self.missed} builds that finished before the kill)",
            "by aim: " + ", ".join(f"{m} {n}" for m, n in sorted(modes.items())),
            "by phase:",
            *(f"  {phases[p]:>4}  {p}" for p in PHASES),
            "OUT/REP after the kill: " + ", ".join(f"{s} {n}" for s, n in sorted(states.items())),
            f"complete builds after a kill: {self.settled}; they reported: "
            + (", ".join(f"{k} {n}" for k, n in sorted(self.recovered.items())) or "nothing"),
            f"load_dataset checks (fresh process, every config): {self.loads}",
            f"failures: {len(self.failures)}",
        ]
        return "\n".join(lines)


def _ino(path: Path) -> int | None:
    try:
        return path.stat().st_ino
    except FileNotFoundError:
        return None


def _text_or_none(path: Path) -> str | None:
    try:
        return path.read_text("utf-8")
    except (FileNotFoundError, UnicodeDecodeError):
        return None


def _kind_of_note(line: str) -> str:
    if "completed the swap" in line:
        return "swap completed from the journal"
    if "restored" in line:
        return "folder restored"
    if "leftover" in line:
        return "leftovers removed"
    return line


@dataclass
class _State:
    """What lies beside OUT and REP at one moment."""

    names: set[str]
    out: int | None
    report: int | None
    journal: str | None  # its text: a new journal may get the inode of the one it replaced
    journaled: set[int]  # inodes of the staged folders the journal lists
    report_prefix: str

    @classmethod
    def take(cls, h: Harness) -> _State:
        journal = h.journal()
        journaled: set[int] = set()
        text: str | None = None
        with contextlib.suppress(FileNotFoundError):
            text = journal.read_text("utf-8")
        with contextlib.suppress(ValueError, KeyError, TypeError):
            journaled = {int(e["inode"]) for e in json.loads(text or "[]")}
        return cls(
            set(h.leftovers()),
            _ino(h.out),
            _ino(h.report),
            text,
            journaled,
            f".{h.report.name}.staging-",
        )

    def phase(self, before: _State) -> str:
        """The phase a build was killed in, from what it left (compared with ``before``)."""
        new = self.names - before.names
        if self.journal is not None and self.journal != before.journal:
            return PHASES[5]
        # A folder swapped in that neither was there before nor was staged by an earlier
        # (killed) build: this build's own swap has happened.
        earlier = {before.out, before.report, *before.journaled}
        if self.out not in earlier or self.report not in earlier:
            return PHASES[6]
        if any(n.startswith(self.report_prefix) for n in new):
            return PHASES[4]
        if any(".staging-" in n for n in new):
            return PHASES[3]
        if any(".scratch-" in n for n in new):
            return PHASES[2]
        if before.names - self.names or (self.out, self.report) != (before.out, before.report):
            return PHASES[1]
        return PHASES[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--load-every", type=int, default=10, help="load_dataset every N kills")
    parser.add_argument(
        "--settle", type=float, default=0.5, help="share of kills followed by a complete build"
    )
    parser.add_argument("--work", type=Path, default=None, help="work folder [a temporary one]")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="chainpolicy-kill-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        harness = Harness(work, args.seed)
        started = time.perf_counter()
        harness.run(args.kills, args.load_every, args.settle)
        print(harness.summary())
        print(f"seed {args.seed}: {time.perf_counter() - started:.0f} s")
    return 1 if harness.failures else 0


if __name__ == "__main__":
    sys.exit(main())
