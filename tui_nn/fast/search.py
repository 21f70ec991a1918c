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
    """Does NumPy's sum over a row of ``n_classes`` float32 values (the book's) add them left to
    right, and so does its sum over the class axis of (K, classes, N) arrays (the kernel's)?"""
    e = np.random.RandomState(7).rand(4096, n_classes).astype(F32) + F32(0.5)
    seq = e[:, 0].copy()
    for c in range(1, n_classes):
        seq += e[:, c]
    stacked = np.ascontiguousarray(e.reshape(4, 1024, n_classes).transpose(0, 2, 1))
    return bool(np.array_equal(np.sum(e, axis=1), seq)
                and np.array_equal(np.add.reduce(stacked, axis=1).ravel(), seq))


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


@functools.lru_cache(maxsize=None)
def _strided_dot_matches(n: int, fan_in: int, fan_out: int) -> bool:
    """Does ``np.matmul`` of each candidate's activations read from one (N, K, units) array (the
    first layer's single product for all candidates) give exactly each candidate's ``np.dot(a, W)``?"""
    rng = np.random.RandomState(10)
    for k in (2, 5):
        a = rng.randn(n, k, fan_in).astype(F32).astype(F64)
        w = rng.randn(k, fan_in, fan_out).astype(F32).astype(F64)
        out = np.matmul(a.transpose(1, 0, 2), w)
        if not all(np.array_equal(out[j], np.dot(np.ascontiguousarray(a[:, j]), w[j])) for j in range(k)):
            return False
    return True


class _Remembers:
    """A kernel's memory of one point's result: the search's current point, which the trainer
    evaluates after each of its segments (scored once, by the search)."""

    memo: tuple[bytes, np.ndarray, np.ndarray] | None = None

    def remember(self, point: np.ndarray, loss: float, acc: float) -> None:
        self.memo = (point.tobytes(), np.array([loss], F32), np.array([acc], F64))

    def remembered(self, P: np.ndarray):
        """(losses, accuracies) of a batch that is the remembered point alone, else None."""
        if len(P) == 1 and self.memo is not None and P[0].tobytes() == self.memo[0]:
            return self.memo[1].copy(), self.memo[2].copy()
        return None


