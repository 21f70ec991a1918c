"""The dashboard's one number format: every panel, title and the status bar print numbers with
these functions, so the same value reads the same everywhere.

- :func:`num`: a measured value (loss, accuracy, rate, epoch) with ``digits`` significant digits
  in fixed notation (never ``7.285e-05``: ``0.00007285``), thousands separators (``58,670``)
  and no ``-0``;
- :func:`count`: a whole number (iterations, points) with thousands separators;
- :func:`fmt_tick`: an axis tick, with as many decimals as its neighbours need;
- :func:`exact`: a setting's value as the user typed it (every digit, no exponent, no
  separators: it goes back into an input field);
- :func:`percent`, :func:`cell` (a weight in a five-character cell), :func:`clock`,
  :func:`speed`, :func:`scale`.

``tests/test_tui_numbers.py`` fails when a module of the dashboard formats a number itself
(a format spec such as ``:.4g`` or ``:,`` anywhere under ``tui_nn/tui`` but here).
"""

from __future__ import annotations

import math
from decimal import Decimal

DIGITS = 4
LOSS_DIGITS = 7  # the log's losses: as many as the book's prints need to tell two bests apart
MAX_DECIMALS = 12


def num(x: float | None, digits: int = DIGITS, missing: str = "—", trim: bool = False) -> str:
    """``trim``: without trailing zeros (``0.001``, not ``0.001000``): for a value derived from a
    setting (the learning rate in force), where they would suggest a precision it never had."""
    if x is None:
        return missing
    x = float(x)
    if not math.isfinite(x):
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    if x == 0:
        return "0"
    decimals = min(MAX_DECIMALS, max(0, digits - 1 - math.floor(math.log10(abs(x)))))
    s = f"{x:,.{decimals}f}"
    if trim and "." in s:
        s = s.rstrip("0").rstrip(".")
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


def exact(x: float) -> str:
    """``0.78125``, ``0.0000001``, ``2``: the shortest text that reads back as ``x``, in fixed notation."""
    x = float(x)
    if not math.isfinite(x):
        return num(x)
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return format(Decimal(repr(x)), "f")


def percent(fraction: float, digits: int = 3) -> str:
    """``0.189`` -> ``18.9%``."""
    return num(100 * fraction, digits) + "%"


def cell(v: float) -> str:
    """At most six characters for a weight's cell: ' 0.12', '-0.12', '-12.3', ' 1234', '-1e+5'
    (only a value of 100,000 or more gets an exponent: the cell has no room for its digits)."""
    a = abs(v)
    if a < 9.995:
        s = f"{v:5.2f}"
    elif a < 99.95:
        s = f"{v:5.1f}"
    elif a < 99999.5:
        s = f"{v:5.0f}"
    else:
        s = f"{v:.0e}".replace("e+0", "e").replace("e-0", "e-")
    return s if s.strip() != "-0.00" else " 0.00"


def scale(exponent: int) -> str:
    """The common factor of a layer's printed values: ``×1e-3``."""
    return f"×1e{exponent}"


def clock(seconds: float) -> str:
    """``1:05`` or ``2:01:05``."""
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def speed(per_second: float | None) -> str:
    """An iteration rate setting: ``640/s``, ``1.25/s``, ``max`` (full speed)."""
    if per_second is None:
        return "max"
    return f"{count(per_second)}/s" if per_second >= 10 else f"{exact(per_second)}/s"


def epochs(x: float | None, digits: int = DIGITS, missing: str = "—") -> str:
    """An epoch: ``40`` when whole (a count), ``3.400`` part-way through one."""
    if x is not None and math.isfinite(x) and float(x).is_integer():
        return count(x)
    return num(x, digits, missing)
