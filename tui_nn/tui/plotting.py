"""Helpers shared by the plotext charts: fewer points than pixels, finite values only."""

from __future__ import annotations

import numpy as np


def rebucket(x: np.ndarray, lo: np.ndarray, hi: np.ndarray, k: int):
    """At most ``k`` points: each keeps its group's first x, lowest ``lo`` and highest ``hi``
    (a spike never disappears, however many iterations share a pixel)."""
    n = len(x)
    if n <= k or k < 1:
        return x, lo, hi
    starts = np.unique(np.linspace(0, n, k + 1).astype(np.int64)[:-1])
    return x[starts], np.fmin.reduceat(lo, starts), np.fmax.reduceat(hi, starts)


def finite(x, y):
    """Drop pairs whose y is NaN or infinite (a diverged step must not break the axes)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(y)
    return x[ok], y[ok]


def positive(x, y):
    """Pairs usable on a log axis."""
    x, y = finite(x, y)
    ok = y > 0
    return x[ok], y[ok]