class _BookKernel(_Remembers):
    """The book's forward pass, loss and accuracy for K candidates in one go.

    Every step is one NumPy call over all candidates, with a layer's values in one of three
    layouts: "rows" (K, units, N), each unit of each candidate a contiguous row over the N
    samples (what the softmax reads: the class axis is never the innermost, NumPy being slow at
    reducing a last axis of 3); "cols" (K, N, units), each candidate's matrix as the book's
    ``a @ W`` reads it; "ncols" (N, K, units), the first layer's one product for all candidates
    side by side. The arithmetic is the book's under ``nnfs.init()``, operation for operation:

    - dot products in float64 on float32 values, rounded to float32. The products are exact in
      float64, so only the order of the additions matters. A first layer with at most two inputs
      (one rounding) is one BLAS call for all candidates: ``W.T @ X.T`` when the next layer reads
      rows, ``X @ [W_1 ... W_K]`` when it reads columns (each candidate's columns then read in
      place, checked once per shape by ``_strided_dot_matches``). Other layers are one small BLAS
      product per candidate, ``W.T @ a`` when that adds in the same order as the book's ``a @ W``
      here (``_transposed_dot_matches``), else ``a @ W`` itself (``_stacked_dot_matches``); the
      rounding to float32 turns one layout into the next layer's;
    - biases and activations in float32; softmax's max, subtraction, exp and left-to-right sum
      over the class axis (the sum's order checked by ``_sums_in_order``);
    - the loss only from the correct class's probability: clip, log and NumPy's pairwise mean
      over each candidate's contiguous row of samples (``np.mean``'s own sum and division);
      ``-mean(log p)`` equals ``mean(-log p)`` bit for bit, rounding being symmetric;
    - the accuracy without an argmax: ``exp(z - max) == 1`` for the largest output, and a class
      whose value is below 1 - 2**-21 has a strictly smaller probability, so when exactly one
      class per sample reaches that threshold, it is the book's prediction. Otherwise (near-ties,
      NaN) the batch falls back to the book's argmax over probabilities.

    Scratch arrays are few and reused: a layer's products and then its float64 activations share
    one of two float64 arrays that take turns, every layer's float32 values one array, so a batch
    stays in a core's L2 cache (``bytes_per_candidate`` tells the batcher how many fit).
    """

    NEAR = F32(1 - 2.0**-21)
    ONE_NEAR = F32(1) + NEAR  # exact in float32
    # Each layout's shape, and the transposition that reads it as (candidate, unit, sample).
    SHAPES = {"rows": lambda K, u, N: (K, u, N), "cols": lambda K, u, N: (K, N, u),
              "ncols": lambda K, u, N: (N, K, u)}
    LOGICAL = {"rows": (0, 1, 2), "cols": (0, 2, 1), "ncols": (1, 2, 0)}

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
        self.N, self.C = N, C = len(X), net.widths[-1]
        self.X64 = X.astype(F64)
        self.XT = np.ascontiguousarray(self.X64.T)
        self.y = y
        # Which samples belong to each class: slices when the data are grouped by class (the
        # book's sets), else masks.
        if np.all(y[1:] >= y[:-1]):
            bounds = np.searchsorted(y, np.arange(C + 1))
            self.select = [(c, slice(int(bounds[c]), int(bounds[c + 1]))) for c in range(C)
                           if bounds[c + 1] > bounds[c]]
        else:
            self.select = [(c, y == c) for c in range(C)]
        self.count_dtype = np.uint16 if N < 2**16 else np.int64
        # Per layer: where its weights start, its shape, activation, how it multiplies, the layout
        # of its products and the layout of its outputs (what the next layer reads; rows for the
        # softmax).
        self.layers = []
        start = 0
        for i, (layer, act, mode) in enumerate(zip(net.dense, net.activation_names, modes)):
            after = modes[i + 1] if i + 1 < len(modes) else None
            if mode == "gemm" and after == "a@W":
                nxt = net.dense[i + 1]
                made = "ncols" if _strided_dot_matches(N, nxt.n_inputs, nxt.n_neurons) else "cols"
            else:
                made = "cols" if mode == "a@W" else "rows"
            out = ("ncols" if made == "ncols" else "cols") if after == "a@W" else "rows"
            self.layers.append((start, layer.n_inputs, layer.n_neurons, act, mode, made, out))
            start += layer.n_params
        self._store: dict[str, np.ndarray] = {}
        self._views: dict[int, dict] = {}
        self.bytes_per_candidate = self._make_views(1)["bytes"]
        self.cost_ratio = _cost_ratio(net, N, 40_000, 15, 0.6)  # ns: ~40 us a call, 5-60 us a candidate
        self._make_views(_Batcher.cap(self.bytes_per_candidate))  # the largest batch: no array grows later

    def __call__(self, P: np.ndarray):
        K = len(P)
        if (known := self.remembered(P)) is not None:
            return known
        v = self._views.get(K) or self._make_views(K)
        src = None  # the previous layer's activations, float64, in the layout this layer reads
        for (start, n_in, n_out, act, mode, made, out), (w, w_in, d, round_to, round_from, z, zeros, a) in zip(
                self.layers, v["layers"]):
            n_w = n_in * n_out
            np.copyto(w_in, P[:, start:start + n_w].reshape(K, n_in, n_out))  # to float64, laid out for BLAS
            if mode == "gemm" and made == "rows":  # (K·units, N) = W.T @ X.T: all first layers, one BLAS call
                np.dot(w, self.XT, out=d)
            elif mode == "gemm" and made == "ncols":  # (N, K·units) = X @ [W_1 ... W_K], one BLAS call
                np.dot(self.X64, w, out=d)
            elif mode == "gemm":  # (K, N, units): each of the <= 2 products exact, one rounding
                np.matmul(self.X64, w, out=d)
            elif mode == "wT@a":  # (K, units, N)
                np.matmul(w, self.XT if src is None else src, out=d)
            else:  # the book's orientation, a @ W, per candidate: (K, N, units)
                np.matmul(self.X64 if src is None else src, w, out=d)
            # Round to float32, then add the biases in float32 (as book_dot(...) + biases); the
            # rounding also turns the products' layout into the one the next layer reads.
            np.copyto(round_to, round_from, casting="unsafe")
            b = P[:, start + n_w:start + n_w + n_out]
            z += b[:, :, None] if out == "rows" else b[:, None, :] if out == "cols" else b
            if a is None:  # the output layer: softmax, loss and accuracy below
                break
            if act == "relu":  # np.maximum(0, z); an array of zeros is faster
                np.maximum(zeros, z, out=z)
            elif act == "sigmoid":  # as Sigmoid.forward: 1 / (1 + exp(-z)); exp(inf) gives 0
                with np.errstate(over="ignore"):
                    z[...] = 1 / (1 + np.exp(-z))
            elif act == "tanh":
                np.tanh(z, out=z)
            np.copyto(a, z)  # float64 for the next product; the float32 values are exact in it
            src = a.transpose(1, 0, 2) if out == "ncols" else a
        return self._loss_and_accuracy(z, v, K)

    def _make_views(self, K: int) -> dict:
        """Views of K candidates' size into scratch arrays that are reused, so no batch pays for
        fresh memory pages: per layer (weights in float64, the weights' float32 view to fill them
        from, products, the rounding's destination and source, float32 values, zeros for ReLU,
        float64 activations), and the softmax's arrays."""
        N, C, last = self.N, self.C, len(self.layers) - 1
        need: dict[str, tuple[int, type]] = {}  # each scratch array as large as its largest use

        def needs(name, size, dtype):
            need[name] = (max(size, need.get(name, (0,))[0]), dtype)

        for i, (_, n_in, n_out, act, *_) in enumerate(self.layers):
            needs(f"w{i}", K * n_in * n_out, F64)
            needs(f"f{i % 2}", K * N * n_out, F64)  # products, then activations
            needs("z", K * N * n_out, F32)
            if act == "relu" and i < last:
                needs("zeros", K * N * n_out, F32)
        for name in ("m", "s", "ey"):
            needs(name, K * N, F32)
        needs("ok", K * N, np.bool_)
        needs("near", K * C * N, np.bool_)
        needs("losses", K, F32)
        grown = False
        for name, (size, dtype) in need.items():
            flat = self._store.get(name)
            if flat is None or flat.size < size:
                flat = self._store[name] = np.empty(max(size, 2 * (0 if flat is None else flat.size)), dtype)
                if name == "zeros":
                    flat.fill(0)  # never written afterwards
                grown = True

        def take(name, shape):
            return self._store[name][:math.prod(shape)].reshape(shape)

        layers = []
        for i, (_, n_in, n_out, act, mode, made, out) in enumerate(self.layers):
            d = take(f"f{i % 2}", self.SHAPES[made](K, n_out, N))
            z = take("z", self.SHAPES[out](K, n_out, N))
            round_to, round_from = z.transpose(self.LOGICAL[out]), d.transpose(self.LOGICAL[made])
            if mode == "gemm" and made == "rows":
                w = take(f"w{i}", (K * n_out, n_in))
                w_in = w.reshape(K, n_out, n_in).transpose(0, 2, 1)
                d = d.reshape(K * n_out, N)
            elif mode == "gemm" and made == "ncols":
                w = take(f"w{i}", (n_in, K * n_out))
                w_in = w.reshape(n_in, K, n_out).transpose(1, 0, 2)
                d = d.reshape(N, K * n_out)
            elif mode == "wT@a":
                w = take(f"w{i}", (K, n_out, n_in))
                w_in = w.transpose(0, 2, 1)
            else:
                w = w_in = take(f"w{i}", (K, n_in, n_out))
            hidden = i < last
            zeros = take("zeros", z.shape) if hidden and act == "relu" else None
            a = take(f"f{i % 2}", z.shape) if hidden else None  # over the products, used by then
            layers.append((w, w_in, d, round_to, round_from, z, zeros, a))
        v = {"layers": layers, "m": take("m", (K, N)), "s": take("s", (K, N)), "ey": take("ey", (K, N)),
             "ok": take("ok", (K, N)), "near": take("near", (K, C, N)), "losses": take("losses", (K,)),
             "bytes": sum(size * np.dtype(dtype).itemsize for size, dtype in need.values())}
        if grown:  # older views point into replaced arrays
            self._views.clear()
        self._views[K] = v
        return v

    def _loss_and_accuracy(self, z, v, K):
        N, C = self.N, self.C
        m, s, ey, ok, near, losses = v["m"], v["s"], v["ey"], v["ok"], v["near"], v["losses"]
        np.maximum.reduce(z, axis=1, out=m)  # exact in any order (a zero's sign changes no exp)
        z -= m[:, None, :]
        e = np.exp(z, out=z)
        np.add.reduce(e, axis=1, out=s)  # left to right (_sums_in_order)
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
    """Chooses how many candidates to score at once. A batch costs the kernel's fixed cost per
    call plus a cost per candidate, and the candidates scored after the first accepted one are
    thrown away: with acceptances at a rate p, the cost per candidate used is least near
    K = sqrt(2 x (fixed cost / cost per candidate) / p). The rate is estimated from the recent
    candidates (each one's weight decaying by ``DECAY`` per candidate since). Replayed offline on
    the acceptances of 10,000-iteration runs, this scored 1.05-1.14 candidates an iteration where
    the previous rule (double without an acceptance, shrink to twice the gap) scored 1.26-1.41
    (benchmarks/README.md). A batch also stays within ``BUDGET`` bytes of scratch arrays, a core's
    L2 cache (a batch of 16 candidates of hidden 64, 7.8 MB, cost 1.5-2x more per candidate
    than batches of 3)."""

    MAX = 256
    BUDGET = 1_500_000  # bytes of scratch arrays per batch: within L2 (2 MB a core here)
    DECAY = 0.995

    def __init__(self, cost_ratio: float):
        self.cost_ratio = cost_ratio  # the kernel's cost per call / its cost per candidate
        self.hits, self.tries = 1.0, 10.0  # a first guess: one acceptance in ten

    @classmethod
    def cap(cls, per_candidate: int) -> int:
        """The most candidates whose scratch arrays (``per_candidate`` bytes each) fit the budget."""
        return max(1, cls.BUDGET // max(1, per_candidate))

    def take(self, remaining: int, per_candidate: int) -> int:
        """The next batch's size; ``per_candidate``: bytes of scratch arrays a candidate takes."""
        rate = max(self.hits / self.tries, 1e-6)
        best = round(math.sqrt(2 * self.cost_ratio / rate))
        return max(1, min(remaining, best, self.MAX, self.cap(per_candidate)))

    def accepted_at(self, j: int | None, k: int) -> None:
        """The batch of ``k`` had its first acceptance at ``j`` (None: none)."""
        used = k if j is None else j + 1
        fade = self.DECAY ** used
        self.hits = self.hits * fade + (j is not None)
        self.tries = self.tries * fade + used


def _cost_ratio(net, n: int, call: float, per_sample: float, per_product: float) -> float:
    """A kernel's cost per call over its cost per candidate of ``net`` on ``n`` samples, each
    candidate costing ``per_sample`` plus ``per_product`` per product of a weight and an input
    (all in the same unit; measured on this kind of machine, see benchmarks/README.md)."""
    products = sum(d.n_inputs * d.n_neurons for d in net.dense)
    return call / (n * (per_sample + per_product * products))


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
            return cls(net, X, y, kernel, kernel.bytes_per_candidate, kernel.cost_ratio, remember=True)
        stacked = _StackedEvaluator.build(net, X)
        if stacked is None:
            return None
        per_candidate = len(X) * (24 * sum(net.widths[1:]) + 16)  # its float32 and float64 arrays
        return cls(net, X, y, lambda P: stacked(P, y), per_candidate, _cost_ratio(net, len(X), 40_000, 15, 0.6),
                   remember=False)

    def __init__(self, net, X, y, score, per_candidate: int, cost_ratio: float, remember: bool):
        self.net, self.X, self.y, self.score, self.remember = net, X, y, score, remember
        self.per_candidate = per_candidate
        self.batcher = _Batcher(cost_ratio)

    def __call__(self, opt, n: int, rng):
        net = self.net
        opt.begin(n, rng)
        noise = opt.draw(rng, n, net.n_params)
        point = net.params.copy()
        losses = np.empty(n, F32)
        accs = np.empty(n, F64)
        accepted = np.zeros(n, bool)
        i = 0
        point_acc = None
        while i < n:
            k = self.batcher.take(n - i, self.per_candidate)
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
