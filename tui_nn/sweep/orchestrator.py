"""The sweep itself: :class:`Sweep` runs a plan on a backend, appends each result to the
results files as it arrives, retries configurations whose worker died, and reports events to
front ends. Commands (pause, resume, cancel, stop) may be sent from any thread."""

from __future__ import annotations

import collections
import math
import queue
import threading
import time
from typing import Any, Callable

import numpy as np

from ..trainer import Trainer
from .backends import InlineBackend
from .events import (Cancel, ConfigCancelled, ConfigDone, ConfigFinished, ConfigProgress, ConfigRerun, ConfigRetried,
                     ConfigRunning, ConfigSubmitted, Pause, Resume, Stop, SweepEvent, SweepFinished, SweepPaused,
                     SweepStarted, WorkerLost)
from .grid import DEFAULT_RETRIES
from .plan import Configuration, Plan, estimated_cost
from .results import Result, ResultsFiles, ranking


class Sweep:
    """Run a plan on a backend, stream results to files, and report events.

    ``run()`` blocks until every configuration has a result, ``stop()`` is called or the
    process is interrupted; call it from the thread that should do the bookkeeping. ``pause``,
    ``resume``, ``cancel`` and ``stop`` may be called from any thread.
    """

    def __init__(self, plan: Plan, backend=None, *, files: ResultsFiles | None = None,
                 retries: int = DEFAULT_RETRIES, live: bool = False):
        self.plan = plan
        self.backend = backend if backend is not None else InlineBackend()
        self.files = files
        self.retries = retries
        self.live = live
        self.results: dict[int, Result] = dict(files.previous) if files is not None else {}
        ranked = ranking(self.results.values(), plan.metric)
        self._best = ranked[0] if ranked and math.isfinite(ranked[0].score(plan.metric)) else None
        self.running: dict[int, int] = {}  # index -> attempt
        self.attempts: dict[int, int] = {}
        self.reruns: dict[int, int] = {}  # index -> times a backend started an attempt again itself
        # index -> (when its attempt started running, its evaluations so far): what a cancelled
        # configuration reports (how long it ran, its epochs), as a finished one does.
        self._progress: dict[int, tuple[float, list[dict]]] = {}
        self.paused = False
        self.interrupted = False
        self._best_weights: tuple[int, Any] | None = None
        self._commands: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()  # guards results/running for readers in other threads
        self._listeners: list[Callable[[SweepEvent], None]] = []

    # -- commands (any thread) ------------------------------------------------------------------
    def pause(self) -> None:
        self._commands.put(Pause())

    def resume(self) -> None:
        self._commands.put(Resume())

    def cancel(self, index: int) -> None:
        self._commands.put(Cancel(index))

    def stop(self) -> None:
        self._commands.put(Stop())

    def subscribe(self, listener: Callable[[SweepEvent], None]) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[SweepEvent], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    # -- state (any thread) ---------------------------------------------------------------------
    def snapshot(self) -> tuple[dict[int, Result], dict[int, int]]:
        with self._lock:
            return dict(self.results), dict(self.running)

    @property
    def best(self) -> Result | None:
        """The best result so far (lowest configuration number among equals), if any is usable."""
        return self._best

    def ranked(self) -> list[Result]:
        with self._lock:
            return ranking(self.results.values(), self.plan.metric)

    # -- running --------------------------------------------------------------------------------
    def run(self, on_event: Callable[[SweepEvent], None] | None = None) -> list[Result]:
        """Run every configuration without a result; return all results, best first."""
        if on_event is not None:
            self.subscribe(on_event)
        pending = [c for c in self.plan.configurations if c.index not in self.results]
        if self.backend.capacity > 1:
            # Longest first, so the sweep does not end with one worker busy and the others idle.
            # Every configuration has its own seed: the order changes no result.
            pending.sort(key=lambda c: -estimated_cost(c.config))
        pending = collections.deque(pending)
        stopping = False
        if self.files is not None:
            self.files.open()
        try:
            self._emit(SweepStarted(len(self.plan.configurations), len(pending), self.backend.description,
                                    self.backend.capacity))
            while True:
                stopping = self._apply_commands(pending, block=False) or stopping
                if stopping:
                    break
                room = self.backend.capacity + (0 if self.live else self.backend.ahead)
                while not self.paused and pending and len(self.running) < room:
                    c = pending.popleft()
                    attempt = self.attempts.get(c.index, 0)
                    with self._lock:
                        self.running[c.index] = attempt
                    self.backend.submit(c, attempt, self.live)
                    self._emit(ConfigSubmitted(c.index, attempt))
                if not self.running:
                    if not pending:
                        break
                    stopping = self._apply_commands(pending, block=True)  # paused: wait for a command
                    continue
                for message in self.backend.wait(0.2):
                    self._handle(message, pending)
        except BaseException:
            self.interrupted = True
            self.backend.close(terminate=True)
            raise
        finally:
            if self.files is not None:
                self.files.close()
        self.interrupted = stopping and (bool(pending) or bool(self.running))
        self.backend.close(terminate=stopping)
        results = self.ranked()
        self._emit(SweepFinished(results, self.interrupted))
        return results

    def _apply_commands(self, pending, block: bool) -> bool:
        """Apply queued commands; True if the sweep should stop."""
        stop = False
        while True:
            try:
                cmd = self._commands.get(block=block)
            except queue.Empty:
                return stop
            block = False
            if isinstance(cmd, Stop):
                stop = True
            elif isinstance(cmd, (Pause, Resume)):
                if self.paused != isinstance(cmd, Pause):
                    self.paused = isinstance(cmd, Pause)
                    self._emit(SweepPaused(self.paused))
            elif isinstance(cmd, Cancel):
                index = cmd.index
                if index in self.running:
                    self.backend.cancel(index)  # (the inline backend cannot: its run just finishes)
                else:
                    for c in list(pending):
                        if c.index == index:
                            pending.remove(c)
                            self._finish(Result(c.index, c.params, c.seed, "cancelled", attempts=0))

    def _handle(self, event: SweepEvent, pending) -> None:
        index, attempt = event.index, event.attempt
        if self.running.get(index) != attempt:
            return  # from an attempt that was given up (a retried or cancelled run)
        c = self.plan.configuration(index)
        if isinstance(event, (ConfigRunning, ConfigProgress)):
            if isinstance(event, ConfigRunning):
                self._progress[index] = (time.monotonic(), [])
            else:
                self._progress.setdefault(index, (time.monotonic(), []))[1].append(event.point)
            self._emit(event)
        elif isinstance(event, ConfigCancelled):
            started, history = self._progress.get(index, (None, []))
            last = history[-1] if history else {}
            self._finish(Result(index, c.params, c.seed, "cancelled", last.get("val_loss"), last.get("val_accuracy"),
                                last.get("train_loss"), last.get("train_accuracy"), last.get("epoch"),
                                time.monotonic() - started if started is not None else 0.0, history,
                                attempts=attempt + 1))
        elif isinstance(event, ConfigRerun):  # the backend started it again itself (Dask): a retry too
            self.reruns[index] = self.reruns.get(index, 0) + 1
            used = attempt + self.reruns[index]  # retries so far
            if used <= self.retries:
                self._emit(ConfigRetried(index, used, event.reason))
            else:
                self.backend.cancel(index)
                self._finish(Result(index, c.params, c.seed, "failed", error=event.reason, attempts=used))
        elif isinstance(event, WorkerLost):
            used = attempt + self.reruns.get(index, 0)
            if used < self.retries:
                with self._lock:
                    del self.running[index]
                self.attempts[index] = used + 1
                pending.appendleft(c)  # first in line again
                self._emit(ConfigRetried(index, used + 1, event.reason))
            else:
                self._finish(Result(index, c.params, c.seed, "failed", error=event.reason, attempts=used + 1))
        elif isinstance(event, ConfigDone):
            self._finish(self._result(c, event.outcome, attempt))

    def _result(self, c: Configuration, raw: dict, attempt: int) -> Result:
        # A run that stopped early (cancelled by its own check) has no summary: its last evaluation.
        s = raw.get("summary") or {**(raw.get("history") or [{}])[-1]}
        s.setdefault("epochs", s.get("epoch"))
        return Result(c.index, c.params, c.seed, raw["status"], s.get("val_loss"), s.get("val_accuracy"),
                      s.get("train_loss"), s.get("train_accuracy"), s.get("epochs"), raw.get("seconds", 0.0),
                      raw.get("history", []), raw.get("error"), raw.get("weights"),
                      attempt + self.reruns.get(c.index, 0) + 1,
                      test_accuracy=s.get("test_accuracy"))

    def _finish(self, result: Result) -> None:
        weights, result.weights = result.weights, None
        metric = self.plan.metric
        with self._lock:
            self.running.pop(result.index, None)
            self._progress.pop(result.index, None)
            self.results[result.index] = result
        best = self._best
        if math.isfinite(result.score(metric)) and (
                best is None or (result.score(metric), result.index) < (best.score(metric), best.index)):
            self._best = best = result
            self._best_weights = (result.index, weights) if weights is not None else None
        if self.files is not None:
            self.files.append(result)
        self._emit(ConfigFinished(result, best))

    def _emit(self, event: SweepEvent) -> None:
        for listener in list(self._listeners):
            listener(event)

    # -- the best model -------------------------------------------------------------------------
    def finished_trainer(self, index: int) -> Trainer:
        """A trainer for configuration ``index`` as its run ended, to open in the training
        dashboard: its final weights, at its last iteration, finished (or diverged), with the
        evaluations of its history.

        The weights come from the worker when this configuration is the best of this session
        (the only one whose weights are kept); otherwise it is trained again here, which gives
        the same run (it is deterministic) and the optimizer's state with it.
        """
        trainer = self.plan.trainer(self.plan.configuration(index))
        kept, result = self._best_weights, self.results.get(index)  # (the sweep may still run)
        if kept is None or kept[0] != index or result is None:
            with np.errstate(all="ignore"):  # as in run_configuration
                trainer.run()
            return trainer
        history = result.history
        trainer.load_final_state(kept[1], iteration=history[-1]["iteration"] if history else trainer.limit,
                                 epoch=result.epochs, evaluations=history, elapsed=result.seconds,
                                 diverged=result.status == "diverged")
        return trainer

    def best_trainer(self) -> Trainer | None:
        """A trainer holding the best configuration's final weights.

        They come from the worker when it ran in this session; otherwise (a resumed sweep) the
        configuration is trained again, which gives the same weights (it is deterministic).
        """
        best = self.best
        if best is None:
            return None
        trainer = self.plan.trainer(self.plan.configuration(best.index))
        if self._best_weights is not None and self._best_weights[0] == best.index:
            trainer.set_weights(self._best_weights[1])
        else:
            with np.errstate(all="ignore"):  # as in run_configuration
                trainer.run()
        return trainer

