"""Run a :class:`~tui_nn.trainer.Trainer` in the background and steer it with commands.

:class:`Session` runs the trainer in a thread of this process; :class:`ProcessSession` runs
the same session in a child process, so a front end that draws (the dashboard) and the trainer
each have a core of their own and the trainer never waits for the interpreter lock. Both take
commands from :mod:`tui_nn.events` through ``send`` (thread-safe) and hand lists of events to
the ``on_events`` callback, called from a background thread. Work happens in chunks of a few
milliseconds, so a command takes effect within one chunk even at full speed. ``speed`` limits
the iterations per second (``None`` = as fast as possible).
"""

from __future__ import annotations

import math
import os
import pickle
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from multiprocessing.connection import Connection
from typing import Callable

from . import events as ev
from .chunks import next_chunk
from .events import TrainerState
from .trainer import Trainer

SNAPSHOT_SECONDS = 0.1  # how often weights snapshots are sent
EMIT_SECONDS = 0.05  # at full speed, routine events (progress, snapshots) are sent this often
ROUTINE = (ev.Progress, ev.Snapshot, ev.Evaluation)  # everything else is sent at once
PROCESS_LOST = "the trainer process ended unexpectedly"  # how a dead child's Failed event begins


class Session:
    def __init__(self, trainer: Trainer, on_events: Callable[[list[ev.Event]], None], *,
                 paused: bool = False, speed: float | None = None, checkpoint_path: str | None = None,
                 checkpoint_every: int | None = None, record: str | None = None,
                 snapshot_every: int | None = None, cpu_budget: float | None = None):
        self.trainer = trainer
        self.record = record  # a recording (tui_nn.recording) of everything from here, or None
        self.snapshot_every = snapshot_every
        self.recorder = None
        from .branches import Branches

        self.branches = Branches(record, snapshot_every)  # the forks of the run (f in the dashboard)
        # CPU seconds of this process the run may use (a race's --time); then it ends where it is.
        # Meant for a session in a process of its own (ProcessSession), whose CPU time is the run's.
        self.cpu_budget = cpu_budget
        self._cpu_start = 0.0
        self.checkpoint_path = checkpoint_path  # where checkpoint_every saves (iterations, exactly)
        self.checkpoint_every = checkpoint_every
        self.on_events = on_events
        self.commands: queue.SimpleQueue = queue.SimpleQueue()
        self.paused = paused
        self.speed = speed
        self.error: str | None = None
        self._thread = threading.Thread(target=self._main, name="tui-nn-trainer", daemon=True)
        self._chunk = 1
        self._cut = False  # the last chunk was cut short (at a checkpoint or a snapshot)
        self._rate = 0.0  # measured iterations per second
        self._held: list[ev.Event] = []  # routine events not sent yet (full speed only)

    # -- public API (any thread) ------------------------------------------------------------------
    def start(self) -> "Session":
        self._thread.start()
        return self

    def run(self) -> None:
        """Drive the trainer in the calling thread instead, until a :class:`~tui_nn.events.Stop`
        command (``on_events`` may send it): what a sweep worker does, one process per run."""
        self._main()

    def send(self, command: ev.Command) -> None:
        self.commands.put(command)

    def stop(self, timeout: float | None = 5.0) -> None:
        self.send(ev.Stop())
        self._thread.join(timeout)

    def join(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    @property
    def state(self) -> str:
        if self.error:
            return "failed"
        t = self.trainer.state
        if t in (TrainerState.FINISHED, TrainerState.DIVERGED):
            return t
        return "paused" if self.paused else "running"

    # -- the session thread ------------------------------------------------------------------------
    def _emit(self, events: list[ev.Event]) -> None:
        if events:
            self.on_events(events)

    def _main(self) -> None:
        if self.cpu_budget is not None:
            self._cpu_start = time.process_time()
        try:
            start = self.trainer.start_events()
            if self.record:
                from .recording import Recorder

                self.recorder = Recorder(self.record, self.trainer, snapshot_every=self.snapshot_every)
            self._emit(start + ([ev.Paused(self.trainer.iteration)] if self.paused else []))
            self._loop()
        except Exception as e:  # anything unexpected: report it, keep the last weights
            self.error = f"{type(e).__name__}: {e}"
            held, self._held = self._held, []
            self._emit(held + [ev.Failed(self.trainer.iteration, self.error, traceback.format_exc())])
            self._idle_after_failure()
        finally:
            if self.recorder is not None:
                try:
                    self.recorder.close(self.trainer)
                    self.branches.close()
                except OSError:
                    pass  # the recording keeps what was written; its reader drops a torn end

    def _idle_after_failure(self) -> None:
        """Keep answering save/stop after a failure so nothing is lost."""
        while True:
            cmd = self.commands.get()
            if isinstance(cmd, ev.Stop):
                self._emit([ev.Stopped(self.trainer.iteration)])
                return
            if isinstance(cmd, ev.SaveCheckpoint):
                try:
                    self._emit([self.trainer.save_checkpoint(cmd.path)])
                except Exception as e:  # noqa: BLE001 - reported, not raised
                    self._emit([ev.Failed(self.trainer.iteration, f"checkpoint not saved: {e}", "")])

    def _loop(self) -> None:
        t = self.trainer
        last_snapshot = time.perf_counter()
        window_start, window_iters = time.perf_counter(), 0
        pace_start, pace_done = time.perf_counter(), 0
        last_emit = time.perf_counter()
        was_active = False
        while True:
            active = not self.paused and not t.done
            if active and not was_active:  # the pace counts from now, not from before an idle spell
                pace_start, pace_done = time.perf_counter(), 0
            was_active = active
            # Commands: block while idle; otherwise take whatever is waiting.
            timeout = None if not active else 0.0
            if active and self.speed:
                due = pace_start + (pace_done + 1) / self.speed
                timeout = max(0.0, due - time.perf_counter())
            if self._held and timeout != 0.0:  # about to wait: send what is held first
                self._emit(self._held)
                self._held, last_emit = [], time.perf_counter()
            try:
                cmd = self.commands.get(timeout=timeout) if timeout != 0.0 else self.commands.get_nowait()
            except queue.Empty:
                cmd = None
            if cmd is not None:
                if isinstance(cmd, ev.Stop):
                    self._emit(self._held + [ev.Stopped(t.iteration)])
                    return
                was_speed = self.speed
                applied = self._apply(cmd)
                if self.recorder is not None and not isinstance(cmd, (ev.Pause, ev.SetSpeed, ev.SaveCheckpoint,
                                                                      ev.Fork, ev.ChooseBranch)):
                    self.recorder.record(applied, t, command=True)
                self._emit(self._held + applied)
                self._held, last_emit = [], time.perf_counter()
                if self.speed != was_speed:
                    pace_start, pace_done = time.perf_counter(), 0
                continue  # drain all waiting commands before more work
            if not active:
                continue
            # One chunk of work.
            if self.speed:
                allowed = math.floor((time.perf_counter() - pace_start) * self.speed) - pace_done
                n = max(1, min(allowed, self._chunk_size()))
            else:
                n = self._chunk_size()
            c0 = time.perf_counter()
            out = t.advance(n)
            dt = time.perf_counter() - c0
            if self.recorder is not None:
                self.recorder.record(out, t, seconds=dt)
            done = sum(len(e) for e in out if isinstance(e, ev.Progress))
            pace_done += done
            window_iters += done
            if self.cpu_budget is not None and time.process_time() - self._cpu_start >= self.cpu_budget:
                out += t.end_here()
            self._tune(n, dt)
            if self.checkpoint_every and done and t.iteration % self.checkpoint_every == 0:
                try:
                    out.append(t.save_checkpoint(self.checkpoint_path))
                except OSError as e:
                    out.append(ev.Failed(t.iteration, f"checkpoint not saved: {self.checkpoint_path}: "
                                                      f"{e.strerror or e}", ""))
            now = time.perf_counter()
            if now - window_start >= 0.5:
                self._rate = window_iters / (now - window_start)
                window_start, window_iters = now, 0
            if now - last_snapshot >= SNAPSHOT_SECONDS or t.done:
                out.append(t.snapshot(self._rate))
                last_snapshot = now
            if t.state is TrainerState.DIVERGED:
                self.paused = True
                out.append(ev.Paused(t.iteration))
            self._held += out
            # At full speed, routine events go out every EMIT_SECONDS (fewer, larger messages for
            # the front end to handle); anything else, and every chunk at a set speed, at once.
            if (self.speed or now - last_emit >= EMIT_SECONDS
                    or any(not isinstance(e, ROUTINE) for e in out)):
                self._emit(self._held)
                self._held, last_emit = [], now

    def _chunk_size(self) -> int:
        n = max(1, self._chunk)
        if self.checkpoint_every:  # a chunk ends at each checkpoint's iteration
            it = self.trainer.iteration
            n = min(n, (it // self.checkpoint_every + 1) * self.checkpoint_every - it)
        if self.recorder is not None:  # and at each snapshot's
            n = max(1, min(n, self.recorder.next_snapshot - self.trainer.iteration))
        self._cut = n < self._chunk
        return n

    def _tune(self, n: int, dt: float) -> None:
        # A chunk cut short at a checkpoint or a snapshot says nothing of the pace: without this,
        # the chunks would start small again after each (doubling back up), and a recorded run
        # would pay the per-chunk cost many times over.
        if not self._cut:
            self._chunk = next_chunk(n, dt)

    def _apply(self, cmd: ev.Command) -> list[ev.Event]:
        t = self.trainer
        try:
            if isinstance(cmd, ev.Pause):
                if self.paused:
                    return []
                self.paused = True
                return [ev.Paused(t.iteration), t.snapshot(self._rate)]
            if isinstance(cmd, ev.Resume):
                out: list[ev.Event] = []
                if t.state is TrainerState.FINISHED:
                    out += t.extend(t.config.iterations or t.limit)
                if t.state is TrainerState.DIVERGED:
                    t.recover()
                was = self.paused
                self.paused = False
                return out + ([ev.Resumed(t.iteration)] if was or out else [])
            if isinstance(cmd, ev.Step):
                out = [] if self.paused else [ev.Paused(t.iteration)]
                self.paused = True
                if t.state is TrainerState.FINISHED:
                    out += t.extend(1)
                if t.state is TrainerState.DIVERGED:
                    t.recover()
                out += t.advance(1)
                return out + [ev.Stepped(t.iteration), t.snapshot(self._rate)]
            if isinstance(cmd, ev.SwitchOptimizer):
                return t.switch_optimizer(cmd.name, **cmd.hyperparams) + [t.snapshot(self._rate)]
            if isinstance(cmd, ev.SetHyperparam):
                return t.set_hyperparam(cmd.name, cmd.value)
            if isinstance(cmd, ev.SetWeight):
                return t.set_weight(cmd.index, cmd.value)
            if isinstance(cmd, ev.Reset):
                return t.reset() + ([ev.Paused(0)] if self.paused else [])
            if isinstance(cmd, ev.SaveCheckpoint):
                return [t.save_checkpoint(cmd.path)]
            if isinstance(cmd, ev.SetSpeed):
                if cmd.speed is not None and not 0 < float(cmd.speed) < math.inf:
                    raise ValueError(f"speed must be a positive number of iterations per second, or None for "
                                     f"full speed; got {cmd.speed!r}")
                self.speed = cmd.speed
                return [ev.SpeedChanged(t.iteration, cmd.speed)]
            if isinstance(cmd, ev.Extend):
                return t.extend(cmd.iterations)
            if isinstance(cmd, ev.Fork):
                out, self.recorder = self.branches.fork(t, self.recorder)
                return out + [t.snapshot(self._rate)]
            if isinstance(cmd, ev.ChooseBranch):
                out, self.recorder = self.branches.choose(cmd.name, t, self.recorder)
                return out + ([t.snapshot(self._rate)] if out else [])
        except (ValueError, OSError) as e:
            # A refused command (bad value, unwritable path) changes nothing; say why.
            return [ev.Failed(t.iteration, str(e), "")]
        raise TypeError(f"unknown command {cmd!r}")


class ProcessSession:
    """A :class:`Session` whose trainer runs in a child process; the same interface.

    The child is a fresh interpreter (safe next to the threads of a running UI, and it never
    re-runs the caller's script). The trainer is pickled to it over its standard input;
    commands go down one pipe and the child's session sends its event lists up another, which
    a reader thread here hands to ``on_events``. ``paused``, ``speed``, ``iteration`` and
    ``error`` follow the events. If the child dies (killed, out of memory), a
    :class:`~tui_nn.events.Failed` event says so; if this process dies, the child sees its
    command pipe close and stops. POSIX only (file descriptors are passed to the child).
    """

    def __init__(self, trainer: Trainer, on_events: Callable[[list[ev.Event]], None], *,
                 paused: bool = False, speed: float | None = None, record: str | None = None,
                 cpu_budget: float | None = None, blas_threads: int | None = None):
        self.on_events = on_events
        self.blas_threads = blas_threads  # None: every core but one (child_environment)
        self.paused = paused
        self.speed = speed
        self.error: str | None = None
        self.lost = False  # the child died without being asked to stop: its trainer is gone
        self.iteration = trainer.iteration
        self._trainer_state = trainer.state if trainer.state in (TrainerState.FINISHED, TrainerState.DIVERGED) else None
        self._payload = pickle.dumps((trainer, paused, speed, record, cpu_budget), protocol=pickle.HIGHEST_PROTOCOL)
        self._process: subprocess.Popen | None = None
        self._command_writer: Connection | None = None
        self._send_lock = threading.Lock()
        self._stopped = False  # the child said Stopped: its end was asked for
        self._reader = threading.Thread(target=self._read, name="tui-nn-trainer-events", daemon=True)

    # -- public API (any thread) ------------------------------------------------------------------
    def start(self) -> "ProcessSession":
        self._stderr = tempfile.TemporaryFile()
        self._process, self._command_writer, self._event_reader = spawn_child(
            "tui_nn.runner", "_child_main", self._stderr, blas_threads=self.blas_threads, stdin=subprocess.PIPE)
        self._reader.start()
        return self

    def send(self, command: ev.Command) -> None:
        if self._command_writer is None:
            raise RuntimeError("start the session before sending it commands")
        with self._send_lock:
            try:
                self._command_writer.send(command)
            except (OSError, ValueError):
                pass  # the child is gone (or stopped); the reader reports it

    def stop(self, timeout: float | None = 5.0) -> None:
        if self._process is None:
            return
        if self._process.poll() is None:
            self.send(ev.Stop())
        end_child(self._process, self._reader, self._command_writer, self._send_lock, self._stderr, timeout)

    def join(self, timeout: float | None = None) -> bool:
        if self._process is not None:
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                return False
        self._reader.join(timeout)
        return not self.running

    @property
    def running(self) -> bool:
        return self._process is not None and (self._process.poll() is None or self._reader.is_alive())

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    @property
    def state(self) -> str:
        if self.error:
            return "failed"
        if self._trainer_state:
            return self._trainer_state
        return "paused" if self.paused else "running"

    # -- the reader thread -------------------------------------------------------------------------
    def _read(self) -> None:
        try:
            self._process.stdin.write(self._payload)
            self._process.stdin.close()
        except OSError:
            pass  # the child died before reading it: reported below
        self._payload = b""
        try:
            while True:
                events = self._event_reader.recv()
                self._track(events)
                self.on_events(events)
        except (EOFError, OSError):
            pass
        finally:
            self._event_reader.close()
        if not self._stopped:
            self._report_death()

    def _report_death(self) -> None:
        try:
            code = self._process.wait(2.0)
        except subprocess.TimeoutExpired:
            code = None
        how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit status {code}"
        self._stderr.seek(0)
        output = self._stderr.read().decode(errors="replace")
        last = [line.strip() for line in output.splitlines() if line.strip()]
        self.error = (f"{PROCESS_LOST} ({how}) at iteration {self.iteration}"
                      + (f": {last[-1]}" if last else ""))
        self.lost = True
        details = output or f"The trainer process ended ({how}) without a word on its standard error."
        self.on_events([ev.Failed(self.iteration, self.error, details), ev.Stopped(self.iteration)])

    def _track(self, events: list[ev.Event]) -> None:
        for e in events:
            if isinstance(e, ev.Progress):
                self.iteration = e.iteration + len(e)
                continue
            self.iteration = e.iteration
            if isinstance(e, ev.Paused):
                self.paused = True
            elif isinstance(e, ev.Resumed):
                self.paused = False
                self._trainer_state = None
            elif isinstance(e, (ev.ResetDone, ev.LimitChanged)):
                self._trainer_state = None
            elif isinstance(e, ev.BranchShown):  # another branch: its own state
                state = TrainerState(e.started.state)
                self._trainer_state = state if state in (TrainerState.FINISHED, TrainerState.DIVERGED) else None
            elif isinstance(e, ev.Finished):
                self._trainer_state = TrainerState.FINISHED
            elif isinstance(e, ev.Diverged):
                self._trainer_state = TrainerState.DIVERGED
            elif isinstance(e, ev.SpeedChanged):
                self.speed = e.speed
            elif isinstance(e, ev.Failed) and e.traceback:
                self.error = e.error
            elif isinstance(e, ev.Stopped):
                self._stopped = True


def spawn_child(module: str, function: str, stderr, *, blas_threads: int | None = None,
                stdin=subprocess.DEVNULL) -> tuple[subprocess.Popen, Connection, Connection]:
    """A fresh interpreter running ``module.function(command_fd, event_fd)``: the process, the
    connection that sends it commands and the one its events come back on (a ProcessSession's
    child, a race's worker)."""
    command_r, command_w = os.pipe()
    event_r, event_w = os.pipe()
    _widen(event_w)
    # The child imports this very tui_nn: -P keeps the working directory off its path (a
    # folder named tui_nn there must not win), and the folder this package came from goes
    # first unless it is on the path already (site-packages, which must stay after the
    # standard library).
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    code = (f"import sys; root = {root!r}; sys.path[:0] = [] if root in sys.path else [root]; "
            f"from {module} import {function}; {function}({command_r}, {event_w})")
    try:
        process = subprocess.Popen(
            [sys.executable, "-P", "-c", code],
            stdin=stdin, stdout=subprocess.DEVNULL, stderr=stderr,
            pass_fds=(command_r, event_w), close_fds=True, env=child_environment(threads=blas_threads))
    finally:
        os.close(command_r)  # the child has its copies; closing ours lets each side see EOF
        os.close(event_w)  # when the other goes away
    return process, Connection(command_w, readable=False), Connection(event_r, writable=False)


EVENT_PIPE_BYTES = 1 << 20  # Linux's largest pipe for an unprivileged process (/proc/sys/fs/pipe-max-size)


def _widen(fd: int) -> None:
    """Give the child's event pipe room for a second or more of events. With the default 64 KiB,
    a full-speed trainer's send (~60 KB of losses every 50 ms) waited for the front end's reader
    thread, which waits for the interpreter lock while the dashboard draws: the child blocked
    on about every send (~20 times a second), and its speed under the dashboard varied with what
    the dashboard drew (0.85x-0.99x of headless; ``benchmarks/README.md``). Where the size
    cannot be set (not Linux) the pipe stays as it is."""
    try:
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, EVENT_PIPE_BYTES)
    except (ImportError, AttributeError, OSError):
        pass


def end_child(process: subprocess.Popen, reader: threading.Thread, commands: Connection, send_lock: threading.Lock,
              stderr, timeout: float | None) -> None:
    """Wait for a child told to stop (killed if it does not in time: it must not outlive its
    front end), then its reader thread; close the pipe and its standard error's file."""
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    reader.join(timeout)
    with send_lock:
        commands.close()
    stderr.close()


BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def child_environment(environ: dict[str, str] | None = None, cores: int | None = None,
                      threads: int | None = None) -> dict[str, str]:
    """The trainer process's environment: its BLAS uses every core but one, which stays the
    dashboard's (unless the user set the thread counts). OpenBLAS threads spin while they wait
    for work, so a trainer with as many threads as cores starves the dashboard (keys answered
    in seconds) and runs slower itself (digits 64,64 on 2 cores: ~40 instead of ~300 it/s).
    ``threads`` sets the count outright (a race: one thread per contender, so each one's CPU
    time is its own and contenders share the cores evenly)."""
    env = dict(os.environ if environ is None else environ)
    if threads is not None:
        env.update(dict.fromkeys(BLAS_THREAD_VARIABLES, str(threads)))
    elif not any(name in env for name in BLAS_THREAD_VARIABLES):
        count = str(max(1, (cores or os.cpu_count() or 1) - 1))
        env.update(dict.fromkeys(BLAS_THREAD_VARIABLES, count))
    return env


def _child_main(command_fd: int, event_fd: int) -> None:
    """The child process of a :class:`ProcessSession`: a :class:`Session` fed from a pipe."""
    # Ctrl-C belongs to the front end (the dashboard reads it as a key); the child stops when
    # told to, or when the front end's end of the command pipe closes.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "SIGHUP"):  # a dropped terminal: the front end saves the run through us
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
    from . import fast

    fast.load_in_background()  # the first evaluation (on the first frame) does not wait for numba
    trainer, paused, speed, record, cpu_budget = pickle.load(sys.stdin.buffer)
    commands = Connection(command_fd, writable=False)
    events = Connection(event_fd, readable=False)

    def forward(batch: list[ev.Event]) -> None:
        try:
            events.send(batch)
        except OSError:
            session.send(ev.Stop())  # nobody is listening any more

    session = Session(trainer, forward, paused=paused, speed=speed, record=record, cpu_budget=cpu_budget)
    session.start()
    try:
        while True:
            command = commands.recv()
            session.send(command)
            if isinstance(command, ev.Stop):
                break
    except (EOFError, OSError):
        session.send(ev.Stop())
    session.join()
    events.close()
