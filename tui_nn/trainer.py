"""The trainer: one deterministic training run that emits typed events.

:class:`Trainer` is synchronous and single-threaded: ``advance(n)`` runs exactly ``n``
iterations (fewer if the run finishes or diverges) and returns the events they produced.
Commands are plain method calls between chunks. The same configuration, seed and commands at
the same iterations give the same events, whatever the chunking. The dashboard, the headless
stream and the sweep's workers drive it through :class:`tui_nn.runner.Session` (a background
thread, a child process for the dashboard, the worker's own thread); scripts iterate
:meth:`Trainer.events`. Front ends learn everything from the
events (:meth:`Trainer.started` gives the run's full state) and steer it with methods; only the
trainer writes its own fields (``tests/test_trainer_ownership.py``). That is why this module is
over 600 lines: the run's state and every rule that changes it (steps, bests, evaluations, early stopping, the
divergence rule, commands, restoring a checkpoint) stay in the one class that owns them; the
file format is in :mod:`tui_nn.checkpoint`, the chunking rule in :mod:`tui_nn.chunks`.

The random stream is one legacy ``np.random.RandomState(seed)``, drawn in the book's order:
the data, then each layer's weights, then the optimizer's draws per iteration.
"""

from __future__ import annotations

import copy
import math
import operator
import time
from pathlib import Path

import numpy as np

from . import events as ev
from . import features
from .events import TrainerState
from .history import Series
from .network import ModelSpec, Network, score
from .config import ConfigError, TrainConfig  # noqa: F401  (part of this module's API)
from .settings import REGULARIZERS
from .fast import faster
from .optimizers import (GradientOptimizer, SearchOptimizer, make_optimizer, rng_state_to_array,
                         set_rng_state)

DEFAULT_ITERATIONS = 10_000
# The divergence rule. A non-finite loss always stops a run. A finite loss over EXPLODED times the
# run's first (or over EXPLODED) stops it only when it stays there: for EXPLOSION_PATIENCE
# consecutive gradient steps (full batch: each step's loss is the training loss), or for
# EXPLOSION_PATIENCE_EVALS consecutive evaluations (mini-batches or dropout: one batch's loss is
# noise, so the full-data training loss at each evaluation is tested). A transient spike, like the
# book's chapter-10 RMSprop and Adagrad runs (their loss jumps to ~6 and ~10 for an epoch or two and
# recovers), runs on. The weights go back to the last ones before the stretch began.
# ``TrainConfig(stop_on_explosion=False)`` (``--no-stop-on-explosion``) keeps only the non-finite stop.
EXPLODED = 5.0  # (the clipped cross-entropies stay below ~16.1, so a saturated classifier counts too)
EXPLOSION_PATIENCE = 100
EXPLOSION_PATIENCE_EVALS = 3


