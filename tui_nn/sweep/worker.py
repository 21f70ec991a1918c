"""What a worker does, wherever it runs (a local process, a Dask worker, this process): train
one configuration and return a plain result dict; keep its output off the dashboard and its
BLAS to one thread."""

from __future__ import annotations

import os
import sys
import time
import traceback
from typing import Callable

import numpy as np

from .. import events as ev
from ..runner import Session
from ..trainer import TrainConfig, Trainer


def run_configuration(config: dict, report: Callable[[dict], None] | None = None,
                      should_stop: Callable[[], bool] | None = None) -> dict:
    """Train one configuration to the end; return a plain, picklable result dict.

    ``report`` gets each evaluation (epoch, train/val loss and accuracy) as it happens;
    ``should_stop`` is asked after each one and ends the run as ``cancelled`` when true.
    """
    # Overflow in exp and the like are how a diverging run looks; the trainer reports the
    # divergence, and NumPy's RuntimeWarnings would only land over the dashboard or the bar.
    with np.errstate(all="ignore"):
        return _run_configuration(config, report, should_stop)


def _run_configuration(config, report, should_stop) -> dict:
    t0 = time.perf_counter()
    try:
        trainer = Trainer(TrainConfig.from_dict(config))
        t0 = time.perf_counter()  # seconds count the training, not loading the data
        run = _Run(report, should_stop)
        # The same session (and chunking rule) as headless runs and the dashboard, in this thread.
        run.session = Session(trainer, run.on_events)
        run.session.run()
        seconds = time.perf_counter() - t0
        if run.failed is not None:
            return {"status": "failed", "error": run.failed.error, "traceback": run.failed.traceback,
                    "history": [], "seconds": seconds}
        if run.status == "cancelled":
            return {"status": "cancelled", "history": run.history, "seconds": seconds}
        s = trainer.summary()
        summary = {k: s[k] for k in ("val_loss", "val_accuracy", "train_loss", "train_accuracy",
                                      "test_accuracy", "epochs", "iterations")}
        return {"status": run.status, "summary": summary, "history": run.history,
                "weights": trainer.net.params.copy(), "seconds": seconds}
    except Exception as e:  # noqa: BLE001 - a failed configuration must not end the sweep
        return {"status": "failed", "error": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc(),
                "history": [], "seconds": time.perf_counter() - t0}


class _Run:
    """What the worker keeps from its session's events: the evaluations (each reported as it
    comes), how the run ended; it stops the session at the end, or when ``should_stop`` says so
    after an evaluation (the run is then ``cancelled``)."""

    def __init__(self, report, should_stop):
        self.report, self.should_stop = report, should_stop
        self.session: Session | None = None
        self.history: list[dict] = []
        self.status = "ok"
        self.failed: ev.Failed | None = None
        self._ended = False

    def on_events(self, batch: list[ev.Event]) -> None:
        for event in batch:
            if self._ended:
                return  # the session stops within a chunk; what it did meanwhile is not counted
            if isinstance(event, ev.Evaluation):
                point = {"epoch": event.epoch, "iteration": event.iteration,
                         "train_loss": event.train_loss, "train_accuracy": event.train_accuracy,
                         "val_loss": event.val_loss, "val_accuracy": event.val_accuracy}
                self.history.append(point)
                if self.report is not None:
                    self.report(point)
                if self.should_stop is not None and self.should_stop():
                    self._end("cancelled")
            elif isinstance(event, ev.Diverged):
                self._end("diverged")
            elif isinstance(event, ev.Finished):
                self._end(self.status)
            elif isinstance(event, ev.Failed) and event.traceback:  # the trainer raised
                self.failed = event
                self._end("failed")

    def _end(self, status: str) -> None:
        self.status, self._ended = status, True
        self.session.send(ev.Stop())


def redirect_output(log) -> None:
    """Send this process's standard output and error (file descriptors 1 and 2, so also what C
    code and logging write) to the end of the file ``log``: a worker must not write over the
    sweep dashboard."""
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, ValueError, OSError):
            pass
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    # Python-level streams onto the new descriptors too (they may have been replaced).
    sys.stdout = open(1, "w", encoding="utf-8", errors="backslashreplace", buffering=1, closefd=False)
    sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace", buffering=1, closefd=False)


_threads_limited = False


def limit_blas_threads() -> None:
    """One BLAS/OpenMP thread in this process (a worker): parallelism comes from the workers."""
    global _threads_limited
    if not _threads_limited:
        from threadpoolctl import threadpool_limits  # comes with scikit-learn

        threadpool_limits(1)
        _threads_limited = True
