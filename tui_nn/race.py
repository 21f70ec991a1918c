"""A race: several optimizers trained from one start, side by side.

Every contender is the same :class:`~tui_nn.config.TrainConfig` but for its optimizer and
hyperparameters, so each one is exactly the run ``tui-nn train`` would make of those options:
the same seed gives every contender the same data and the same initial weights (the data and
the weights are drawn before the optimizer draws anything), and its final weights equal a
separate run's bit for bit (``tests/test_race.py``).

:class:`Race` trains the contenders on a pool of worker processes
(:class:`~tui_nn.race_pool.Pool`): one per contender, up to the cores; with more contenders
than cores they share the workers fairly, in segments, the least-served (by CPU time) first,
which changes when a contender finishes, never what it computes. The budget is the same for
every contender: an iteration budget (the configuration's, deterministic), or CPU seconds
(``cpu_seconds``, the ``--time`` option): the CPU time each contender's jobs used, so waiting
for a shared core costs a contender nothing. Commands (pause, step, drop) go to the pool per
contender; events come back tagged with the contender's index.

:class:`Merge` turns the contenders' event streams into one stream whose order does not depend
on their speeds: records sorted by iteration, then contender (what ``race --headless`` prints).
"""

from __future__ import annotations

import heapq
import math
import re
import threading
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np

from . import events as ev
from .config import TrainConfig
from .settings import OPTIMIZERS, SettingError

TIME_CAP = 10**9  # a --time race without --iterations: iterations are not what ends it
TIME_EVAL_EVERY = 100  # ... and it evaluates every 100 iterations (the default would be every 1% of the cap)


class RaceError(SettingError):
    """Bad contenders or budget; the message starts with the setting's name (``optimizers``)."""


@dataclass(frozen=True)
class Contender:
    """One optimizer with its own hyperparameters (the others take their defaults)."""

    optimizer: str
    hyperparams: tuple[tuple[str, float], ...] = ()

    @property
    def label(self) -> str:
        """``adam`` or ``adam lr=0.05``: how tables, legends and streams name it."""
        return " ".join([self.optimizer, *(f"{k}={v:g}" for k, v in self.hyperparams)])

    def resolved(self) -> dict[str, float]:
        """Every hyperparameter of its optimizer, defaults filled in."""
        return {**{h.name: h.default for h in OPTIMIZERS[self.optimizer].hyper}, **dict(self.hyperparams)}


