"""Typed events a trainer emits, and the commands it accepts.

Per-iteration values travel in :class:`Progress` chunks (NumPy arrays), never one object
per iteration. Every event can be turned into a JSON-ready dict (``to_dict``) for logs.
Fields named in ``TIMING`` depend on the wall clock; everything else is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any, ClassVar

import numpy as np

from .plain import json_safe

TIMING = frozenset({"elapsed", "its_per_sec"})


class TrainerState(StrEnum):
    """Where a trainer's run is. Only the trainer changes it: ``READY`` until the first step,
    ``RUNNING``, then ``FINISHED`` at its limit (or target loss) or ``DIVERGED``; extending a
    finished run or recovering a diverged one makes it ``RUNNING`` again. A ``str``, so events,
    logs and checkpoints carry the plain word (``"finished"``)."""

    READY = "ready"
    RUNNING = "running"
    FINISHED = "finished"
    DIVERGED = "diverged"


@dataclass
class Event:
    kind: ClassVar[str] = "event"
    LOGGED: ClassVar[tuple[str, ...] | None] = None  # the fields to_dict writes (None: all)
    iteration: int  # the iteration the event refers to (the next one to run, for lifecycle events)

    def to_dict(self, timing: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {"event": self.kind}
        for f in fields(self):
            if (not timing and f.name in TIMING) or (self.LOGGED is not None and f.name not in self.LOGGED):
                continue
            out[f.name] = _plain(getattr(self, f.name), timing)
        return out


def _plain(value, timing: bool = True):
    """JSON-ready (NaN and infinities as null); without ``timing``, nested timing fields dropped
    too (a Finished summary holds elapsed and its_per_sec)."""
    return json_safe(value, () if timing else TIMING)


# -- data events ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RunData:
    """The data as the network sees it (standardised if the run standardises), for views that
    draw it; the arrays are the trainer's own, to be read only."""

    task: str
    X_train: np.ndarray
    y_train: np.ndarray  # labels as the data set gives them (class ids, or targets)
    X_val: np.ndarray
    y_val: np.ndarray
    class_names: list
    feature_names: list
    features: list = field(default_factory=list)  # --features: the network sees these of the 2-D points

    def inputs(self, X: np.ndarray) -> np.ndarray:
        """What the network takes for points ``X`` of this data (their features, with --features)."""
        if not self.features:
            return X
        from .features import expand

        return expand(X, self.features)


@dataclass
class Started(Event):
    """The run's full state when a front end starts to follow it (a resumed run's too): the
    first event of every session, and all a view needs to draw the run before the next one.
    Logs keep the summary fields (``LOGGED``); the arrays stay out of them."""

    kind: ClassVar[str] = "started"
    LOGGED: ClassVar[tuple[str, ...]] = ("iteration", "config", "optimizer", "n_params", "dataset", "n_train",
                                         "n_val")
    config: dict
    optimizer: str
    n_params: int
    dataset: str
    n_train: int
    n_val: int
    optimizer_kind: str = "search"
    hyperparams: dict = field(default_factory=dict)
    lr: float | None = None  # the current rate (gradient optimizers)
    stats: dict = field(default_factory=dict)  # the optimizer's counters (tried/accepted, lr, temperature)
    limit: int = 0
    state: TrainerState = TrainerState.READY
    epoch: float = 0.0
    best_loss: float = float("inf")
    best_iteration: int = -1
    improvements: int = 0
    switches: list = field(default_factory=list)  # (iteration, optimizer) pairs
    evaluations: list = field(default_factory=list)  # dicts: iteration, train/val loss and accuracy
    losses: dict = field(default_factory=dict)  # the loss history so far (history.Series.to_arrays())
    model: dict = field(default_factory=dict)  # the Network constructor's arguments
    params: np.ndarray | None = None  # the weights now
    data: RunData | None = None


@dataclass
class Progress(Event):
    """A chunk of consecutive iterations, starting at ``iteration``.

    ``losses``/``accuracies`` are the candidate's (derivative-free) or the mini-batch's
    (gradient) values; ``accepted`` says whether the step was kept (always true for gradient
    steps); ``improved`` marks a new best loss.
    """

    kind: ClassVar[str] = "progress"
    losses: np.ndarray
    accuracies: np.ndarray
    accepted: np.ndarray
    improved: np.ndarray
    best_loss: float
    epoch: float
    lr: float | None = None  # the optimizer's rate after the chunk (gradient optimizers)
    stats: dict = field(default_factory=dict)  # the optimizer's counters after the chunk

    @property
    def iterations(self) -> np.ndarray:
        return np.arange(self.iteration, self.iteration + len(self.losses))

    def __len__(self) -> int:
        return len(self.losses)


