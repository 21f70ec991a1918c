"""Where configurations run. A backend has this interface (the sweep calls it from one thread):

- ``capacity``: how many configurations run at once; ``ahead``: how many more may be handed
  over in advance when nothing needs to hold them back; ``description``: for the user.
- ``submit(configuration, attempt, live)``: start an attempt (``live``: report each evaluation).
- ``wait(timeout)``: the events since the last call (see :mod:`.events`: ``ConfigRunning``,
  ``ConfigProgress``, ``ConfigDone``, ``WorkerLost``, ``ConfigCancelled``, ``ConfigRerun``),
  waiting up to ``timeout`` seconds for the first.
- ``cancel(index)``: stop a running configuration (False if it cannot); ``close(terminate)``.

:class:`InlineBackend` runs in this process, :class:`~.local.LocalPool` in local worker
processes, :class:`~.dask_backend.DaskBackend` on a Dask cluster; :func:`make_backend` picks one.
"""

from __future__ import annotations

import collections
import os

from . import worker
from .dask_backend import DaskBackend
from .events import ConfigDone, ConfigProgress, ConfigRunning, SweepEvent
from .grid import DEFAULT_RETRIES
from .local import LocalPool
from .plan import Configuration


class InlineBackend:
    """Runs each configuration in this process, one at a time (tests, debugging)."""

    description = "in-process"
    ahead = 0  # configurations submitted beyond the capacity (see DaskBackend.ahead)

    def __init__(self):
        self.capacity = 1
        self._queue: collections.deque = collections.deque()

    def submit(self, c: Configuration, attempt: int, live: bool) -> None:
        self._queue.append((c, attempt, live))

    def cancel(self, index: int) -> bool:
        return False

    def wait(self, timeout: float) -> list[SweepEvent]:
        if not self._queue:
            return []
        from threadpoolctl import threadpool_limits

        c, attempt, live = self._queue.popleft()
        messages: list[SweepEvent] = [ConfigRunning(c.index, attempt, os.getpid(), None)]
        report = (lambda p: messages.append(ConfigProgress(c.index, attempt, p))) if live else None
        with threadpool_limits(1):
            result = worker.run_configuration(c.config, report)
        messages.append(ConfigDone(c.index, attempt, result))
        return messages

    def close(self, terminate: bool = False) -> None:
        self._queue.clear()


def make_backend(scheduler: str | None, jobs: int | None, retries: int = DEFAULT_RETRIES, todo: int | None = None,
                 log=None):
    """The backend the options ask for: a Dask scheduler address, ``"local"``, or local processes
    (``jobs`` of them, default all cores, but no more than the ``todo`` configurations).

    ``log``: a file for what the workers on this machine print (a remote cluster's workers
    print where they run)."""
    jobs = jobs or default_jobs()
    if todo is not None:
        jobs = max(1, min(jobs, todo))
    if scheduler == "inline":
        return InlineBackend()
    if scheduler:
        return DaskBackend(scheduler, jobs, retries, log=log if scheduler == "local" else None)
    return LocalPool(jobs, log=log)


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1

