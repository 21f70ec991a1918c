"""The dashboard as the CLI opens it: the trainer in a child process (``create_app``'s default).

Only events cross the process boundary, so everything here is checked as the user sees it: the
view, the status bar, the log, the checkpoint file written by the child.
"""

from __future__ import annotations

import pytest

import os
import signal
from pathlib import Path

from tui_nn.runner import ProcessSession
from tui_nn.trainer import Trainer, TrainConfig
from tui_nn.tui.app import create_app

from tui_helpers import log_text, notifications, running, scenario, settle, status, until

LONG = 10**9

@pytest.fixture(autouse=True)
def _in_a_fresh_folder(tmp_path, monkeypatch):
    """q of an unfinished run saves a checkpoint in the working folder: keep it out of the tree."""
    monkeypatch.chdir(tmp_path)



def child_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie until reaped counts as gone
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


@scenario
async def test_keys_steer_a_trainer_in_a_child_process(tmp_path):
    app = create_app(Trainer(TrainConfig(iterations=LONG)), paused=False, speed=None,
                     checkpoint_path=str(tmp_path / "run.ckpt.npz"))
    async with running(app) as pilot:
        await settle(pilot)
        session = app.session
        assert isinstance(session, ProcessSession) and session.pid != os.getpid()
        await until(pilot, lambda: app.view.iteration > 5_000)  # full speed, in the child
        await pilot.press("space")
        await until(pilot, lambda: app.view.state == "paused")
        stopped_at = app.view.iteration
        await pilot.press("n")
        await until(pilot, lambda: app.view.iteration == stopped_at + 1)
        assert "PAUSED" in status(app) and f"done {stopped_at + 1:,}/" in status(app)
        await pilot.press("o")  # hill-climb -> anneal, weights kept
        await until(pilot, lambda: app.view.optimizer == "anneal")
        await pilot.press("s")
        await until(pilot, lambda: (tmp_path / "run.ckpt.npz").is_file() and "saved" in log_text(app).lower())
        back = Trainer.from_checkpoint(tmp_path / "run.ckpt.npz")
        assert back.iteration == stopped_at + 1 and back.optimizer.name == "anneal"
        pid = session.pid
        await pilot.press("q")
    assert not child_alive(pid)  # quitting stops the trainer process too
    assert app.exit_status == 0


@scenario
async def test_gradient_descent_trains_and_reset_resets_in_the_child_process():
    # the trainer is pickled to the child: its layers must still be views of the flat vectors
    app = create_app(Trainer(TrainConfig(dataset="spiral", layers=(16,), optimizer="adam", iterations=LONG,
                                         eval_every=100, hyperparams={"lr": 0.05})), paused=False, speed=None)
    async with running(app) as pilot:
        await settle(pilot)
        await until(pilot, lambda: app.view.train_loss is not None and app.view.train_loss < 0.9)
        await pilot.press("space")
        await until(pilot, lambda: app.view.state == "paused")
        assert app.view.grads is not None and abs(app.view.grads).max() > 0
        await pilot.press("r")
        await until(pilot, lambda: app.view.iteration == 0 and app.view.train_loss > 1.09)
        fresh = Trainer(TrainConfig(dataset="spiral", layers=(16,), optimizer="adam", iterations=LONG, eval_every=100))
        assert (app.view.params == fresh.net.params).all()
        await pilot.press("q")


@scenario
async def test_a_trainer_process_that_dies_is_reported_and_q_still_quits():
    app = create_app(Trainer(TrainConfig(iterations=LONG)), paused=False, speed=None)
    async with running(app) as pilot:
        await settle(pilot)
        await until(pilot, lambda: app.view.iteration > 1_000)
        os.kill(app.session.pid, signal.SIGKILL)
        await until(pilot, lambda: app.view.state == "failed")
        assert "ended unexpectedly" in log_text(app) and "killed by signal 9" in log_text(app)
        assert "s saves" not in log_text(app).splitlines()[-1]  # nothing left that could save
        assert any("The weights on screen are the last it sent" in n for n in notifications(app))
        await pilot.press("s")
        await pilot.pause()
        assert any("nothing to save" in n for n in notifications(app))
        await pilot.press("q")
    assert app.exit_status == 1


@scenario
async def test_the_trainer_process_keeps_going_while_the_dashboard_redraws():
    app = create_app(Trainer(TrainConfig(iterations=LONG)), paused=False, speed=None)
    async with running(app) as pilot:
        await until(pilot, lambda: app.view.iteration > 0)
        session = app.session
        first = session.iteration  # as the trainer's events report it, read off the pipe
        for _ in range(20):  # redraw every panel, as fast as the UI can
            app._dirty |= {"status", "series", "weights", "optimizer", "log", "layout"}
            app.flush()
            await pilot.pause(0)
        await until(pilot, lambda: session.iteration - first > 2_000)
        await until(pilot, lambda: app.view.iteration >= first + 2_000)  # and the view catches up
        await pilot.press("q")


def test_the_trainer_process_leaves_a_core_to_the_dashboard():
    from tui_nn.runner import child_environment

    # Spinning BLAS threads on every core starve the dashboard (keys answered in seconds).
    assert child_environment({"PATH": "/bin"}, cores=2)["OPENBLAS_NUM_THREADS"] == "1"
    assert child_environment({}, cores=8)["OMP_NUM_THREADS"] == "7"
    assert child_environment({}, cores=1)["MKL_NUM_THREADS"] == "1"
    assert child_environment({"OMP_NUM_THREADS": "4"}, cores=2) == {"OMP_NUM_THREADS": "4"}  # the user's choice


def test_events_held_until_the_app_takes_them_come_first_and_in_order():
    from tui_nn.tui.startup import HeldEvents

    held, got = HeldEvents(), []
    held(["started", "evaluation"])
    held(["snapshot"])
    assert not held.attached and got == []
    held.attach(got.extend)
    assert got == ["started", "evaluation", "snapshot"]
    held(["paused"])  # then straight through
    assert got == ["started", "evaluation", "snapshot", "paused"]


@scenario
async def test_a_trainer_started_before_the_dashboard_is_shown_and_steered():
    # tui-nn train starts the trainer's child process before importing Textual (start-up): what
    # it says before the dashboard is up is shown, and keys steer it as usual.
    from tui_nn.tui.startup import start_session_early

    trainer = Trainer(TrainConfig(samples=30, iterations=300, seed=0))
    session = start_session_early(trainer, paused=True)
    try:
        app = create_app(trainer, paused=True, session=session)
        async with running(app) as pilot:
            await until(pilot, lambda: app.view.started and "Training on vertical" in log_text(app))
            assert app.session is session and "acc 0." in status(app)  # the run's first evaluation
            await pilot.press("n")
            await until(pilot, lambda: app.view.iteration == 1)
            await pilot.press("q")
        assert session.on_events.attached and not session.running
    finally:
        session.stop()
