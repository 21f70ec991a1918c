"""The race's worker pool: a worker per contender up to the cores, more contenders sharing
them fairly by CPU time, and every contender still exactly its separate run (shared, handed
from worker to worker, dropped, paused, stepped or opened)."""

from __future__ import annotations

import queue
import tempfile
from pathlib import Path

import psutil
import pytest

from tui_nn import events as ev
from tui_nn.race import Race, contender_config, parse_contenders
from tui_nn.race_pool import FairShare, Pool, _Worker
from tui_nn.trainer import TrainConfig, Trainer

CONFIG = TrainConfig(dataset="spiral", samples=40, layers=(8,), iterations=600, seed=2)
FOUR = "hill-climb,sgd,adam:lr=0.05,rmsprop"


def separate(config: TrainConfig, contender, **overrides) -> Trainer:
    alone = Trainer(contender_config(config, contender), **overrides)
    alone.run()
    return alone


def wait(race: Race, arrived: queue.SimpleQueue, condition) -> None:
    """Handle events until ``condition()`` holds (a minute at most: a safety net, not a delay)."""
    while not condition():
        arrived.get(timeout=60)


def started_race(contenders: str, **kwargs) -> tuple[Race, queue.SimpleQueue]:
    arrived: queue.SimpleQueue = queue.SimpleQueue()
    race = Race(CONFIG, parse_contenders(contenders), on_events=lambda i, b: arrived.put(i), **kwargs).start()
    return race, arrived


# --- as many workers as the cores allow ----------------------------------------------------------------


@pytest.mark.parametrize("cores", [1, 2, 5])
def test_a_race_has_one_worker_per_contender_up_to_the_cores_and_each_result_is_its_separate_run(cores):
    race, arrived = started_race(FOUR, cores=cores)
    try:
        children = {p.pid for p in psutil.Process().children()}
        assert len(race.pids()) == min(cores, 4) and set(race.pids()) <= children
        wait(race, arrived, lambda: race.done)
    finally:
        race.stop()
    for s, c in zip(race.standings, race.contenders):
        assert s.state == "finished" and s.iteration == 600
        assert s.params.tobytes() == separate(CONFIG, c).net.params.tobytes(), c.label  # bit for bit
    assert not any(psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
                   for pid in race.pids())


def test_a_time_budget_gives_every_contender_the_same_cpu_time_on_shared_workers():
    config = TrainConfig(dataset="spiral", samples=40, layers=(8,), seed=1)
    arrived: queue.SimpleQueue = queue.SimpleQueue()
    race = Race(config, parse_contenders("hill-climb,sgd,adam"), on_events=lambda i, b: arrived.put(i),
                cpu_seconds=0.3, cores=1).start()
    try:
        wait(race, arrived, lambda: race.done)
    finally:
        race.stop()
    served = race.pool.share.served
    # the budget each, over it by its last chunk at most (a worker's first chunk may hold a
    # one-off compile of the fast kernels: it counts for the contender that ran it)
    assert all(0.3 <= cpu < 1.5 for cpu in served), served
    for s, c in zip(race.standings, race.contenders):
        assert s.state == "finished" and s.iteration > 0
        assert s.params.tobytes() == separate(config, c, iterations=s.iteration, eval_every=100).net.params.tobytes()


# --- fair sharing: the scheduler with fake workers and a fake CPU clock -----------------------------------


class FakeWorker(_Worker):
    def __init__(self, index: int):
        super().__init__(index, process=None, commands=None, events=None, stderr=None)
        self.jobs: list[tuple] = []
        self.yields = 0

    def send(self, message) -> None:
        if message[0] == "job":
            self.jobs.append(message)
        elif message[0] == "yield":
            self.yields += 1


def fake_pool(n: int, workers: int, paused: bool = False) -> Pool:
    trainers = [Trainer(CONFIG) for _ in range(n)]
    pool = Pool(trainers, lambda i, events: None, paused=paused, cores=workers)
    pool.workers = [FakeWorker(k) for k in range(pool.size)]
    with pool._cond:
        pool._dispatch()
    return pool


def simulate(pool: Pool, cost, segments: int) -> list[list[float]]:
    """Run ``segments`` jobs on the fake workers, always ending the one that started first (a
    fake CPU clock): contender ``i``'s segment takes ``cost(i, k)`` CPU seconds. The CPU time
    served to each contender after every segment."""
    clock = [0.0] * len(pool.workers)
    history = []
    for k in range(segments):
        w = min((w for w in pool.workers if w.busy is not None), key=lambda w: (clock[w.index], w.index))
        _, kind, i, state, seconds, left = w.jobs[-1]
        used = 0.001 if kind == "start" else cost(i, k)
        clock[w.index] += used
        pool._job_done(w, i, used, 0, False, False, b"state")
        history.append(list(pool.share.served))
    return history


@pytest.mark.parametrize("n, workers", [(4, 2), (3, 2), (5, 2), (3, 1)])
def test_more_contenders_than_workers_share_them_fairly_by_cpu_time(n, workers):
    # contenders of different speeds: each segment ends after a chunk past the segment's time
    pool = fake_pool(n, workers)
    step = [0.1 + 0.013 * i for i in range(n)]
    history = simulate(pool, lambda i, k: step[i] * (1 + 0.3 * ((k * 7 + i) % 3)), 400)
    # the tolerance, the segment just counted and the one of the least served still running
    bound = pool.share.tolerance + 2 * max(step) * 1.6
    for served in history[4 * n:]:  # once every contender has run
        assert max(served) - min(served) <= bound, served
    assert min(history[-1]) > 0.9 * max(history[-1])  # ... so they progress at the same rate


