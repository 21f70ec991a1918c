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


# -- the gradient step (step.LeanStep): the float32 element-wise work between NumPy's products ---------


@_jit
def bias_relu(z, b):
    """``z += b; np.maximum(z, 0, out=z)``: NaN stays, -0 becomes +0 (NumPy's maximum gives its
    second operand when they compare equal)."""
    zero = np.float32(0)
    for i in range(z.shape[0]):
        for j in range(z.shape[1]):
            v = z[i, j] + b[0, j]
            z[i, j] = v if (v > zero or v != v) else zero


@_jit
def bias_negate(z, b):
    """``z += b; np.negative(z, out=z)``: the sigmoid's input, ready for NumPy's exp."""
    for i in range(z.shape[0]):
        for j in range(z.shape[1]):
            z[i, j] = -(z[i, j] + b[0, j])


@_jit
def sigmoid_bce(e, y, lo, hi, q):
    """One sigmoid output after NumPy's exp (e = exp(-z), (B, 1)): e becomes the sigmoid
    1 / (1 + e); q = clip(p, lo, hi), then 1 - q where the label is not above 0.5 (what the
    binary cross-entropy takes the log of); returns how many samples have (p > 0.5) == (y > 0.5)."""
    one, half = np.float32(1), np.float32(0.5)
    right = 0
    for i in range(e.shape[0]):
        p = one / (one + e[i, 0])
        e[i, 0] = p
        c = p
        if c < lo:
            c = lo
        if c > hi:
            c = hi
        yes = y[i, 0] > half
        q[i, 0] = c if yes else one - c
        right += (p > half) == yes
    return right


@_jit
def sigmoid_bce_grad(p, y, n, d):
    """``np.subtract(p, y, out=d); d /= n``: the gradient of the mean binary cross-entropy at
    the sigmoid's input (``n`` = samples x outputs, float32)."""
    for i in range(p.shape[0]):
        for j in range(p.shape[1]):
            d[i, j] = (p[i, j] - y[i, j]) / n


@_jit
def relu_grad(d, a):
    """ReLU.backward, ``np.where(inputs > 0, d, 0)`` in place, from its output a (a > 0 exactly
    where its input was): +0 where the unit was off, even for an infinite or NaN d."""
    zero = np.float32(0)
    for i in range(d.shape[0]):
        for j in range(d.shape[1]):
            if not a[i, j] > zero:
                d[i, j] = zero


# -- the search's softmax classifiers (fused.FusedKernel) -------------------------------------------
# Layouts: a layer's values as rows over the samples, (units, N), so every inner loop runs over
# the samples and vectorises; the weights and biases read in place from the candidates' rows P.


@_jit
def dense_layer(src, P, k, start, n_in, n_out, lanes, relu, acc, out, sums):
    """One dense layer of candidate k (row k of P, its weights W and biases b from ``start``),
    one unit at a time: ``out[j]`` = float32(sum over t of src[t] * W[t, j]) + b[j], then ReLU if
    ``relu`` (max with 0, NaN kept). The float64 sums add in the BLAS's order for the shape: one
    running sum (``lanes`` 1), or one per t mod 8, added pairwise at the end (``lanes`` 8). Unless
    ``sums`` is empty, the float64 sums are also written there, (units, N) (``_sums_order``'s
    probe of this very loop)."""
    N = src.shape[1]
    zero = np.float32(0)
    probe = sums.size > 0
    for j in range(n_out):
        for r in range(lanes):  # lane r adds the products of inputs r, r + lanes, r + 2 lanes, ...
            a = acc[r]
            for n in range(N):
                a[n] = 0.0
            t = r
            while t + 3 * lanes < n_in:  # four of them in one pass, in order: fewer loads and stores
                s0, s1, s2, s3 = src[t], src[t + lanes], src[t + 2 * lanes], src[t + 3 * lanes]
                w0 = np.float64(P[k, start + t * n_out + j])
                w1 = np.float64(P[k, start + (t + lanes) * n_out + j])
                w2 = np.float64(P[k, start + (t + 2 * lanes) * n_out + j])
                w3 = np.float64(P[k, start + (t + 3 * lanes) * n_out + j])
                for n in range(N):
                    a[n] = (((a[n] + s0[n] * w0) + s1[n] * w1) + s2[n] * w2) + s3[n] * w3
                t += 4 * lanes
            while t < n_in:
                s0, w0 = src[t], np.float64(P[k, start + t * n_out + j])
                for n in range(N):
                    a[n] += s0[n] * w0
                t += lanes
        b = P[k, start + n_in * n_out + j]
        o = out[j]
        for n in range(N):
            if lanes == 8:
                x = ((acc[0, n] + acc[1, n]) + (acc[2, n] + acc[3, n])) + ((acc[4, n] + acc[5, n]) + (acc[6, n] + acc[7, n]))
            else:
                x = acc[0, n]
            if probe:
                sums[j, n] = x
            v = np.float32(x) + b
            if relu != 0 and v < zero:
                v = zero
            o[n] = v