class Trainer:
    """One training run. See the module docstring."""

    def __init__(self, config: TrainConfig | None = None, **overrides):
        config = config or TrainConfig()
        if overrides:
            config = TrainConfig.from_dict({**config.to_dict(), **overrides})
        self.config = config.validate()
        self._load_data()
        self._start_run()

    # -- set-up -------------------------------------------------------------------------------
    def _load_data(self) -> None:
        from . import data  # scikit-learn is imported lazily inside

        c = self.config
        # One stream for data then weights (the book's order), unless data_seed gives the data
        # its own stream; then `seed` drives only the weights and the training draws.
        self.rng = np.random.RandomState(c.seed if c.data_seed is None else c.data_seed)
        if c.data is not None:  # an empty name is an error of load_file, not the default set
            label = c.label
            if isinstance(label, str) and label.lstrip("-").isdigit():
                label = int(label)
            if c.noise is not None:
                raise ConfigError("noise applies to built-in datasets, not to data files; drop noise", "noise")
            ds = data.load_file(c.data, label=label, task=c.task)
            info = None
        else:
            ds = data.load_dataset(c.dataset, samples=c.samples, classes=c.classes, noise=c.noise, rng=self.rng)
            info = data.DATASETS.get(c.dataset)  # TrainConfig keeps registry names in their own spelling
            if c.task is not None and c.task != ds.task:
                raise ConfigError(f"task {c.task}: dataset {ds.name} is a {ds.task} dataset; drop task {c.task}", "task")
        val = c.val_split if c.val_split is not None else (info.val_split if info else 0.2)
        std = c.standardize if c.standardize is not None else (info.standardize if info else True)
        self.dataset = ds
        self.split = data.prepare(ds, val_split=val, test_split=c.test_split, standardize=std, rng=self.rng,
                                  val_of_train=c.val_of_train)
        s = self.split
        # the network's inputs: the points, or the features of the 2-D points that --features names
        self.features = features.parse(c.features) if c.features is not None else None
        if self.features is not None and s.n_features != 2:
            raise ConfigError(f"features apply to 2-D data; {ds.name} has {s.n_features} inputs; drop features",
                              "features")
        inputs = (lambda X: features.expand(X, self.features)) if self.features else (lambda X: X)
        self.X_train = np.ascontiguousarray(inputs(s.X_train), np.float32)
        self.X_val = np.ascontiguousarray(inputs(s.X_val), np.float32)
        self.X_test = np.ascontiguousarray(inputs(s.X_test), np.float32)
        spec = ModelSpec(c.layers, c.activation, c.dropout, c.init)
        # The book's datasets train with the book's arithmetic, so its chapters' numbers come out to
        # the bit; anything else multiplies in float32 (faster: BLAS sgemm, the fast step).
        precision = c.precision or ("book" if info is not None and info.kind == "book" else "fast")
        self.net = Network.from_spec(spec, self.X_train.shape[1], s.n_outputs, s.task, precision=precision)
        if c.data_seed is not None:
            self.rng = np.random.RandomState(c.seed)
        self.y_train, self.y_val, self.y_test = (self._targets(y) for y in (s.y_train, s.y_val, s.y_test))
        if (c.patience or c.restore_best) and c.monitor.startswith("val_") and len(self.X_val) == 0:
            raise ConfigError(f"monitor {c.monitor} needs validation data: give val_split (e.g. 0.2) or monitor "
                              "loss", "monitor")
        self._rng_after_data = rng_state_to_array(self.rng)

    def _targets(self, y: np.ndarray) -> np.ndarray:
        """Class ids for softmax/CCE; a float32 (n, outputs) array for the other losses."""
        if self.net.loss_function.name == "categorical_crossentropy":
            return np.asarray(y, np.int64).reshape(-1)
        return np.asarray(y, np.float32).reshape(len(y), self.net.n_outputs)

    def _start_run(self) -> None:
        """(Re)initialise the weights and all run state; the stream restarts after the data."""
        c = self.config
        set_rng_state(self.rng, self._rng_after_data)
        self.net.initialize(self.rng)
        self.net.set_rng(self.rng)
        if not hasattr(self, "optimizer"):
            self.optimizer = make_optimizer(c.optimizer, **c.hyperparams)
            self.penalties = dict.fromkeys(REGULARIZERS, 0.0)  # the user's L1/L2 (see _regularize)
        else:
            self.optimizer.reset_state()
        self._regularize()
        self.iteration = 0
        self.epoch = 0  # completed passes over the training data (gradient optimizers)
        self.batch_pos = 0
        self.order: np.ndarray | None = None  # this epoch's shuffled sample order
        self.best_loss = math.inf
        self.best_iteration = -1
        self.best_params = self.net.params.copy()
        self.prev_params = self.net.params.copy()  # before the last accepted step
        self.last_good = self.net.params.copy()
        self.reference_loss: float | None = None  # first loss seen, for the explosion test
        self.reference_eval: float | None = None  # first full-data training loss (mini-batch runs)
        self.eval_good: np.ndarray | None = None  # weights at the last healthy evaluation (mini-batch runs)
        self.exploded_for = 0  # consecutive steps (or evaluations) with a loss over the explosion threshold
        self.spike_good: np.ndarray | None = None  # full batch: the weights before that stretch began
        self.last_train_loss: float | None = None  # at the last evaluation
        self.improvements = 0
        self.accepted_total = 0
        self.limit = self._limit()
        self.state = TrainerState.READY
        self.elapsed = 0.0
        self.losses = Series()
        self.accuracies = Series()
        self.evaluations: list[dict] = []
        self.switches: list[tuple[int, str]] = [(0, self.optimizer.name)]
        self.last_eval_iteration = -1
        self.has_grads = False
        # Early stopping (Keras's EarlyStopping): the best monitored value, the evaluations since it
        # (and its weights with restore_best); stop_reason says why a run ended early.
        self.es_best = -math.inf if c.monitor == "val_accuracy" else math.inf
        self.es_best_iteration = -1
        self.es_wait = 0
        self.es_best_params: np.ndarray | None = None
        self.stop_reason: str | None = None

    def _regularize(self) -> None:
        """Give the network the optimizer's L1/L2 penalties (gradient optimizers take them; a
        search optimizer trains without). The user's penalties are kept in ``penalties`` while a
        search optimizer trains, for the next gradient optimizer (see :meth:`switch_optimizer`)."""
        if self.optimizer.kind == "gradient":
            self.penalties = {k: float(self.optimizer.hp.get(k, 0.0)) for k in REGULARIZERS}
        self.net.regularize(**{k: self.optimizer.hp.get(k, 0.0) for k in REGULARIZERS})

    def _limit(self) -> int:
        c = self.config
        if c.epochs is not None:
            return c.epochs * self.steps_per_epoch
        return c.iterations or DEFAULT_ITERATIONS

    @property
    def n_train(self) -> int:
        return len(self.X_train)

    @property
    def batch_size(self) -> int:
        bs = self.config.batch_size
        return self.n_train if bs <= 0 or bs >= self.n_train else bs

    @property
    def steps_per_epoch(self) -> int:
        """Iterations per pass over the data: mini-batches for gradient optimizers, 1 for search."""
        if self.optimizer.kind == "search":
            return 1
        return -(-self.n_train // self.batch_size)

    @property
    def eval_every(self) -> int:
        if self.config.eval_every:
            return self.config.eval_every
        if self.optimizer.kind == "gradient" and self.steps_per_epoch > 1:
            return self.steps_per_epoch
        return max(1, self.limit // 100)

    @property
    def per_iteration_best(self) -> bool:
        """Whether each iteration's loss is the training loss, so the best loss and the explosion
        test follow it. Not so for mini-batches or dropout: one batch's loss is noise, and those
        runs take the full-data training loss at each evaluation instead."""
        return self.optimizer.kind == "search" or (self.batch_size >= self.n_train and not self.net.dropouts)

    @property
    def epoch_float(self) -> float:
        if self.optimizer.kind == "gradient":
            return self.epoch + self.batch_pos / self.steps_per_epoch
        return float(self.epoch)

    # -- running ------------------------------------------------------------------------------
    def started(self) -> ev.Started:
        """The run's full state as an event: what a front end starts from (no side effects)."""
        c, opt, net, s = self.config, self.optimizer, self.net, self.split
        model = dict(n_inputs=net.widths[0], hidden=tuple(net.widths[1:-1]), n_outputs=net.widths[-1],
                     activations=list(net.activation_names), loss=net.loss_function.name, dropout=net.dropout_rate,
                     init=net.init, dtype=net.dtype.name, biases=net.has_biases, precision=net.precision)
        plane = self.features is not None  # views draw the 2-D points; the network sees their features
        data = ev.RunData(net.task, s.X_train if plane else self.X_train, np.asarray(s.y_train),
                          s.X_val if plane else self.X_val, np.asarray(s.y_val), list(s.class_names or []),
                          list(s.feature_names), list(self.features or []))
        return ev.Started(self.iteration, c.to_dict(), opt.name, net.n_params, self.dataset.name, self.n_train,
                          len(self.X_val), opt.kind, dict(opt.hp), opt.lr, opt.stats(), self.limit, self.state,
                          self.epoch_float, self.best_loss, self.best_iteration, self.improvements,
                          list(self.switches), [dict(e) for e in self.evaluations], self.losses.to_arrays(),
                          model, net.params.copy(), data)

    def start_events(self) -> list[ev.Event]:
        """What a front end is told first: the start event, then (a new run) the first
        evaluation, and the weights. A resumed run is not evaluated again: its stream goes on
        as the uninterrupted run's would (an evaluation there would count a best of its own)."""
        fresh = self.iteration == 0 and self.state is TrainerState.READY
        return [self.started(), *([self.evaluate()] if fresh else []), self.snapshot()]

    @property
    def done(self) -> bool:
        return self.state in (TrainerState.FINISHED, TrainerState.DIVERGED)

    def advance(self, n: int) -> list[ev.Event]:
        """Run up to ``n`` iterations; return the events. Stops early at the limit, the target
        loss, or on divergence; does nothing once finished (``extend`` first) or diverged."""
        if self.done:
            return []
        t0 = time.perf_counter()
        out: list[ev.Event] = []  # Progress chunks and evaluations, in iteration order
        n = min(n, self.limit - self.iteration)
        while n > 0 and self.state is not TrainerState.DIVERGED:
            every = self.eval_every
            seg = min(n, every - self.iteration % every)
            start = self.iteration
            losses, accs, accepted, improved = self._run_segment(seg)
            n -= len(losses)
            if len(losses):
                opt = self.optimizer
                out.append(ev.Progress(start, losses, accs, accepted, improved, self.best_loss, self.epoch_float,
                                       opt.lr, opt.stats()))
                self.losses.extend(start, losses)
                self.accuracies.extend(start, accs)
            if self.state is TrainerState.DIVERGED:
                break
            if self.iteration % every == 0 or self.iteration >= self.limit:
                pending_eval = self.evaluate()
                out.append(pending_eval)
                if self._exploded_at(pending_eval) or self._stops_early(pending_eval):
                    break
            if self._target_reached():
                break
        self.elapsed += time.perf_counter() - t0
        if self.state is TrainerState.DIVERGED:
            out.append(self._diverged_event)
        elif self.iteration >= self.limit or self._target_reached() or self.stop_reason:
            if self.state is not TrainerState.FINISHED:
                self.state = TrainerState.FINISHED
                if self.config.restore_best and self.es_best_params is not None:
                    self.net.params[...] = self.es_best_params  # the best evaluation's weights, evaluated again
                    out.append(self.evaluate())
                elif self.last_eval_iteration != self.iteration:
                    out.append(self.evaluate())
                out.append(ev.Finished(self.iteration, self.summary()))
        elif self.state is TrainerState.READY:
            self.state = TrainerState.RUNNING
        return out

    def _target_reached(self) -> bool:
        """Search: the best loss (on the whole training set) is at or below the target; the
        search stops at that very iteration (see ``_search``). Gradient descent: the full-data
        training loss at an evaluation is. Either way where a run stops does not depend on how
        its iterations were chunked."""
        t = self.config.target_loss
        if t is None:
            return False
        if self.optimizer.kind == "search":
            return self.best_loss <= t
        return (self.last_eval_iteration == self.iteration and self.last_train_loss is not None
                and self.last_train_loss <= t)

    def _stops_early(self, e: ev.Evaluation) -> bool:
        """Early stopping as Keras's EarlyStopping: an evaluation improves on the best so far when
        the monitored figure is better by more than min_delta; ``patience`` evaluations in a row that
        do not end the run. Tracks the best weights for restore_best (with or without patience)."""
        c = self.config
        if c.patience is None and not c.restore_best:
            return False
        value = {"loss": e.train_loss, "val_loss": e.val_loss, "val_accuracy": e.val_accuracy}[c.monitor]
        if value is not None and math.isfinite(value) and (
                value - c.min_delta > self.es_best if c.monitor == "val_accuracy"
                else value + c.min_delta < self.es_best):
            self.es_best, self.es_best_iteration, self.es_wait = float(value), self.iteration, 0
            if c.restore_best:
                self.es_best_params = self.net.params.copy()
            return False
        self.es_wait += 1
        if c.patience is None or self.es_wait < c.patience:
            return False
        by = f" by more than {c.min_delta:g}" if c.min_delta else ""
        n = f"{self.es_wait} evaluation" + "s" * (self.es_wait > 1)
        self.stop_reason = (f"early stopping: {c.monitor} did not improve{by} for {n} (best {self.es_best:.7g} "
                            f"at iteration {self.es_best_iteration}"
                            + (", its weights restored)" if c.restore_best else ")"))
        return True

    def _exploded_at(self, e: ev.Evaluation) -> bool:
        """The explosion test of mini-batch runs, on the full-data training loss: on divergence
        the weights go back to the last healthy evaluation's."""
        if self.optimizer.kind != "gradient" or self.per_iteration_best or e.train_loss is None:
            return False
        loss = e.train_loss
        if math.isfinite(loss) and loss <= EXPLODED * max(self.reference_eval or 1.0, 1.0):
            self.eval_good = self.net.params.copy()
            self.exploded_for = 0
            return False
        if math.isfinite(loss):
            self.exploded_for += 1
            if not self.config.stop_on_explosion or self.exploded_for < EXPLOSION_PATIENCE_EVALS:
                return False
        self.net.params[...] = self.eval_good if self.eval_good is not None else self.best_params
        reason = "training loss is not a number" if math.isnan(loss) else (
            "training loss is infinite" if math.isinf(loss) else
            f"training loss exploded (over {EXPLODED:g}x the first for {self.exploded_for} evaluations)")
        self._diverge(loss, reason)
        return True

    def _run_segment(self, n: int):
        if self.optimizer.kind == "search":
            return self._search(n)
        return self._gradient(n)

    def _search(self, n: int):
        opt: SearchOptimizer = self.optimizer
        target = self.config.target_loss
        saved = None
        if target is not None and self.best_loss > target:  # may stop inside this segment
            saved = self.rng.get_state(), copy.deepcopy(opt.__dict__), self.net.params.copy()
        losses, accs, accepted = opt.run(self.net, self.X_train, self.y_train, n, self.rng)
        if saved is not None:
            hits = np.flatnonzero(accepted & (losses.astype(np.float64) <= target))
            if hits.size and hits[0] < n - 1:
                # Stop at the first iteration that reaches the target: run the segment again up
                # to there, so the random stream, too, is where a plain loop would leave it.
                n = int(hits[0]) + 1
                self.rng.set_state(saved[0])
                opt.__dict__.clear()
                opt.__dict__.update(saved[1])
                self.net.params[...] = saved[2]
                losses, accs, accepted = opt.run(self.net, self.X_train, self.y_train, n, self.rng)
        improved = self._mark(losses, accepted, self.iteration)
        if accepted.any():
            self.prev_params = opt.prev_point.copy()
        if opt.best_point is not None and opt.best_loss <= self.best_loss:
            self.best_params = opt.best_point.copy()
        self.iteration += n
        self.epoch += n  # every candidate is scored on the whole training set
        self.accepted_total += int(accepted.sum())
        return losses.astype(np.float64), accs, accepted, improved

    def _mark(self, losses, accepted, start: int) -> np.ndarray:
        """Which iterations set a new best loss; updates best_loss/best_iteration."""
        acc_losses = np.where(accepted, losses.astype(np.float64), np.inf)
        running = np.minimum.accumulate(np.concatenate([[self.best_loss], acc_losses]))
        improved = acc_losses < running[:-1]
        if improved.any():
            last = int(np.flatnonzero(improved)[-1])
            self.best_loss = float(acc_losses[last])
            self.best_iteration = start + last
            self.improvements += int(improved.sum())
        return improved

    def _gradient(self, n: int):
        # The fast step (tui_nn.fast) gives the same numbers as the network's own forward/backward.
        lean = faster("step", self.net, self.X_train, self.y_train)
        losses = np.empty(n)
        accs = np.empty(n)
        start = self.iteration
        with np.errstate(over="ignore", invalid="ignore"):  # sigmoid: exp(-z) = inf gives 0; NaN is divergence
            self._gradient_loop(n, lean, losses, accs)
        done = self.iteration - start
        losses, accs = losses[:done], accs[:done]
        accepted = np.ones(done, bool)
        if self.per_iteration_best:
            improved = self._mark(losses, accepted, start)  # best_params: kept by the loop
        else:
            improved = np.zeros(done, bool)  # the best loss is taken at evaluations
        self.accepted_total += done
        return losses, accs, accepted, improved

    def _gradient_loop(self, n, lean, losses, accs) -> None:
        opt: GradientOptimizer = self.optimizer
        net, bs, N, steps_per_epoch = self.net, self.batch_size, self.n_train, self.steps_per_epoch
        test_explosion = track_best = self.per_iteration_best
        best = self.best_loss  # as _mark reads the chunk's losses, so that best_params is the best step's
        stop_on_explosion = self.config.stop_on_explosion
        for i in range(n):
            if self.batch_pos == 0:
                if bs < N:
                    self.order = self.rng.permutation(N)
                    self._Xs, self._ys = self.X_train[self.order], self.y_train[self.order]
                else:
                    self._Xs, self._ys = self.X_train, self.y_train
            lo = self.batch_pos * bs
            Xb, yb = self._Xs[lo:lo + bs], self._ys[lo:lo + bs]
            if lean is not None:
                loss, acc = lean.forward(Xb, yb)
            else:
                out = net.forward(Xb, training=True)
                loss = float(np.mean(net.loss_function.forward(out, yb)))
            if self.reference_loss is None and math.isfinite(loss):
                self.reference_loss = max(loss, 1e-3)
            if not math.isfinite(loss):
                net.params[...] = self.last_good
                self._diverge(loss, "loss is not a number" if math.isnan(loss) else "loss is infinite")
                break
            if test_explosion and loss > EXPLODED * max(self.reference_loss or 1.0, 1.0):
                if self.exploded_for == 0:
                    self.spike_good = self.last_good.copy()
                self.exploded_for += 1
                if stop_on_explosion and self.exploded_for >= EXPLOSION_PATIENCE:
                    net.params[...] = self.spike_good
                    self._diverge(loss, f"loss exploded (over {EXPLODED:g}x the first for {self.exploded_for} steps)")
                    break
            elif test_explosion and self.exploded_for:
                self.exploded_for, self.spike_good = 0, None
            accs[i] = acc if lean is not None else self._score(out, yb)
            losses[i] = loss
            if lean is not None:
                lean.backward()
            else:
                net.backward(yb)
            self.last_good[...] = net.params
            self.prev_params = self.last_good
            if track_best and loss < best:  # the weights that gave this loss (before their update)
                best = float(loss)
                self.best_params = self.last_good.copy()
            if lean is not None:
                lean.update(opt)
            else:
                opt.update(net.params, net.grads)
            self.has_grads = True
            self.iteration += 1
            self.batch_pos += 1
            if self.batch_pos == steps_per_epoch:
                self.batch_pos = 0
                self.epoch += 1

    def _diverge(self, loss: float, reason: str) -> None:
        self.state = TrainerState.DIVERGED
        self.exploded_for, self.spike_good = 0, None
        self._diverged_event = ev.Diverged(self.iteration, loss, reason)

    def _score(self, out, y) -> float:
        return score(self.net.task, out, y, self.net.predictions)

    # -- evaluation and snapshots -----------------------------------------------------------------
    def metrics(self, X, y) -> tuple[float | None, float | None]:
        """Loss and accuracy of the current weights on (X, y), with the book's arithmetic
        (``Network.evaluate``; the fast path's kernel gives the same numbers, see tui_nn.fast)."""
        if len(X) == 0:
            return None, None
        fast = faster("evaluate", self.net, X, y)
        return fast() if fast is not None else self.net.evaluate(X, y)

    def evaluate(self) -> ev.Evaluation:
        tl, ta = self.metrics(self.X_train, self.y_train)
        vl, va = self.metrics(self.X_val, self.y_val)
        self.last_eval_iteration = self.iteration
        self.last_train_loss = tl
        opt = self.optimizer
        if opt.kind == "gradient" and not self.per_iteration_best and tl is not None and math.isfinite(tl):
            if self.reference_eval is None:
                self.reference_eval = max(tl, 1e-3)
            if tl < self.best_loss and tl <= EXPLODED * max(self.reference_eval, 1.0):
                self.best_loss, self.best_iteration = tl, self.iteration
                self.best_params = self.net.params.copy()
                self.improvements += 1
        e = ev.Evaluation(self.iteration, tl, ta, vl, va, self.best_loss, self.epoch_float, opt.name,
                          opt.lr, dict(opt.hp), opt.stats(), self.net.regularization_loss())
        self.evaluations.append({"iteration": self.iteration, "train_loss": tl, "train_accuracy": ta,
                                 "val_loss": vl, "val_accuracy": va})
        if len(self.evaluations) > 4096:  # keep memory flat on very long runs
            self.evaluations = self.evaluations[::2]
        return e

    def snapshot(self, its_per_sec: float = 0.0, grads: np.ndarray | None = None) -> ev.Snapshot:
        """The weights now, and ``grads`` or else the last step's gradient (gradient optimizers)."""
        if grads is None and self.has_grads:
            grads = self.net.grads.copy()
        return ev.Snapshot(self.iteration, self.net.params.copy(), grads,
                           self.net.params - self.prev_params, self.best_loss, its_per_sec)

    def summary(self) -> dict:
        tl, ta = self.metrics(self.X_train, self.y_train)
        vl, va = self.metrics(self.X_val, self.y_val)
        _, test_acc = self.metrics(self.X_test, self.y_test)
        its = self.iteration / self.elapsed if self.elapsed > 0 else 0.0
        return {
            "iterations": self.iteration, "epochs": self.epoch_float, "best_loss": self.best_loss,
            "best_iteration": self.best_iteration, "improvements": self.improvements,
            "accepted": self.accepted_total, "train_loss": tl, "train_accuracy": ta,
            "val_loss": vl, "val_accuracy": va, "test_accuracy": test_acc,
            "reg_loss": self.net.regularization_loss(), "stop_reason": self.stop_reason,
            "metric": "r2" if self.net.task == "regression" else "accuracy",
            "optimizer": self.optimizer.name, "elapsed": self.elapsed, "its_per_sec": its,
        }

    # -- commands -------------------------------------------------------------------------------
    def switch_optimizer(self, name: str, **hyperparams) -> list[ev.Event]:
        """Continue the same weights with another optimizer (fresh optimizer state)."""
        old = self.optimizer.name
        new = make_optimizer(name, **hyperparams)
        if new.kind == "gradient":  # the penalties stay with the model, across a search optimizer too
            for k in REGULARIZERS:
                if k not in hyperparams:
                    new.set(k, self.penalties[k])
        self.optimizer = new
        self._regularize()
        if new.kind == "search":
            loss, _ = self.metrics(self.X_train, self.y_train)
            new.current_loss = loss  # never accept a step that makes the weights worse
        self.batch_pos = 0
        self.switches.append((self.iteration, name))
        if self.state is TrainerState.FINISHED and self.iteration < self.limit:
            self.state = TrainerState.RUNNING
        return [ev.OptimizerSwitched(self.iteration, old, name, dict(new.hp), new.kind, new.lr, new.stats()),
                self.evaluate()]

    def set_hyperparam(self, name: str, value) -> list[ev.Event]:
        old = self.optimizer.hp.get(name)
        new = self.optimizer.set(name, value)  # raises ValueError with a clear message
        self._regularize()
        opt = self.optimizer
        changed = ev.HyperparamChanged(self.iteration, opt.name, name, old, new, opt.lr, opt.stats())
        # a new penalty changes the loss at once: an evaluation says by how much
        return [changed, self.evaluate()] if name in REGULARIZERS else [changed]

    def set_weight(self, index: int, value: float) -> list[ev.Event]:
        try:
            index, value = operator.index(index), float(value)
        except (TypeError, ValueError):
            raise ValueError(f"a weight needs an integer index and a number, got {index!r} and {value!r}") from None
        if not 0 <= index < self.net.n_params:
            raise ValueError(f"weight index {index} out of range 0..{self.net.n_params - 1}")
        if not math.isfinite(value):
            raise ValueError(f"weight value must be finite, got {value}")
        old = float(self.net.params[index])
        self.prev_params = self.net.params.copy()
        self.net.params[index] = value
        if self.optimizer.kind == "search":
            loss, _ = self.metrics(self.X_train, self.y_train)
            self.optimizer.current_loss = loss
        # The gradient shown is then the one of the weights as they are now, not the last step's.
        grads = self._gradient_now() if self.has_grads else None
        return [ev.WeightChanged(self.iteration, index, old, float(self.net.params[index])),
                self.evaluate(), self.snapshot(grads=grads)]

    def _gradient_now(self) -> np.ndarray:
        """The full-data gradient of the loss at the current weights, for display; the last
        step's (``net.grads``, part of a checkpoint) is left as it was."""
        kept = self.net.grads.copy()
        self.net.forward(self.X_train)
        now = self.net.backward(self.y_train).copy()
        self.net.grads[...] = kept
        return now

    def reset(self) -> list[ev.Event]:
        """Re-initialise the weights and the run (same seed, same start); keeps the optimizer."""
        self._start_run()
        opt = self.optimizer
        return [ev.ResetDone(0, self.limit, opt.lr, opt.stats()), self.evaluate(), self.snapshot()]

    def extend(self, iterations: int) -> list[ev.Event]:
        if not isinstance(iterations, (int, np.integer)) or iterations <= 0:
            raise ValueError(f"extend by a positive number of iterations, got {iterations!r}")
        self.limit = self.iteration + iterations if self.iteration >= self.limit else self.limit + iterations
        if self.state is TrainerState.FINISHED:
            self.state = TrainerState.RUNNING
            self.stop_reason, self.es_wait = None, 0  # going on past an early stop: patience starts afresh
        return [ev.LimitChanged(self.iteration, self.limit)]

    def run_for(self, iterations: int | None = None, *, epochs: int | None = None) -> list[ev.Event]:
        """End the run ``iterations`` (or ``epochs`` passes over the data) from here, whatever the
        limit was: how ``--resume --iterations N`` continues a run."""
        n = iterations if epochs is None else epochs * self.steps_per_epoch
        if not isinstance(n, (int, np.integer)) or n <= 0:
            raise ValueError(f"run for a positive number of iterations or epochs, got {iterations!r}, {epochs!r}")
        self.limit = self.iteration + int(n)
        if self.state is TrainerState.FINISHED:
            self.state = TrainerState.RUNNING
            self.stop_reason, self.es_wait = None, 0
        return [ev.LimitChanged(self.iteration, self.limit)]

    def end_here(self) -> list[ev.Event]:
        """End the run at this iteration, as if its limit were here (a race's time budget): it
        finishes as a run of ``--iterations`` this many would, evaluated and summarised."""
        if self.done:
            return []
        self.limit = self.iteration
        return self.advance(0)

    def set_target_loss(self, value: float | None) -> None:
        """Finish at the first evaluation whose best loss is at or below ``value`` (None: never)."""
        if value is not None and not math.isfinite(value):
            raise ConfigError("target_loss must be a finite number")
        self.config.target_loss = value

    def set_stop_on_explosion(self, stop: bool) -> None:
        """Whether a loss that stays exploded stops the run (a non-finite one always does)."""
        self.config.stop_on_explosion = bool(stop)

    def load_final_state(self, params: np.ndarray, *, iteration: int, epoch: int | None, evaluations: list[dict],
                         elapsed: float, diverged: bool) -> None:
        """Stand where a run of this configuration ended elsewhere (a sweep's worker): its final
        weights at its last iteration, finished or diverged, with its evaluations."""
        self.net.params[...] = params
        self.best_params, self.prev_params, self.last_good = (params.copy() for _ in range(3))
        self.iteration = self.last_eval_iteration = iteration
        if self.optimizer.kind == "gradient" and epoch is not None:
            self.epoch = int(epoch)
        self.evaluations = [{k: p.get(k) for k in ("iteration", "train_loss", "train_accuracy", "val_loss",
                                                    "val_accuracy")} for p in evaluations]
        # Its best full-data training loss, as far as its evaluations saw (else none yet, not -1).
        seen = [(p["train_loss"], p["iteration"]) for p in self.evaluations
                if p.get("train_loss") is not None and math.isfinite(p["train_loss"])]
        if seen:
            self.best_loss, self.best_iteration = min(seen)
        self.elapsed = elapsed
        self.state = TrainerState.DIVERGED if diverged else TrainerState.FINISHED

    def set_weights(self, params: np.ndarray) -> None:
        """Replace the whole parameter vector (e.g. a sweep's best weights, to save or show)."""
        self.net.params[...] = params

    def recover(self) -> None:
        """After divergence: allow training to continue (with the last good weights)."""
        if self.state is TrainerState.DIVERGED:
            self.state = TrainerState.RUNNING
            self.reference_loss = None
            self.reference_eval = None
            self.exploded_for, self.spike_good = 0, None
            # The optimizer's state (momentum, Adam's moments) grew with the explosion: start it afresh.
            self.optimizer.reset_state()

    # -- checkpoints ------------------------------------------------------------------------------
    def save_checkpoint(self, path) -> ev.CheckpointSaved:
        """Everything needed for a bit-identical continuation, written atomically."""
        from . import checkpoint

        checkpoint.write(path, self)
        return ev.CheckpointSaved(self.iteration, str(Path(path)))

    @classmethod
    def from_checkpoint(cls, path) -> "Trainer":
        """The run saved at ``path``, ready to continue (``ValueError`` naming the file if not)."""
        from . import checkpoint

        ck = checkpoint.read(path)  # every field checked, or CheckpointError naming it
        try:
            self = cls(TrainConfig.from_dict(ck.config))
        except ValueError as e:  # e.g. its data file is gone: say which checkpoint needs it
            raise checkpoint.CheckpointError(f"{ck.path}: config: {' '.join(str(e).split())}") from None
        checkpoint.check_fits(ck, self)
        if ck.meta.get("data_digest") not in (None, self.dataset.digest):
            raise ValueError(f"{ck.path}: the data file {self.config.data} has changed since this checkpoint was "
                             "saved, so the run cannot continue as it was; restore the file or start a new run")
        self._restore(ck)
        return self

    def restore(self, ck, *, resumed: bool = True) -> None:
        """Stand exactly where the state ``ck`` was captured (a :class:`tui_nn.checkpoint.Checkpoint`
        read from a file or from a recording's snapshot, of this run's configuration): what replay
        does before it recomputes forward to its cursor. Without ``resumed`` the run keeps the
        file it came from (a live fork's state is no file's)."""
        from . import checkpoint

        checkpoint.check_fits(ck, self)
        came_from = getattr(self, "resumed_from", None)
        self._restore(ck)
        if not resumed:
            self.resumed_from = came_from

    def _restore(self, ck) -> None:
        from .checkpoint import ARRAYS, HISTORY, OPTIONAL_ARRAYS, RUN_STATE

        meta, z = ck.meta, ck.arrays
        self.optimizer = make_optimizer(meta["optimizer"], **meta["hyperparams"])
        self.optimizer.load_state_dict(ck.optimizer_state())
        self._regularize()
        self.net.params[...] = z["params"]
        self.net.grads[...] = z["grads"]
        set_rng_state(self.rng, z["rng"])
        for key in ARRAYS + OPTIONAL_ARRAYS:
            setattr(self, key, z[key].copy() if key in z else None)
        if self.order is not None:
            self._Xs, self._ys = self.X_train[self.order], self.y_train[self.order]
        elif meta["batch_pos"]:
            self._Xs, self._ys = self.X_train, self.y_train
        for name in HISTORY:
            setattr(self, name, Series.from_arrays(ck.history(name)))
        for key in RUN_STATE:
            if key in meta:  # older files lack newer keys: those keep their fresh values
                setattr(self, key, meta[key])
        self.best_loss, self.es_best = float(self.best_loss), float(self.es_best)
        self.state = TrainerState(self.state)  # saved as its word
        self.switches = [tuple(s) for s in self.switches]
        self.last_eval_iteration = self.iteration
        self.resumed_from = str(ck.path)

    # -- convenience ------------------------------------------------------------------------------
    def events(self, chunk: int | None = None):
        """Yield every event of the run until it finishes or diverges (for scripts); chunks of
        ``chunk`` iterations, or as :func:`tui_nn.chunks.next_chunk` adapts them."""
        from .chunks import next_chunk

        yield from self.start_events()
        n = chunk or 1
        while not self.done:
            t0 = time.perf_counter()
            yield from self.advance(n)
            if not chunk:
                n = next_chunk(n, time.perf_counter() - t0)

    def run(self) -> dict:
        """Run to completion; return the summary."""
        for _ in self.events():
            pass
        return self.summary()
