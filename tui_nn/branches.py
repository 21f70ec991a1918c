"""Branches of a live run: the dashboard's fork (``f`` while paused) and branch choice (``b``).

A :class:`~tui_nn.runner.Session` owns one :class:`Branches`. A fork keeps the run as it stands
as its branch (``main`` first) and goes on from exactly that state as a new branch, handed over
as ``tui-nn train --resume`` of a checkpoint taken there would be (:func:`tui_nn.replay.handover`),
so what the user changes next (another optimizer, a hyperparameter) makes the branch that
resumed run, bit for bit (``tests/test_fork.py``). Only one branch runs at a time: choosing
another keeps the one shown where it stands and restores the other's state. Each change is
told as a :class:`~tui_nn.events.BranchShown` event (the branch's whole state, the others'
loss curves). A recorded run (``--record``) keeps every branch in its recording, as replay's
forks are kept: a ``FORK`` record and the branch's own stream, read with ``--branch NAME``.
"""

from __future__ import annotations

import numpy as np

from . import events as ev
from .events import TrainerState


class Branches:
    def __init__(self, record: str | None = None, snapshot_every: int | None = None):
        self.record = record  # the recording every branch is kept in, or None
        self.snapshot_every = snapshot_every
        self.current = "main"
        self.names = ["main"]
        self.kept: dict[str, tuple[dict, dict]] = {}  # the branches not running: their state
        self.recorders: dict = {}  # their recorders (a recorded run)

    def fork(self, t, recorder):
        """Fork ``t`` where it stands; returns the events and the new branch's recorder."""
        from .replay import handover, kept_state

        name = f"fork-{len(self.names)}"
        at, parent = t.iteration, self.current
        self._leave(t, recorder)
        self.kept[parent] = kept_state(t)
        handover(t, self.kept[parent], resumed=False)
        out: list[ev.Event] = []
        if t.state is TrainerState.DIVERGED:  # as --resume goes on from a diverged run
            t.recover()
        self.names.append(name)
        self.current = name
        if recorder is not None:
            from .recording import Recorder

            recorder = Recorder(self.record, t, snapshot_every=self.snapshot_every, fork={
                "name": name, "parent": parent, "at": at, "optimizer": t.optimizer.name,
                "hyperparams": dict(t.optimizer.hp), "iterations": max(0, t.limit - at)})
        return out + [self.shown(t, forked=True)], recorder

    def choose(self, name: str, t, recorder):
        """Run branch ``name`` from where it was left; returns the events and its recorder."""
        from .replay import handover, kept_state

        if name == self.current:
            return [], recorder
        if name not in self.kept:
            raise ValueError(f"no branch {name!r}; the branches: {', '.join(self.names)}")
        self._leave(t, recorder)
        self.kept[self.current] = kept_state(t)
        handover(t, self.kept.pop(name), resumed=False)
        self.current = name
        return [self.shown(t)], self.recorders.pop(name, recorder)

    def _leave(self, t, recorder) -> None:
        if recorder is not None:
            recorder.record([], t, command=True)  # everything so far written, and a snapshot here
            self.recorders[self.current] = recorder

    def shown(self, t, *, forked: bool = False) -> ev.BranchShown:
        return ev.BranchShown(t.iteration, self.current, list(self.names), t.started(),
                              [self._curve(name, state) for name, state in self.kept.items()], forked)

    @staticmethod
    def _curve(name: str, state: tuple[dict, dict]):
        """A kept branch's loss curve, labelled with its name and optimizer: its best loss so
        far for a search, its loss otherwise (the lowest of each bucket of its history)."""
        from .history import Series
        from .optimizers import OPTIMIZERS

        meta, arrays = state
        series = Series.from_arrays({k[len("hist_losses_"):]: v for k, v in arrays.items()
                                     if k.startswith("hist_losses_")})
        its, lo = series.arrays()[:2]
        if OPTIMIZERS[meta["optimizer"]].kind == "search":
            lo = np.fmin.accumulate(lo) if len(lo) else lo
        return f"{name} ({meta['optimizer']})", np.asarray(its, float), np.asarray(lo, float)

    def close(self) -> None:
        for recorder in self.recorders.values():
            recorder.close()
        self.recorders = {}
