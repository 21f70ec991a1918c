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


# -- the search's softmax classifiers (fused.FusedKernel) -------------------------------------------
# Layouts: a layer's values as rows over the samples, (units, N), so every inner loop runs over
# the samples and vectorises; the weights and biases read in place from the candidates' rows P.


@_jit
def layer_sums(src, P, k, start, n_in, n_out, j, lanes, acc):
    """``acc[0]`` = unit j's float64 sums over the inputs of ``src[t] * W[t, j]`` (W from candidate
    k's row of P at ``start``), added in the BLAS's order for this shape: one running sum
    (``lanes`` 1), or one per t mod 8 added pairwise at the end (``lanes`` 8)."""
    N = src.shape[1]
    for r in range(lanes):
        for n in range(N):
            acc[r, n] = 0.0
    for t in range(n_in):
        w = np.float64(P[k, start + t * n_out + j])
        row, s = acc[t % lanes], src[t]
        for n in range(N):
            row[n] += s[n] * w
    if lanes == 8:
        for n in range(N):
            acc[0, n] = (((acc[0, n] + acc[1, n]) + (acc[2, n] + acc[3, n]))
                         + ((acc[4, n] + acc[5, n]) + (acc[6, n] + acc[7, n])))


@_jit
def dot_probe(src, P, n_in, n_out, lanes, acc, out):
    """``out[j] = layer_sums(...)`` for every unit of one layer (a probe's check of the order)."""
    for j in range(n_out):
        layer_sums(src, P, 0, 0, n_in, n_out, j, lanes, acc)
        out[j, :] = acc[0]


@_jit
def softmax_inputs(P, XT, layers, acc, h, m, E):
    """For each candidate (row k of P): its dense layers on the samples XT (inputs, N), each unit's
    float64 sum rounded to float32 plus its float32 bias, then ReLU (max with 0, NaN kept) or
    nothing; the last layer's values minus their maximum over the classes (NaN if any is NaN, as
    np.max) into E[k] (classes, N), ready for NumPy's exp. ``layers`` rows: start in P, inputs,
    units, ReLU or not, lanes (``layer_sums``)."""
    K, N, L = P.shape[0], XT.shape[1], layers.shape[0]
    zero = np.float32(0)
    for k in range(K):
        for i in range(L):
            start, n_in, n_out, relu, lanes = layers[i, 0], layers[i, 1], layers[i, 2], layers[i, 3], layers[i, 4]
            src = XT if i == 0 else h[(i - 1) % 2]
            for j in range(n_out):
                layer_sums(src, P, k, start, n_in, n_out, j, lanes, acc)
                b = P[k, start + n_in * n_out + j]
                if i == L - 1:
                    z = E[k, j]
                    for n in range(N):
                        z[n] = np.float32(acc[0, n]) + b
                else:
                    a = h[i % 2, j]
                    for n in range(N):
                        v = np.float32(acc[0, n]) + b
                        if relu != 0 and v < zero:
                            v = zero
                        a[n] = v
        e = E[k]
        C = e.shape[0]
        for n in range(N):
            m[n] = e[0, n]
        for c in range(1, C):
            for n in range(N):
                v = e[c, n]
                if v > m[n] or v != v:
                    m[n] = v
        for c in range(C):
            for n in range(N):
                e[c, n] -= m[n]


@_jit
def softmax_outputs(E, y, lo, hi, s, best, idx, py, ey, right):
    """From the exps E (K, classes, N): each sample's probabilities e / sum(e) (the sum left to
    right), ``ey[k]`` = its class's probability clipped to [lo, hi] (NaN kept, as np.clip), and
    ``right[k]`` = how many samples' first largest probability (np.argmax: a NaN counts as the
    largest) is their class."""
    K, C, N = E.shape
    for k in range(K):
        e = E[k]
        for n in range(N):
            s[n] = e[0, n]
        for c in range(1, C):
            for n in range(N):
                s[n] += e[c, n]
        for n in range(N):
            p = e[0, n] / s[n]
            best[n] = p
            py[n] = p
            idx[n] = 0
        for c in range(1, C):
            for n in range(N):
                p = e[c, n] / s[n]
                b = best[n]
                if b == b and (p > b or p != p):
                    best[n] = p
                    idx[n] = c
                if y[n] == c:
                    py[n] = p
        count = 0
        for n in range(N):
            p = py[n]
            if p < lo:
                p = lo
            if p > hi:
                p = hi
            ey[k, n] = p
            count += idx[n] == y[n]
        right[k] = count
