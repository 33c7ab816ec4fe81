"""The corpus ingest as datatrove pipeline steps, for corpora beyond one machine.

The same records as ``chainpolicy sentences`` (``corpus.ingest`` builds every article), written
as one Parquet or JSONL shard per task by three dependent datatrove pipelines that run unchanged
on ``LocalPipelineExecutor``, ``SlurmPipelineExecutor`` or ``RayPipelineExecutor``
(``scale.pipeline``; docs/cluster.md). datatrove is the optional extra ``chainpolicy[scale]``:
``scale.shards`` (layout, shard order, the Arrow schema, reading shards back) does not need it,
``scale.steps`` and ``scale.pipeline`` do; call ``require()`` before importing them.
"""

from __future__ import annotations

from chainpolicy.errors import ChainpolicyError

EXTRA = "scale"
FORMATS = ("parquet", "jsonl")  # of the record shards; the first is the default


def require() -> None:
    """One clear line instead of an ImportError when the extra is not installed."""
    try:
        import datatrove  # noqa: F401
    except ImportError:
        raise ChainpolicyError(
            f"the datatrove ingest needs datatrove: install chainpolicy[{EXTRA}] "
            f"(pip install -e '.[{EXTRA}]')"
        ) from None
