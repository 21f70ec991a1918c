"""Helpers shared by the charts: fewer points than dots, finite values only."""

from __future__ import annotations

import numpy as np

from .numbers import exact


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


def nice_ticks(right: float, n: int = 5) -> tuple[list[float], list[str]]:
    """Round iteration ticks from 0 to ``right`` (steps of 1, 2, 2.5 or 5 times a power of
    ten), labelled in one unit: 0 2500 5000, or 0 250k 500k, or 0 10M 20M."""
    if right < n:
        ticks = [float(t) for t in range(int(right) + 1)]
        return ticks, [exact(t) for t in ticks]
    raw = right / max(1, n - 1)
    power = 10 ** np.floor(np.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    ticks = [float(t) for t in np.arange(0, right + step * 0.001, step)]
    size, suffix = next(((s, x) for s, x in ((1e9, "G"), (1e6, "M"), (1e3, "k")) if right >= 10 * s), (1, ""))
    return ticks, [exact(t / size) + suffix if t else "0" for t in ticks]