def parse_contenders(text: str, shared: dict[str, float] | None = None) -> list[Contender]:
    """``"hill-climb,adam:lr=0.05"`` -> contenders. ``shared`` hyperparameters (the command
    line's ``--lr``) go to every contender that takes them, under its own values. Unknown
    optimizers, bad values and identical contenders are a :class:`RaceError` saying the fix."""
    shared = dict(shared or {})
    items = [part.strip() for part in (text or "").split(",")]
    if not any(items):
        raise RaceError("optimizers is empty; give a comma-separated list, e.g. hill-climb,sgd,adam,rmsprop",
                        "optimizers")
    contenders = []
    for item in items:
        if not item:
            raise RaceError(f"optimizers {text!r} has an empty item; separate the names by single commas",
                            "optimizers")
        name, *pairs = [p.strip() for p in item.split(":")]
        if name not in OPTIMIZERS:
            raise RaceError(f"optimizers: unknown optimizer {name!r} in {item!r}; choose from "
                            f"{', '.join(OPTIMIZERS)}", "optimizers")
        specs = {h.name: h for h in OPTIMIZERS[name].hyper}
        own: dict[str, float] = {}
        for pair in pairs:
            key, sep, value = (s.strip() for s in pair.partition("="))
            key = key.replace("-", "_")
            if not sep or not key or not value:
                raise RaceError(f"optimizers: {pair!r} in {item!r} is not NAME=VALUE; write e.g. {name}:"
                                f"{next(iter(specs))}=0.05", "optimizers")
            if key not in specs:
                raise RaceError(f"optimizers: {name} has no hyperparameter {key!r} (in {item!r}); its "
                                f"hyperparameters are {', '.join(specs)}", "optimizers")
            if key in own:
                raise RaceError(f"optimizers: {key} is given twice in {item!r}; give it once", "optimizers")
            try:
                own[key] = specs[key].validate(_number(value))
            except SettingError as e:
                raise RaceError(f"optimizers: in {item!r}, {e}", "optimizers") from None
        takes = {k: v for k, v in shared.items() if k in specs and k not in own}
        merged = {**takes, **own}
        contenders.append(Contender(name, tuple((k, merged[k]) for k in specs if k in merged)))
    unused = [k for k in shared if not any(k in dict(c.resolved()) for c in contenders)]
    if unused:
        raise RaceError(f"{unused[0]} applies to none of the contenders ({', '.join(c.optimizer for c in contenders)});"
                        f" drop it", unused[0])
    seen: dict[tuple, Contender] = {}
    for c in contenders:
        key = (c.optimizer, tuple(sorted(c.resolved().items())))
        if key in seen:
            raise RaceError(f"optimizers: {c.label!r} and {seen[key].label!r} are the same contender (the same "
                            f"optimizer and hyperparameters train the same run); drop one, or give them different "
                            f"hyperparameters, e.g. {c.optimizer}:{next(iter(c.resolved()))}=X", "optimizers")
        seen[key] = c
    if len({c.label for c in contenders}) < len(contenders):  # adam and adam lr=0.001: same label, same run
        raise RaceError("optimizers: two contenders share a name; give them different hyperparameters", "optimizers")
    return contenders


def _number(text: str):
    try:
        return float(text)
    except ValueError:
        return text  # the setting says it is not a number


