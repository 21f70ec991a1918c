"""A race's workers: min(cores, contenders) processes that the contenders share fairly.

Each worker is a child process (one BLAS thread) that runs one contender's trainer at a time
for a *segment* of about ``SEGMENT_SECONDS`` of its CPU time, then hands the trainer's state
back (pickled, a fraction of a millisecond of a segment's work) and waits for its next job.
:class:`FairShare` decides who runs next on a free worker: the contender that has had the least
CPU time so far, so with more contenders than cores they all progress at the same rate (in CPU
time, not iterations: a slow optimizer is not made to wait for a fast one). A worker keeps a
contender whose state it holds when that one is nearly the least served (``TOLERANCE``), so
four contenders on two cores settle two to a worker and hand nothing over.

Where the segments fall changes no result: a trainer gives the same events whatever the
chunks it is asked for (:mod:`tui_nn.chunks`), and its pickled state continues bit-identically
in any process. The CPU time a worker reports for a job is the contender's: a ``--time`` race
ends each contender when its total reaches the budget (its trainer's ``end_here``).

The front end talks to :class:`Pool` per contender (pause, resume, step, halt, save); the
pool announces Paused and Resumed itself, once the contender's job in flight has ended, so
each contender's events keep their order. A worker that dies takes only the contender it was
running with it (the others' states are here, and go to the workers left).
"""

from __future__ import annotations

import os
import pickle
import signal
import tempfile
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Callable, Collection, Iterable

from . import events as ev
from .chunks import next_chunk
from .runner import EMIT_SECONDS, PROCESS_LOST, ROUTINE, SNAPSHOT_SECONDS, end_child, spawn_child

SEGMENT_SECONDS = 0.1  # CPU time a contender runs before its worker picks again
TOLERANCE = SEGMENT_SECONDS / 2  # how much more served a contender a worker holds may be and still go first


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class FairShare:
    """Who runs next: the least-served contender by CPU seconds used (``served``), ties to
    the first; a contender the free worker holds goes first while it is within ``tolerance``
    of the least served. With every segment at most ``s`` CPU seconds, no runnable contender
    falls more than ``tolerance + s`` behind another (``tests/test_race_pool.py``)."""

    def __init__(self, n: int, tolerance: float = TOLERANCE):
        self.served = [0.0] * n
        self.tolerance = tolerance

    def charge(self, index: int, seconds: float) -> None:
        self.served[index] += seconds

    def pick(self, candidates: Iterable[int], held: Collection[int] = ()) -> int | None:
        ordered = sorted(candidates, key=lambda i: (self.served[i], i))
        if not ordered:
            return None
        least = self.served[ordered[0]]
        return next((i for i in ordered if i in held and self.served[i] <= least + self.tolerance), ordered[0])


# --- the worker process ---------------------------------------------------------------------------


