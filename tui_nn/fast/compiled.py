"""Compiled loops (numba) behind the fast paths: several float32 operations of the plain path fused
into one pass over the arrays, with the same roundings in the same order.

Imported only when a fast path is built (``import numba`` costs ~0.4 s), through :func:`loops`,
which answers ``None`` where numba is missing or broken: the fast paths then run their NumPy
calls. Rules that keep these loops bit-identical to NumPy:

- only float32 ``+ - * /``, ``sqrt``, ``max`` and comparisons, which are correctly rounded in
  both (no ``fastmath``, so no reassociation and no fused multiply-add); every intermediate is
  float32 exactly where NumPy's is: constants come in as ``np.float32`` arguments, never as
  Python floats (which numba would make float64);
- ``exp``, ``log`` and ``tanh`` stay NumPy calls (NumPy's SIMD versions differ from numba's in
  the last bit), and so do NumPy's pairwise sums;
- float64 dot products add in the order the BLAS does, which the callers probe per shape.

Compiled code is cached next to this file (``cache=True``), else in numba's user-wide cache
directory; where no cache directory is writable, each process compiles again.
"""

from __future__ import annotations

import numba  # ~0.4 s; this module is imported only by loops() below
import numpy as np


def _jit(fn):
    try:
        return numba.njit(cache=True, error_model="numpy")(fn)
    except RuntimeError:  # "cannot cache function ...: no locator available": compile per process
        return numba.njit(error_model="numpy")(fn)


@_jit
def adam(params, grads, m, c, b1, one_b1, b2, one_b2, eps, c1, c2, neg_lr):
    """``Adam._update`` in one pass, all float32: m = b1 m + (1 - b1) g; c = b2 c + (1 - b2) g²;
    params += -lr (m / c1) / (sqrt(c / c2) + eps)."""
    for i in range(params.size):
        g = grads[i]
        mi = m[i] * b1 + g * one_b1
        ci = c[i] * b2 + (g * g) * one_b2
        m[i] = mi
        c[i] = ci
        params[i] += (mi / c1 * neg_lr) / (np.sqrt(ci / c2) + eps)
