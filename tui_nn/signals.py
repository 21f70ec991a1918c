"""The one interrupt path of a command-line run: SIGINT, SIGTERM and SIGHUP, from start to last write.

:class:`Interrupts` is installed before the trainer is built and stays until every output is
written. Before training (loading data, building the model) a signal ends the command at once
(``KeyboardInterrupt``; nothing to save). From :meth:`Interrupts.defer` on it only records the
signal: the headless driver checks it between chunks, stops the run and saves a checkpoint; a
signal while the outputs are written lets the writes finish, and the command then exits 130.
SIGHUP (the terminal or the SSH connection went away) is treated as SIGTERM, unless the command
was started with it ignored (``nohup``), which is left as it is. Standard library only.
"""

from __future__ import annotations

import signal
import threading

SIGNALS = (signal.SIGINT, signal.SIGTERM) + ((signal.SIGHUP,) if hasattr(signal, "SIGHUP") else ())


def ignored(sig: int) -> bool:
    """True for a signal the command was started with ignored (``nohup`` ignores SIGHUP)."""
    return signal.getsignal(sig) is signal.SIG_IGN


class Interrupts:
    def __init__(self):
        self.signum: int | None = None
        self.deferred = False
        self._old: dict = {}

    def install(self) -> "Interrupts":
        if threading.current_thread() is threading.main_thread() and not self._old:
            for sig in SIGNALS:
                if not ignored(sig):
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



class TerminalWatch:
    """Calls ``on_hangup`` in a thread of its own when the terminal goes away (the SSH connection
    dropped, the terminal window closed): ``poll`` reports POLLHUP on it. A full-screen
    program cannot rely on SIGHUP for this: its writer blocks on the dead terminal and takes its
    main thread with it, where Python runs signal handlers, and the signal may not come at all
    (``nohup``, a shell that does not pass it on). Does nothing when ``fd`` is not a terminal or
    where ``poll`` does not exist."""

    def __init__(self, fd: int, on_hangup):
        self.fd, self.on_hangup = fd, on_hangup
        self._thread: threading.Thread | None = None
        self._hung_up = threading.Event()  # on_hangup has been called: it ends the process
        self._stop_r = self._stop_w = -1

    def __enter__(self) -> "TerminalWatch":
        import os
        import select

        try:
            terminal = os.isatty(self.fd)
        except OSError:
            terminal = False
        if terminal and hasattr(select, "poll"):
            self._stop_r, self._stop_w = os.pipe()
            self._thread = threading.Thread(target=self._watch, name="terminal-watch", daemon=True)
            self._thread.start()
        return self

    def _watch(self) -> None:
        import select

        poller = select.poll()
        poller.register(self.fd, select.POLLHUP)  # not POLLIN: keys are the program's, not ours
        poller.register(self._stop_r, select.POLLIN)
        while True:
            events = dict(poller.poll())
            if self._stop_r in events:
                return
            if events.get(self.fd, 0) & (select.POLLHUP | select.POLLERR | select.POLLNVAL):
                self._hung_up.set()
                self.on_hangup()
                return

    def __exit__(self, *exc) -> None:
        import os

        if self._thread is not None:
            if self._hung_up.is_set():
                # The terminal went away and on_hangup is saving the work: it ends the process
                # with its own status. The program's own way out (the app failing on the dead
                # terminal, an error printed to it) must not end it first with another.
                self._thread.join()
            os.write(self._stop_w, b"x")
            self._thread.join(timeout=5)
            os.close(self._stop_r)
            os.close(self._stop_w)
            self._thread = None
