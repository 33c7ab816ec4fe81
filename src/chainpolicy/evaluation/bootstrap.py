"""Bootstrap intervals and the paired bootstrap test for the scorer's headline figures.

The metrics are functions of per-sentence counts (strict correct, partial hits, predicted and
gold spans per label), so a resample is a weighted sum of rows: resampling *sentences* treats
sentences as independent; resampling whole *articles* (a cluster bootstrap) keeps the sentences of
an article together, which is wider and more honest when the test split holds only a few
articles. Fixed seed (``SEED``), at least ``RESAMPLES`` resamples, percentile intervals (95%).

The paired test (Berg-Kirkpatrick et al. 2012, two-sided, centred): both systems are scored on
the same resamples; the p-value is the share of resamples whose difference departs from the
observed difference by at least the observed difference itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import numpy as np

if TYPE_CHECKING:
    from chainpolicy.evaluation.scoring import Counts

RESAMPLES: Final = 1000
SEED: Final = 20261201
LEVEL: Final = 0.95


def _f1(hits: np.ndarray, actual: np.ndarray, possible: np.ndarray) -> np.ndarray:
    denominator = actual + possible
    return np.divide(
        2 * hits, denominator, out=np.zeros_like(hits, dtype=float), where=denominator > 0
    )


def metrics(
    correct: np.ndarray, partial: np.ndarray, actual: np.ndarray, possible: np.ndarray
) -> dict[str, float]:
    """Headline figures from (sentences x labels) counts (F1 = 2 hits / (predicted + gold))."""
    c, h, a, p = (x.sum(axis=0) for x in (correct, partial, actual, possible))
    return {
        "micro_strict_f1": float(
            _f1(c.sum(keepdims=True), a.sum(keepdims=True), p.sum(keepdims=True))[0]
        ),
        "micro_partial_f1": float(
            _f1(h.sum(keepdims=True), a.sum(keepdims=True), p.sum(keepdims=True))[0]
        ),
        "macro_strict_f1": float(_f1(c, a, p).mean()),
        "macro_partial_f1": float(_f1(h, a, p).mean()),
    }


def _resampled(
    weights: np.ndarray, counts: Counts, groups: np.ndarray | None
) -> dict[str, np.ndarray]:
    """The metrics of every resample; ``weights`` is (resamples x units)."""
    arrays = [counts.correct, counts.partial_hits, counts.actual, counts.possible]
    if groups is not None:  # sum sentences into their articles first
        units = range(int(groups.max()) + 1) if len(groups) else range(0)
        arrays = [np.stack([x[groups == g].sum(axis=0) for g in units]) for x in arrays]
    c, h, a, p = (weights @ x for x in arrays)  # (resamples x labels)
    micro = lambda hits: _f1(hits.sum(axis=1), a.sum(axis=1), p.sum(axis=1))  # noqa: E731
    return {
        "micro_strict_f1": micro(c),
        "micro_partial_f1": micro(h),
        "macro_strict_f1": _f1(c, a, p).mean(axis=1),
        "macro_partial_f1": _f1(h, a, p).mean(axis=1),
    }


def _weights(units: int, resamples: int, seed: int) -> np.ndarray:
    """How often each unit is drawn in each resample (multinomial counts), reproducibly."""
    if units == 0:
        return np.zeros((resamples, 0))
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, units, size=(resamples, units))
    weights = np.zeros((resamples, units))
    np.add.at(weights, (np.arange(resamples)[:, None], draws), 1.0)
    return weights


def _article_groups(counts: Counts) -> np.ndarray:
    names = sorted(set(counts.articles))
    index = {name: i for i, name in enumerate(names)}
    return np.array([index[a] for a in counts.articles], dtype=int)


def by_sentence(
    counts: Counts, resamples: int = RESAMPLES, seed: int = SEED
) -> dict[str, np.ndarray]:
    return _resampled(_weights(len(counts.articles), resamples, seed), counts, None)


def by_article(
    counts: Counts, resamples: int = RESAMPLES, seed: int = SEED
) -> dict[str, np.ndarray]:
    if not counts.articles:
        return _resampled(np.zeros((resamples, 0)), counts, None)
    groups = _article_groups(counts)
    return _resampled(_weights(int(groups.max()) + 1, resamples, seed), counts, groups)


def interval(samples: np.ndarray) -> tuple[float, float]:
    if samples.size == 0:
        return 0.0, 0.0
    tail = (1 - LEVEL) / 2 * 100
    low, high = np.percentile(samples, [tail, 100 - tail])
    return float(low), float(high)


@dataclass(frozen=True)
class Paired:
    a: float
    b: float
    difference: float
    low: float
    high: float
    p_value: float


def paired(
    a: Counts, b: Counts, metric: str, unit: str, resamples: int = RESAMPLES, seed: int = SEED
) -> Paired:
    """A minus B on the same resamples of the same gold (``unit``: sentences or articles)."""
    if unit not in ("sentences", "articles"):
        raise ValueError(f"unit must be sentences or articles, got {unit!r}")
    point_a = metrics(a.correct, a.partial_hits, a.actual, a.possible)[metric]
    point_b = metrics(b.correct, b.partial_hits, b.actual, b.possible)[metric]
    if unit == "sentences":
        weights, groups = _weights(len(a.articles), resamples, seed), None
    else:
        groups = _article_groups(a)
        weights = _weights(int(groups.max()) + 1 if len(groups) else 0, resamples, seed)
    diffs = _resampled(weights, a, groups)[metric] - _resampled(weights, b, groups)[metric]
    observed = point_a - point_b
    low, high = interval(diffs)
    p_value = float(np.mean(np.abs(diffs - observed) >= abs(observed))) if diffs.size else 1.0
    return Paired(point_a, point_b, observed, low, high, p_value)
