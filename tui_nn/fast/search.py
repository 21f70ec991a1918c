"""Fast search: the book's chapter-6 loop with candidates scored many at a time.

Candidates drawn from the same point are independent until one is accepted, so a batch is
scored at once, the first acceptance taken, and the noise already drawn for the later candidates
re-applied to the new point: the same accepted steps, losses and random stream as
``SearchOptimizer.run``'s plain loop. Softmax classifiers (the book's setup) are scored by
:class:`_BookKernel`, other models by :class:`_StackedEvaluator`, both with the book's arithmetic
under ``nnfs.init()`` (float32 values, products in float64 rounded to float32), as
``Network.evaluate`` computes it. Reached only through :func:`tui_nn.fast.faster`.
"""

from __future__ import annotations

import functools
import math

import numpy as np

F32, F64 = np.float32, np.float64


def evaluator(kernel, net):
    """``() -> (loss, accuracy)`` of ``net.params`` by the kernel, or None without one."""
    if kernel is None:
        return None

    def evaluate():
        loss, acc = kernel(net.params[None, :])
        return float(loss[0]), float(acc[0])

    return evaluate


@functools.lru_cache(maxsize=None)
def _sums_in_order(n_classes: int) -> bool:
    """Does NumPy's sum over a row of ``n_classes`` float32 values add them left to right?"""
    e = np.random.RandomState(7).rand(4096, n_classes).astype(F32) + F32(0.5)
    seq = e[:, 0].copy()
    for c in range(1, n_classes):
        seq += e[:, c]
    return bool(np.array_equal(np.sum(e, axis=1), seq))


@functools.lru_cache(maxsize=None)
def _transposed_dot_matches(n: int, fan_in: int, fan_out: int) -> bool:
    """Does the stacked product ``W.T @ a.T`` give exactly the book's ``np.dot(a, W)``, transposed
    (same float64 additions in the same order), for this shape on this machine's BLAS?"""
    rng = np.random.RandomState(8)
    a = rng.randn(2, n, fan_in).astype(F32).astype(F64)
    w = rng.randn(2, fan_in, fan_out).astype(F32).astype(F64)
    mine = np.matmul(np.ascontiguousarray(w.transpose(0, 2, 1)), np.ascontiguousarray(a.transpose(0, 2, 1)))
    return all(np.array_equal(mine[k].T, np.dot(a[k], w[k])) for k in range(2))


@functools.lru_cache(maxsize=None)
def _stacked_dot_matches(n: int, fan_in: int, fan_out: int) -> bool:
    """Does a stacked ``np.matmul(a, W)`` give exactly each candidate's ``np.dot(a, W)``?"""
    rng = np.random.RandomState(9)
    a = rng.randn(2, n, fan_in)
    w = rng.randn(2, fan_in, fan_out)
    out = np.matmul(a, w)
    shared = np.matmul(a[0], w)
    return all(np.array_equal(out[k], np.dot(a[k], w[k])) and np.array_equal(shared[k], np.dot(a[0], w[k]))
               for k in range(2))


