"""The three stages on datatrove's SlurmPipelineExecutor, as docs/cluster.md writes them.

No Slurm here: ``sbatch``, ``srun`` and ``scontrol`` are small stand-ins on PATH. ``sbatch``
queues the launch script datatrove wrote; the test then runs every queued script as Slurm
would, once per array index, in submission order (which satisfies each ``afterok``). So the
real launch scripts, the pickled executors (dill) and datatrove's rank dispatch all run.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("datatrove", reason="datatrove is the optional extra chainpolicy[scale]")

from datatrove.executor import SlurmPipelineExecutor

from chainpolicy.corpus.jsonl import iter_jsonl
from chainpolicy.scale import shards
from chainpolicy.scale.pipeline import stages

SBATCH = """\
import os, shutil, sys
queue = os.environ["FAKE_SLURM_QUEUE"]
number = len([n for n in os.listdir(queue) if n.endswith(".sh")])
shutil.copy(sys.argv[-1], os.path.join(queue, f"{number:03d}.sh"))
with open(os.path.join(queue, f"{number:03d}.args"), "w") as fh:
    fh.write("\\n".join(sys.argv[1:-1]))
print(f"Submitted batch job {1000 + number}")
"""
SRUN = """\
import os, sys
args = sys.argv[1:]
while args and args[0].startswith("-"):
    args = args[2:] if args[0] == "-n" else args[1:]
os.execvp(args[0], args)
"""
SCONTROL = """\
import sys
assert sys.argv[1:3] == ["show", "hostnames"], sys.argv
print("localhost")
"""


def _fake_slurm(folder: Path) -> dict[str, str]:
    bin_dir = folder / "bin"
    bin_dir.mkdir(parents=True)
    for name, source in (("sbatch", SBATCH), ("srun", SRUN), ("scontrol", SCONTROL)):
        path = bin_dir / name
        path.write_text(f"#!{sys.executable}\n{source}", "utf-8")
        path.chmod(0o755)
    queue = folder / "queue"
    queue.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
    path = os.pathsep.join([str(bin_dir), str(Path(sys.executable).parent), env["PATH"]])
    return {**env, "PATH": path, "FAKE_SLURM_QUEUE": str(queue)}


def _run_queue(queue: Path, env: dict[str, str]) -> int:
    """Every queued job, in submission order, each array index in turn, as Slurm would."""
    jobs = sorted(queue.glob("*.sh"))
    for script in jobs:
        text = script.read_text("utf-8")
        args = script.with_suffix(".args").read_text("utf-8").split("\n")
        offset = next((a.rsplit("=", 1)[1] for a in args if "RUN_OFFSET=" in a), "0")
        found = re.search(r"#SBATCH --array=0-(\d+)", text)
        for index in range(int(found.group(1)) + 1 if found else 1):
            job_env = {
                **env,
                "RUN_OFFSET": offset,
                "SLURM_JOB_ID": script.stem,
                "SLURM_NODELIST": "localhost",
                **({"SLURM_ARRAY_TASK_ID": str(index)} if found else {}),
            }
            done = subprocess.run(
                ["bash", str(script)], env=job_env, capture_output=True, text=True, check=False
            )
            assert done.returncode == 0, f"{script.name}[{index}]:\n{done.stderr[-3000:]}"
    return len(jobs)


def test_the_documented_slurm_script_gives_the_same_records(
    copies: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = _fake_slurm(tmp_path / "slurm")
    monkeypatch.setenv("PATH", env["PATH"])
    monkeypatch.setenv("FAKE_SLURM_QUEUE", env["FAKE_SLURM_QUEUE"])
    out = tmp_path / "out"
    plan = stages(*copies, out, tasks=3, buckets=2)

    def slurm(stage: str, tasks: int, depends: SlurmPipelineExecutor | None = None) -> object:
        return SlurmPipelineExecutor(
            pipeline=getattr(plan, stage),
            tasks=tasks,
            time="00:10:00",
            partition="cpu",
            cpus_per_task=1,
            mem_per_cpu_gb=2,
            job_name=f"chainpolicy-{stage}",
            logging_dir=plan.logging_dir(stage),
            depends=depends,
        )

    shard = slurm("shard", plan.tasks)
    firsts = slurm("firsts", plan.buckets, depends=shard)
    mark = slurm("mark", plan.tasks, depends=firsts)
    mark.run()  # type: ignore[attr-defined]

    queue = Path(env["FAKE_SLURM_QUEUE"])
    submitted = [p.read_text("utf-8") for p in sorted(queue.glob("*.args"))]
    # Three arrays and their stats merges; each array after the one before it.
    assert len(submitted) == 6
    assert "--dependency=afterok:1000" in submitted[2].split("\n")
    assert "--dependency=afterok:1002" in submitted[4].split("\n")
    assert _run_queue(queue, env) == 6
    expected = [json.loads(line) for line in iter_jsonl(*copies)]
    assert list(shards.iter_rows(out)) == expected
    for stage, tasks in (("shard", 3), ("firsts", 2), ("mark", 3)):
        done = sorted(p.name for p in (out / "logs" / stage / "completions").iterdir())
        assert done == [shards.rank_name(k) for k in range(tasks)]
