"""The dashboard's one number format: every panel, title and the status bar print numbers with
these functions, so the same value reads the same everywhere.

- :func:`num`: a measured value (loss, accuracy, rate, epoch) with ``digits`` significant digits
  in fixed notation (never ``7.285e-05``: ``0.00007285``), thousands separators (``58,670``)
  and no ``-0``;
- :func:`count`: a whole number (iterations, points) with thousands separators;
- :func:`fmt_tick`: an axis tick, with as many decimals as its neighbours need.
"""

from __future__ import annotations

import math

DIGITS = 4
MAX_DECIMALS = 12


def num(x: float | None, digits: int = DIGITS, missing: str = "—") -> str:
    if x is None:
        return missing
    x = float(x)
    if not math.isfinite(x):
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    if x == 0:
        return "0"
    decimals = min(MAX_DECIMALS, max(0, digits - 1 - math.floor(math.log10(abs(x)))))
    s = f"{x:,.{decimals}f}"
    return s[1:] if s.startswith("-") and not s.strip("-0.,") else s  # never "-0.0000"


def count(n: int | float) -> str:
    return f"{int(n):,}"


def fmt_tick(t: float, ticks: list[float]) -> str:
    """A tick label: no more decimals than the step between ``ticks`` needs; no ``-0``."""
    if len(ticks) > 1:
        step = min(abs(b - a) for a, b in zip(ticks, ticks[1:]) if b != a) if len(set(ticks)) > 1 else abs(t)
    else:
        step = abs(t)
    decimals = 0 if not step else min(MAX_DECIMALS, max(0, -math.floor(math.log10(step) + 1e-9)))
    if step and round(step * 10 ** decimals, 6) % 1:  # 2.5 x 10^k needs one decimal more
        decimals += 1
    s = f"{t:,.{decimals}f}"
    return s[1:] if s.startswith("-") and not s.strip("-0.,") else s