class _BookKernel:
    """The book's forward pass, loss and accuracy for K candidates in one go.

    Arrays are laid out (K, units, N): each unit of each candidate is one contiguous row over
    the N samples, so every step is one NumPy call over all candidates, and the class axis is
    never the innermost (NumPy is slow at reducing a last axis of 3). The arithmetic is the
    book's under ``nnfs.init()``, operation for operation:

    - dot products in float64 on float32 values, rounded to float32. The products are exact in
      float64, so only the order of the additions matters: a first layer with at most two inputs
      (one rounding) is one BLAS call for all candidates; other layers are one small BLAS product
      per candidate, ``W.T @ a`` when that adds in the same order as the book's ``a @ W`` here
      (checked once per shape by ``_transposed_dot_matches``), else ``a @ W`` itself, reading its
      input laid out (K, N, units): the layer before writes that layout directly (no transposed
      copy of a wide layer), the rounding to float32 turning one layout into the other;
    - biases and activations in float32; softmax's max, subtraction, exp and left-to-right sum
      (checked by ``_sums_in_order``) over class slices;
    - the loss only from the correct class's probability: clip, log and NumPy's pairwise mean
      over each candidate's contiguous row of samples (``np.mean``'s own sum and division);
      ``-mean(log p)`` equals ``mean(-log p)`` bit for bit, rounding being symmetric;
    - the accuracy without an argmax: ``exp(z - max) == 1`` for the largest output, and a class
      whose value is below 1 - 2**-21 has a strictly smaller probability, so when exactly one
      class per sample reaches that threshold, it is the book's prediction. Otherwise (near-ties,
      NaN) the batch falls back to the book's argmax over probabilities.
    """

    NEAR = F32(1 - 2.0**-21)
    ONE_NEAR = F32(1) + NEAR  # exact in float32

    @classmethod
    def build(cls, net, X, y):
        names = net.activation_names
        C = net.widths[-1]
        if (X.dtype != F32 or net.dtype != F32 or names[-1] != "softmax" or net.loss_function.name != "categorical_crossentropy"
                or y.ndim != 1 or not np.issubdtype(y.dtype, np.integer) or len(y) != len(X)
                or not 2 <= C <= 8 or any(a not in ("relu", "sigmoid", "tanh", "linear") for a in names[:-1])
                or not _sums_in_order(C) or np.exp(np.zeros(64, F32)).min() != 1
                or y.min() < 0 or y.max() >= C or not net.has_biases):
            return None
        modes = []
        n = len(X)
        for i, layer in enumerate(net.dense):
            fi, fo = layer.n_inputs, layer.n_neurons
            if i == 0 and fi <= 2:
                modes.append("gemm")
            elif _transposed_dot_matches(n, fi, fo):
                modes.append("wT@a")
            elif _stacked_dot_matches(n, fi, fo):
                modes.append("a@W")
            else:
                return None
        return cls(net, X, y, modes)

    def __init__(self, net, X, y, modes):
        self.N, self.C = len(X), net.widths[-1]
        self.X64 = X.astype(F64)
        self.XT = np.ascontiguousarray(self.X64.T)
        self.y = y
        # Which samples belong to each class: slices when the data are grouped by class (the
        # book's sets), else masks.
        if np.all(y[1:] >= y[:-1]):
            bounds = np.searchsorted(y, np.arange(self.C + 1))
            self.select = [(c, slice(int(bounds[c]), int(bounds[c + 1]))) for c in range(self.C)
                           if bounds[c + 1] > bounds[c]]
        else:
            self.select = [(c, y == c) for c in range(self.C)]
        self.count_dtype = np.uint16 if self.N < 2**16 else np.int64
        # Per layer: where its weights start, its shape, activation, how it multiplies, and the
        # layout of its activations, (K, units, N) "rows" or (K, N, units) "cols": what the next
        # layer's product reads (a@W reads cols: no transposed copy of a wide layer), rows for the
        # softmax.
        self.layers = []
        start = 0
        for i, (layer, act, mode) in enumerate(zip(net.dense, net.activation_names, modes)):
            out = "cols" if i + 1 < len(modes) and modes[i + 1] == "a@W" else "rows"
            self.layers.append((start, layer.n_inputs, layer.n_neurons, act, mode, out, f"z{i}", f"d{i}", f"a{i}"))
            start += layer.n_params
        self._store: dict[str, np.ndarray] = {}
        self._views: dict[int, dict[str, np.ndarray]] = {}
        self.memo: tuple[bytes, np.ndarray, np.ndarray] | None = None

    def remember(self, point: np.ndarray, loss: float, acc: float) -> None:
        """Keep one point's result (the search's current point, which the trainer evaluates)."""
        self.memo = (point.tobytes(), np.array([loss], F32), np.array([acc], F64))

    def __call__(self, P: np.ndarray):
        K, N = len(P), self.N
        if K == 1 and self.memo is not None and P[0].tobytes() == self.memo[0]:
            return self.memo[1].copy(), self.memo[2].copy()
        v = self._views.get(K) or self._make_views(K)
        last = len(self.layers) - 1
        src = self.XT  # the previous layer's activations, float64, in the layout this layer reads
        for li, (start, n_in, n_out, act, mode, out, zn, dn, an) in enumerate(self.layers):
            n_w = n_in * n_out
            W = P[:, start:start + n_w].reshape(K, n_in, n_out)
            b = P[:, start + n_w:start + n_w + n_out]
            z, d = v[zn], v[dn]  # z: float32 outputs in this layer's `out` layout; d: float64 products
            if mode == "gemm" and out == "rows":  # all candidates' first layers in one BLAS call
                np.dot(W.transpose(0, 2, 1).astype(F64).reshape(K * n_out, n_in), self.XT,
                       out=d.reshape(K * n_out, N))
            elif mode == "gemm":  # (K, N, n_out): each of the <= 2 products exact, one rounding
                np.matmul(self.X64, W.astype(F64), out=d)
            elif mode == "wT@a":  # (K, n_out, N)
                np.matmul(W.transpose(0, 2, 1).astype(F64), src, out=d)
            else:  # the book's orientation, a @ W, per candidate: (K, N, n_out)
                np.matmul(self.X64 if li == 0 else src, W.astype(F64), out=d)
            # Round to float32, then add the biases in float32 (as book_dot(...) + biases); the
            # rounding also turns the products' layout into the one the next layer reads.
            d_out = "cols" if mode == "a@W" or (mode == "gemm" and out == "cols") else "rows"
            np.copyto(z, d if d_out == out else d.transpose(0, 2, 1), casting="unsafe")
            z += b[:, None, :] if out == "cols" else b[:, :, None]
            if li < last:
                a = v[an]  # float64 for the next product; the activation's float32 values are exact in it
                if act == "relu":  # np.maximum(0, z); an array of zeros is faster
                    np.maximum(v["zeros"][:z.size].reshape(z.shape), z, out=z)
                elif act == "sigmoid":  # as Sigmoid.forward: 1 / (1 + exp(-z)); exp(inf) gives 0
                    with np.errstate(over="ignore"):
                        z[...] = 1 / (1 + np.exp(-z))
                elif act == "tanh":
                    np.tanh(z, out=z)
                np.copyto(a, z)
                src = a
        return self._loss_and_accuracy(z, v, K)

    def _make_views(self, K: int) -> dict[str, np.ndarray]:
        """Views of K candidates' size into scratch arrays that are reused, so no batch pays for
        fresh memory pages."""
        N, v, grown = self.N, {}, False

        def view(name, shape, dtype, fill=None):
            nonlocal grown
            size = math.prod(shape)
            flat = self._store.get(name)
            if flat is None or flat.size < size:
                flat = self._store[name] = np.empty(max(size, 2 * (0 if flat is None else flat.size)), dtype)
                if fill is not None:
                    flat.fill(fill)  # never written afterwards
                grown = True
            v[name] = flat[:size].reshape(shape)

        widest = max(layer[2] for layer in self.layers)
        view("zeros", (K * widest * N,), F32, fill=0)
        for li, (_, n_in, n_out, _, mode, out, zn, dn, an) in enumerate(self.layers):
            d_cols = mode == "a@W" or (mode == "gemm" and out == "cols")
            view(dn, (K, N, n_out) if d_cols else (K, n_out, N), F64)
            view(zn, (K, N, n_out) if out == "cols" else (K, n_out, N), F32)
            if li < len(self.layers) - 1:
                view(an, (K, N, n_out) if out == "cols" else (K, n_out, N), F64)
        view("m", (K, N), F32)
        view("s", (K, N), F32)
        view("ey", (K, N), F32)
        view("ok", (K, N), np.bool_)
        view("near", (K, self.C, N), np.bool_)
        view("losses", (K,), F32)
        if grown:  # older views point into replaced arrays
            self._views.clear()
        self._views[K] = v
        return v

    def _loss_and_accuracy(self, z, v, K):
        N, C = self.N, self.C
        m, s, ey, ok, near, losses = v["m"], v["s"], v["ey"], v["ok"], v["near"], v["losses"]
        np.maximum(z[:, 0], z[:, 1], out=m)
        for c in range(2, C):
            np.maximum(m, z[:, c], out=m)
        z -= m[:, None, :]
        e = np.exp(z, out=z)
        np.add(e[:, 0], e[:, 1], out=s)
        for c in range(2, C):
            s += e[:, c]
        for c, where in self.select:  # the correct class's exp
            if isinstance(where, slice):
                np.copyto(ey[:, where], e[:, c, where])
            else:
                np.copyto(ey, e[:, c], where=where)
        np.greater_equal(ey, self.NEAR, out=ok)
        counts = np.add.reduce(ok.view(np.uint8), axis=1, dtype=self.count_dtype)
        # The loss, mean(-log(clip(p_y))), as -mean(log(clip(p_y))).
        np.divide(ey, s, out=ey)
        np.minimum(np.maximum(ey, F32(1e-7), out=ey), F32(1 - 1e-7), out=ey)  # np.clip, without its wrappers
        np.log(ey, out=ey)
        np.add.reduce(ey, axis=1, out=losses)
        np.true_divide(losses, np.intp(-N), out=losses, casting="unsafe")  # np.mean's division, negated
        # Each sample has at least one near class (its maximum, exp(0) == 1) unless NaN is involved.
        # A second one would make its sum of exps >= 1 + NEAR (float32 additions of non-negative
        # values never decrease), so sums below that mean one near class everywhere (and no NaN);
        # else the near classes are counted, finding every sample without exactly one.
        if s.max() < self.ONE_NEAR:
            return losses.copy(), counts / N
        np.greater_equal(e, self.NEAR, out=near)
        if np.count_nonzero(near) != K * N or math.isnan(losses.sum()):
            ks, ns = np.nonzero(np.add.reduce(near.view(np.uint8), axis=1) != 1)
            right = np.argmax(e[ks, :, ns] / s[ks, ns, None], axis=1) == self.y[ns]  # the book's way
            counts = counts.astype(np.int64)
            np.add.at(counts, ks, right.astype(np.int64) - ok[ks, ns])
        acc = counts / N
        return losses.copy(), acc  # the caller keeps its own: the buffer is reused next batch