@dataclass
class Evaluation(Event):
    """Full-data metrics with the weights as they stand before ``iteration`` runs."""

    kind: ClassVar[str] = "evaluation"
    train_loss: float
    train_accuracy: float
    val_loss: float | None
    val_accuracy: float | None
    best_loss: float
    epoch: float
    optimizer: str
    lr: float | None
    hyperparams: dict
    stats: dict
    reg_loss: float = 0.0  # the L1/L2 penalties of these weights (the book's chapter 14); the losses above are data losses


@dataclass
class Snapshot(Event):
    """The weights now (a copy), the last gradient (gradient optimizers) and the last change."""

    kind: ClassVar[str] = "snapshot"
    params: np.ndarray
    grads: np.ndarray | None
    delta: np.ndarray  # params minus the params before the last accepted step
    best_loss: float
    its_per_sec: float = 0.0


# -- lifecycle events -------------------------------------------------------------------------


@dataclass
class Paused(Event):
    kind: ClassVar[str] = "paused"


@dataclass
class Resumed(Event):
    kind: ClassVar[str] = "resumed"


@dataclass
class Stepped(Event):
    kind: ClassVar[str] = "stepped"


@dataclass
class OptimizerSwitched(Event):
    kind: ClassVar[str] = "optimizer_switched"
    old: str
    new: str
    hyperparams: dict
    optimizer_kind: str = "search"  # the new optimizer's: search or gradient
    lr: float | None = None  # its current rate
    stats: dict = field(default_factory=dict)


@dataclass
class HyperparamChanged(Event):
    kind: ClassVar[str] = "hyperparam_changed"
    optimizer: str
    name: str
    old: float
    new: float
    lr: float | None = None  # the optimizer's current rate after the change
    stats: dict = field(default_factory=dict)


@dataclass
class WeightChanged(Event):
    kind: ClassVar[str] = "weight_changed"
    index: int
    old: float
    new: float


@dataclass
class ResetDone(Event):
    kind: ClassVar[str] = "reset"
    limit: int = 0  # the run's length again (an extension is undone)
    lr: float | None = None
    stats: dict = field(default_factory=dict)


@dataclass
class CheckpointSaved(Event):
    kind: ClassVar[str] = "checkpoint_saved"
    path: str


@dataclass
class Diverged(Event):
    kind: ClassVar[str] = "diverged"
    loss: float
    reason: str


@dataclass
class Finished(Event):
    kind: ClassVar[str] = "finished"
    summary: dict


@dataclass
class Failed(Event):
    kind: ClassVar[str] = "failed"
    error: str
    traceback: str


@dataclass
class Stopped(Event):
    kind: ClassVar[str] = "stopped"


@dataclass
class SpeedChanged(Event):
    kind: ClassVar[str] = "speed_changed"
    speed: float | None  # iterations per second; None = full speed


@dataclass
class LimitChanged(Event):
    kind: ClassVar[str] = "limit_changed"
    limit: int


@dataclass
class BranchShown(Event):
    """The session now runs ``branch`` of the run (just forked at ``iteration`` when ``forked``,
    or chosen): ``started`` is its whole state, for a view to start again from; ``overlays``
    the other branches' loss curves as (label, iterations, losses); ``branches`` every name."""

    kind: ClassVar[str] = "branch_shown"
    LOGGED: ClassVar[tuple[str, ...]] = ("iteration", "branch", "branches", "forked")
    branch: str
    branches: list
    started: Started
    overlays: list = field(default_factory=list)
    forked: bool = False


# -- commands -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    pass


@dataclass(frozen=True)
class Pause(Command):
    pass


@dataclass(frozen=True)
class Resume(Command):
    pass


@dataclass(frozen=True)
class Step(Command):
    """Run exactly one iteration, then stay paused."""


@dataclass(frozen=True)
class SwitchOptimizer(Command):
    name: str
    hyperparams: dict = field(default_factory=dict)


@dataclass(frozen=True)
class SetHyperparam(Command):
    name: str
    value: float


@dataclass(frozen=True)
class SetWeight(Command):
    index: int  # position in the flat parameter vector
    value: float


@dataclass(frozen=True)
class Reset(Command):
    pass


@dataclass(frozen=True)
class SaveCheckpoint(Command):
    path: str


@dataclass(frozen=True)
class SetSpeed(Command):
    speed: float | None  # iterations per second; None = full speed


@dataclass(frozen=True)
class Extend(Command):
    iterations: int


@dataclass(frozen=True)
class Stop(Command):
    pass


@dataclass(frozen=True)
class Fork(Command):
    """Keep the run as it stands as one branch and go on from exactly this state as a new one
    (what is changed next, e.g. the optimizer, changes the new branch only)."""


@dataclass(frozen=True)
class ChooseBranch(Command):
    name: str
