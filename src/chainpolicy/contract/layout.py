"""Where things live in a dataset folder: written by the dataset layer, read by the scorer,
the card and the leaderboard.

One Parquet file per config and split, ``data/<config>/<split>-00000-of-00001.parquet`` (the
Hub's shard naming, so ``load_dataset`` and the card's ``configs`` patterns find them).
"""

from __future__ import annotations

from typing import Final, Literal

Split = Literal["train", "validation", "test"]
SPLITS: Final[tuple[Split, ...]] = ("train", "validation", "test")


def data_path(config: str, split: str) -> str:
    return f"data/{config}/{split}-00000-of-00001.parquet"


def data_pattern(config: str, split: str) -> str:
    """The ``data_files`` pattern of the card's ``configs`` entry."""
    return f"data/{config}/{split}-*"
