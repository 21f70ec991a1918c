"""The background Session: commands take effect fast, step is one iteration, speed limits,
failures are reported and leave save/stop working. Synchronisation is by waiting on events."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from tui_nn import events as ev
from tui_nn.runner import PROCESS_LOST, ProcessSession, Session
from tui_nn.trainer import Trainer, TrainConfig

LONG = 10**9  # a run that never finishes during a test


class Collector:
    """The on_events callback: keeps every event with its arrival time; tests wait on it."""

    def __init__(self):
        self.events: list[ev.Event] = []
        self.arrivals: list[float] = []
        self.threads: set[str] = set()
        self.cond = threading.Condition()

    def __call__(self, events):
        now = time.perf_counter()
        with self.cond:
            self.threads.add(threading.current_thread().name)
            self.events += events
            self.arrivals += [now] * len(events)
            self.cond.notify_all()

    def wait(self, kind, after: int = 0, timeout: float = 10.0) -> int:
        """Index of the first event of ``kind`` at or after index ``after``."""
        def find():
            return next((i for i in range(after, len(self.events)) if isinstance(self.events[i], kind)), None)

        with self.cond:
            ok = self.cond.wait_for(lambda: find() is not None, timeout)
            assert ok, f"no {kind.__name__} within {timeout}s; last: {[e.kind for e in self.events[-8:]]}"
            return find()

    def wait_iterations(self, n: int, after: int = 0, timeout: float = 10.0) -> int:
        """Index of the Progress event at which ``n`` iterations have arrived since index ``after``."""
        def find():
            total = 0
            for i in range(after, len(self.events)):
                if isinstance(self.events[i], ev.Progress):
                    total += len(self.events[i])
                    if total >= n:
                        return i
            return None

        with self.cond:
            ok = self.cond.wait_for(lambda: find() is not None, timeout)
            assert ok, f"fewer than {n} iterations within {timeout}s"
            return find()

    def send_and_wait(self, session, command, kind, timeout: float = 10.0):
        mark = len(self.events)
        session.send(command)
        return self.events[self.wait(kind, mark, timeout)]

    def index(self, event) -> int:
        with self.cond:
            return next(i for i, e in enumerate(self.events) if e is event)

    def of(self, kind, start=0, stop=None):
        with self.cond:
            return [e for e in self.events[start:stop] if isinstance(e, kind)]


@pytest.fixture
def session_factory():
    sessions = []

    def make(config: dict, **kw) -> tuple[Session, Collector, Trainer]:
        trainer = Trainer(TrainConfig(**config))
        collector = Collector()
        s = Session(trainer, collector, **kw).start()
        sessions.append(s)
        return s, collector, trainer

    yield make
    for s in sessions:
        if s.running:
            s.stop(timeout=5)
        assert not s.running


@pytest.mark.parametrize("config", [dict(iterations=LONG),
                                    dict(optimizer="adam", batch_size=32, layers=(16,), iterations=LONG)],
                         ids=["hill-climb", "adam-minibatch"])
def test_pause_takes_effect_within_50ms_at_full_speed(session_factory, config):
    s, c, t = session_factory(config)
    c.wait_iterations(1000)  # well under way

    def round_of_pauses(n=20) -> list[float]:
        latencies = []
        for _ in range(n):
            mark = len(c.events)
            sent = time.perf_counter()
            s.send(ev.Pause())
            i = c.wait(ev.Paused, mark)
            latencies.append(c.arrivals[i] - sent)
            paused_at = c.events[i].iteration
            mark = len(c.events)
            s.send(ev.Resume())
            resumed = c.wait(ev.Resumed, mark)
            assert not c.of(ev.Progress, i, resumed)  # nothing ran while paused
            first = c.wait(ev.Progress, resumed)
            assert c.events[first].iteration == paused_at
            c.wait_iterations(200, resumed)  # back at full speed before the next pause
        return sorted(round(x * 1000, 1) for x in latencies)

    # p95 of 20 pauses under 50 ms. A machine busy with other work can stall this process for
    # a while, so up to three rounds are measured; chunks that are too long fail every round.
    rounds = []
    for _ in range(3):
        rounds.append(round_of_pauses())
        if np.percentile(rounds[-1], 95) < 50:
            break
    assert np.percentile(rounds[-1], 95) < 50, f"pause latencies (ms) per round: {rounds}"
    assert c.threads == {"tui-nn-trainer"}  # events arrive from the session thread


def test_step_runs_exactly_one_iteration_then_stays_paused(session_factory):
    s, c, t = session_factory(dict(iterations=LONG), paused=True)
    c.wait(ev.Paused)
    assert s.state == "paused" and t.iteration == 0
    stepped = c.send_and_wait(s, ev.Step(), ev.Stepped)
    assert stepped.iteration == 1
    # a round trip through the command queue: had the session kept running, progress would show
    c.send_and_wait(s, ev.SetSpeed(None), ev.SpeedChanged)
    chunks = c.of(ev.Progress)
    assert [(p.iteration, len(p)) for p in chunks] == [(0, 1)]
    assert t.iteration == 1 and s.state == "paused"
    for _ in range(2):
        c.send_and_wait(s, ev.Step(), ev.Stepped)
    c.send_and_wait(s, ev.SetSpeed(None), ev.SpeedChanged)
    assert [(p.iteration, len(p)) for p in c.of(ev.Progress)] == [(0, 1), (1, 1), (2, 1)]
    assert t.iteration == 3
    # the same three iterations as a trainer driven directly
    direct = Trainer(TrainConfig(iterations=LONG))
    direct.start_events()
    want = [p for p in direct.advance(3) if isinstance(p, ev.Progress)][0]
    np.testing.assert_array_equal(np.concatenate([p.losses for p in c.of(ev.Progress)]), want.losses)
    np.testing.assert_array_equal(t.net.params, direct.net.params)


def test_speed_limit_caps_iterations_per_second(session_factory):
    s, c, t = session_factory(dict(iterations=LONG), speed=50)
    first = c.wait(ev.Progress)
    last = c.wait_iterations(15, first)
    elapsed = c.arrivals[last] - c.arrivals[first]
    # 15 iterations at 50 it/s need at least 14 / 50 = 0.28 s
    assert elapsed >= 0.2, f"15 iterations in {elapsed:.3f}s at a limit of 50 it/s"
    # full speed again, then limited again mid-run
    c.send_and_wait(s, ev.SetSpeed(None), ev.SpeedChanged)
    mark = len(c.events)
    start = time.perf_counter()
    c.wait_iterations(20_000, mark)
    full_rate = 20_000 / (time.perf_counter() - start)
    changed = c.send_and_wait(s, ev.SetSpeed(50), ev.SpeedChanged)
    assert changed.speed == 50
    mark = c.index(changed)
    begin = c.wait(ev.Progress, mark)
    end = c.wait_iterations(11, begin)
    limited_rate = 10 / (c.arrivals[end] - c.arrivals[begin])
    assert limited_rate < 75 < full_rate


def test_commands_through_the_session(session_factory, tmp_path):
    s, c, t = session_factory(dict(iterations=LONG), paused=True)
    c.wait(ev.Paused)
    sw = c.send_and_wait(s, ev.SwitchOptimizer("adam", {"lr": 0.01}), ev.OptimizerSwitched)
    assert (sw.old, sw.new) == ("hill-climb", "adam") and t.optimizer.name == "adam"
    hp = c.send_and_wait(s, ev.SetHyperparam("lr", 0.02), ev.HyperparamChanged)
    assert (hp.name, hp.old, hp.new) == ("lr", 0.01, 0.02) and t.optimizer.hp["lr"] == 0.02
    w = c.send_and_wait(s, ev.SetWeight(0, 0.5), ev.WeightChanged)
    assert w.new == 0.5 and t.net.params[0] == 0.5

    mark = len(c.events)
    s.send(ev.Resume())
    c.wait_iterations(500, mark)
    # save while running at full speed: the file holds the iteration the event names
    saved = c.send_and_wait(s, ev.SaveCheckpoint(str(tmp_path / "live.npz")), ev.CheckpointSaved)
    back = Trainer.from_checkpoint(tmp_path / "live.npz")
    assert back.iteration == saved.iteration > 0
    assert back.optimizer.name == "adam" and back.optimizer.hp["lr"] == 0.02
    paused = c.send_and_wait(s, ev.Pause(), ev.Paused)
    assert s.state == "paused" and t.iteration == paused.iteration

    mark = len(c.events)
    s.send(ev.Reset())
    c.wait(ev.ResetDone, mark)
    again = c.wait(ev.Paused, mark)
    assert c.events[again].iteration == 0 and t.iteration == 0 and s.state == "paused"
    fresh = Trainer(TrainConfig(iterations=LONG))
    np.testing.assert_array_equal(t.net.params, fresh.net.params)

    c.send_and_wait(s, ev.Stop(), ev.Stopped)
    assert s.join(5) and not s.running


def test_finished_run_can_be_resumed_for_more(session_factory):
    s, c, t = session_factory(dict(iterations=300))
    done = c.events[c.wait(ev.Finished)]
    assert done.iteration == 300 and done.summary["iterations"] == 300
    c.wait(ev.Snapshot, c.index(done))
    assert s.state == "finished"
    mark = len(c.events)
    s.send(ev.Resume())
    limit = c.events[c.wait(ev.LimitChanged, mark)]
    assert limit.limit == 600
    again = c.events[c.wait(ev.Finished, mark)]
    assert again.iteration == 600 and t.iteration == 600


def test_divergence_pauses_the_session_with_good_weights(session_factory):
    s, c, t = session_factory(dict(dataset="sine", layers=(8,), optimizer="sgd", hyperparams={"lr": 5.0},
                                   iterations=LONG))
    i = c.wait(ev.Diverged)
    c.wait(ev.Paused, i)
    assert s.state == "diverged" and np.isfinite(t.net.params).all()
    c.send_and_wait(s, ev.SetHyperparam("lr", 0.01), ev.HyperparamChanged)
    mark = len(c.events)
    s.send(ev.Resume())
    c.wait_iterations(100, mark)
    assert s.state == "running" and not c.of(ev.Diverged, mark)


def test_an_exception_in_the_trainer_is_reported_and_save_stop_still_work(session_factory, tmp_path):
    trainer = Trainer(TrainConfig(iterations=LONG))
    trainer.start_events()
    trainer.advance(40)
    weights = trainer.net.params.copy()

    def broken(n):
        raise RuntimeError("boom in the trainer")

    trainer.advance = broken
    c = Collector()
    s = Session(trainer, c).start()
    try:
        failed = c.events[c.wait(ev.Failed)]
        assert failed.error == "RuntimeError: boom in the trainer"
        assert "Traceback" in failed.traceback and "in broken" in failed.traceback
        assert s.state == "failed" and s.error == failed.error and s.running
        saved = c.send_and_wait(s, ev.SaveCheckpoint(str(tmp_path / "rescue.npz")), ev.CheckpointSaved)
        assert saved.iteration == 40
        np.testing.assert_array_equal(Trainer.from_checkpoint(tmp_path / "rescue.npz").net.params, weights)
        bad = c.send_and_wait(s, ev.SaveCheckpoint(str(tmp_path / "no" / "such" / "dir.npz")), ev.Failed)
        assert bad.error.startswith("checkpoint not saved:")
        c.send_and_wait(s, ev.Stop(), ev.Stopped)
        assert s.join(5)
    finally:
        if s.running:
            s.stop()


def test_a_bad_command_is_refused_and_changes_nothing(session_factory, tmp_path):
    s, c, t = session_factory(dict(iterations=LONG), paused=True)
    c.wait(ev.Paused)
    before = t.net.params.copy()
    target = tmp_path / "missing" / "x.npz"
    cases = [
        (ev.SetHyperparam("scale", 0), "scale must be in (0, 1000], got 0"),
        (ev.SetHyperparam("lr", 0.1), "hill-climb has no hyperparameter 'lr'; it has scale"),
        (ev.SwitchOptimizer("newton"), "unknown optimizer 'newton'"),
        (ev.SwitchOptimizer("sgd", {"momentum": 3}), "momentum must be in [0, 1], got 3"),
        (ev.SetWeight(99, 1.0), "weight index 99 out of range 0..20"),
        (ev.SetWeight(0, float("nan")), "weight value must be finite"),
        (ev.SetWeight(1.5, 0.0), "a weight needs an integer index and a number"),
        (ev.SetWeight(0, "heavy"), "a weight needs an integer index and a number"),
        (ev.SetSpeed(0), "speed must be a positive number of iterations per second"),
        (ev.SetSpeed(-5), "speed must be a positive number of iterations per second"),
        (ev.SetSpeed(float("nan")), "speed must be a positive number of iterations per second"),
        (ev.Extend(-100), "extend by a positive number of iterations, got -100"),
        (ev.SaveCheckpoint(str(target)), "No such file or directory"),
    ]
    for command, message in cases:
        failed = c.send_and_wait(s, command, ev.Failed)
        assert message in failed.error and failed.traceback == ""
        assert "\n" not in failed.error
    assert t.optimizer.name == "hill-climb" and t.optimizer.hp == {"scale": 0.05}
    np.testing.assert_array_equal(t.net.params, before)
    assert s.speed is None and t.limit == LONG
    assert not target.parent.exists()
    assert s.state == "paused" and s.error is None
    assert c.send_and_wait(s, ev.Step(), ev.Stepped).iteration == 1  # and it keeps working
    # refused while running too: the run goes on
    mark = len(c.events)
    s.send(ev.Resume())
    c.wait_iterations(200, mark)
    failed = c.send_and_wait(s, ev.SetHyperparam("scale", -1), ev.Failed)
    c.wait_iterations(200, c.index(failed))
    assert s.state == "running"


# --- the same session in a child process ---------------------------------------------------------


@pytest.fixture
def process_session():
    sessions = []

    def make(config: dict, **kw) -> tuple[ProcessSession, Collector]:
        collector = Collector()
        s = ProcessSession(Trainer(TrainConfig(**config)), collector, **kw).start()
        sessions.append(s)
        return s, collector

    yield make
    for s in sessions:
        s.stop(timeout=10)
        assert not s.running


def test_process_session_gives_the_same_run_and_obeys_commands(process_session, tmp_path):
    s, c = process_session(dict(iterations=LONG), paused=True)
    c.wait(ev.Paused)
    assert s.state == "paused" and s.pid != os.getpid()
    for k in range(1, 4):
        assert c.send_and_wait(s, ev.Step(), ev.Stepped).iteration == k
    direct = Trainer(TrainConfig(iterations=LONG))
    direct.start_events()
    want = direct.advance(3)[0]
    np.testing.assert_array_equal(np.concatenate([p.losses for p in c.of(ev.Progress)]), want.losses)
    snapshot = c.of(ev.Snapshot)[-1]
    np.testing.assert_array_equal(snapshot.params, direct.net.params)

    sw = c.send_and_wait(s, ev.SwitchOptimizer("adam", {"lr": 0.01}), ev.OptimizerSwitched)
    assert (sw.old, sw.new) == ("hill-climb", "adam")
    refused = c.send_and_wait(s, ev.SetHyperparam("lr", -1.0), ev.Failed)
    assert "lr must be" in refused.error and s.state == "paused"

    # full speed, then pause: nothing runs while paused, and the checkpoint (written by the
    # child) holds the iteration the pause names
    mark = len(c.events)
    s.send(ev.Resume())
    c.wait_iterations(2_000, mark)
    assert s.state == "running"
    paused = c.send_and_wait(s, ev.Pause(), ev.Paused)
    saved = c.send_and_wait(s, ev.SaveCheckpoint(str(tmp_path / "child.npz")), ev.CheckpointSaved)
    assert saved.iteration == paused.iteration == s.iteration
    assert not c.of(ev.Progress, c.index(paused))
    back = Trainer.from_checkpoint(tmp_path / "child.npz")
    assert back.iteration == paused.iteration and back.optimizer.name == "adam"

    c.send_and_wait(s, ev.Stop(), ev.Stopped)
    assert s.join(10) and not s.running and s.error is None


def test_process_session_reports_a_killed_trainer(process_session):
    s, c = process_session(dict(iterations=LONG))
    c.wait_iterations(1_000)
    os.kill(s.pid, signal.SIGKILL)
    failed = c.events[c.wait(ev.Failed)]
    assert failed.error.startswith(PROCESS_LOST) and "killed by signal 9" in failed.error
    assert failed.traceback  # a failure, not a refused command
    assert s.lost and s.state == "failed" and s.join(10) and not s.running
    s.send(ev.Pause())  # nobody to tell: no exception either


def test_process_session_child_stops_when_its_front_end_goes(process_session):
    s, c = process_session(dict(iterations=LONG))
    c.wait_iterations(1_000)
    s._command_writer.close()  # as when the front end's process dies: its pipe ends close
    c.wait(ev.Stopped)
    assert s.join(10) and not s.lost


def test_process_session_from_a_script_without_a_main_guard(tmp_path):
    """The child is a fresh interpreter that never re-runs the caller's script."""
    script = tmp_path / "plain.py"
    script.write_text(
        "import threading\n"
        "from tui_nn import events as ev\n"
        "from tui_nn.runner import ProcessSession\n"
        "from tui_nn.trainer import Trainer, TrainConfig\n"
        "done = threading.Event()\n"
        "got = []\n"
        "def on_events(events):\n"
        "    got.extend(events)\n"
        "    if any(e.kind == 'finished' for e in events):\n"
        "        done.set()\n"
        "s = ProcessSession(Trainer(TrainConfig(iterations=500)), on_events).start()\n"
        "assert done.wait(60)\n"
        "s.stop()\n"
        "print(sum(len(e) for e in got if e.kind == 'progress'), 'iterations')\n")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "500 iterations"
