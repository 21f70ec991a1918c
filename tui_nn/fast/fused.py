"""The search's softmax kernel in compiled loops: ``search._BookKernel``'s job (the book's forward
pass, loss and accuracy for K candidates at once) with each layer in one pass instead of five
NumPy calls. Reached only through :func:`tui_nn.fast.faster`, and only where numba is there and
this machine's BLAS adds every layer's products in an order the loops reproduce (probed per
shape); otherwise ``_BookKernel`` does the job with NumPy calls, with the same bits.
"""

from __future__ import annotations

import functools

import numpy as np

from .search import _Batcher, _cost_ratio, _Remembers, _sums_in_order

F32, F64 = np.float32, np.float64


@functools.lru_cache(maxsize=None)
def _sums_order(loops, n: int, fan_in: int, fan_out: int) -> int | None:
    """The ``lanes`` of ``compiled.dense_layer`` whose float64 sums equal ``np.dot(a, W)``'s for
    this shape on this machine's BLAS (compared before any rounding), or None: neither."""
    rng = np.random.RandomState(12)
    a = rng.randn(n, fan_in).astype(F32)
    P = rng.randn(1, fan_in * fan_out + fan_out).astype(F32)
    book = np.dot(a.astype(F64), P[0, :fan_in * fan_out].reshape(fan_in, fan_out).astype(F64))
    aT = np.ascontiguousarray(a.T)
    acc, out, sums = np.empty((8, n)), np.empty((fan_out, n), F32), np.empty((fan_out, n))
    for lanes in (1, 8):
        loops.dense_layer(aT, P, 0, 0, fan_in, fan_out, lanes, 0, acc, out, sums)
        if np.array_equal(sums.T, book):
            return lanes
    return None


class FusedKernel(_Remembers):
    """The book's forward pass, loss and accuracy for K candidates (rows of P), as
    ``_BookKernel`` computes them, in two compiled loops and four NumPy calls a batch:

    - ``compiled.softmax_inputs``: per candidate, every dense layer one unit at a time over the
      samples (float64 sums of the float32 values in the BLAS's order, rounded to float32, plus
      the float32 biases, ReLU), then the outputs minus their maximum over the classes;
    - ``np.exp`` of all candidates' values (NumPy's own exp, whose last bits numba's differs in);
    - ``compiled.softmax_outputs``: the sums of exps left to right, the probabilities, the
      correct class's clipped probability and the argmax's hits;
    - ``np.log`` and NumPy's pairwise sum of each candidate's row: the loss as ``np.mean`` gives
      it, ``-mean(log p) == mean(-log p)`` bit for bit.

    Hidden layers with ReLU or linear activations (sigmoid and tanh need NumPy's exp and tanh
    inside the layers: ``_BookKernel``). The scratch arrays of the layers are one candidate's,
    reused for each: a batch's memory is the exps and the clipped probabilities only."""

    @classmethod
    def build(cls, net, X, y, loops):
        names = net.activation_names
        C = net.widths[-1]
        if (loops is None or X.dtype != F32 or net.dtype != F32 or X.ndim != 2 or names[-1] != "softmax"
                or net.loss_function.name != "categorical_crossentropy" or y.ndim != 1
                or not np.issubdtype(y.dtype, np.integer) or len(y) != len(X) or not 2 <= C <= 8
                or any(a not in ("relu", "linear") for a in names[:-1]) or not net.has_biases
                or not _sums_in_order(C) or y.min() < 0 or y.max() >= C):
            return None
        lanes = []
        for i, layer in enumerate(net.dense):
            if i == 0 and layer.n_inputs <= 2:  # at most two exact products: one rounding, any order
                lanes.append(1)
            else:
                lanes.append(_sums_order(loops, len(X), layer.n_inputs, layer.n_neurons))
                if lanes[-1] is None:
                    return None
        return cls(net, X, y, loops, lanes)

    def __init__(self, net, X, y, loops, lanes):
        self.loops = loops
        self.N, self.C = N, C = len(X), net.widths[-1]
        self.XT = np.ascontiguousarray(X.T)  # float32: each value meets float64 weights, exactly
        self.y = np.ascontiguousarray(y, np.int64)
        rows, start = [], 0
        for layer, act, n in zip(net.dense, net.activation_names, lanes):
            rows.append((start, layer.n_inputs, layer.n_neurons, act == "relu", n))
            start += layer.n_params
        self.layers = np.array(rows, np.int64)
        self.acc = np.empty((8, N))
        self.h = np.empty((2, max(net.widths[1:-1], default=1), N), F32)  # float32 activations
        self.rows = {name: np.empty(N, F32) for name in ("m", "s", "best", "py")}
        self.idx = np.empty(N, np.int64)
        self.lo, self.hi = F32(1e-7), F32(1 - 1e-7)  # np.clip's bounds, as the book's Python floats become
        self.bytes_per_candidate = 4 * C * N + 4 * N + 12
        self.cost_ratio = _cost_ratio(net, N, 15_000, 2.6, 0.12)  # ns: a batch ~15 us with the search loop; a candidate ~1.3 us at hidden 3, ~12 us at 64
        K = _Batcher.cap(self.bytes_per_candidate)  # the largest batch: no array grows later
        self.E, self.ey = np.empty((K, C, N), F32), np.empty((K, N), F32)
        self.losses, self.right = np.empty(K, F32), np.empty(K, np.int64)

    def __call__(self, P: np.ndarray):
        K = len(P)
        if (known := self.remembered(P)) is not None:
            return known
        if K > len(self.E):
            return self._in_parts(P)
        P = np.ascontiguousarray(P, F32)
        E, ey, losses, right, r = self.E[:K], self.ey[:K], self.losses[:K], self.right[:K], self.rows
        # No warnings to silence: exp sees values <= 0 or NaN, log values >= 1e-7 or NaN.
        self.loops.softmax_inputs(P, self.XT, self.layers, self.acc, self.h, r["m"], E)
        np.exp(E, out=E)
        self.loops.softmax_outputs(E, self.y, self.lo, self.hi, r["s"], r["best"], self.idx, r["py"], ey, right)
        np.log(ey, out=ey)
        np.add.reduce(ey, axis=1, out=losses)  # np.mean's pairwise sum of each candidate's row
        return self.loops.mean_and_share(losses, self.N, right)

    def _in_parts(self, P):
        parts = [self(P[i:i + len(self.E)]) for i in range(0, len(P), len(self.E))]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
