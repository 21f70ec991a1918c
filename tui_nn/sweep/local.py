"""Local worker processes: :class:`LocalPool` feeds ``jobs`` processes on this machine one
configuration at a time, and replaces one that dies."""

from __future__ import annotations

import multiprocessing
import os
import signal
import select
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import wait as wait_for_connections

from . import worker
from .events import ConfigCancelled, ConfigDone, ConfigRunning, ConfigProgress, SweepEvent, WorkerLost
from .grid import SweepError
from .plan import Configuration


@dataclass(frozen=True)
class _Task:
    """What the pool sends a worker process: one attempt at one configuration."""

    index: int
    attempt: int
    config: dict
    live: bool


def _worker_main(conn, sweep_pid: int, log=None) -> None:
    """A local worker process: run configurations sent over ``conn`` until told to stop; its
    output goes to the file ``log`` if given. It ends at once when the sweep process is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the sweep's to handle, not each worker's
    _exit_with(sweep_pid)
    if log is not None:
        worker.redirect_output(log)
    worker.limit_blas_threads()
    try:
        while True:
            task = conn.recv()
            if task is None:
                return
            index, attempt = task.index, task.attempt
            conn.send(ConfigRunning(index, attempt, os.getpid(), None))
            report = (lambda p: conn.send(ConfigProgress(index, attempt, p))) if task.live else None
            conn.send(ConfigDone(index, attempt, worker.run_configuration(task.config, report)))
    except (EOFError, OSError):  # the sweep is gone (killed): nobody to tell
        return


def _exit_with(sweep_pid: int) -> None:
    """End this process as soon as the sweep's process ends, however it ends (kill -9 too).

    The sweep is not this process's parent: that is the fork server, which stays alive as long
    as any worker does (every client of a fork server holds its "alive" pipe), so neither
    PR_SET_PDEATHSIG nor watching the parent would ever fire. A thread waits on the sweep
    itself instead: on a pidfd (Linux), which becomes readable when the process exits, or
    elsewhere by asking every second. With the workers gone, the fork server and the resource
    tracker see their pipes close and end too."""
    try:
        pidfd = os.pidfd_open(sweep_pid)
    except ProcessLookupError:  # already gone
        os._exit(0)
    except (AttributeError, OSError):  # not Linux (or too old a kernel)
        pidfd = None

    def watch() -> None:
        if pidfd is not None:
            select.select([pidfd], [], [])
        else:
            while _alive(sweep_pid):
                time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="tui-nn-sweep-lifeline", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def start_context(start_method: str | None = None, preload: tuple[str, ...] = ()):
    """Worker processes come from a fork server where there is one: it imports the trainer (and
    scikit-learn, which splitting the data needs) once, and each worker starts as a fork of it
    in milliseconds, instead of ~1.5 s of imports per spawned worker. Elsewhere: spawn.

    Multiprocessing's helper processes start now, from the calling thread (a dashboard started
    later redirects stderr, which they cannot start with); the fork server does its imports in
    the background while this process goes on."""
    if start_method is None:
        start_method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(start_method)
    if start_method == "forkserver":
        from multiprocessing import forkserver

        ctx.set_forkserver_preload(["tui_nn.sweep", "sklearn.model_selection", *preload])
        # Its forks (local workers, and Dask's) inherit the server's SIGINT disposition: started
        # with SIGINT ignored, they leave Ctrl-C to the sweep, which stops them, instead of
        # each printing a KeyboardInterrupt traceback.
        main = threading.current_thread() is threading.main_thread()
        old = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
        try:
            forkserver.ensure_running()
        finally:
            if main:
                signal.signal(signal.SIGINT, old)
    else:
        from multiprocessing import resource_tracker

        resource_tracker.ensure_running()
    return ctx


class _Worker:
    def __init__(self, ctx, log=None):
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker_main, args=(child, os.getpid(), log), daemon=True,
                                   name="tui-nn-sweep-worker")
        self.process.start()
        child.close()
        self.task: tuple[int, int] | None = None  # (index, attempt) while busy
        self.cancelled = False
        self.started = False  # has it ever started a configuration?


class LocalPool:
    """``jobs`` worker processes on this machine, each fed one configuration at a time.

    The pool watches every worker's process: one that dies (killed, out of memory) costs only
    the configuration it was running, reported as lost; a fresh worker takes its place.
    Cancelling a running configuration ends its worker the same way. With ``log``, what the
    workers print goes to the end of that file instead of the terminal.
    """

    ahead = 0  # a worker takes a configuration when it is free

    def __init__(self, jobs: int, start_method: str | None = None, log=None):
        self.capacity = jobs
        self.log = None if log is None else str(log)
        self.description = f"{jobs} local worker process{'es' if jobs != 1 else ''}"
        self._ctx = start_context(start_method)
        self._workers: list[_Worker] = []  # started at the first submits
        self._stillborn = 0  # workers in a row that died before starting anything

    def submit(self, c: Configuration, attempt: int, live: bool) -> None:
        free = next((w for w in self._workers if w.task is None), None)
        if free is None:
            free = _Worker(self._ctx, self.log)
            self._workers.append(free)
        free.task = (c.index, attempt)
        free.conn.send(_Task(c.index, attempt, c.config, live))

    def cancel(self, index: int) -> bool:
        for w in self._workers:
            if w.task is not None and w.task[0] == index:
                w.cancelled = True
                w.process.kill()
                return True
        return False

    def wait(self, timeout: float) -> list[SweepEvent]:
        busy = [w for w in self._workers if w.task is not None]
        if not busy:
            return []
        ready = set(wait_for_connections([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout))
        messages: list[SweepEvent] = []
        for w in busy:
            if w.conn in ready or w.process.sentinel in ready:
                messages += self._read(w)
        return messages

    def _read(self, w: _Worker) -> list[SweepEvent]:
        messages = []
        try:
            while w.conn.poll():
                msg = w.conn.recv()
                messages.append(msg)
                if isinstance(msg, ConfigRunning):
                    w.started = True
                    self._stillborn = 0
                elif isinstance(msg, ConfigDone):
                    w.task = None
        except (EOFError, OSError):
            pass  # the worker is gone; what it sent before is above
        if w.task is not None and not w.process.is_alive():
            index, attempt = w.task
            w.process.join()
            if w.cancelled:
                messages.append(ConfigCancelled(index, attempt))
            else:
                messages.append(WorkerLost(index, attempt,
                                           f"worker process {w.process.pid} died (exit code {w.process.exitcode})"))
            w.conn.close()
            self._workers.remove(w)
            if not w.started and not w.cancelled:
                self._stillborn += 1
                if self._stillborn >= 3:
                    raise SweepError(f"worker processes exit before they start (exit code {w.process.exitcode}); "
                                     "a script that runs a sweep needs `if __name__ == \"__main__\":`")
        return messages

    def close(self, terminate: bool = False) -> None:
        for w in self._workers:
            if terminate or w.task is not None:
                w.process.kill()
            else:
                try:
                    w.conn.send(None)
                except OSError:
                    pass
        for w in self._workers:
            w.process.join(5)
            if w.process.is_alive():
                w.process.kill()
                w.process.join()
            w.conn.close()
        self._workers.clear()

