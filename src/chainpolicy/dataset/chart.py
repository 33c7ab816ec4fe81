"""The label distribution chart embedded in the card (PNG, byte-reproducible)."""

from __future__ import annotations

import io
from collections.abc import Mapping

from chainpolicy.schema import LABELS

CHART_PATH = "images/label_distribution.png"


def label_chart(spans_per_split: Mapping[str, Mapping[str, int]], *, gold: bool) -> bytes:
    """Grouped bars: gold spans per label and split. No timestamp or version in the file."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    labels = [spec.name for spec in LABELS]
    split_names = list(spans_per_split)
    width = 0.8 / max(1, len(split_names))
    fig, ax = plt.subplots(figsize=(6.4, 3.6), dpi=100)
    try:
        for number, split in enumerate(split_names):
            values = [spans_per_split[split].get(label, 0) for label in labels]
            positions = [
                i + (number - (len(split_names) - 1) / 2) * width for i in range(len(labels))
            ]
            bars = ax.bar(positions, values, width, label=split)
            ax.bar_label(bars, fontsize=8)
        ax.set_xticks(range(len(labels)), labels)
        ax.set_ylabel("gold spans")
        title = "Gold spans per label and split"
        ax.set_title(title if gold else title + " (no gold annotations yet)")
        ax.legend(frameon=False)
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        buffer = io.BytesIO()
        # metadata={"Software": None}: no matplotlib version string in the PNG.
        fig.savefig(buffer, format="png", metadata={"Software": None})
        return buffer.getvalue()
    finally:
        plt.close(fig)
