"""The one interrupt path of a command-line run: SIGINT and SIGTERM, from start to last write.

:class:`Interrupts` is installed before the trainer is built and stays until every output is
written. Before training (loading data, building the model) a signal ends the command at once
(``KeyboardInterrupt``; nothing to save). From :meth:`Interrupts.defer` on it only records the
signal: the headless driver checks it between chunks, stops the run and saves a checkpoint; a
signal while the outputs are written lets the writes finish, and the command then exits 130.
Standard library only.
"""

from __future__ import annotations

import signal
import threading

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupts:
    def __init__(self):
        self.signum: int | None = None
        self.deferred = False
        self._old: dict = {}

    def install(self) -> "Interrupts":
        if threading.current_thread() is threading.main_thread() and not self._old:
            for sig in SIGNALS:
                self._old[sig] = signal.signal(sig, self._handle)
        return self

    def defer(self) -> "Interrupts":
        """From now on a signal is recorded, not raised."""
        self.deferred = True
        return self

    def restore(self) -> None:
        for sig, handler in self._old.items():
            signal.signal(sig, handler)
        self._old = {}

    def _handle(self, signum, frame):
        self.signum = signum
        if not self.deferred:
            raise KeyboardInterrupt

    def __enter__(self) -> "Interrupts":
        return self.install()

    def __exit__(self, *exc) -> None:
        self.restore()