_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|sec|m|min|h)?\s*$")
_UNIT = {None: 1.0, "s": 1.0, "sec": 1.0, "ms": 0.001, "m": 60.0, "min": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """``"30s"``, ``"2m"``, ``"1.5h"``, ``"45"`` (seconds) -> seconds; a RaceError otherwise."""
    match = _DURATION.match(str(text))
    seconds = float(match.group(1)) * _UNIT[match.group(2)] if match else math.nan
    if not seconds > 0:
        raise RaceError(f"time {text!r} is not a duration; give a positive number with s, m or h, e.g. 30s or 2m",
                        "time")
    return seconds


def contender_config(base: TrainConfig, c: Contender) -> TrainConfig:
    """The configuration ``tui-nn train`` runs for this contender: the race's, its optimizer.
    A search scores every candidate on the whole training set: the batch size is the gradient
    contenders' only (``train`` refuses one for a search)."""
    batch = base.batch_size if OPTIMIZERS[c.optimizer].kind == "gradient" else 0
    return replace(base, optimizer=c.optimizer, hyperparams=dict(c.hyperparams), batch_size=batch).validate()


def time_budget_config(base: TrainConfig) -> TrainConfig:
    """A --time race's configuration: without --iterations or --epochs the CPU time ends it (the
    iterations are capped at TIME_CAP), and without --eval-every it evaluates every
    TIME_EVAL_EVERY iterations (1% of the cap would never come)."""
    iterations = base.iterations or (None if base.epochs else TIME_CAP)
    return replace(base, iterations=iterations, eval_every=base.eval_every or TIME_EVAL_EVERY)


@dataclass
class Standing:
    """What the race knows of one contender, from its events alone."""

    index: int
    contender: Contender
    iteration: int = 0
    limit: int = 0
    best_loss: float = math.inf
    best_iteration: int = -1
    train_loss: float | None = None
    train_accuracy: float | None = None
    val_loss: float | None = None
    val_accuracy: float | None = None
    its_per_sec: float = 0.0
    # ready, running, paused, finished, diverged, dropped, failed; opened (handed to the training
    # dashboard) and interrupted (saved on Ctrl-C) are the front ends' to set
    state: str = "ready"
    summary: dict | None = None  # the Finished event's
    params: object = None  # the last weights seen (the final ones once finished)
    error: str | None = None
    start: ev.Started | None = None
    saved: list[str] = field(default_factory=list)  # checkpoints written of it

    @property
    def done(self) -> bool:
        return self.state in ("finished", "diverged", "dropped", "failed", "opened")

    def apply(self, events: list[ev.Event]) -> None:
        for e in events:
            if isinstance(e, ev.Started):
                self.start = e
                self.iteration, self.limit, self.best_loss = e.iteration, e.limit, e.best_loss
                self.best_iteration, self.params = e.best_iteration, e.params
                if e.evaluations:  # a run that had trained before it joined: where it stood
                    last = e.evaluations[-1]
                    self.train_loss, self.train_accuracy = last["train_loss"], last["train_accuracy"]
                    self.val_loss, self.val_accuracy = last["val_loss"], last["val_accuracy"]
            elif isinstance(e, ev.Progress):
                self.iteration = e.iteration + len(e)
                improved = np.flatnonzero(e.improved)
                if improved.size:
                    self.best_iteration = e.iteration + int(improved[-1])
                self.best_loss = e.best_loss
                if self.state == "ready":
                    self.state = "running"
            elif isinstance(e, ev.Evaluation):
                self.train_loss, self.train_accuracy = e.train_loss, e.train_accuracy
                self.val_loss, self.val_accuracy = e.val_loss, e.val_accuracy
                self.best_loss = e.best_loss
            elif isinstance(e, ev.Snapshot):
                self.params, self.its_per_sec, self.best_loss = e.params, e.its_per_sec, e.best_loss
            elif isinstance(e, ev.LimitChanged):
                self.limit = e.limit
            elif isinstance(e, ev.Finished):
                self.state, self.summary = "finished", e.summary
                self.best_iteration = e.summary.get("best_iteration", self.best_iteration)
            elif isinstance(e, ev.Diverged):
                self.state = "diverged"
            elif isinstance(e, ev.Paused) and not self.done:
                self.state = "paused"
            elif isinstance(e, ev.Resumed) and not self.done:
                self.state = "running"
            elif isinstance(e, ev.Failed) and e.traceback:
                self.state, self.error = "failed", e.error
            elif isinstance(e, ev.CheckpointSaved):
                self.saved.append(e.path)


@dataclass
class Race:
    """Contenders trained at once on a pool of worker processes. See the module docstring.

    ``on_events(index, events)`` is called from the pool's threads as the events come.
    ``cores`` caps the workers (default: the cores this process may use).
    """

    config: TrainConfig
    contenders: list[Contender]
    on_events: Callable[[int, list[ev.Event]], None] | None = None
    cpu_seconds: float | None = None
    paused: bool = False
    cores: int | None = None
    trainers: list = field(default_factory=list, init=False)
    standings: list[Standing] = field(default_factory=list, init=False)
    pool: object = field(default=None, init=False)

    def __post_init__(self):
        from .trainer import Trainer  # NumPy; scikit-learn only for the sets that need it

        base = time_budget_config(self.config) if self.cpu_seconds else self.config
        self.configs = [contender_config(base, c) for c in self.contenders]
        self.trainers = [Trainer(cfg) for cfg in self.configs]
        self.standings = [Standing(i, c) for i, c in enumerate(self.contenders)]
        for s, t in zip(self.standings, self.trainers):
            s.apply([t.started()])
        self._lock = threading.Lock()

    def start(self) -> "Race":
        from .race_pool import Pool

        def forward(i: int, events: list[ev.Event]) -> None:
            with self._lock:
                self.standings[i].apply(events)
            if self.on_events is not None:
                self.on_events(i, events)

        self.pool = Pool(self.trainers, forward, paused=self.paused, cpu_budget=self.cpu_seconds,
                         cores=self.cores).start()
        return self

    @property
    def started(self) -> bool:
        return self.pool is not None

    @property
    def done(self) -> bool:
        return all(s.done for s in self.standings)

    def running(self, index: int) -> bool:
        """Contender ``index`` can still train (in the race, a worker left to run it)."""
        return self.pool is not None and self.pool.active(index)

    def send(self, index: int, command: ev.Command) -> None:
        """Pause, Resume, Step or Stop (out of the race) contender ``index``; finished ones stay so."""
        if self.standings[index].done and not isinstance(command, ev.Stop):
            return
        if isinstance(command, ev.Pause):
            self.pool.pause(index)
        elif isinstance(command, ev.Resume):
            self.pool.resume(index)
        elif isinstance(command, ev.Step):
            self.pool.step(index)
        elif isinstance(command, ev.Stop):
            self.pool.halt(index, "stopped")
        else:
            raise TypeError(f"a race contender takes pause, resume, step and stop, not {command!r}")

    def send_all(self, command: ev.Command) -> None:
        for i in range(len(self.standings)):
            self.send(i, command)

    def drop(self, index: int) -> None:
        """Stop one contender where it is; the others race on."""
        with self._lock:
            if not self.standings[index].done:
                self.standings[index].state = "dropped"
        self.pool.halt(index)

    def stop(self, timeout: float = 5.0) -> None:
        """End every worker process (each is killed if it does not stop in time)."""
        if self.pool is not None:
            self.pool.stop(timeout)

    def save(self, index: int, path, timeout: float = 60.0):
        """Write contender ``index``'s checkpoint to ``path`` (its trainer's full state, from
        which :meth:`tui_nn.trainer.Trainer.from_checkpoint` continues bit-identically); the
        path, or None if it could not be written."""
        return None if self.pool is None else self.pool.save(index, path, timeout)

    def trainer(self, index: int, path):
        """Contender ``index``'s trainer as it stands, handed over through a checkpoint at ``path``."""
        from .trainer import Trainer

        if self.save(index, path) is None:
            raise RuntimeError(f"contender {self.contenders[index].label} did not save its state")
        return Trainer.from_checkpoint(path)

    def pids(self) -> list[int]:
        """The worker processes' ids."""
        return [] if self.pool is None else self.pool.pids()


def ranking(standings: list[Standing]) -> list[Standing]:
    """Best first: by validation loss where there is a validation set, else by the final
    training loss (then the best loss); unfinished and failed ones last, in contender order."""
    def key(s: Standing):
        loss = s.val_loss if s.val_loss is not None else s.train_loss
        primary = loss if loss is not None and math.isfinite(loss) else math.inf
        return (s.state in ("failed", "dropped"), primary, s.best_loss if math.isfinite(s.best_loss) else math.inf,
                s.index)
    return sorted(standings, key=key)


# --- one stream from many ------------------------------------------------------------------------

SUMMARY_KEY = 2**62  # after every iteration
DONE = 2**63  # a finished contender's frontier


class Merge:
    """Records of several contenders in an order that does not depend on their speeds.

    Each record has a key: ``2i`` for an event at iteration ``i`` (after ``i`` iterations),
    ``2i + 1`` for the line of iteration ``i``; a contender's records come in key order. A record
    goes out once no contender can still send one that sorts before it (by key, then contender
    index, then arrival): ``frontier`` is the lowest key a contender may still send."""

    def __init__(self, n: int, write: Callable[[str], None]):
        self.write = write
        self.frontier = [0] * n
        self._heap: list[tuple[int, int, int, str]] = []
        self._seq = 0

    def add(self, index: int, key: int, text: str) -> None:
        heapq.heappush(self._heap, (key, index, self._seq, text))
        self._seq += 1
        self.frontier[index] = max(self.frontier[index], key)

    def advance(self, index: int, key: int) -> None:
        """Contender ``index`` will send nothing below ``key`` any more."""
        self.frontier[index] = max(self.frontier[index], key)

    def flush(self) -> None:
        while self._heap:
            key, index, _, text = self._heap[0]
            if not all(f > key or (f == key and j >= index) for j, f in enumerate(self.frontier) if j != index):
                return
            heapq.heappop(self._heap)
            self.write(text)
