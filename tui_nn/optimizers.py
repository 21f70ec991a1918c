"""Optimizers: derivative-free search and gradient descent, in one registry.

Derivative-free optimizers (``random-search``, ``hill-climb``, ``anneal``) run the book's
chapter-6 loop: draw ``scale * randn`` noise, score the candidate on the whole training set with
the book's arithmetic (``Network.evaluate``), keep it if the rule accepts it. The fast path
(:mod:`tui_nn.fast`) scores many candidates at once, with the same results.

Gradient optimizers (``sgd``, ``adagrad``, ``rmsprop``, ``adam``) are the book's chapter-10
classes, formula for formula, on the model's flat parameter vector (in place).
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from .fast import faster
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

    def begin(self, n: int, rng) -> None:
        """Called before ``n`` iterations (annealing draws its uniforms here)."""

    def draw(self, rng, n: int, n_params: int) -> np.ndarray:
        """The book's ``scale * randn(...)`` for n iterations, drawn in float32 (nnfs.init())."""
        noise = rng.randn(n, n_params).astype(F32)
        noise *= F32(self.hp["scale"])
        return noise

    def candidates(self, point: np.ndarray, noise: np.ndarray) -> np.ndarray:
        return point + noise

    def accept(self, losses: np.ndarray, first: int) -> int | None:
        """Index of the first candidate in ``losses`` (iteration offset ``first`` of this run)
        that would be accepted from the current point, or None."""
        hits = np.flatnonzero(losses < self.current_loss)
        return int(hits[0]) if hits.size else None

    def move(self, point: np.ndarray, candidate: np.ndarray, loss: float) -> np.ndarray:
        """Accept ``candidate`` (loss ``loss``) in place of ``point``; return it."""
        self.prev_point, self.current_loss = point, loss
        if loss < self.best_loss:
            self.best_loss, self.best_point = loss, candidate
        return candidate

    def counted(self, losses, accs, accepted):
        n = len(losses)
        self.steps += n
        self.tried += n
        self.accepted += int(accepted.sum())
        return losses, accs, accepted

    def run(self, net, X, y, n: int, rng):
        """The book's chapter-6 loop for ``n`` iterations: per-iteration losses (float32),
        accuracies and accepted flags. The fast path scores many candidates at once."""
        fast = faster("search", net, X, y)
        if fast is not None:
            return fast(self, n, rng)
        self.begin(n, rng)
        losses, accs, accepted = np.empty(n, F32), np.empty(n, F64), np.zeros(n, bool)
        point = net.params.copy()
        for i in range(n):
            candidate = self.candidates(point, self.draw(rng, 1, net.n_params))[0]
            net.params[...] = candidate
            losses[i], accs[i] = net.evaluate(X, y)
            if self.accept(losses[i:i + 1], i) is not None:
                accepted[i] = True
                point = self.move(point, candidate, float(losses[i]))
        net.params[...] = point
        return self.counted(losses, accs, accepted)


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

    def begin(self, n, rng):
        if self._uniforms is None:
            self._uniforms = np.random.RandomState(rng.randint(2**31 - 1))
        self._u = self._uniforms.random_sample(n)
        self._base_step = self.steps

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


def decayed_rate(lr: float, decay: float, steps: int) -> float:
    """The book's ``current_learning_rate`` after ``steps`` updates, in its order of operations:
    ``learning_rate * (1. / (1. + decay * iterations))`` (Python floats, as the book)."""
    return lr * (1.0 / (1.0 + decay * steps))


class GradientOptimizer(Optimizer):
    """``update(params, grads)`` is one step of the book's ``pre_update_params``,
    ``update_params`` (every layer at once: all of them are the one flat vector) and
    ``post_update_params``, in the book's order of operations."""

    kind = "gradient"
    primary = "lr"

    @property
    def lr(self) -> float:
        """The book's ``current_learning_rate`` for the next step (see :func:`decayed_rate`)."""
        return decayed_rate(self.hp["lr"], self.hp["decay"], self.steps)

    def stats(self) -> dict:
        return {"lr": self.lr}

    def reset_state(self) -> None:
        super().reset_state()
        self.buffers: dict[str, np.ndarray] = {}

    def buffer(self, name: str, like: np.ndarray) -> np.ndarray:
        """The optimizer's state array ``name`` (the book's ``weight_momentums``, ``weight_cache``),
        zeros at first."""
        buf = self.buffers.get(name)
        if buf is None or buf.shape != like.shape or buf.dtype != like.dtype:
            buf = self.buffers[name] = np.zeros_like(like)
        return buf

    def state_dict(self) -> dict:
        return {"steps": self.steps, **{f"buf_{k}": v.copy() for k, v in self.buffers.items()}}

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
        if self.hp["momentum"]:
            momentums = self.buffer("momentum", params)
            updates = self.hp["momentum"] * momentums - lr * grads
            momentums[...] = updates
        else:
            updates = -lr * grads
        params += updates


class Adagrad(GradientOptimizer):
    name = "adagrad"
    description = "Per-parameter learning rates from the sum of squared gradients."
    hyper = SETTINGS[name].hyper

    def _update(self, params, grads, lr):
        cache = self.buffer("cache", params)
        cache += grads**2
        params += -lr * grads / (np.sqrt(cache) + self.hp["epsilon"])


class RMSprop(GradientOptimizer):
    name = "rmsprop"
    description = "Adagrad with a moving average of squared gradients."
    hyper = SETTINGS[name].hyper

    def _update(self, params, grads, lr):
        cache, rho = self.buffer("cache", params), self.hp["rho"]
        cache[...] = rho * cache + (1 - rho) * grads**2
        params += -lr * grads / (np.sqrt(cache) + self.hp["epsilon"])


class Adam(GradientOptimizer):
    name = "adam"
    description = "Momentum plus RMSprop with bias correction."
    hyper = SETTINGS[name].hyper

    def _update(self, params, grads, lr):
        momentums, cache = self.buffer("momentum", params), self.buffer("cache", params)
        beta1, beta2, t = self.hp["beta1"], self.hp["beta2"], self.steps + 1
        momentums[...] = beta1 * momentums + (1 - beta1) * grads
        momentums_corrected = momentums / (1 - beta1**t)
        cache[...] = beta2 * cache + (1 - beta2) * grads**2
        cache_corrected = cache / (1 - beta2**t)
        params += -lr * momentums_corrected / (np.sqrt(cache_corrected) + self.hp["epsilon"])


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
