"""Configurations as Dask tasks, on a cluster given by its scheduler's address or on a local
cluster of this sweep's own, with the settings that keep Dask's overhead off the training.

Dask is imported only when a :class:`DaskBackend` is made (see ``__init__``)."""

from __future__ import annotations

import math
import multiprocessing
import os
import queue
import time
import uuid
from dataclasses import dataclass
from typing import Any

from ..plain import json_safe
from .events import (ConfigCancelled, ConfigDone, ConfigProgress, ConfigRerun, ConfigRunning, SweepEvent,
                     WorkerLost)
from .grid import DEFAULT_RETRIES, SweepError
from .local import start_context
from .plan import Configuration
from .worker import limit_blas_threads, redirect_output, run_configuration


# Dask settings for the local cluster (the README shows the same for `dask scheduler` and
# `dask worker`, as a DASK_CONFIG file: MALLOC_TRIM_THRESHOLD_ cannot be unset by a DASK_...
# environment variable, whose names Dask lower-cases). Measured
# with two workers on two cores: the worker's statistical profiler (every thread's stack every
# 10 ms) slows this Python-heavy training loop by about 15%, and the nanny's default
# MALLOC_TRIM_THRESHOLD_=65536 (memory handed back to the system after every small free) by
# 15-20% more; the event-loop health tick (20 ms) and memory monitor (100 ms) add a little.
# The rest (issue 16, benchmarks/README.md) takes CPU from the two cores the workers train on:
# the sweep's process hosts the scheduler and both nannies, and each worker's event loop shares
# the GIL with its training thread. A worker holds one task at a time (saturation 1.0: the
# others wait at the scheduler, in the sweep's longest-first order, and go to whichever worker
# is free, as in the local pool; at 1.1 each worker queued a second one, which could leave the
# other idle at the end), so there is nothing to steal or rebalance: work stealing and the
# active memory manager (a pass every 1 and 2 s) are off; the system monitor (CPU, memory,
# network and disk counters of every process, every 0.5 s) samples every 2 s, without disks.
LOCAL_DASK_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,  # None: not set
    "distributed.admin.tick.interval": "1s",
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.scheduler.worker-saturation": 1.0,
    "distributed.scheduler.work-stealing": False,
    "distributed.scheduler.active-memory-manager.start": False,
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.admin.system-monitor.disk": False,
}


def _dask_run(config: dict, index: int, attempt: int, topic: str | None, cancel_event: str | None,
              live: bool = True) -> dict:
    """The task each Dask worker runs: one configuration, reporting through worker events (that
    it started, and with ``live`` each evaluation)."""
    import socket

    from distributed import Event, get_worker

    limit_blas_threads()
    report = should_stop = None
    if topic is not None:
        worker = get_worker()
        worker.log_event(topic, {"kind": "running", "index": index, "attempt": attempt,
                                 "pid": os.getpid(), "host": socket.gethostname()})

    if topic is not None and live:
        def report(point):
            worker.log_event(topic, {"kind": "progress", "index": index, "attempt": attempt,
                                     "point": json_safe(point)})
    if cancel_event is not None:
        event, last = Event(cancel_event), [time.monotonic()]

        def should_stop():  # ask the scheduler at most once a second
            if time.monotonic() - last[0] < 1.0:
                return False
            last[0] = time.monotonic()
            return event.is_set()
    return run_configuration(config, report, should_stop)


def _local_cluster(LocalCluster):
    """A LocalCluster whose scheduler serves no HTTP: without a dashboard, distributed's scheduler
    still starts an HTTP server (for metrics and health checks) on port 8787, warning when that
    is taken (dask/distributed#7207); a sweep's own cluster needs neither."""
    from distributed import Scheduler

    class Quiet(Scheduler):
        def start_http_server(self, routes, dashboard_address, default_port=0, ssl_options=None):
            pass

    class Cluster(LocalCluster):
        async def _start(self):
            self.scheduler_spec = {**self.scheduler_spec, "cls": Quiet}
            await super()._start()

    return Cluster


def _output_plugin(log: str):
    """A Dask worker plugin that sends the worker's output to the file ``log`` (a local cluster's
    workers write to this terminal otherwise). Defined here so the core imports no Dask."""
    from distributed import WorkerPlugin

    class WorkerOutput(WorkerPlugin):
        idempotent = True

        def __init__(self, log):
            self.log = log

        def setup(self, worker):
            redirect_output(self.log)

    return WorkerOutput(log)


