"""Optimizers: derivative-free search and gradient descent, in one registry.

Derivative-free optimizers (``random-search``, ``hill-climb``, ``anneal``) score candidates on
the full training set. They reproduce the book's chapter-6 loop exactly — same random stream,
same float32 arithmetic, same accepted steps — but score many candidates in one batched
NumPy call: candidates drawn from the same point are independent until one is accepted, so
a batch is scored at once, the first acceptance taken, and the noise already drawn for the
later candidates re-applied to the new point.

Gradient optimizers (``sgd``, ``adagrad``, ``rmsprop``, ``adam``) follow the book's chapter 10
and update the model's flat parameter vector in place.
"""

from __future__ import annotations

import functools
import math
import weakref
from typing import ClassVar

import numpy as np

from .settings import OPTIMIZERS as SETTINGS
from .settings import Setting

F32, F64 = np.float32, np.float64


class Optimizer:
    name: ClassVar[str]
    kind: ClassVar[str]  # "search" or "gradient"
    description: ClassVar[str]
    hyper: ClassVar[tuple[Setting, ...]]  # from tui_nn.settings, the one table of ranges and defaults
    primary: ClassVar[str]  # the hyperparameter that + and - adjust

    def __init__(self, **values):
        self.hp = {h.name: h.default for h in self.hyper}
        for k, v in values.items():
            self.set(k, v)
        self.reset_state()

    @classmethod
    def spec(cls, name: str) -> Setting:
        for h in cls.hyper:
            if h.name == name:
                return h
        raise ValueError(f"{cls.name} has no hyperparameter {name!r}; it has {', '.join(h.name for h in cls.hyper)}")

    def set(self, name: str, value) -> float:
        self.hp[name] = self.spec(name).validate(value)
        return self.hp[name]

    def reset_state(self) -> None:
        self.steps = 0

    # Checkpointing: plain floats and arrays only.
    def state_dict(self) -> dict:
        return {"steps": self.steps}

    def load_state_dict(self, state: dict) -> None:
        self.steps = int(state["steps"])

    def stats(self) -> dict:
        return {}

    @property
    def lr(self) -> float | None:
        return None

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v:g}" for k, v in self.hp.items())
        return f"{self.name}({args})"


# ---------------------------------------------------------------------------------------
# Batched evaluation with the book's arithmetic (nnfs.init(): float32 values, np.dot in
# float64 then rounded to float32).


def evaluate_candidates(net, P: np.ndarray, X: np.ndarray, y: np.ndarray):
    """Loss and accuracy of each row of ``P`` (K candidate parameter vectors) on (X, y).

    Returns float32 losses (K,) and float64 accuracies (K,), equal to what the book's
    per-candidate forward pass computes. Softmax classifiers (the book's setup) take the fast
    :class:`_BookKernel`; other models a plainer batched pass.
    """
    kernel = _kernel_for(net, P, X, y)
    if kernel is not None:
        return kernel(P)
    return _evaluate_plain(net, P, X, y)


def _evaluate_plain(net, P, X, y):
    K = len(P)
    a = X.astype(F64, copy=False)
    n_dense = len(net.dense)
    start = 0
    for i, layer in enumerate(net.dense):
        n_in, n_out = layer.n_inputs, layer.n_neurons
        n_w = n_in * n_out
        W = P[:, start:start + n_w].reshape(K, n_in, n_out)
        b = P[:, start + n_w:start + n_w + n_out].reshape(K, 1, n_out)
        start += n_w + n_out
        if K == 1:  # the book's own 2-D dot (a stacked matmul with a shared input skips BLAS)
            z = np.dot(a.reshape(-1, n_in), W[0].astype(F64)).astype(F32).reshape(1, -1, n_out)
        else:
            z = np.matmul(a, W.astype(F64)).astype(F32)
        z += b
        act = net.activation_names[i]
        if i < n_dense - 1:
            z = _activate(act, z)
            a = z.astype(F64)
        else:
            out = z
    return _batched_loss(net, out, y, net.activation_names[-1])


# net -> {(id(X), id(y)): kernel}. A kernel reuses its scratch arrays, so one network must not be
# evaluated from two threads at once (the trainer evaluates only in its own thread; the dashboard
# works on a copy of the network).
_KERNELS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _kernel_for(net, P, X, y):
    """The cached fast kernel for (net, X, y), or None where it does not apply."""
    if len(P) == 0 or len(X) == 0 or P.dtype != F32 or X.dtype != F32:
        return None
    per_net = _KERNELS.setdefault(net, {})
    entry = per_net.get((id(X), id(y)))
    if entry is None or entry[0] is not X or entry[1] is not y:
        if len(per_net) >= 4:  # train, validation, test: a few data sets per model
            per_net.pop(next(iter(per_net)))
        entry = per_net[id(X), id(y)] = (X, y, _BookKernel.build(net, X, y))
    return entry[2]


