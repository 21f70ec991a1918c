"""Replay: the exact state of a recorded run at any iteration.

:class:`Replayer` keeps one trainer of the recording's configuration (the data is loaded once).
``state_at(i)`` restores the last snapshot at or before ``i`` and recomputes forward with the
deterministic trainer, so the trainer then holds what the run held at iteration ``i``, bit for
bit (``tests/test_replay.py`` checks it against a straight run at random iterations). Moving
forward from where it stands it only runs the difference.
"""

from __future__ import annotations

import dataclasses
import json
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np

from . import events as ev
from .history import Series
from .recording import Recording, RecordingError, Snap


class Replayer:
    def __init__(self, recording: Recording):
        from .config import TrainConfig
        from .trainer import Trainer

        self.recording = recording
        try:
            self.trainer = Trainer(TrainConfig.from_dict(recording.config))
        except ValueError as e:  # e.g. its data file is gone
            raise RecordingError(f"{recording.path}: config: {' '.join(str(e).split())}") from None
        digest = recording.conf.get("data_digest")
        if digest not in (None, self.trainer.dataset.digest):
            raise RecordingError(f"{recording.path}: the data file {self.trainer.config.data} has changed since "
                                 "this run was recorded; restore the file to replay it")
        self._at: Snap | None = None  # the snapshot the trainer was last restored from

    @property
    def iteration(self) -> int:
        return self.trainer.iteration

    def forget(self) -> None:
        """The recording's branch changed: restore a snapshot at the next ``state_at``."""
        self._at = None

    def check_cursor(self, iteration: int) -> None:
        rec = self.recording
        if not rec.first <= iteration <= rec.end:
            raise RecordingError(f"iteration {iteration:,} is outside the recording of {rec.path} "
                                 f"({rec.first:,} to {rec.end:,}); give an iteration in that range")

    def state_at(self, iteration: int):
        """The trainer standing at ``iteration`` exactly (it is this replayer's: read it only)."""
        from .checkpoint import CheckpointError

        self.check_cursor(iteration)
        snap = self.recording.snapshot_before(iteration)
        t = self.trainer
        if not (self._at is snap and snap.iteration <= t.iteration <= iteration):
            ck = self.recording.read_snapshot(snap)
            try:
                from .checkpoint import check

                check(ck)
                t.restore(ck)
            except CheckpointError as e:
                raise RecordingError(f"{self.recording.path}: snapshot at iteration {snap.iteration}: "
                                     f"{str(e).split(': ', 1)[-1]}") from None
            self._at = snap
        if iteration > t.iteration:
            t.advance(iteration - t.iteration)
        if t.iteration != iteration:
            raise RecordingError(f"{self.recording.path}: the run stops at iteration {t.iteration:,} when "
                                 f"recomputed, not at {iteration:,}; the recording does not match this "
                                 "version of tui-nn")
        return t


# --- a session over a recording: the replay dashboard's cursor ------------------------------------


@dataclass
class CursorMoved(ev.Event):
    """The run's exact state at the cursor (``iteration``), for a view to start from: ``started``
    holds the recording's whole loss history, evaluations and switches (the charts in full) and
    the weights at the cursor; ``snapshot`` its gradient and last step; ``metrics`` the
    full-data training and validation loss and accuracy of those weights."""

    kind: ClassVar[str] = "cursor"
    started: ev.Started
    snapshot: ev.Snapshot
    metrics: tuple
    first: int
    end: int
    live: bool = False
    branch: str = "main"  # the branch the state is on
    branches: list = dataclasses.field(default_factory=list)  # every branch's name
    overlays: list = dataclasses.field(default_factory=list)  # the others' curves: (name, iterations, losses)


