"""Run a :class:`~tui_nn.trainer.Trainer` in a background thread and steer it with commands.

The session thread owns the trainer. Front ends call :meth:`Session.send` with commands from
:mod:`tui_nn.events` (thread-safe) and receive lists of events through the ``on_events``
callback, called from the session thread. Work happens in chunks of a few milliseconds, so a
command takes effect within one chunk even at full speed. ``speed`` limits the iterations per
second (``None`` = as fast as possible).
"""

from __future__ import annotations

import math
import queue
import threading
import time
import traceback
from typing import Callable

from . import events as ev
from .trainer import Trainer

CHUNK_SECONDS = 0.01  # target duration of one chunk of work at full speed
SNAPSHOT_SECONDS = 0.1  # how often weights snapshots are sent


class Session:
    def __init__(self, trainer: Trainer, on_events: Callable[[list[ev.Event]], None], *,
                 paused: bool = False, speed: float | None = None, checkpoint_path: str | None = None):
        self.trainer = trainer
        self.on_events = on_events
        self.commands: queue.SimpleQueue = queue.SimpleQueue()
        self.paused = paused
        self.speed = speed
        self.checkpoint_path = checkpoint_path
        self.error: str | None = None
        self._thread = threading.Thread(target=self._main, name="tui-nn-trainer", daemon=True)
        self._stopped = threading.Event()
        self._chunk = 1
        self._rate = 0.0  # measured iterations per second

    # -- public API (any thread) ------------------------------------------------------------------
    def start(self) -> "Session":
        self._thread.start()
        return self

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
        if t in ("finished", "diverged"):
            return t
        return "paused" if self.paused else "running"

    # -- the session thread ------------------------------------------------------------------------
    def _emit(self, events: list[ev.Event]) -> None:
        if events:
            self.on_events(events)

    def _main(self) -> None:
        try:
            self._emit(self.trainer.start_events() + ([ev.Paused(self.trainer.iteration)] if self.paused else []))
            self._loop()
        except Exception as e:  # anything unexpected: report it, keep the last weights
            self.error = f"{type(e).__name__}: {e}"
            self._emit([ev.Failed(self.trainer.iteration, self.error, traceback.format_exc())])
            self._idle_after_failure()
        finally:
            self._stopped.set()

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
        while True:
            active = not self.paused and not t.done
            # Commands: block while idle; otherwise take whatever is waiting.
            timeout = None if not active else 0.0
            if active and self.speed:
                due = pace_start + (pace_done + 1) / self.speed
                timeout = max(0.0, due - time.perf_counter())
            try:
                cmd = self.commands.get(timeout=timeout) if timeout != 0.0 else self.commands.get_nowait()
            except queue.Empty:
                cmd = None
            if cmd is not None:
                if isinstance(cmd, ev.Stop):
                    self._emit([ev.Stopped(t.iteration)])
                    return
                was_speed = self.speed
                self._emit(self._apply(cmd))
                if self.speed != was_speed or isinstance(cmd, ev.Resume):
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
            done = sum(len(e) for e in out if isinstance(e, ev.Progress))
            pace_done += done
            window_iters += done
            self._tune(n, dt)
            now = time.perf_counter()
            if now - window_start >= 0.5:
                self._rate = window_iters / (now - window_start)
                window_start, window_iters = now, 0
            if now - last_snapshot >= SNAPSHOT_SECONDS or t.done:
                out.append(t.snapshot(self._rate))
                last_snapshot = now
            if t.state == "diverged":
                self.paused = True
                out.append(ev.Paused(t.iteration))
            self._emit(out)

    def _chunk_size(self) -> int:
        return max(1, self._chunk)

    def _tune(self, n: int, dt: float) -> None:
        """Aim for chunks of about CHUNK_SECONDS."""
        if dt <= 0:
            self._chunk = min(self._chunk * 2, 1 << 16)
            return
        per_it = dt / max(n, 1)
        target = max(1, int(CHUNK_SECONDS / per_it))
        self._chunk = max(1, min(target, self._chunk * 2, 1 << 16))

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
                if t.state == "finished":
                    out += t.extend(t.config.iterations or t.limit)
                if t.state == "diverged":
                    t.recover()
                was = self.paused
                self.paused = False
                return out + ([ev.Resumed(t.iteration)] if was or out else [])
            if isinstance(cmd, ev.Step):
                out = [] if self.paused else [ev.Paused(t.iteration)]
                self.paused = True
                if t.state == "finished":
                    out += t.extend(1)
                if t.state == "diverged":
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
        except (ValueError, OSError) as e:
            # A refused command (bad value, unwritable path) changes nothing; say why.
            return [ev.Failed(t.iteration, str(e), "")]
        raise TypeError(f"unknown command {cmd!r}")