def _remember(net, X, y, point, loss: float, acc: float) -> None:
    kernel = _kernel_for(net, point[None], X, y)
    if kernel is not None:
        kernel.remember(point, loss, acc)


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
      (checked once per shape by ``_transposed_dot_matches``), else ``a @ W`` itself;
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

    @classmethod
    def build(cls, net, X, y):
        names = net.activation_names
        C = net.widths[-1]
        if (names[-1] != "softmax" or net.loss_function.name != "categorical_crossentropy"
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
        self.layers = []
        start = 0
        for layer, act, mode in zip(net.dense, net.activation_names, modes):
            self.layers.append((start, layer.n_inputs, layer.n_neurons, act, mode))
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
        for li, (start, n_in, n_out, act, mode) in enumerate(self.layers):
            n_w = n_in * n_out
            W = P[:, start:start + n_w].reshape(K, n_in, n_out)
            b = P[:, start + n_w:start + n_w + n_out].reshape(K, n_out, 1)
            z, d = v[f"z{li}"], v[f"d{li}"]  # float32 outputs, float64 dot products; (K, n_out, N)
            src = self.XT if li == 0 else v[f"a{li - 1}"]  # (n_in, N) or (K, n_in, N), float64
            if mode == "gemm":  # all candidates' first layers in one BLAS call
                np.dot(W.transpose(0, 2, 1).astype(F64).reshape(K * n_out, n_in), src,
                       out=d.reshape(K * n_out, N))
            elif mode == "wT@a":
                np.matmul(W.transpose(0, 2, 1).astype(F64), src, out=d)
            else:  # the book's orientation, a @ W, per candidate
                aT = src.T if li == 0 else v[f"t{li}"]
                if li:
                    np.copyto(aT, src.transpose(0, 2, 1))
                np.copyto(d, np.matmul(aT, W.astype(F64)).transpose(0, 2, 1))
            np.copyto(z, d, casting="unsafe")
            z += b
            if li < last:
                if act == "relu":
                    np.maximum(v["zeros"][:, :n_out], z, out=z)  # np.maximum(0, z); an array of zeros is faster
                elif act == "sigmoid":
                    z[...] = _activate("sigmoid", z)
                elif act == "tanh":
                    np.tanh(z, out=z)
                np.copyto(v[f"a{li}"], z)
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

        widest = max(n_out for _, _, n_out, _, _ in self.layers)
        view("zeros", (K, widest, N), F32, fill=0)
        for li, (_, n_in, n_out, _, mode) in enumerate(self.layers):
            view(f"z{li}", (K, n_out, N), F32)
            view(f"d{li}", (K, n_out, N), F64)
            if li < len(self.layers) - 1:
                view(f"a{li}", (K, n_out, N), F64)
            if mode == "a@W" and li:
                view(f"t{li}", (K, N, n_in), F64)
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
        np.greater_equal(e, self.NEAR, out=near)
        np.greater_equal(ey, self.NEAR, out=ok)
        counts = np.add.reduce(ok.view(np.uint8), axis=1, dtype=self.count_dtype)
        # The loss, mean(-log(clip(p_y))), as -mean(log(clip(p_y))).
        np.divide(ey, s, out=ey)
        ey.clip(1e-7, 1 - 1e-7, out=ey)
        np.log(ey, out=ey)
        np.add.reduce(ey, axis=1, out=losses)
        np.true_divide(losses, np.intp(-N), out=losses, casting="unsafe")  # np.mean's division, negated
        # Each sample has at least one near class (its maximum, exp(0) == 1) unless NaN is involved,
        # and NaN reaches the loss; so this finds every sample without exactly one near class.
        if np.count_nonzero(near) != K * N or math.isnan(losses.sum()):
            ks, ns = np.nonzero(np.add.reduce(near.view(np.uint8), axis=1) != 1)
            right = np.argmax(e[ks, :, ns] / s[ks, ns, None], axis=1) == self.y[ns]  # the book's way
            counts = counts.astype(np.int64)
            np.add.at(counts, ks, right.astype(np.int64) - ok[ks, ns])
        acc = counts / N
        return losses.copy(), acc  # the caller keeps its own: the buffer is reused next batch


def _activate(name: str, z: np.ndarray) -> np.ndarray:
    if name == "relu":
        return np.maximum(0, z, out=z)
    if name == "sigmoid":
        return 1 / (1 + np.exp(-z))
    if name == "tanh":
        return np.tanh(z)
    if name == "softmax":
        e = np.exp(z - np.max(z, axis=-1, keepdims=True))
        return e / np.sum(e, axis=-1, keepdims=True)
    return z


def _batched_loss(net, z: np.ndarray, y: np.ndarray, out_act: str):
    loss_name = net.loss_function.name
    p = _activate(out_act, z)  # (K, N, C)
    n = p.shape[1]
    if loss_name == "categorical_crossentropy":
        clipped = np.clip(p, 1e-7, 1 - 1e-7)
        if y.ndim == 1:
            # Fancy indexing yields a strided array; the book's mean is NumPy's pairwise sum
            # over a contiguous row, so make the rows contiguous to get the same float32 sums.
            correct = np.ascontiguousarray(clipped[:, np.arange(n), y])
        else:
            correct = np.sum(clipped * y, axis=-1)
        losses = np.mean(-np.log(correct), axis=1)
    else:
        losses = np.mean(net.loss_function.forward(p, y), axis=1)
    if net.task == "regression":
        yc = y.reshape(n, -1).astype(F32)
        ss_tot = float(np.sum((yc - yc.mean(axis=0)) ** 2))
        ss_res = np.sum((yc - p) ** 2, axis=(1, 2))
        acc = 1.0 - ss_res / ss_tot if ss_tot > 0 else np.zeros(len(p))
    else:
        pred = net.predictions(p)
        acc = np.mean(pred == y.reshape(-1), axis=1)
    return losses.astype(F32, copy=False), acc.astype(F64, copy=False)


class _Batcher:
    """Chooses how many candidates to score at once: about the gap between acceptances, so few
    scored candidates are thrown away, and few enough that a batch's scratch arrays stay in
    cache (past ~8 MB a batch gets several times slower per candidate)."""

    MAX = 256

    def __init__(self):
        self.size = 8

    def take(self, remaining: int, net, n_samples: int) -> int:
        per_candidate = n_samples * (24 * sum(net.widths[1:]) + 16)  # bytes of scratch arrays
        cap = max(1, 8_000_000 // max(1, per_candidate))
        return max(1, min(remaining, self.size, cap))

    def accepted_at(self, j: int | None, k: int) -> None:
        if j is None:
            self.size = min(self.size * 2, self.MAX)
        else:
            self.size = max(4, min(self.size, 2 * (j + 1)))


class SearchOptimizer(Optimizer):
    """Derivative-free: ``run(net, X, y, n, rng)`` runs exactly ``n`` iterations.

    ``net.params`` always holds the current point. ``current_loss`` is the loss a candidate must
    beat (``inf`` on a fresh start, as the book's ``lowest_loss = 9999999``).
    """

    kind = "search"
    primary = "scale"

    def reset_state(self) -> None:
        super().reset_state()
        self.current_loss = math.inf
        self.best_loss = math.inf  # lowest loss accepted, and where it was
        self.best_point: np.ndarray | None = None
        self.prev_point: np.ndarray | None = None  # the point before the last accepted step
        self.tried = 0
        self.accepted = 0
        self._batcher = _Batcher()

    def state_dict(self) -> dict:
        state = {"steps": self.steps, "current_loss": self.current_loss, "best_loss": self.best_loss,
                 "tried": self.tried, "accepted": self.accepted}
        if self.best_point is not None:
            state["best_point"] = self.best_point.copy()
        return state

    def load_state_dict(self, state: dict) -> None:
        self.steps = int(state["steps"])
        self.current_loss = float(state["current_loss"])
        self.best_loss = float(state["best_loss"])
        self.best_point = np.array(state["best_point"]) if "best_point" in state else None
        self.tried, self.accepted = int(state["tried"]), int(state["accepted"])

    def stats(self) -> dict:
        rate = self.accepted / self.tried if self.tried else 0.0
        return {"acceptance_rate": rate, "accepted": self.accepted, "tried": self.tried}

    def draw(self, rng, n: int, n_params: int) -> np.ndarray:
        """The book's ``scale * randn(...)`` for n iterations, drawn in float32 (nnfs.init())."""
        noise = rng.randn(n, n_params).astype(F32)
        noise *= F32(self.hp["scale"])
        return noise

    def candidates(self, point: np.ndarray, noise: np.ndarray) -> np.ndarray:
        return point + noise

    def accept(self, losses: np.ndarray, first: int) -> int | None:
        """Index of the first accepted candidate in ``losses`` (iteration offset ``first``)."""
        hits = np.flatnonzero(losses < self.current_loss)
        return int(hits[0]) if hits.size else None

    def run(self, net, X, y, n: int, rng):
        P = net.n_params
        noise = self.draw(rng, n, P)
        point = net.params.copy()
        losses = np.empty(n, F32)
        accs = np.empty(n, F64)
        accepted = np.zeros(n, bool)
        i = 0
        point_acc = None
        while i < n:
            k = self._batcher.take(n - i, net, len(X))
            cand = self.candidates(point, noise[i:i + k])
            l, a = evaluate_candidates(net, cand, X, y)
            j = self.accept(l, i)
            self._batcher.accepted_at(j, k)
            used = k if j is None else j + 1
            losses[i:i + used] = l[:used]
            accs[i:i + used] = a[:used]
            if j is not None:
                accepted[i + j] = True
                self.prev_point = point
                point = cand[j].copy()
                self.current_loss, point_acc = float(l[j]), float(a[j])
                if self.current_loss < self.best_loss:
                    self.best_loss = self.current_loss
                    self.best_point = point
            i += used
        net.params[...] = point
        if point_acc is not None:  # the trainer evaluates the current point next: no need to recompute
            _remember(net, X, y, point, self.current_loss, point_acc)
        self.steps += n
        self.tried += n
        self.accepted += int(accepted.sum())
        return losses, accs, accepted


class RandomSearch(SearchOptimizer):
    name = "random-search"
    description = "Every candidate draws all parameters fresh as scale * randn; keep the best."
    hyper = SETTINGS[name].hyper

    def candidates(self, point, noise):
        return noise.copy()


class HillClimb(SearchOptimizer):
    name = "hill-climb"
    description = "Candidate = best + scale * randn on every parameter; keep it if its loss is lower."
    hyper = SETTINGS[name].hyper


class Anneal(SearchOptimizer):
    name = "anneal"
    description = ("Simulated annealing: like hill-climb, but a worse candidate is accepted with "
                   "probability exp(-delta / T); T = temperature * cooling^t, never below min_temperature.")
    hyper = SETTINGS[name].hyper

    def reset_state(self) -> None:
        super().reset_state()
        self._uniforms = None  # a generator of its own, seeded from the main stream on first use

    def temperature_at(self, step: int) -> float:
        t = self.hp["temperature"] * self.hp["cooling"] ** step
        return max(t, self.hp["min_temperature"])

    @property
    def temperature(self) -> float:
        return self.temperature_at(self.steps)

    def stats(self) -> dict:
        return {**super().stats(), "temperature": self.temperature}

    def state_dict(self) -> dict:
        state = super().state_dict()
        if self._uniforms is not None:
            state["uniform_rng"] = _rng_state_to_array(self._uniforms)
        return state

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        if "uniform_rng" in state:
            self._uniforms = _rng_from_array(state["uniform_rng"])

    def run(self, net, X, y, n, rng):
        if self._uniforms is None:
            self._uniforms = np.random.RandomState(rng.randint(2**31 - 1))
        self._u = self._uniforms.random_sample(n)
        self._base_step = self.steps
        return super().run(net, X, y, n, rng)

    def accept(self, losses, first):
        k = len(losses)
        steps = self._base_step + first + np.arange(k)
        temps = np.maximum(self.hp["temperature"] * self.hp["cooling"] ** steps, self.hp["min_temperature"])
        delta = losses.astype(F64) - self.current_loss
        with np.errstate(over="ignore", invalid="ignore"):
            ok = (delta < 0) | (self._u[first:first + k] < np.exp(-delta / temps))
        ok &= np.isfinite(losses)
        hits = np.flatnonzero(ok)
        return int(hits[0]) if hits.size else None


# ---------------------------------------------------------------------------------------
# Gradient descent (the book's chapter 10), on the flat parameter vector, in place.


class GradientOptimizer(Optimizer):
    kind = "gradient"
    primary = "lr"

    @property
    def lr(self) -> float:
        return self.hp["lr"] / (1.0 + self.hp["decay"] * self.steps)

    def stats(self) -> dict:
        return {"lr": self.lr}

    def reset_state(self) -> None:
        super().reset_state()
        self.buffers: dict[str, np.ndarray] = {}

    def buffer(self, name: str, like: np.ndarray) -> np.ndarray:
        buf = self.buffers.get(name)
        if buf is None or buf.shape != like.shape or buf.dtype != like.dtype:
            buf = self.buffers[name] = np.zeros_like(like)
        return buf

    def state_dict(self) -> dict:
        return {"steps": self.steps, **{f"buf_{k}": v.copy() for k, v in self.buffers.items() if k != "tmp"}}

    def load_state_dict(self, state: dict) -> None:
        self.steps = int(state["steps"])
        self.buffers = {k[4:]: np.array(v) for k, v in state.items() if k.startswith("buf_")}

    def update(self, params: np.ndarray, grads: np.ndarray) -> None:
        self._update(params, grads, self.lr)
        self.steps += 1


class SGD(GradientOptimizer):
    name = "sgd"
    description = "Stochastic gradient descent with optional momentum."
    hyper = SETTINGS[name].hyper

    def _update(self, params, grads, lr):
        tmp = self.buffer("tmp", params)
        np.multiply(grads, -lr, out=tmp)
        if self.hp["momentum"]:
            m = self.buffer("momentum", params)
            m *= self.hp["momentum"]
            m += tmp
            params += m
        else:
            params += tmp


class Adagrad(GradientOptimizer):
    name = "adagrad"
    description = "Per-parameter learning rates from the sum of squared gradients."
    hyper = SETTINGS[name].hyper

    def _update(self, params, grads, lr):
        cache, tmp = self.buffer("cache", params), self.buffer("tmp", params)
        np.square(grads, out=tmp)
        cache += tmp
        np.sqrt(cache, out=tmp)
        tmp += self.hp["epsilon"]
        np.divide(grads, tmp, out=tmp)
        tmp *= -lr
        params += tmp


class RMSprop(GradientOptimizer):
    name = "rmsprop"
    description = "Adagrad with a moving average of squared gradients."
    hyper = SETTINGS[name].hyper

    def _update(self, params, grads, lr):
        cache, tmp = self.buffer("cache", params), self.buffer("tmp", params)
        rho = self.hp["rho"]
        cache *= rho
        np.square(grads, out=tmp)
        tmp *= 1 - rho
        cache += tmp
        np.sqrt(cache, out=tmp)
        tmp += self.hp["epsilon"]
        np.divide(grads, tmp, out=tmp)
        tmp *= -lr
        params += tmp


class Adam(GradientOptimizer):
    name = "adam"
    description = "Momentum plus RMSprop with bias correction."
    hyper = SETTINGS[name].hyper

    def _update(self, params, grads, lr):
        m, c = self.buffer("momentum", params), self.buffer("cache", params)
        tmp = self.buffer("tmp", params)
        b1, b2, t = self.hp["beta1"], self.hp["beta2"], self.steps + 1
        m *= b1
        np.multiply(grads, 1 - b1, out=tmp)
        m += tmp
        c *= b2
        np.square(grads, out=tmp)
        tmp *= 1 - b2
        c += tmp
        # lr * m_hat / (sqrt(c_hat) + eps) with m_hat = m / (1 - b1**t), c_hat = c / (1 - b2**t),
        # rewritten as lr_t * m / (sqrt(c) + eps_t): the same value in two fewer passes.
        root = math.sqrt(1 - b2**t)
        np.sqrt(c, out=tmp)
        tmp += self.hp["epsilon"] * root
        np.divide(m, tmp, out=tmp)
        tmp *= -lr * root / (1 - b1**t)
        params += tmp


OPTIMIZERS: dict[str, type[Optimizer]] = {
    cls.name: cls for cls in (RandomSearch, HillClimb, Anneal, SGD, Adagrad, RMSprop, Adam)
}


def make_optimizer(name: str, **hyperparams) -> Optimizer:
    try:
        cls = OPTIMIZERS[name]
    except KeyError:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}") from None
    for k in hyperparams:
        cls.spec(k)  # an unknown name is refused, never silently dropped
    return cls(**hyperparams)


def _rng_state_to_array(rng: np.random.RandomState) -> np.ndarray:
    """A legacy RandomState's full state as one float64-free uint64 array (for npz)."""
    name, keys, pos, has_gauss, gauss = rng.get_state()
    return np.concatenate([keys.astype(np.uint64), np.array([pos, has_gauss], np.uint64),
                           np.array([gauss], np.float64).view(np.uint64)])


def _rng_from_array(arr: np.ndarray) -> np.random.RandomState:
    rng = np.random.RandomState()
    set_rng_state(rng, arr)
    return rng


def set_rng_state(rng: np.random.RandomState, arr: np.ndarray) -> None:
    arr = np.asarray(arr, np.uint64)
    keys = arr[:624].astype(np.uint32)
    pos, has_gauss = int(arr[624]), int(arr[625])
    gauss = float(arr[626:627].view(np.float64)[0])
    rng.set_state(("MT19937", keys, pos, has_gauss, gauss))


rng_state_to_array = _rng_state_to_array
