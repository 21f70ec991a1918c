"""The fast evaluation of one point: ``Network.evaluate`` for the models the search kernel does
not take (sigmoid or linear outputs), with the same operations on blocks of rows small enough to
stay in a core's cache, into arrays kept from one call to the next. Reached only through
:func:`tui_nn.fast.faster` (job ``"evaluate"``).
"""

from __future__ import annotations

import functools

import numpy as np

from ..network import EPS, score

F32, F64 = np.float32, np.float64
BLOCK_BYTES = 256 * 1024  # one float64 array of a block of rows: the block's arrays stay in L2


@functools.lru_cache(maxsize=None)
def _row_blocks_match(n: int, rows: int, fan_in: int, fan_out: int) -> bool:
    """Does ``np.dot`` of blocks of ``rows`` rows give exactly the rows of the whole product (the
    same additions per element) for this shape on this machine's BLAS?"""
    rng = np.random.RandomState(11)
    a = rng.randn(n, fan_in).astype(F32).astype(F64)
    w = rng.randn(fan_in, fan_out).astype(F32).astype(F64)
    whole = np.dot(a, w)
    return all(np.array_equal(np.dot(a[lo:lo + rows], w), whole[lo:lo + rows]) for lo in range(0, n, rows))


class BookPoint:
    """``net.evaluate(X, y)`` of a plain dense stack in float32 with a sigmoid output and binary
    cross-entropy, or a linear output and mean squared error: the book's arithmetic
    (``book_dot``: float64 products rounded to float32, then the biases and activations in
    float32), operation for operation, on blocks of rows where the BLAS gives each block's rows
    exactly (``_row_blocks_match``); the data in float64 made once. On MAGIC's 15,216 training
    rows the whole-array passes of the plain code miss the cache (each array is megabytes):
    blocks of 512 rows take half the time."""

    FUSED = {("sigmoid", "binary_crossentropy"), ("linear", "mean_squared_error")}

    @classmethod
    def build(cls, net, X, y) -> "BookPoint | None":
        if (X.dtype != F32 or net.dtype != F32 or not net.has_biases or X.ndim != 2 or net._fused not in cls.FUSED
                or any(a not in ("relu", "sigmoid", "tanh", "linear") for a in net.activation_names[:-1])
                or y.dtype != F32 or y.shape != (len(X), net.widths[-1])):
            return None
        return cls(net, X, y)

    def __init__(self, net, X, y):
        N, widths = len(X), net.widths
        self.net, self.y, self.N = net, y, N
        self.X64 = X.astype(F64)
        rows = max(1, min(N, BLOCK_BYTES // (8 * max(widths[1:]))))
        if not all(_row_blocks_match(N, rows, d.n_inputs, d.n_neurons) for d in net.dense):
            rows = N
        self.rows = rows
        self.d = [np.empty((rows, w), F64) for w in widths[1:]]
        self.z = [np.empty((rows, w), F32) for w in widths[1:]]
        self.a = [np.empty((rows, w), F64) for w in widths[1:-1]]
        self.out = np.empty((N, widths[-1]), F32)
        self.t, self.u = np.empty_like(self.out), np.empty_like(self.out)
        self.bce = net._fused[1] == "binary_crossentropy"
        self.one_minus_y = 1 - y if self.bce else None

    def __call__(self) -> tuple[float, float]:
        net, y, last = self.net, self.y, len(self.net.dense) - 1
        weights = [layer.weights.astype(F64) for layer in net.dense]
        for lo in range(0, self.N, self.rows):
            a = self.X64[lo:lo + self.rows]
            n = len(a)
            for i, (layer, W, act) in enumerate(zip(net.dense, weights, net.activation_names)):
                d, z = self.d[i][:n], self.z[i][:n]
                np.dot(a, W, out=d)  # book_dot(a, weights) + biases
                np.copyto(z, d, casting="unsafe")
                z += layer.biases
                if act == "relu":
                    np.maximum(0, z, out=z)
                elif act == "sigmoid":  # 1 / (1 + exp(-z)); exp(inf) gives 0, as Sigmoid.forward says
                    with np.errstate(over="ignore"):
                        np.negative(z, out=z)
                        np.exp(z, out=z)
                    z += 1
                    np.divide(1, z, out=z)
                elif act == "tanh":
                    np.tanh(z, out=z)
                if i < last:
                    a = self.a[i][:n]
                    np.copyto(a, z)
            self.out[lo:lo + n] = z
        out, t, u = self.out, self.t, self.u
        if self.bce:  # -(y * log(c) + (1 - y) * log(1 - c)), c clipped
            np.minimum(np.maximum(out, EPS, out=t), 1 - EPS, out=t)  # np.clip, without its wrappers
            np.subtract(1, t, out=u)
            np.log(u, out=u)
            u *= self.one_minus_y
            np.log(t, out=t)
            t *= y
            t += u
            np.negative(t, out=t)
        else:  # (y - p) ** 2
            np.subtract(y, out, out=t)
            np.square(t, out=t)
        per_sample = np.mean(t, axis=-1) if t.shape[1] > 1 else t.reshape(-1)  # a mean of one is itself
        return float(np.mean(per_sample)), score(net.task, out, y, net.predictions)