def _worker_main(command_fd: int, event_fd: int) -> None:
    """A worker: jobs ``("job", kind, index, state, seconds, cpu_left)`` come down one pipe
    (``state`` a pickled trainer, or None for the one it has), events and the end of each job
    go up the other. ``kind``: start (its first events), step (one iteration), run (a segment)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C and a dropped terminal are the race's
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
    from .fast import warm_up

    warm_up()  # numba's start (~0.5 s once), before any job: not counted in a contender's CPU time
    commands = Connection(command_fd, writable=False)
    up = Connection(event_fd, readable=False)
    trainers, chunks, rates = {}, {}, {}
    try:
        while True:
            message = commands.recv()
            if message[0] == "stop":
                break
            if message[0] != "job":
                continue  # a yield that came after its segment had ended
            _, kind, i, state, seconds, cpu_left = message
            if state is not None:
                trainers[i] = pickle.loads(state)
            t, failed = trainers[i], False
            c0 = time.process_time()
            try:
                if kind == "start":
                    up.send(("events", i, t.start_events()))
                elif kind == "step":
                    up.send(("events", i, t.advance(1) + [ev.Stepped(t.iteration), t.snapshot(rates.get(i, 0.0))]))
                else:
                    chunks[i], rates[i] = _segment(t, i, seconds, cpu_left, up, commands.poll,
                                                   chunks.get(i, 1), rates.get(i, 0.0))
            except (EOFError, OSError):
                raise
            except Exception as e:  # the trainer failed: say so; the race goes on without it
                failed = True
                up.send(("events", i, [ev.Failed(t.iteration, f"{type(e).__name__}: {e}", traceback.format_exc())]))
            used = time.process_time() - c0
            up.send(("done", i, used, t.iteration, t.done, failed, pickle.dumps(t, pickle.HIGHEST_PROTOCOL)))
    except (EOFError, OSError):
        pass  # the race is gone: so is this worker
    finally:
        up.close()


def _segment(t, i: int, seconds: float, cpu_left: float | None, up: Connection, interrupted: Callable[[], bool],
             chunk: int, rate: float) -> tuple[int, float]:
    """Train ``t`` for about ``seconds`` of CPU time (less if the race wants the worker back,
    ``interrupted``), in chunks as a Session does, its events sent as a Session sends them;
    a ``cpu_left`` budget used up ends the run there. The next chunk length and the rate."""
    c_start, w_start = time.process_time(), time.perf_counter()
    last_emit = last_snapshot = w_start
    first, held = t.iteration, []
    while True:
        c0 = time.perf_counter()
        out = t.advance(chunk)
        chunk = next_chunk(chunk, time.perf_counter() - c0)
        used = time.process_time() - c_start
        if cpu_left is not None and used >= cpu_left:
            out += t.end_here()
        now = time.perf_counter()
        if now - w_start >= 0.05:
            rate = (t.iteration - first) / (now - w_start)  # while it runs: iterations per second of its own
        end = t.done or used >= seconds or interrupted()
        if end or now - last_snapshot >= SNAPSHOT_SECONDS:
            out.append(t.snapshot(rate))
            last_snapshot = now
        held += out
        if end or now - last_emit >= EMIT_SECONDS or any(not isinstance(e, ROUTINE) for e in out):
            up.send(("events", i, held))
            held, last_emit = [], now
        if end:
            return chunk, rate


# --- the race's side --------------------------------------------------------------------------------


@dataclass
class _Worker:
    index: int
    process: object
    commands: Connection
    events: Connection
    stderr: object
    busy: int | None = None  # the contender whose job it runs
    alive: bool = True
    stopping: bool = False
    reader: threading.Thread | None = None
    send_lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, message) -> None:
        with self.send_lock:
            try:
                self.commands.send(message)
            except (OSError, ValueError):
                pass  # it is gone; its reader says so


class Pool:
    """The workers of a race and who runs where. ``on_events(index, events)`` is called from
    the workers' reader threads (and, for Paused and Resumed, from whichever thread changed
    the contender), each contender's events in order. See the module docstring."""

    def __init__(self, trainers: list, on_events: Callable[[int, list[ev.Event]], None], *, paused: bool = False,
                 cpu_budget: float | None = None, cores: int | None = None, segment: float = SEGMENT_SECONDS):
        n = len(trainers)
        self.size = max(1, min(cores or available_cores(), n))
        self.on_events = on_events
        self.cpu_budget = cpu_budget
        self.segment = segment
        self.share = FairShare(n)
        self.state = [pickle.dumps(t, pickle.HIGHEST_PROTOCOL) for t in trainers]  # the latest, between jobs
        self.holder: list[int | None] = [None] * n  # the worker that has that state already
        self.running: list[int | None] = [None] * n  # the worker running the contender's job
        self.jobs = [deque(["start"]) for _ in range(n)]  # one-shot jobs, before any segment
        self.paused = [paused] * n
        self.shown_paused = [False] * n  # what the contender's events last said
        self.started = [False] * n
        self.held = [0] * n  # saves waiting for its state: it gets no worker meanwhile
        self.ended: list[str | None] = [None] * n  # finished, failed, dropped, stopped: no more jobs
        self.iteration = [t.iteration for t in trainers]
        self.workers: list[_Worker] = []
        self._cond = threading.Condition()

    def start(self) -> "Pool":
        with self._cond:
            for k in range(self.size):
                stderr = tempfile.TemporaryFile()
                process, commands, events = spawn_child("tui_nn.race_pool", "_worker_main", stderr, blas_threads=1)
                w = _Worker(k, process, commands, events, stderr)
                w.reader = threading.Thread(target=self._read, args=(w,), name="tui-nn-race-worker", daemon=True)
                self.workers.append(w)
                w.reader.start()
            self._dispatch()
        return self

    # -- commands (any thread) ------------------------------------------------------------------------
    def pause(self, i: int) -> None:
        with self._cond:
            if self.ended[i]:
                return
            self.paused[i] = True
            self._yield_or_announce(i)

    def resume(self, i: int) -> None:
        with self._cond:
            if self.ended[i]:
                return
            self.paused[i] = False
            self._announce(i)
            self._dispatch()

    def step(self, i: int) -> None:
        """One iteration, then paused (a Session's Step)."""
        with self._cond:
            if self.ended[i]:
                return
            self.paused[i] = True
            self.jobs[i].append("step")
            self._yield_or_announce(i)
            self._dispatch()

    def halt(self, i: int, why: str = "dropped") -> None:
        """No more jobs for contender ``i``; its job in flight ends at its next chunk."""
        with self._cond:
            if self.ended[i]:
                return
            self.ended[i] = why
            self.jobs[i].clear()
            if self.running[i] is not None:
                self.workers[self.running[i]].send(("yield",))
            self._cond.notify_all()

    def active(self, i: int) -> bool:
        """Contender ``i`` can still train: in the race, and a worker left to run it."""
        with self._cond:
            return not self.ended[i] and any(w.alive for w in self.workers)

    def save(self, i: int, path, timeout: float = 60.0) -> str | None:
        """Write contender ``i``'s checkpoint (its latest state: the end of its job in flight)
        to ``path``; the path, or None (no state in time, or a failed write)."""
        with self._cond:
            self.held[i] += 1
            try:
                if self.running[i] is not None:
                    self.workers[self.running[i]].send(("yield",))
                if not self._cond.wait_for(lambda: self.running[i] is None, timeout):
                    return None
                state = self.state[i]
            finally:
                self.held[i] -= 1
                self._dispatch()
        trainer = pickle.loads(state)
        try:
            saved = trainer.save_checkpoint(str(path))
        except OSError as e:
            self.on_events(i, [ev.Failed(trainer.iteration, f"checkpoint not saved: {e}", "")])
            return None
        self.on_events(i, [saved])
        return saved.path

    def pids(self) -> list[int]:
        return [w.process.pid for w in self.workers]

    def stop(self, timeout: float = 5.0) -> None:
        """End every worker (killed if it does not stop in time)."""
        with self._cond:
            for i in range(len(self.ended)):
                self.ended[i] = self.ended[i] or "stopped"
            for w in self.workers:
                w.stopping = True
                w.send(("stop",))
        for w in self.workers:
            end_child(w.process, w.reader, w.commands, w.send_lock, w.stderr, timeout)

    # -- scheduling (under the lock) -----------------------------------------------------------------
    def _yield_or_announce(self, i: int) -> None:
        if self.running[i] is not None:
            self.workers[self.running[i]].send(("yield",))  # announced when its job ends
        else:
            self._announce(i)

    def _announce(self, i: int) -> None:
        """Tell the contender's listeners it paused or resumed, when its events would say so."""
        if self.ended[i] or self.running[i] is not None or not self.started[i]:
            return
        if self.paused[i] != self.shown_paused[i]:
            self.shown_paused[i] = self.paused[i]
            kind = ev.Paused if self.paused[i] else ev.Resumed
            self.on_events(i, [kind(self.iteration[i])])

    def _dispatch(self) -> None:
        for w in self.workers:
            if w.alive and w.busy is None:
                job = self._next(w)
                if job is None:
                    return
                kind, i = job
                state = None if self.holder[i] == w.index else self.state[i]
                left = None if self.cpu_budget is None else max(0.0, self.cpu_budget - self.share.served[i])
                self.running[i], w.busy = w.index, i
                w.send(("job", kind, i, state, self.segment, left))

    def _next(self, w: _Worker) -> tuple[str, int] | None:
        idle = [i for i in range(len(self.jobs)) if self.running[i] is None and not self.ended[i] and not self.held[i]]
        for i in idle:  # one-shot jobs (a start, a step) first
            if self.jobs[i]:
                return self.jobs[i].popleft(), i
        runnable = [i for i in idle if not self.paused[i]]
        i = self.share.pick(runnable, {j for j, k in enumerate(self.holder) if k == w.index})
        return None if i is None else ("run", i)

    # -- a worker's reader thread -----------------------------------------------------------------
    def _read(self, w: _Worker) -> None:
        try:
            while True:
                message = w.events.recv()
                if message[0] == "events":
                    self.on_events(message[1], message[2])
                else:
                    self._job_done(w, *message[1:])
        except (EOFError, OSError):
            pass
        finally:
            w.events.close()
        self._worker_gone(w)

    def _job_done(self, w: _Worker, i: int, used: float, iteration: int, done: bool, failed: bool,
                  state: bytes) -> None:
        with self._cond:
            self.running[i], w.busy = None, None
            self.state[i], self.holder[i] = state, w.index
            self.share.charge(i, used)
            self.iteration[i], self.started[i] = iteration, True
            if failed or done:
                self.ended[i] = self.ended[i] or ("failed" if failed else "finished")
            self._announce(i)
            self._dispatch()
            self._cond.notify_all()

    def _worker_gone(self, w: _Worker) -> None:
        with self._cond:
            w.alive = False
            if w.stopping:
                self._cond.notify_all()
                return
            try:
                code = w.process.wait(2.0)
            except Exception:  # noqa: BLE001 - still there: say so without its status
                code = None
            how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit status {code}"
            w.stderr.seek(0)
            output = w.stderr.read().decode(errors="replace")
            last = [line.strip() for line in output.splitlines() if line.strip()]
            lost = [w.busy] if w.busy is not None else []
            if not any(x.alive for x in self.workers):
                lost = [i for i in range(len(self.ended)) if not self.ended[i]]
            for i in lost:
                self.running[i] = None
                self.ended[i] = "failed"
                error = f"{PROCESS_LOST} ({how}) at iteration {self.iteration[i]}" + (f": {last[-1]}" if last else "")
                details = output or f"The race's worker process ended ({how}) without a word on its standard error."
                self.on_events(i, [ev.Failed(self.iteration[i], error, details), ev.Stopped(self.iteration[i])])
            for i, k in enumerate(self.holder):
                if k == w.index:
                    self.holder[i] = None
            w.busy = None
            self._dispatch()
            self._cond.notify_all()