def test_a_worker_keeps_the_contenders_it_holds_when_the_sharing_stays_fair():
    pool = fake_pool(4, 2)
    simulate(pool, lambda i, k: 0.1, 200)
    handed = sum(1 for w in pool.workers for job in w.jobs if job[1] == "run" and job[3] is not None)
    assert handed <= 4  # four contenders on two workers settle two to a worker: hardly a hand-over


def test_the_least_served_runs_next_and_ties_go_to_the_first():
    share = FairShare(4, tolerance=0.05)
    share.served[:] = [0.3, 0.1, 0.1, 0.2]
    assert share.pick([0, 1, 2, 3]) == 1
    assert share.pick([0, 2, 3]) == 2
    assert share.pick([0, 2, 3], held={3}) == 2  # held, but more than the tolerance ahead
    share.served[3] = 0.14
    assert share.pick([0, 2, 3], held={3}) == 3  # held and within it: no hand-over
    assert share.pick([]) is None


def test_pause_step_and_drop_reach_a_contender_waiting_for_a_worker():
    pool = fake_pool(3, 1, paused=True)
    announced: list[tuple[int, type]] = []
    pool.on_events = lambda i, events: announced.extend((i, type(e)) for e in events)
    w = pool.workers[0]
    for _ in range(3):  # the start jobs, one after another on the one worker
        pool._job_done(w, w.jobs[-1][2], 0.001, 0, False, False, b"state")
    assert [job[1] for job in w.jobs] == ["start"] * 3 and w.busy is None
    assert announced == [(0, ev.Paused), (1, ev.Paused), (2, ev.Paused)]
    for i in range(3):
        pool.resume(i)
    assert w.jobs[-1][1:3] == ("run", 0) and pool.running[0] == 0
    pool.halt(2)  # dropped while it waits: it never gets the worker again
    pool.step(0)  # running: asked to yield; paused and stepped once its segment ends
    assert w.yields == 1
    pool._job_done(w, 0, 0.1, 5, False, False, b"state")
    assert w.jobs[-1][1:3] == ("step", 0)
    pool._job_done(w, 0, 0.001, 6, False, False, b"state")
    assert w.jobs[-1][1:3] == ("run", 1)  # contender 1 runs on; 0 is paused, 2 dropped
    pool._job_done(w, 1, 0.1, 9, False, False, b"state")
    assert w.jobs[-1][1:3] == ("run", 1)
    assert (0, ev.Resumed) in announced and announced[-1] == (0, ev.Paused)
    assert not pool.active(2) and pool.active(0)


# --- drop and open with shared workers --------------------------------------------------------------


def test_drop_and_open_work_on_shared_workers():
    race, arrived = started_race(FOUR, cores=1, paused=True)
    try:
        wait(race, arrived, lambda: all(s.state == "paused" for s in race.standings))
        race.send_all(ev.Step())
        wait(race, arrived, lambda: all(s.iteration == 1 for s in race.standings))
        race.drop(1)
        race.send_all(ev.Resume())
        wait(race, arrived, lambda: race.standings[2].iteration >= 300)
        race.send_all(ev.Pause())
        wait(race, arrived, lambda: all(s.state in ("paused", "dropped", "finished") for s in race.standings))
        assert not race.running(1) and race.standings[1].iteration == 1
        with tempfile.TemporaryDirectory() as folder:
            opened = race.trainer(2, Path(folder) / "adam.ckpt.npz")  # the hand-over to the full dashboard
        assert opened.iteration == race.standings[2].iteration
        assert opened.net.params.tobytes() == race.standings[2].params.tobytes()
        race.send_all(ev.Resume())
        wait(race, arrived, lambda: race.done)
    finally:
        race.stop()
    assert [s.state for s in race.standings] == ["finished", "dropped", "finished", "finished"]
    for k in (0, 2, 3):
        alone = separate(CONFIG, race.contenders[k])
        assert race.standings[k].params.tobytes() == alone.net.params.tobytes()
    opened.run()
    assert opened.net.params.tobytes() == race.standings[2].params.tobytes()  # it carries on as the race did
    with tempfile.TemporaryDirectory() as folder:  # a finished contender opens too (its state is the race's)
        finished = race.trainer(3, Path(folder) / "rmsprop.ckpt.npz")
    assert finished.iteration == 600 and finished.net.params.tobytes() == race.standings[3].params.tobytes()


def test_a_worker_killed_takes_only_the_contender_it_was_running_and_the_others_race_on():
    import os
    import signal

    config = TrainConfig(dataset="spiral", samples=40, layers=(8,), iterations=20_000, seed=2)
    arrived: queue.SimpleQueue = queue.SimpleQueue()
    race = Race(config, parse_contenders("hill-climb,sgd,adam"), on_events=lambda i, b: arrived.put(i),
                cores=2).start()
    try:
        wait(race, arrived, lambda: all(s.iteration > 0 for s in race.standings))
        os.kill(race.pids()[0], signal.SIGKILL)
        wait(race, arrived, lambda: race.done)
    finally:
        race.stop()
    states = [s.state for s in race.standings]
    assert states.count("failed") == 1 and states.count("finished") == 2, states
    lost = states.index("failed")
    assert "killed by signal 9" in race.standings[lost].error
    for s, c in zip(race.standings, race.contenders):
        if s.state == "finished":
            assert s.params.tobytes() == separate(config, c).net.params.tobytes(), c.label
