"""Fork (issue 15): a branch continued from the state at the cursor with another optimizer or other
hyperparameters is, bit for bit, ``tui-nn train --resume`` of a checkpoint taken there."""

from __future__ import annotations

import numpy as np
import pytest

from tui_nn.recording import Recording, RecordingError
from tui_nn.replay import Replayer, fork
from tui_nn.trainer import Trainer

from test_cli_basics import assert_one_line_error, run
from test_recording import assert_same_state, record

CONFIG = dict(iterations=1500)


@pytest.fixture
def recording(tmp_path):
    path = tmp_path / "run.rec"
    record(path, CONFIG)
    return path


@pytest.mark.parametrize("optimizer, hyper, flags", [
    ("adam", {"lr": 0.01}, ["--optimizer", "adam", "--lr", "0.01"]),
    (None, {"scale": 0.2}, ["--scale", "0.2"]),
])
def test_a_fork_is_the_resumed_checkpoint_taken_there(optimizer, hyper, flags, recording, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run("replay", "run.rec", "--headless", "--at", "700", "--checkpoint", "at.npz").exit_code == 0
    result = run("train", "--headless", "--resume", "at.npz", "--iterations", "400", "--checkpoint", "resumed.npz",
                 *flags)
    assert result.exit_code == 0, result.output
    resumed = Trainer.from_checkpoint("resumed.npz")

    branch = fork(Recording.open(recording), 700, "b", optimizer=optimizer, hyperparams=hyper, iterations=400,
                  snapshot_every=97)
    np.testing.assert_array_equal(branch.net.params, resumed.net.params)
    assert (branch.iteration, branch.best_loss, branch.optimizer.hp) == (1100, resumed.best_loss, resumed.optimizer.hp)

    # kept in the recording beside the original, and replayed exactly along it
    rec = Recording.open(recording, "b")
    assert (rec.first, rec.end, rec.current.at) == (0, 1100, 700)
    assert Recording.open(recording).end == 1500
    replayer = Replayer(rec)
    assert_same_state(replayer.state_at(1100), Trainer.from_checkpoint("resumed.npz"))
    middle = Trainer.from_checkpoint("at.npz")
    assert_same_state(replayer.state_at(500), Replayer(Recording.open(recording)).state_at(500))  # before the fork
    its, losses, _, _ = rec.series()
    main_its, main_losses, _, _ = Recording.open(recording).series()
    np.testing.assert_array_equal(its, np.arange(1100))
    np.testing.assert_array_equal(losses[:700], main_losses[:700])
    assert middle.iteration == 700


def test_the_cli_forks_and_opens_a_branch(recording, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("replay", "run.rec", "--headless", "--at", "700", "--fork", "fast", "--optimizer", "adam",
                 "--lr", "0.05", "--iterations", "300")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("run.rec: branch fast forked at iteration 700 with adam, iterations 700 to 1,000")
    result = run("replay", "run.rec", "--headless", "--branch", "fast", "--at", "900")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].startswith("run.rec: branch fast (forked at 700), hill-climb on vertical")
    assert "adam (lr 0.05" in result.output.splitlines()[1]
    before = (tmp_path / "run.rec").read_bytes()
    assert_one_line_error(run("replay", "run.rec", "--headless", "--branch", "slow"), "has no branch 'slow'", "fast")
    assert_one_line_error(run("replay", "run.rec", "--headless", "--at", "700", "--fork", "fast"),
                          "branch name 'fast'", "taken")
    assert_one_line_error(run("replay", "run.rec", "--headless", "--at", "700", "--fork", "x", "--lr", "0.1"),
                          "--lr does not apply to hill-climb")
    assert_one_line_error(run("replay", "run.rec", "--headless", "--fork", "x"), "--fork needs --at N")
    assert_one_line_error(run("replay", "run.rec", "--headless", "--at", "9999", "--fork", "x"), "outside the recording")
    assert (tmp_path / "run.rec").read_bytes() == before  # nothing written by a refused fork


def test_a_torn_recording_is_not_forked(recording, tmp_path):
    data = recording.read_bytes()
    recording.write_bytes(data[:-50])
    with pytest.raises(RecordingError, match="torn record"):
        fork(Recording.open(recording), 100, "b", optimizer="adam")
    assert recording.read_bytes() == data[:-50]


# --- a fork of a paused live run (the training dashboard's f and b) ---------------------------


def _session_to(t, at, record_path=None):
    import queue

    from tui_nn import events as ev
    from tui_nn.runner import Session

    q: queue.SimpleQueue = queue.SimpleQueue()
    s = Session(t, q.put, paused=True, record=record_path, snapshot_every=97).start()
    while t.iteration < at:
        s.send(ev.Step())
        _wait_for(q, ev.Stepped)
    return s, q


def _wait_for(q, kind):
    from tui_nn import events as ev

    while True:
        batch = q.get(timeout=60)
        assert not any(isinstance(e, ev.Failed) for e in batch), batch
        found = [e for e in batch if isinstance(e, kind)]
        if found:
            return found[-1]


def test_a_live_fork_is_the_resumed_checkpoint_taken_there_and_both_are_recorded(tmp_path, monkeypatch):
    from tui_nn import events as ev
    from tui_nn.trainer import TrainConfig

    monkeypatch.chdir(tmp_path)
    t = Trainer(TrainConfig(iterations=1500))
    s, q = _session_to(t, 300, str(tmp_path / "live.rec"))
    s.send(ev.SaveCheckpoint(str(tmp_path / "at.npz")))
    _wait_for(q, ev.CheckpointSaved)
    s.send(ev.Fork())
    shown = _wait_for(q, ev.BranchShown)
    assert (shown.branch, shown.branches, shown.forked, shown.iteration) == ("fork-1", ["main", "fork-1"], True, 300)
    assert [label for label, _, _ in shown.overlays] == ["main (hill-climb)"]
    s.send(ev.SwitchOptimizer("adam", {"lr": 0.01}))
    s.send(ev.Resume())
    _wait_for(q, ev.Finished)
    result = run("train", "--headless", "--resume", "at.npz", "--optimizer", "adam", "--lr", "0.01",
                 "--checkpoint", "resumed.npz")
    assert result.exit_code == 0, result.output
    assert_same_state(t, Trainer.from_checkpoint("resumed.npz"))  # the branch, bit for bit

    s.send(ev.ChooseBranch("main"))  # the original goes on from where it was left
    shown = _wait_for(q, ev.BranchShown)
    assert (shown.branch, shown.iteration, [label for label, _, _ in shown.overlays]) == (
        "main", 300, ["fork-1 (adam)"])
    s.send(ev.Resume())
    _wait_for(q, ev.Finished)
    s.stop()
    straight = Trainer(TrainConfig(iterations=1500))
    straight.run()
    np.testing.assert_array_equal(t.net.params, straight.net.params)

    main, branch = Recording.open(tmp_path / "live.rec"), Recording.open(tmp_path / "live.rec", "fork-1")
    assert (main.end, branch.end, branch.current.at) == (1500, 1500, 300)
    assert_same_state(Replayer(branch).state_at(1500), Trainer.from_checkpoint("resumed.npz"))
    np.testing.assert_array_equal(Replayer(main).state_at(1500).net.params, straight.net.params)


def test_the_dashboard_forks_the_paused_run_and_switches_branches():
    import functools

    from tui_helpers import notifications, running, scenario, settle, until

    from tui_nn.trainer import TrainConfig
    from tui_nn.tui.app import create_app

    @scenario
    async def body():
        app = functools.partial(create_app, separate_process=False)(
            Trainer(TrainConfig(iterations=100_000)), paused=True)
        async with running(app) as pilot:
            await settle(pilot)
            for _ in range(3):
                await pilot.press("n")
            await until(pilot, lambda: app.view.iteration == 3)
            await pilot.press("f")
            await until(pilot, lambda: app.view.branch == "fork-1")
            assert [label for label, _, _ in app.view.overlays] == ["main (hill-climb)"]
            await pilot.press("o")  # the new branch's optimizer
            await until(pilot, lambda: app.view.optimizer != "hill-climb")
            await pilot.press("b")
            await until(pilot, lambda: app.view.branch == "main")
            assert app.view.optimizer == "hill-climb" and app.view.iteration == 3
            assert [label for label, _, _ in app.view.overlays] == ["fork-1 (anneal)"]
            assert any("Forked at iteration 3" in n for n in notifications(app))
            await pilot.press("space")
            await until(pilot, lambda: app.view.state == "running")
            await pilot.press("f")
            assert "Pause first (space)" in notifications(app)[-1]
            await pilot.press("space")
            await until(pilot, lambda: app.view.state == "paused")

    body()


def test_a_fork_keeps_the_loss_and_accuracy_the_status_bar_showed():
    """Right after f the status bar shows the forked state's own numbers (it once showed the
    first evaluation's for a moment: loss 1.099 best 1.101 at iteration 1)."""
    import functools
    import re

    from tui_helpers import running, scenario, settle, status, until

    from tui_nn.trainer import TrainConfig
    from tui_nn.tui.app import create_app

    def numbers(app):
        shown = re.sub(r"\s+", " ", status(app))
        return re.search(r"loss \S+ best \S+ acc \S+", shown).group(0), app.view.train_loss, app.view.train_accuracy

    @scenario
    async def body():
        app = functools.partial(create_app, separate_process=False)(
            Trainer(TrainConfig(iterations=100_000, seed=3)), paused=True)
        async with running(app) as pilot:
            await settle(pilot)
            await pilot.press("n")
            await until(pilot, lambda: app.view.iteration == 1)
            await settle(pilot)
            before = numbers(app)
            await pilot.press("f")
            await until(pilot, lambda: app.view.branch == "fork-1")
            await settle(pilot)
            assert numbers(app) == before
            await pilot.press("b")  # the other branch, at the same iteration: the same numbers
            await until(pilot, lambda: app.view.branch == "main")
            await settle(pilot)
            assert numbers(app) == before

    body()
