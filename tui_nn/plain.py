"""Plain values: one JSON-safe converter, one number format, one terminal test.

Everything that writes JSON (events, the headless stream, the sweep's files) converts with
:func:`json_safe`; everything that prints a number for people formats it with :func:`fmt`.
Standard library only at import (NumPy values are recognised by their ``dtype``).
"""

from __future__ import annotations

import math
from typing import Any, Container


def json_safe(value: Any, drop: Container[str] = ()) -> Any:
    """``value`` as plain JSON types: NumPy arrays and scalars become lists and Python numbers,
    tuples lists, and NaN and infinities ``None`` (JSON has neither: "no value yet", as a best
    loss of inf, or not a number). Dict keys in ``drop`` are left out at any depth."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (str, int, type(None))):
        return value
    if isinstance(value, dict):
        return {k: json_safe(v, drop) for k, v in value.items() if k not in drop}
    if isinstance(value, (list, tuple)):
        return [json_safe(v, drop) for v in value]
    if hasattr(value, "dtype"):  # a NumPy array or scalar (so NumPy is loaded already)
        import numpy as np

        if value.dtype.kind != "f" or np.isfinite(value).all():
            return value.tolist()  # fast: one call for a whole chunk of losses
        return json_safe(value.tolist(), drop)
    return value


def fmt(x: float | None, digits: int = 6, *, fixed: bool = False, missing: str = "—") -> str:
    """A number for people: ``digits`` significant digits (or decimals, ``fixed``); nan and inf
    as they are; ``missing`` for None."""
    if x is None:
        return missing
    if not math.isfinite(x):
        return str(x)
    return f"{x:.{digits}f}" if fixed else f"{x:.{digits}g}"


def isatty(stream) -> bool:
    """Whether ``stream`` is a terminal; False for anything without a working ``isatty``."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False