@_jit
def softmax_inputs(P, XT, layers, acc, h, m, E):
    """For each candidate (row k of P): its dense layers on the samples XT (inputs, N), in float32
    like the activations in h (two layers' worth, taking turns); a layer of two inputs in one
    pass per unit (two exact products, one rounding: any order), others by ``dense_layer``; the last layer's values minus their maximum over the classes (NaN if any is
    NaN, as np.max) into E[k] (classes, N), ready for NumPy's exp. ``layers`` rows: start in P,
    inputs, units, ReLU or not, lanes."""
    K, N, L = P.shape[0], XT.shape[1], layers.shape[0]
    zero = np.float32(0)
    no_sums = np.empty((0, 0))
    for k in range(K):
        for i in range(L):
            start, n_in, n_out, relu, lanes = layers[i, 0], layers[i, 1], layers[i, 2], layers[i, 3], layers[i, 4]
            src = XT if i == 0 else h[(i - 1) % 2]
            out = E[k] if i == L - 1 else h[i % 2]
            if n_in != 2:
                dense_layer(src, P, k, start, n_in, n_out, lanes, relu, acc, out, no_sums)
                continue
            x0, x1 = src[0], src[1]
            for j in range(n_out):
                w0, w1 = np.float64(P[k, start + j]), np.float64(P[k, start + n_out + j])
                b = P[k, start + 2 * n_out + j]
                o = out[j]
                for n in range(N):
                    v = np.float32(x0[n] * w0 + x1[n] * w1) + b
                    if relu != 0 and v < zero:
                        v = zero
                    o[n] = v
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
def mean_and_share(sums, N, right):
    """``np.mean``'s last step for each candidate, negated: its float32 sum divided by -N in
    float64 (NumPy's loop for a float32 array and an integer), rounded to float32; and the share
    of samples right, ``right / N`` in float64. New arrays (the caller keeps them)."""
    K = sums.shape[0]
    losses, accs = np.empty(K, np.float32), np.empty(K, np.float64)
    for k in range(K):
        losses[k] = np.float32(np.float64(sums[k]) / np.float64(-N))
        accs[k] = right[k] / N
    return losses, accs


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


def warm_up() -> None:
    """Call every loop once on tiny arrays of the types the fast paths pass, so each is loaded
    from the cache (or compiled) now; ``tests/test_fast.py`` checks that runs add no signature."""
    f32, f64, i64 = np.float32, np.float64, np.int64
    one = f32(1)
    v = np.zeros(4, f32)
    adam(v, v.copy(), v.copy(), v.copy(), one, one, one, one, one, one, one, one)
    z, b = np.zeros((2, 3), f32), np.zeros((1, 3), f32)
    bias_relu(z, b)
    bias_negate(z, b)
    relu_grad(z, z.copy())
    e, y = np.ones((2, 1), f32), np.zeros((2, 1), f32)
    sigmoid_bce(e, y, one, one, e.copy())
    sigmoid_bce_grad(e, y, one, e.copy())
    N, C = 3, 2
    P = np.zeros((1, 2 * 2 + 2 + 2 * C + C), f32)  # a 2-2-2 network
    layers = np.array([[0, 2, 2, 1, 1], [6, 2, C, 0, 1]], i64)
    E = np.zeros((1, C, N), f32)
    softmax_inputs(P, np.zeros((2, N), f32), layers, np.zeros((8, N)), np.zeros((2, 2, N), f32), np.zeros(N, f32), E)
    dense_layer(np.zeros((2, N), f32), P, 0, 0, 2, 2, 1, 0, np.zeros((8, N)), np.zeros((2, N), f32),
                np.zeros((2, N), f64))
    right = np.zeros(1, i64)
    rows = [np.zeros(N, f32) for _ in range(3)]
    ey = np.zeros((1, N), f32)
    softmax_outputs(E + 1, np.zeros(N, i64), one, one, rows[0], rows[1], np.zeros(N, i64), rows[2], ey, right)
    mean_and_share(np.zeros(1, f32), N, right)