class _Batcher:
    """Chooses how many candidates to score at once: about the gap between acceptances, so few
    scored candidates are thrown away, and few enough that a batch's scratch arrays stay in a
    core's L2 cache (a batch of 16 candidates of hidden 64, 7.8 MB, cost 1.5-2x more per
    candidate than batches of 3; see benchmarks/README.md)."""

    MAX = 256
    BUDGET = 1_500_000  # bytes of scratch arrays per batch: within L2 (2 MB a core here)

    def __init__(self):
        self.size = 8

    def take(self, remaining: int, net, n_samples: int) -> int:
        per_candidate = n_samples * (24 * sum(net.widths[1:]) + 16)  # bytes of scratch arrays
        cap = max(1, self.BUDGET // max(1, per_candidate))
        return max(1, min(remaining, self.size, cap))

    def accepted_at(self, j: int | None, k: int) -> None:
        if j is None:
            self.size = min(self.size * 2, self.MAX)
        else:
            self.size = max(4, min(self.size, 2 * (j + 1)))


class _StackedEvaluator:
    """Models the kernel does not take (sigmoid or linear outputs, one-hot labels, wide softmax):
    each layer's products for K candidates in one stacked ``np.matmul`` (where it adds exactly as
    each candidate's ``np.dot``, checked per shape by ``_stacked_dot_matches``), activations by the
    network's own layer classes, and each candidate's loss and score by the network's own loss
    and ``score``."""

    @classmethod
    def build(cls, net, X):
        if X.dtype != F32 or net.dtype != F32 or not net.has_biases:
            return None
        if not all(_stacked_dot_matches(len(X), d.n_inputs, d.n_neurons) for d in net.dense):
            return None
        return cls(net, X)

    def __init__(self, net, X):
        from ..network import ACTIVATIONS

        self.net, self.X64 = net, X.astype(F64)
        self.activations = [ACTIVATIONS[name]() for name in net.activation_names]

    def __call__(self, P, y):
        from ..network import score

        net, K = self.net, len(P)
        a, start = self.X64, 0
        for layer, activation in zip(net.dense, self.activations):
            n_in, n_out = layer.n_inputs, layer.n_neurons
            n_w = n_in * n_out
            W = P[:, start:start + n_w].reshape(K, n_in, n_out).astype(F64)
            b = P[:, start + n_w:start + n_w + n_out].reshape(K, 1, n_out)
            start += n_w + n_out
            if K == 1:  # the book's own 2-D dot (a stacked matmul with a shared input may skip BLAS)
                z = np.dot(a.reshape(-1, n_in), W[0]).astype(F32)[None] + b
            else:
                z = np.matmul(a, W).astype(F32) + b  # as book_dot(a, W) + biases, per candidate
            out = activation.forward(z)
            a = out.astype(F64)
        losses = np.empty(K, F32)
        accs = np.empty(K, F64)
        for k in range(K):
            losses[k] = net.loss_function.calculate(out[k], y)
            accs[k] = score(net.task, out[k], y, net.predictions)
        return losses, accs


class BatchedSearch:
    """``SearchOptimizer.run``, scoring candidates in batches (see the module docstring)."""

    @classmethod
    def build(cls, net, X, y, kernel):
        if kernel is not None:
            return cls(net, X, y, kernel, remember=True)
        stacked = _StackedEvaluator.build(net, X)
        if stacked is None:
            return None
        return cls(net, X, y, lambda P: stacked(P, y), remember=False)

    def __init__(self, net, X, y, score, remember: bool):
        self.net, self.X, self.y, self.score, self.remember = net, X, y, score, remember
        self.batcher = _Batcher()

    def __call__(self, opt, n: int, rng):
        net, X = self.net, self.X
        opt.begin(n, rng)
        noise = opt.draw(rng, n, net.n_params)
        point = net.params.copy()
        losses = np.empty(n, F32)
        accs = np.empty(n, F64)
        accepted = np.zeros(n, bool)
        i = 0
        point_acc = None
        while i < n:
            k = self.batcher.take(n - i, net, len(X))
            cand = opt.candidates(point, noise[i:i + k])
            l, a = self.score(cand)
            j = opt.accept(l, i)
            self.batcher.accepted_at(j, k)
            used = k if j is None else j + 1
            losses[i:i + used] = l[:used]
            accs[i:i + used] = a[:used]
            if j is not None:
                accepted[i + j] = True
                point = opt.move(point, cand[j].copy(), float(l[j]))
                point_acc = float(a[j])
            i += used
        net.params[...] = point
        if point_acc is not None and self.remember:  # the trainer evaluates the current point next
            self.score.remember(point, opt.current_loss, point_acc)
        return opt.counted(losses, accs, accepted)