class ReplaySession:
    """Moves a :class:`Replayer` to the cursor in a thread of its own and hands the state there
    to ``on_events`` as a :class:`CursorMoved` (the session interface of
    :class:`tui_nn.runner.Session`: ``start``, ``stop``, ``send``). Seeks coalesce: while one is
    computed, only the latest of those asked for meanwhile runs next (scrubbing never queues up).
    ``live`` (a callable) says whether the recording is still being written; while it is, new
    records are read every ``POLL_SECONDS`` and a cursor at the end follows the end."""

    POLL_SECONDS = 0.5

    def __init__(self, replayer: Replayer, on_events, *, cursor: int | None = None, live=None):
        self.replayer = replayer
        self.recording = replayer.recording
        self.on_events = on_events
        self.live = live or (lambda: False)
        self.paused = True
        self.speed = None
        self.error: str | None = None
        self._target = self.recording.end if cursor is None else cursor
        self._cursor: int | None = None
        self._wake = threading.Condition()
        self._stopping = False
        self._series, self._overlays, self._key = Series(), [], None
        self._ops: list = []  # forks and branch changes asked for, run in order before the next seek
        self._thread = threading.Thread(target=self._main, name="tui-nn-replay", daemon=True)

    def start(self) -> "ReplaySession":
        self._thread.start()
        return self

    def seek(self, iteration: int) -> None:
        with self._wake:
            self._target = int(iteration)
            self._wake.notify()

    def choose(self, branch: str) -> None:
        """Show ``branch`` (the cursor stays, within the branch's iterations)."""
        self._queue(lambda: self._choose(branch))

    def fork(self, name: str, optimizer: str, hyperparams: dict) -> None:
        """Fork at the cursor (see :func:`fork`) and show the new branch."""
        self._queue(lambda: self._fork(name, optimizer, hyperparams))

    def _queue(self, op) -> None:
        with self._wake:
            self._ops.append(op)
            if self._target is None:
                self._target = self._cursor
            self._wake.notify()

    def _choose(self, branch: str) -> None:
        self.recording.choose(branch)
        self.replayer.forget()

    def _fork(self, name: str, optimizer: str, hyperparams: dict) -> None:
        if self.live():
            raise RecordingError("the run is still being recorded; fork it once it has ended")
        fork(self.recording, self._cursor, name, optimizer=optimizer, hyperparams=hyperparams)
        self._choose(name)

    def send(self, command) -> None:
        if isinstance(command, ev.Stop):
            self.stop()

    def stop(self, timeout: float | None = 5.0) -> None:
        with self._wake:
            self._stopping = True
            self._wake.notify()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    @property
    def state(self) -> str:
        return "failed" if self.error else "paused"

    def _main(self) -> None:
        live_at = time.monotonic()
        while True:
            with self._wake:
                while not self._stopping and self._target is None:
                    self._wake.wait(self.POLL_SECONDS)
                    if self.live() and time.monotonic() - live_at >= self.POLL_SECONDS:
                        break
                if self._stopping:
                    return
                target, self._target = self._target, None
                ops, self._ops = self._ops, []
            for op in ops:
                try:
                    op()
                except (RecordingError, ValueError) as e:  # a refused fork: said, the replay goes on
                    self.on_events([ev.Failed(self._cursor or 0, str(e), "")])
            if target is not None:
                target = min(max(target, self.recording.first), self.recording.end)
            live = self.live()
            if live or target is None:
                live_at = time.monotonic()
                end = self.recording.end
                try:
                    grew = self.recording.refresh()
                except RecordingError:
                    grew = False
                if target is None:
                    if not grew:
                        continue
                    target = self.recording.end if self._cursor == end else self._cursor
            try:
                self._emit(target, live)
            except (RecordingError, ValueError) as e:  # reported in the panels, the app stays
                self.error = str(e)
                self.on_events([ev.Failed(target, str(e), "")])

    def _emit(self, iteration: int, live: bool) -> None:
        rec = self.recording
        t = self.replayer.state_at(iteration)
        self._cursor = iteration
        key = (rec.branch, rec.offset)
        if key != self._key:  # another branch, or new records: the curves again
            self._key = key
            its, losses, _, _ = rec.series()
            self._series = Series()
            if len(its):
                self._series.extend(int(its[0]), losses)
            elif rec.kept is not None:  # a checkpoint's own history: its buckets
                self._series = Series.from_arrays(rec.kept["losses"])
            self._overlays = [(name, *self._curve(b)) for name, b in rec.branches.items()
                              if name != rec.branch and b.snapshots]
        switches = [(rec.first, rec.config["optimizer"])] + [
            (e["iteration"], e["new"]) for e in rec.events if e.get("event") == "optimizer_switched"]
        evaluations = [{k: e.get(k) for k in ("iteration", "train_loss", "train_accuracy", "val_loss",
                                              "val_accuracy")} for e in rec.evaluations()]
        started = dataclasses.replace(t.started(), losses=self._series.to_arrays(), evaluations=evaluations,
                                      switches=switches)
        metrics = (*t.metrics(t.X_train, t.y_train), *t.metrics(t.X_val, t.y_val))
        self.on_events([CursorMoved(iteration, started, t.snapshot(), metrics, rec.first, rec.end, live, rec.branch,
                                    [n for n, b in rec.branches.items() if b.snapshots], self._overlays)])

    def _curve(self, b) -> tuple[np.ndarray, np.ndarray]:
        """A branch's own stretch for drawing beside another: its best loss so far (a search) or
        its loss, the lowest of each of at most 2,048 buckets."""
        from .optimizers import OPTIMIZERS

        if not b.starts:
            return np.zeros(0), np.zeros(0)
        its = np.concatenate([np.arange(s, s + len(l)) for s, l in zip(b.starts, b.losses)])
        losses = np.concatenate(b.losses).astype(np.float64)
        kind = OPTIMIZERS[b.fork.get("optimizer") or self.recording.config["optimizer"]].kind
        if kind == "search":
            losses = np.fmin.accumulate(np.where(np.concatenate(b.accepted), losses, np.inf))
        cut = np.arange(0, len(its), -(-len(its) // 2048))
        return its[cut].astype(float), np.fmin.reduceat(losses, cut)


# --- fork: continue from the state at the cursor as a branch of the recording ------------------

BRANCH_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")


def fork(recording: Recording, at: int, name: str, *, optimizer: str | None = None,
         hyperparams: dict | None = None, iterations: int | None = None, snapshot_every: int | None = None):
    """Continue the run from its exact state at ``at`` (along the recording's current branch)
    with ``optimizer`` and/or other ``hyperparams`` for ``iterations`` (default: as many as the
    branch had left), appended to the recording as branch ``name``; returns the trainer at the
    branch's end. The state is handed over as a checkpoint of it would be, and the changes are
    made as ``tui-nn train --resume`` makes them (:func:`continue_as`), so the branch is that
    resumed run, bit for bit (``tests/test_fork.py``)."""
    from .recording import Recorder

    hyperparams = dict(hyperparams or {})
    if not BRANCH_NAME.fullmatch(name) or name in recording.branches:
        taken = f"; taken: {', '.join(recording.branches)}" if name in recording.branches else ""
        raise RecordingError(f"branch name {name!r}: give a new name of letters, digits, '_', '.' or '-' "
                             f"(at most 40){taken}")
    if recording.torn:
        raise RecordingError(f"{recording.path} ends in a torn record (its writer was killed); a fork cannot be "
                             "appended to it")
    replayer = Replayer(recording)
    t = replayer.state_at(at)
    handover(t)
    left = recording.end - at
    events = continue_as(t, iterations or max(left, 1), optimizer, hyperparams)
    recorder = Recorder(recording.path, t, snapshot_every=snapshot_every, fork={
        "name": name, "parent": recording.branch, "at": at, "optimizer": t.optimizer.name,
        "hyperparams": dict(t.optimizer.hp), "iterations": t.limit - at})
    try:
        recorder.record(events, t)
        while not t.done:
            n = max(1, min(1 << 14, recorder.next_snapshot - t.iteration))
            c0 = time.perf_counter()
            out = t.advance(n)
            recorder.record(out, t, seconds=time.perf_counter() - c0)
    finally:
        recorder.close(t)
    recording.refresh()
    return t


def kept_state(t) -> tuple[dict, dict]:
    """``t``'s whole state as a checkpoint of it holds it, copied (JSON and arrays)."""
    from .checkpoint import capture
    from .recording import _plain

    meta, arrays = capture(t)
    return json.loads(json.dumps(meta, default=_plain)), {k: np.array(v) for k, v in arrays.items()}


def handover(t, state: tuple[dict, dict] | None = None, *, resumed: bool = True) -> None:
    """Make ``t`` stand as a checkpoint of ``state`` (default: of itself now) resumes: what
    ``tui-nn train --resume`` starts from, so a branch made from here is that resumed run."""
    from .checkpoint import Checkpoint

    meta, arrays = state or kept_state(t)
    # copies: the trainer takes some of them as its own (its evaluations, optimizer buffers)
    meta, arrays = json.loads(json.dumps(meta)), {k: np.array(v) for k, v in arrays.items()}
    t.restore(Checkpoint(Path("(fork)"), meta, arrays), resumed=resumed)


def continue_as(t, iterations: int, optimizer: str | None, hyperparams: dict) -> list[ev.Event]:
    """What ``tui-nn train --resume`` does to the checkpointed run before it goes on: run
    ``iterations`` more, recover a diverged run, then switch to ``optimizer`` (with
    ``hyperparams``) or set the current optimizer's ``hyperparams``."""
    out = t.run_for(iterations)
    if t.state == "diverged":
        t.recover()
    if optimizer is not None and optimizer != t.optimizer.name:
        out += t.switch_optimizer(optimizer, **hyperparams)
    else:
        for k, v in hyperparams.items():
            out += t.set_hyperparam(k, v)
    return out
