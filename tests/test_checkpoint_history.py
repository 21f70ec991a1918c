"""``tui-nn replay CHECKPOINT``: a checkpoint's history recomputed from its configuration and
optimizer switches gives the run's exact state at random iterations; a run changed by hand (a
nudged weight) is said to be so, and its own state is shown; bad files get one line, exit 2."""

from __future__ import annotations

import numpy as np
import pytest

from tui_nn import events as ev
from tui_nn.checkpoint_history import recompute
from tui_nn.replay import Replayer
from tui_nn.trainer import Trainer, TrainConfig

from test_cli_basics import assert_one_line_error, run
from test_recording import CONFIGS, assert_same_state, straight

SWITCHED = [(400, ev.SwitchOptimizer("adam", {"lr": 0.01}))]


def checkpoint_of(config: dict, at: int, path, commands=()) -> Trainer:
    t = straight(config, at, commands)
    t.save_checkpoint(path)
    return t


@pytest.mark.parametrize("name, commands", [("hill-climb", SWITCHED), ("sgd-momentum-spiral", ()),
                                            ("adam-minibatch-dropout", ())])
def test_a_checkpoints_history_is_the_runs_state_at_random_iterations(name, commands, tmp_path):
    config = CONFIGS[name]
    checkpoint_of(config, 1100, tmp_path / "run.npz", commands)
    history = recompute(tmp_path / "run.npz", tmp_path / "history.rec")
    assert history.exact and history.note == ""
    rec = history.recording
    assert (rec.first, rec.end) == (0, 1100)
    replayer = Replayer(rec)
    for c in [1100, *np.random.default_rng(len(name)).integers(0, 1100, 4).tolist()]:
        assert_same_state(replayer.state_at(c), straight(config, c, commands))


def test_a_run_changed_by_hand_shows_the_checkpoints_own_state_and_says_why(tmp_path):
    config = CONFIGS["hill-climb"]
    t = straight(config, 300)
    t.set_weight(0, 0.5)  # a nudge: not kept in a checkpoint
    t.advance(200)
    t.save_checkpoint(tmp_path / "run.npz")
    history = recompute(tmp_path / "run.npz", tmp_path / "history.rec")
    assert not history.exact
    assert "does not give its state at iteration 500" in history.note and "a weight nudged" in history.note
    rec = history.recording
    assert (rec.first, rec.end) == (500, 500)
    assert rec.evaluations() == t.evaluations
    assert_same_state(Replayer(rec).state_at(500), Trainer.from_checkpoint(tmp_path / "run.npz"))


def test_replay_of_a_checkpoint_on_the_command_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run("train", "--headless", "--iterations", "800", "--checkpoint", "run.npz").exit_code == 0
    before = (tmp_path / "run.npz").read_bytes()
    result = run("replay", "run.npz", "--headless", "--at", "345", "--checkpoint", "at.npz")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "run.npz: hill-climb on vertical, seed 0, iterations 0 to 800, recomputed from the checkpoint"
    assert lines[1].startswith("iteration 345: training loss")
    assert_same_state(Trainer.from_checkpoint("at.npz"), straight({"iterations": 800}, 345))
    again = run("replay", "run.npz", "--headless", "--at", "345")
    assert again.output.splitlines() == lines[:2]  # the same bytes each time
    assert (tmp_path / "run.npz").read_bytes() == before
    assert_one_line_error(run("replay", "run.npz", "--headless", "--at", "801"), "iteration 801 is outside")
    assert_one_line_error(run("replay", "run.npz", "--headless", "--fork", "b", "--at", "5"),
                          "run.npz is a checkpoint", "tui-nn train --resume run.npz")


def test_replay_refuses_a_truncated_or_foreign_checkpoint_in_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run("train", "--headless", "--iterations", "300", "--checkpoint", "run.npz").exit_code == 0
    data = (tmp_path / "run.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(data[:len(data) // 2])
    assert_one_line_error(run("replay", "cut.npz", "--headless"), "cut.npz is not a tui-nn checkpoint")
    assert (tmp_path / "cut.npz").read_bytes() == data[:len(data) // 2]
    (tmp_path / "other.npz").write_bytes(b"PK\x03\x04 a zip of something else")
    assert_one_line_error(run("replay", "other.npz", "--headless"), "other.npz is not a tui-nn checkpoint")
    (tmp_path / "notes.txt").write_text("hello\n")
    assert_one_line_error(run("replay", "notes.txt", "--headless"), "notes.txt is not a tui-nn recording or checkpoint")


def test_the_dashboard_on_a_checkpoint_says_what_it_shows_and_does_not_fork(tmp_path):
    from tui_helpers import notifications, scenario
    from test_tui_snapshots import wait_for

    from tui_nn.tui.replay_app import create_replay_app

    t = straight(CONFIGS["hill-climb"], 300)
    t.set_weight(0, 0.5)
    t.advance(100)
    t.save_checkpoint(tmp_path / "run.npz")
    history = recompute(tmp_path / "run.npz", tmp_path / "history.rec")

    @scenario
    async def body():
        app = create_replay_app(Replayer(history.recording), note=history.note, checkpoint="run.npz")
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: app.view.iteration == 400)
            assert history.note in notifications(app)
            await pilot.press("f")
            assert "tui-nn train --resume run.npz" in notifications(app)[-1]
            await pilot.press("q")

    body()


def test_the_dashboard_shows_the_historys_progress_and_the_cursor_works_once_it_is_there(tmp_path):
    """The dashboard opens on the checkpoint at once, says how far the recomputation is (and
    answers keys meanwhile), then the cursor moves through the history."""
    import threading

    from tui_helpers import notifications, scenario, status
    from test_tui_snapshots import wait_for

    from tui_nn.tui.replay_app import create_history_app
    from tui_nn.tui.widgets.loss_chart import LossChart

    straight(CONFIGS["hill-climb"], 400).save_checkpoint(tmp_path / "run.npz")
    halfway, go_on = threading.Event(), threading.Event()

    def held_at_200(progress):  # the real recomputation, held half way until the test has looked
        def on(done, total):
            progress(done, total)
            if done >= 200 and not halfway.is_set():
                halfway.set()
                go_on.wait(60)
        return recompute(tmp_path / "run.npz", tmp_path / "history.rec", on)

    @scenario
    async def body():
        app = create_history_app(str(tmp_path / "run.npz"), str(tmp_path / "history.rec"), cursor=300,
                                 recompute=held_at_200)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, halfway.is_set)
            await wait_for(pilot, lambda: "recomputing the history: " in app.query_one(LossChart).border_subtitle
                           and app.progress[0] >= 200)
            app.flush()
            assert "history recomputing" in status(app) and app.view.iteration == 400  # the checkpoint's state
            await pilot.press("left")  # answered at once, the cursor waits for the history
            assert "the cursor works when it is done" in notifications(app)[-1]
            go_on.set()
            await wait_for(pilot, lambda: app.replayer is not None and app.view.iteration == 300)
            await pilot.press("left")
            await wait_for(pilot, lambda: app.view.iteration == 299)
            np.testing.assert_array_equal(app.view.params, straight(CONFIGS["hill-climb"], 299).net.params)
            await pilot.press("q")
        go_on.set()

    body()
