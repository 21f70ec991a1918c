"""What the dashboard knows about the run, built from the trainer's events alone.

:class:`RunView` is the dashboard's model: it starts from the run's :class:`~tui_nn.events.Started`
event (the full state: configuration, model, optimizer, limit, weights, and the history so far
of a resumed run), then :meth:`RunView.apply` folds in every event batch the session sends. It
never reads the trainer and re-derives none of its formulas (the learning rate, the run's
length, the optimizer's counters all come in events), so the UI thread and the session thread
share nothing but events.

Iterations are numbered as in the book (``for iteration in range(10000)``): the first is
iteration 0, and a line about one step names it by that number (``iteration 741: candidate
rejected``). A moment between steps names the step that runs next (``Resumed at iteration
742``) or the one just done (``Paused after iteration 741``); the status bar counts the steps
done (``done 742/10,000``: iterations 0 to 741). See the README's "Iteration numbers".

``apply`` returns the set of *topics* that changed (``"status"``, ``"series"``, ``"weights"``,
``"optimizer"``, ``"log"``, ``"layout"``); the app redraws only those panels, a few times a
second. No value of the loss stream is ever dropped: every Progress chunk goes into
:attr:`RunView.losses`, a decimated :class:`~tui_nn.history.Series` that keeps each bucket's
minimum and maximum.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from .. import events as ev
from ..history import Series
from ..network import Network
from ..runner import PROCESS_LOST
from ..settings import REGULARIZERS
from .numbers import LOSS_DIGITS, count, exact, num

MAX_LOG_LINES_PER_FLUSH = 12  # new-best (or candidate) lines written per redraw; older ones are summarised
SLOW_SPEED = 20.0  # iterations per second: at this speed or slower every candidate is logged
MAX_EVALUATIONS = 4096  # evaluation points kept for the charts (thinned by half beyond)


@dataclass
class LogLine:
    kind: str  # "best", "optimizer", "hyperparam", "weight", "pause", "reset", "checkpoint",
    #            "diverged", "finished", "error", "refused", "speed", "limit"
    text: str


@dataclass
class EvalPoint:
    iteration: int
    train_loss: float | None
    train_accuracy: float | None
    val_loss: float | None
    val_accuracy: float | None


class RunView:
    """The dashboard's picture of one run. See the module docstring."""

    def __init__(self, start: ev.Started, *, paused: bool = False, speed: float | None = None):
        from ..trainer import TrainConfig

        self.config = TrainConfig.from_dict(start.config)
        d = start.data
        self.task = d.task
        self.metric = "R²" if self.task == "regression" else "acc"
        self.dataset_name = start.dataset
        self.seed = self.config.seed
        self.data_seed = self.config.data_seed  # None: the data come from `seed` too
        self.n_train, self.n_val = start.n_train, start.n_val
        # The data as the network sees it (standardised if the run standardises); read-only.
        self.X_train, self.X_val = d.X_train, d.X_val
        self.y_train, self.y_val = d.y_train, d.y_val
        self.class_names = list(d.class_names)
        self.feature_names = list(d.feature_names)
        # A network of our own for drawing (decision regions, curves): the trainer's belongs to
        # the session thread.
        model = dict(start.model)
        # How training multiplies (book or fast); the panels' own drawing always uses float32.
        self.precision = model.pop("precision", "fast")
        self.net = Network(model.pop("n_inputs"), model.pop("hidden"), model.pop("n_outputs"), **model)
        self.net.params[...] = start.params
        self.slices = list(self.net.slices)
        self.widths = list(self.net.widths)
        self.limit = start.limit
        self.iteration = start.iteration
        self.epoch = start.epoch
        self.best_loss = start.best_loss
        self.optimizer = start.optimizer
        self.optimizer_kind = start.optimizer_kind
        self.hyperparams = dict(start.hyperparams)
        self.stats = dict(start.stats)
        self.lr = start.lr
        self.hp_memory: dict[str, dict] = {start.optimizer: dict(start.hyperparams)}
        self.losses = Series.from_arrays(start.losses) if start.losses else Series()
        self.evaluations: list[EvalPoint] = [
            EvalPoint(e["iteration"], e["train_loss"], e["train_accuracy"], e["val_loss"], e["val_accuracy"])
            for e in start.evaluations
        ]
        last = self.evaluations[-1] if self.evaluations else None
        self.train_loss = last.train_loss if last else None
        self.train_accuracy = last.train_accuracy if last else None
        self.val_loss = last.val_loss if last else None
        self.val_accuracy = last.val_accuracy if last else None
        self._loss_at = last.iteration if last else -1  # the iteration train_loss belongs to
        self.switches: list[tuple[int, str]] = [tuple(s) for s in start.switches]
        self.span = 0  # the charts' x axis reaches at least this far (replay: the recording's end)
        self.marks: list[tuple[int, str]] = []  # further labelled markers on the charts (replay's cursor)
        self.overlays: list[tuple[str, np.ndarray, np.ndarray]] = []  # other branches' loss curves (replay, forks)
        self.branch, self.branches = "main", ["main"]  # the branch shown, and every branch (f forks one)
        self.left: dict[str, tuple] = {}  # per branch left (forks): its iteration and the numbers shown there
        # replay: the status bar's (name, label, value) fields in place of the live run's count and speed
        self.replay_status: list[tuple[str, str, str]] | None = None
        self.params = start.params.copy()
        self.grads: np.ndarray | None = None
        self.delta = np.zeros_like(self.params)
        self.its_per_sec = 0.0
        self.speed = speed
        ended = ev.TrainerState(start.state) in (ev.TrainerState.FINISHED, ev.TrainerState.DIVERGED)
        self.state = str(start.state) if ended else ("paused" if paused else "running")  # the view's own words
        self.error: str | None = None  # the trainer's failure, once it failed
        self.started = False  # the session's first events have arrived
        self.log: list[LogLine] = []  # lines not yet shown
        self._best_lines: list[LogLine] = []  # new bests (and, when slow, every candidate)
        self._skipped = {"best": 0, "candidate": 0}
        self._logged_best = start.best_loss
        self._pending_best: tuple[int, float, float] | None = None  # a gradient step's new best, logged at the evaluation
        # Wall time spent running (the status bar's clock); frozen while paused.
        self.elapsed = 0.0
        self._running_since: float | None = None
        self._set_state(self.state)
        self.inputs = d.inputs  # points of the data -> the network's inputs (their --features)
        self.features = list(d.features)  # the names of those inputs with --features (else empty)
        self.reg_loss = 0.0  # the L1/L2 penalties at the last evaluation (its losses are data losses)
        self.stop_reason: str | None = None  # why the run finished early (early stopping)
        self.resets = 0  # how often the weights were re-initialised (r): what was fitted to them is refitted
        best = (f"best loss {loss(start.best_loss)} (iteration {count(start.best_iteration)}), "
                f"{count(start.improvements)} improvements so far" if start.best_iteration >= 0
                else "no best loss recorded yet")  # never 'inf (iteration -1)'
        self._history = f"Continuing at iteration {count(start.iteration)}: {best}" if start.iteration else None

    # -- derived values ----------------------------------------------------------------------------
    @property
    def paused(self) -> bool:
        return self.state != "running"

    @property
    def failed(self) -> bool:
        return self.state == "failed"

    def elapsed_now(self) -> float:
        if self._running_since is None:
            return self.elapsed
        return self.elapsed + time.monotonic() - self._running_since

    def weight_name(self, index: int) -> str:
        """A readable name of one flat parameter, e.g. ``dense1 w[x2→h3]``."""
        for name, sl, shape in self.slices:
            if sl.start <= index < sl.stop:
                layer, part = name.split(".")
                k = int(layer.removeprefix("dense")) - 1
                off = index - sl.start
                if part == "biases":
                    return f"{layer} bias[{self.unit_name(k + 1, off)}]"
                i, j = divmod(off, shape[1])
                return f"{layer} w[{self.unit_name(k, i)}→{self.unit_name(k + 1, j)}]"
        return f"param {index}"

    def unit_name(self, layer: int, i: int) -> str:
        """Unit ``i`` of layer ``layer`` (0 = inputs) as the panels label it: x1.., h1.., o1..;
        with --features an input is its feature (``x1^2``)."""
        if layer == 0 and self.features:
            return self.features[i]
        return neuron_label(layer, i, len(self.widths))

    # -- folding events in ---------------------------------------------------------------------------
    def apply(self, events: list[ev.Event]) -> set[str]:
        topics: set[str] = set()
        for e in events:
            handler = getattr(self, f"_on_{e.kind}", None)
            if handler is not None:
                topics |= handler(e) or set()
        return topics

    def take_log(self) -> list[LogLine]:
        """Lines not yet shown, in the order the events came."""
        self._flush_best()
        lines, self.log = self.log, []
        return lines

    def _say(self, kind: str, text: str) -> set[str]:
        self._flush_best()
        self.log.append(LogLine(kind, text))
        return {"log"}

    def _flush_best(self) -> None:
        """Move pending new-best lines into the log (a summary stands for the ones over the cap)."""
        for kind, what in (("best", "new bests"), ("candidate", "other candidates")):
            if self._skipped[kind]:
                self.log.append(LogLine(kind, f"… {self._skipped[kind]} more {what}, not listed"))
                self._skipped[kind] = 0
        self.log += self._best_lines
        self._best_lines = []

    def _best(self, text: str, kind: str = "best") -> None:
        self._best_lines.append(LogLine(kind, text))
        if len(self._best_lines) > MAX_LOG_LINES_PER_FLUSH:
            drop = len(self._best_lines) - MAX_LOG_LINES_PER_FLUSH
            for line in self._best_lines[:drop]:
                self._skipped[line.kind] += 1
            del self._best_lines[:drop]

    def _set_state(self, state: str) -> None:
        now = time.monotonic()
        if self._running_since is not None and state != "running":
            self.elapsed += now - self._running_since
            self._running_since = None
        elif self._running_since is None and state == "running":
            self._running_since = now
        self.state = state

    def _on_started(self, e: ev.Started):
        self.iteration = e.iteration
        if self.started:
            return {"status"}
        self.started = True
        shape = "→".join(map(str, self.widths))
        hp = ", ".join(f"{k}={exact(v)}" for k, v in self.hyperparams.items())
        val = f", {count(e.n_val)} validation" if e.n_val else ""
        topics = {"status"} | self._say(
            "start", f"Training on {e.dataset} ({count(e.n_train)} samples{val}): a {shape} network "
                     f"({count(e.n_params)} parameters), {e.optimizer} ({hp}), seed {self.seed}")
        if self._history:
            self._say("start", self._history)
        return topics

    def _on_progress(self, e: ev.Progress):
        topics: set[str] = set()
        # What a candidate of this chunk had to beat: the loss of the weights it was drawn from.
        current = self.best_loss if self.optimizer != "anneal" else self.train_loss
        self.losses.extend(e.iteration, e.losses)
        self.iteration = e.iteration + len(e)
        self.epoch = e.epoch
        self.best_loss = e.best_loss
        self.stats, self.lr = dict(e.stats), e.lr
        topics.add("optimizer")
        if self.optimizer_kind == "search":
            # The current weights are the last accepted candidate: its loss and accuracy are the
            # run's current ones, without waiting for the next evaluation.
            accepted = np.flatnonzero(e.accepted)
            if accepted.size:
                self.train_loss = float(e.losses[accepted[-1]])
                self.train_accuracy = float(e.accuracies[accepted[-1]])
        elif len(e):
            # A gradient step: its (mini-batch) loss and accuracy stand until a newer evaluation.
            if self._loss_at < e.iteration + len(e) - 1:
                self._loss_at = e.iteration + len(e) - 1
                self.train_loss = float(e.losses[-1])
                self.train_accuracy = float(e.accuracies[-1])
            if e.improved.any():  # full batch: a step's loss is the training loss; logged at the evaluation
                i = int(np.flatnonzero(e.improved)[-1])
                self._pending_best = (e.iteration + i, float(e.losses[i]), float(e.accuracies[i]))
        slow = (self.speed is not None and self.speed <= SLOW_SPEED) or (self.paused and len(e) == 1)
        if self.optimizer_kind == "search" and slow:
            self._log_candidates(e, current)
        elif self.optimizer_kind == "search" and e.improved.any():
            for i in np.flatnonzero(e.improved):
                self._best(f"New set of weights found, iteration: {count(e.iteration + int(i))} "
                           f"loss: {loss(e.losses[i])} {self.metric}: {num(e.accuracies[i])}")
            self._logged_best = e.best_loss
        return topics | {"status", "series", "log"}

    def _log_candidates(self, e: ev.Progress, current: float | None) -> None:
        """Slow enough to follow each step: a line for every candidate, accepted or not."""
        against = "current" if self.optimizer == "anneal" else "best"  # what a candidate must beat
        for i in range(len(e)):
            n, value = count(e.iteration + i), float(e.losses[i])
            if e.improved[i]:
                self._best(f"New set of weights found, iteration: {n} loss: {loss(value)} "
                           f"{self.metric}: {num(e.accuracies[i])}")
                self._logged_best = value
            elif e.accepted[i]:
                self._best(f"iteration {n}: worse candidate accepted, loss {loss(value)}", "candidate")
            else:
                shown = "—" if current is None or not math.isfinite(current) else loss(current)
                self._best(f"iteration {n}: candidate rejected, loss {loss(value)} ≥ {against} {shown}", "candidate")
            if e.accepted[i]:
                current = value

    def _on_evaluation(self, e: ev.Evaluation):
        self.evaluations.append(EvalPoint(e.iteration, e.train_loss, e.train_accuracy, e.val_loss, e.val_accuracy))
        if len(self.evaluations) > MAX_EVALUATIONS:
            self.evaluations = self.evaluations[::2]
        if e.iteration >= self._loss_at:
            self._loss_at = e.iteration
            self.train_loss, self.train_accuracy = e.train_loss, e.train_accuracy
        self.val_loss, self.val_accuracy = e.val_loss, e.val_accuracy
        self.best_loss = e.best_loss
        self.epoch = e.epoch
        self.iteration = max(self.iteration, e.iteration)
        self.stats, self.lr = dict(e.stats), e.lr
        self.hyperparams = dict(e.hyperparams)
        self.reg_loss = e.reg_loss
        topics = {"status", "series", "optimizer"}
        if self.optimizer_kind == "gradient" and e.best_loss < self._logged_best:
            # The best loss with the accuracy of the same weights: a step's (full batch), or this
            # evaluation's (mini-batches and dropout: bests are taken at evaluations).
            it, best, acc = self._pending_best or (e.iteration, e.best_loss, e.train_accuracy)
            self._logged_best = e.best_loss
            topics |= self._say("best", f"New best loss, iteration: {count(it)} loss: {loss(best)} "
                                        f"{self.metric}: {num(acc)}")
        self._pending_best = None
        return topics

    def _on_snapshot(self, e: ev.Snapshot):
        self.params = e.params
        self.grads = e.grads
        self.delta = e.delta
        self.its_per_sec = e.its_per_sec
        self.iteration = max(self.iteration, e.iteration)
        return {"weights", "status"}

    def _on_paused(self, e: ev.Paused):
        if self.state == "running":
            self._set_state("paused")
            return {"status", "layout"} | self._say("pause", "Paused " + between(e.iteration))
        return {"status", "layout"}

    def _on_resumed(self, e: ev.Resumed):
        self._set_state("running")
        return {"status", "layout"} | self._say("pause", f"Resumed at iteration {count(e.iteration)}")

    def _on_stepped(self, e: ev.Stepped):
        self.iteration = e.iteration
        if self.state == "running":
            self._set_state("paused")
        return {"status", "layout"}

    def _on_optimizer_switched(self, e: ev.OptimizerSwitched):
        # A search optimizer does not apply L1/L2: the trainer keeps them for the next gradient one.
        kept = [f"{k}={exact(v)}" for k, v in self.hyperparams.items()
                if k in REGULARIZERS and v and e.optimizer_kind == "search"]
        self.optimizer = e.new
        self.optimizer_kind = e.optimizer_kind
        self.hyperparams = dict(e.hyperparams)
        self.hp_memory[e.new] = dict(e.hyperparams)
        self.switches.append((e.iteration, e.new))
        self.lr, self.stats = e.lr, dict(e.stats)
        self._logged_best = self.best_loss
        self._pending_best = None
        hp = ", ".join(f"{k}={exact(v)}" for k, v in e.hyperparams.items())
        return {"optimizer", "series", "status"} | self._say(
            "optimizer", f"Optimizer switched from iteration {count(e.iteration)} on: {e.old} → {e.new} ({hp})"
                         + (f"; {', '.join(kept)} not applied by a search, kept for the next gradient optimizer"
                            if kept else ""))

    def _on_hyperparam_changed(self, e: ev.HyperparamChanged):
        self.hyperparams[e.name] = e.new
        self.hp_memory.setdefault(e.optimizer, {})[e.name] = e.new
        self.lr, self.stats = e.lr, dict(e.stats)
        return {"optimizer", "status"} | self._say(
            "hyperparam", f"{e.optimizer} {e.name}: {exact(e.old)} → {exact(e.new)}")

    def _on_weight_changed(self, e: ev.WeightChanged):
        self.params = self.params.copy()
        self.params[e.index] = e.new
        return {"weights"} | self._say(
            "weight", f"Weight {self.weight_name(e.index)} set: {num(e.old)} → {num(e.new)}")

    def _on_reset(self, e: ev.ResetDone):
        self.resets += 1
        self.lr, self.stats = e.lr, dict(e.stats)  # the optimizer starts afresh too
        self._loss_at = -1
        self._pending_best = None
        self.limit = e.limit  # an extended run is back to its configured length
        self.losses = Series()
        self.evaluations = []
        self.switches = [(0, self.optimizer)]
        self.iteration = 0
        self.epoch = 0.0
        self.best_loss = math.inf
        self._logged_best = math.inf
        self.grads = None
        self.elapsed = 0.0
        if self._running_since is not None:
            self._running_since = time.monotonic()
        # The session keeps its pause flag: a finished run starts again at once, a diverged one
        # (paused when it diverged) waits for space.
        if self.state == "finished":
            self._set_state("running")
        elif self.state == "diverged":
            self._set_state("paused")
        return {"status", "series", "weights", "layout"} | self._say(
            "reset", "Reset: weights re-initialised (same seed, same start)")

    def _on_checkpoint_saved(self, e: ev.CheckpointSaved):
        return self._say("checkpoint", f"Checkpoint saved {between(e.iteration)}: {e.path}")

    def _on_diverged(self, e: ev.Diverged):
        self._set_state("diverged")
        return {"status", "layout"} | self._say(
            "diverged", f"Diverged at iteration {count(e.iteration)}: {e.reason} (loss {loss(e.loss)}); paused with the "
                        "last good weights — lower the learning rate and press space")

    def _on_finished(self, e: ev.Finished):
        self._set_state("finished")
        s = e.summary
        self.stop_reason = s.get("stop_reason")
        why = f" ({self.stop_reason})" if self.stop_reason else ""
        return {"status", "layout"} | self._say(
            "finished", f"Finished {between(s['iterations'])}{why}: best loss {loss(s['best_loss'])} "
                        f"at iteration {count(s['best_iteration'])}, {self.metric} {num(s.get('train_accuracy'))}; "
                        "space runs further")

    def _on_failed(self, e: ev.Failed):
        if not e.traceback:  # a refused command: nothing changed
            return self._say("refused", f"Refused: {e.error}")
        self.error = e.error
        self._set_state("failed")
        lost = e.error.startswith(PROCESS_LOST)  # its process is gone: nothing left to save
        return {"status", "layout"} | self._say(
            "error", f"The trainer stopped with an error {between(e.iteration)}: {e.error}. "
                     + ("The weights shown are the last it sent." if lost
                        else "The last weights are kept; s saves a checkpoint."))

    def _on_speed_changed(self, e: ev.SpeedChanged):
        self.speed = e.speed
        return {"status"}

    def _on_limit_changed(self, e: ev.LimitChanged):
        self.limit = e.limit
        return {"status"} | self._say("limit", f"Run extended to {count(e.limit)} iterations")


def between(done: int) -> str:
    """A moment between steps, after ``done`` of them: ``after iteration 741`` (the book's
    number of the last step done), ``before iteration 0`` when none has run."""
    return f"after iteration {count(done - 1)}" if done > 0 else "before iteration 0"


def loss(x: float) -> str:
    """A loss in the log: as many significant digits as the book's prints need."""
    return num(x, LOSS_DIGITS)


def neuron_label(layer: int, i: int, n_layers: int) -> str:
    """Names of the units in layer ``layer`` (0 = inputs): x1.., h1.. (h1_1.. when deep), o1.."""
    if layer == 0:
        return f"x{i + 1}"
    if layer == n_layers - 1:
        return f"o{i + 1}"
    if n_layers > 3:
        return f"h{layer}.{i + 1}"
    return f"h{i + 1}"
