"""Fast paths: the same numbers as the plain path, faster.

The plain code is the definition of every number tui-nn reports: ``Network.evaluate`` (the
book's forward pass and loss), ``SearchOptimizer.run`` (the book's chapter-6 loop, one candidate
at a time) and the trainer's gradient step (``Network.forward``/``backward``). Where one of
them is slow for the common models, this package has an implementation that computes exactly
the same bits, and :func:`faster` is the only way in: the plain code asks it, and runs itself
when the answer is ``None``.

==========  ==============================================  =====================================
job         plain code it replaces                          fast implementation
==========  ==============================================  =====================================
evaluate    ``Network.evaluate(X, y)``                      ``search._BookKernel`` for one point;
                                                            sigmoid and linear outputs:
                                                            ``point.BookPoint`` (arrays reused),
                                                            other models the plain code; either
                                                            with its last answer kept
                                                            (``Remembered``)
search      ``SearchOptimizer.run(net, X, y, n, rng)``      ``search.BatchedSearch``: candidates
                                                            scored many at a time
step        ``Network.forward``/``backward`` of one batch   ``step.LeanStep``: scratch arrays,
            and the optimizer's update                      loss read off the forward pass,
                                                            Adam in place
==========  ==============================================  =====================================

Where several float32 NumPy passes can be fused into one loop with the same roundings, the
fast implementations use compiled loops (:mod:`tui_nn.fast.compiled`, numba, imported only when
one is built; :func:`loops`), else their NumPy calls: the same bits either way.

A fast implementation applies only where it is proven equal (never to a step with L1/L2
regularisation): its own conditions (model shape,
activations, dtypes) and, where the order of a BLAS sum matters, a probe of this machine's
BLAS. ``tests/test_fast.py`` checks every job bit for bit against the plain code.

``TUI_NN_PLAIN=1`` in the environment makes :func:`faster` always answer ``None``, so
everything runs on the plain path (CI runs the whole suite both ways).
"""

from __future__ import annotations

import functools
import os
import threading
import weakref

JOBS = ("evaluate", "search", "step")


def plain_only() -> bool:
    """Whether ``TUI_NN_PLAIN=1`` asks for the plain path everywhere (read at every call)."""
    return os.environ.get("TUI_NN_PLAIN", "") == "1"


@functools.lru_cache(maxsize=None)
def loops():
    """The compiled loops (module ``tui_nn.fast.compiled``, numba), or ``None`` where numba cannot
    be imported here: the fast paths then use NumPy calls alone. Imported on first use only."""
    try:
        from . import compiled  # ~0.4 s (numba)
    except Exception:  # numba missing or broken (an ImportError, or its own checks of NumPy's version)
        return None
    return compiled


_background: "threading.Thread | None" = None


def load_in_background() -> None:
    """Import and load the compiled loops on a thread of their own, and let evaluations use the
    NumPy kernels (the same bits) until they are ready: for the dashboard's trainer process,
    whose first evaluation is on the first frame and should not wait ~0.2-0.5 s for numba. A
    search or a gradient step still waits for them (it needs them for its speed)."""
    global _background
    if _background is None and not plain_only():
        _background = threading.Thread(target=warm_up, name="tui-nn-compile", daemon=True)
        _background.start()


def _loops_for_evaluation():
    """The compiled loops for an evaluation: at once, unless they are loading in the background
    and not ready yet (then ``None``: the NumPy kernels)."""
    if _background is not None and _background.is_alive():
        return None
    return loops()


def warm_up() -> None:
    """Import numba and load (or compile) every compiled loop now rather than at the first
    evaluation or step (~0.5 s once per process with a cache, seconds without): for a process
    that times its work, such as a race's worker."""
    if not plain_only() and loops() is not None:
        loops().warm_up()


def faster(job: str, net, X, y):
    """A fast implementation of ``job`` for ``net`` on (X, y), or ``None``: run the plain code.

    - ``"evaluate"``: a function ``() -> (loss, accuracy)`` of ``net.params``, as ``net.evaluate(X, y)``;
    - ``"search"``: a function ``(optimizer, n, rng) -> (losses, accuracies, accepted)``, as
      ``optimizer.run(net, X, y, n, rng)``;
    - ``"step"``: an object with ``forward(Xb, yb) -> (loss, accuracy)``, ``backward()`` and
      ``update(optimizer)``, as the trainer's ``net.forward(Xb, training=True)``, loss, score,
      ``net.backward(yb)`` and ``optimizer.update(net.params, net.grads)`` (``y`` is the whole
      training target, to check its shape once).
    """
    if job not in JOBS:
        raise ValueError(f"unknown job {job!r}; one of {', '.join(JOBS)}")
    if plain_only() or len(X) == 0:
        return None
    if job == "step":
        if net.regularized:  # the book's L1/L2 gradients: the plain path only (Dense.backward)
            return None
        from .step import LeanStep

        return _cached(net, ("step", id(y)), None, y, lambda: LeanStep.build(net, y, loops()))
    from . import search

    if job == "evaluate":
        kernel = _kernel(net, X, y, _loops_for_evaluation())
        if kernel is None:
            return _cached(net, ("remembered", id(X), id(y)), X, y, lambda: Remembered(net, X, y))
        return search.evaluator(kernel, net)
    return _cached(net, ("search", id(X), id(y)), X, y,
                   lambda: search.BatchedSearch.build(net, X, y, _kernel(net, X, y, loops())))


def _kernel(net, X, y, compiled):
    """The kernel scoring points of ``net`` on (X, y): the compiled one where ``compiled`` (the
    loops, or None) takes the model, else NumPy's; one of each kept (the search's remembers its
    current point for the evaluation that follows it)."""
    from .fused import FusedKernel
    from .search import _BookKernel

    return _cached(net, ("kernel", id(X), id(y), compiled is not None), X, y,
                   lambda: FusedKernel.build(net, X, y, compiled) or _BookKernel.build(net, X, y))


# net -> {key: (X, y, implementation or None)}. Implementations reuse scratch arrays, so one network
# must not be trained from two threads at once (the trainer runs in its own thread; the dashboard
# works on a copy of the network).
_CACHE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _cached(net, key, X, y, build):
    per_net = _CACHE.setdefault(net, {})
    entry = per_net.get(key)
    if entry is None or entry[0] is not X or entry[1] is not y:
        if len(per_net) >= 12:  # train, validation, test for a few jobs: drop the oldest
            per_net.pop(next(iter(per_net)))
        entry = per_net[key] = (X, y, build())
    return entry[2]


class Remembered:
    """``net.evaluate(X, y)`` (by ``point.BookPoint`` where it applies), computed again only when
    the parameters or a setting of the network or its layers changed since the last call. The trainer evaluates the same weights up to three
    times in a row (the last evaluation, then the summary at the end of the run and of ``run()``);
    on MAGIC 10-64-64-1 each costs as much as ~1.5 epochs of batch-32 Adam."""

    def __init__(self, net, X, y):
        from .point import BookPoint

        self.net, self.X, self.y = net, X, y
        self.evaluate = BookPoint.build(net, X, y) or (lambda: net.evaluate(X, y))
        self.key: tuple | None = None
        self.result: tuple[float, float] | None = None

    def _key(self) -> tuple:
        simple = (bool, int, float, str)
        settings = tuple(tuple(sorted((k, v) for k, v in vars(o).items() if isinstance(v, simple)))
                         for o in (self.net, *self.net.layers))
        return self.net.params.tobytes(), settings

    def __call__(self) -> tuple[float, float]:
        key = self._key()
        if key != self.key:
            self.result, self.key = self.evaluate(), key
        return self.result