@dataclass
class _TaskEnded:
    """A task's future is done (from Dask's callback thread); ``wait`` reads how it ended."""

    index: int
    attempt: int
    future: Any


class DaskBackend:
    """Configurations as Dask tasks: one ``Client.submit`` per configuration.

    ``address`` is a scheduler (``tcp://host:8786``) or ``"local"`` for a ``LocalCluster`` of
    ``jobs`` single-threaded worker processes on the loopback interface. A worker that dies
    takes its running task with it. On the local cluster the scheduler gives such a task up at
    once (``allowed-failures`` 0), so the sweep's own ``--retries`` count; a cluster of its own
    reruns it first up to its ``allowed-failures`` (the README starts the scheduler with 0).
    ``retries`` also reruns a task that raised.
    """

    def __init__(self, address: str, jobs: int, retries: int = DEFAULT_RETRIES, connect_timeout: float = 3.0,
                 log=None):
        import importlib.util
        import logging

        if importlib.util.find_spec("distributed") is None:
            raise SweepError(f"scheduler {address}: Dask is not installed; install it with "
                             "pip install 'tui-nn[dask]' (or pip install 'dask[distributed]'), "
                             "or drop scheduler to use local worker processes", "scheduler")
        forked = address == "local" and "forkserver" in multiprocessing.get_all_start_methods()
        if forked:
            # Local workers fork from a server that imports distributed, the trainer and
            # scikit-learn while this process imports distributed and starts the scheduler.
            # (Forked workers do not get the nanny's pre-spawn environment; limit_blas_threads
            # does what its OMP/OPENBLAS variables would.)
            start_context("forkserver", preload=("distributed",))
        # Deferred: dask.distributed costs ~0.5 s to import; only --scheduler needs it.
        import dask
        from distributed import Client, LocalCluster

        self.retries = retries
        self.cluster = None
        if address == "local":
            for name in ("distributed", "distributed.nanny", "distributed.scheduler"):
                logging.getLogger(name).setLevel(logging.ERROR)  # no chatter when a worker is killed
            dask.config.set(LOCAL_DASK_CONFIG)
            dask.config.set({"distributed.scheduler.http.routes": []})  # no HTTP server (_local_cluster)
            # A task whose worker dies fails at once (KilledWorker) instead of being rerun up to 3
            # times by the scheduler: the sweep retries it itself, --retries times, and says so.
            dask.config.set({"distributed.scheduler.allowed-failures": 0})
            if forked:
                dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"})
            # silence_logs: the workers log errors only; at WARNING each one stopped in the middle
            # of a configuration (an interrupted sweep) says its task "ended with CancelledError".
            self.cluster = _local_cluster(LocalCluster)(n_workers=jobs, threads_per_worker=1, processes=True,
                                                        host="127.0.0.1", dashboard_address=None,
                                                        silence_logs=logging.ERROR)
            self.client = Client(self.cluster)
            if log is not None:  # every worker of our cluster, also one started after another died
                self.client.register_plugin(_output_plugin(str(log)), name="tui-nn-worker-output")
            self.description = f"a local Dask cluster of {jobs} worker process{'es' if jobs != 1 else ''}"
        else:
            try:
                self.client = Client(address, timeout=connect_timeout)
            except (OSError, TimeoutError, ValueError) as e:
                raise SweepError(f"cannot reach the Dask scheduler at {address} ({' '.join(str(e).split())[:160]}); "
                                 "start one with `dask scheduler`, or check the address") from None
            self.description = f"the Dask cluster at {address}"
        self.token = uuid.uuid4().hex[:8]
        self.topic = f"tui-nn-sweep-{self.token}"
        self._inbox: queue.Queue = queue.Queue()
        self._futures: dict[int, Any] = {}
        self._started: dict[tuple[int, int], tuple] = {}  # (index, attempt) -> (pid, host) running it
        self._ended: set[tuple[int, int]] = set()  # attempts whose task has finished, failed or been cancelled
        self._submitted: dict[int, tuple[Configuration, bool, int]] = {}  # index -> (config, live, resubmissions)
        self._subscribed = False
        self._capacity, self._capacity_at = 1, -math.inf

    @property
    def capacity(self) -> int:
        """Worker threads in the cluster (asked again at most once a second: workers come and go)."""
        now = time.monotonic()
        if now - self._capacity_at > 1.0:
            self._capacity = max(1, sum(self.client.nthreads().values()))
            self._capacity_at = now
        return self._capacity

    @property
    def ahead(self) -> int:
        """Configurations submitted beyond the capacity when nothing needs to hold them back (no
        dashboard to pause or cancel them): the scheduler then hands a worker its next one as
        soon as it is free, without a round trip to this process."""
        return self.capacity

    def _on_event(self, event) -> None:
        _, msg = event
        if msg.get("kind") == "running":
            key, where = (msg["index"], msg["attempt"]), (msg["pid"], msg["host"])
            before = self._started.get(key)
            # A finished attempt whose result died with its worker is computed again to be
            # fetched: that is not a retry (the configuration did not fail).
            if before is not None and before != where and key not in self._ended:
                # The scheduler started the task again (its worker died or left, up to the
                # scheduler's allowed-failures): that is a retry, which --retries counts.
                self._inbox.put(ConfigRerun(*key, f"its Dask worker (pid {before[0]} on {before[1]}) died"))
            self._started[key] = where
            self._inbox.put(ConfigRunning(*key, *where))
        else:
            self._inbox.put(ConfigProgress(msg["index"], msg["attempt"], msg["point"]))

    def submit(self, c: Configuration, attempt: int, live: bool) -> None:
        if not self._subscribed:
            self.client.subscribe_topic(self.topic, self._on_event)
            self._subscribed = True
        self._submit(c, attempt, live, 0)

    def _submit(self, c: Configuration, attempt: int, live: bool, resubmissions: int) -> None:
        cancel = f"{self.topic}-cancel-{c.index}"
        key = f"tui-nn-sweep-{self.token}-{c.index}-{attempt}" + (f"-q{resubmissions}" if resubmissions else "")
        future = self.client.submit(_dask_run, c.config, c.index, attempt, self.topic, cancel, live,
                                    key=key, pure=False, retries=self.retries)
        self._futures[c.index] = future
        self._submitted[c.index] = (c, live, resubmissions)

        def ended(f, i=c.index, a=attempt):
            self._ended.add((i, a))
            self._inbox.put(_TaskEnded(i, a, f))

        # Completions come back through the inbox, with progress events, so the sweep also hears
        # UI commands while it waits; as_completed would block until a task finishes.
        future.add_done_callback(ended)

    def cancel(self, index: int) -> bool:
        future = self._futures.get(index)
        if future is None:
            return False
        from distributed import Event

        Event(f"{self.topic}-cancel-{index}", client=self.client).set()  # the running task stops
        future.cancel()
        return True

    def wait(self, timeout: float) -> list[SweepEvent]:
        try:
            items = [self._inbox.get(timeout=timeout)]
        except queue.Empty:
            return []
        while True:
            try:
                items.append(self._inbox.get_nowait())
            except queue.Empty:
                break
        return [e for e in map(self._translate, items) if e is not None]

    def _translate(self, item: SweepEvent | _TaskEnded) -> SweepEvent | None:
        if not isinstance(item, _TaskEnded):
            return item
        from distributed import KilledWorker

        index, attempt, future = item.index, item.attempt, item.future
        self._futures.pop(index, None)
        if future.status == "finished":
            return ConfigDone(index, attempt, future.result())
        if future.status == "cancelled":
            return ConfigCancelled(index, attempt)
        error = future.exception()
        if isinstance(error, KilledWorker) and (index, attempt) not in self._started:
            # It never started: it only waited in the queue of a worker that died. Queue it
            # again; that costs the configuration none of its --retries.
            c, live, resubmissions = self._submitted[index]
            self._ended.discard((index, attempt))
            self._submit(c, attempt, live, resubmissions + 1)
            return None
        if isinstance(error, KilledWorker):
            where = getattr(getattr(error, "last_worker", None), "address", None) or "?"
            return WorkerLost(index, attempt, f"its Dask worker ({where}) died")
        return ConfigDone(index, attempt, {"status": "failed", "error": f"{type(error).__name__}: {error}",
                                           "history": [], "seconds": 0.0})

    def close(self, terminate: bool = False) -> None:
        if self._futures:
            self.client.cancel(list(self._futures.values()))
        self._futures.clear()
        if self.cluster is not None:
            # Our own cluster: stop scheduler and workers at once. Its scheduler runs in this
            # process and may still count a cancelled task as running when its worker stops; it
            # would log "marked as failed because 1 workers died" over the terminal (an
            # interrupted sweep, depending on timing). Nothing it says now is news.
            import logging

            logging.getLogger("distributed.scheduler").setLevel(logging.CRITICAL)
            self.client.shutdown()
            self.cluster.close()
        else:
            self.client.close()  # someone else's cluster: just leave it
