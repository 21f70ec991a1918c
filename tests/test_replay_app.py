"""The replay dashboard (``tui-nn replay RUN``): the cursor's keys, the exact state in the panels,
a recording still being written, and its screen (snapshot)."""

from __future__ import annotations

import numpy as np
import pytest

from tui_nn.recording import Recorder, Recording
from tui_nn.replay import Replayer, fork
from tui_nn.trainer import Trainer, TrainConfig
from tui_nn.tui.replay_app import create_replay_app

from test_recording import record, straight
from test_tui_snapshots import wait_for
from tui_helpers import notifications, scenario

CONFIG = dict(iterations=2000)


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    path = tmp_path_factory.mktemp("replay") / "run.rec"
    record(path, CONFIG)
    return path


def replay_app(path, cursor=None):
    return create_replay_app(Replayer(Recording.open(path)), cursor=cursor)


@scenario
async def test_the_cursor_keys_and_the_exact_state_in_the_panels(recording):
    app = replay_app(recording, cursor=1000)
    async with app.run_test(size=(120, 40)) as pilot:
        view_at = lambda i: lambda: app.view.iteration == i  # noqa: E731
        await wait_for(pilot, view_at(1000))
        for keys, expected in ((("left",), 999), (("right", "right"), 1001), (("right_square_bracket",), 1201),
                               (("shift+left",), 1001), (("home",), 0), (("end",), 2000),
                               (("1", "2", "3", "4", "enter"), 1234), (("end", "left"), 1999)):
            await pilot.press(*keys)
            await wait_for(pilot, view_at(expected))
            assert app.cursor == expected
        t = straight(CONFIG, 1999)
        np.testing.assert_array_equal(app.view.params, t.net.params)  # what the weights panel draws
        loss, acc = t.metrics(t.X_train, t.y_train)
        assert (app.view.train_loss, app.view.train_accuracy, app.view.best_loss) == (loss, acc, t.best_loss)
        assert app.view.stats == t.optimizer.stats() and app.view.losses.count == 2000  # the chart in full
        await pilot.press("9", "9", "9", "9", "9", "enter")  # outside the recording: refused, the cursor stays
        await pilot.pause()
        assert app.cursor == 1999 and "outside the recording" in notifications(app)[-1]
        await pilot.press("q")
    assert app.return_code == 0


@scenario
async def test_a_recording_still_being_written_is_followed_to_its_end(tmp_path):
    t = Trainer(TrainConfig(**CONFIG))
    t.start_events()
    recorder = Recorder(tmp_path / "live.rec", t, snapshot_every=100)
    recorder.record(t.advance(300), t)
    recorder.flush()
    app = create_replay_app(Replayer(Recording.open(tmp_path / "live.rec")), live=lambda: True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.view.iteration == 300)
        recorder.record(t.advance(200), t)
        recorder.flush()
        for _ in range(200):  # the session reads new records every half second
            if app.view.iteration == 500:
                break
            await pilot.pause(0.05)
        assert app.view.iteration == 500  # a cursor at the end follows the end
        assert app.end == 500
        await pilot.press("q")
    recorder.close(t)


def test_replay_screen_mid_run(snap_compare, recording):
    async def at_cursor(pilot):
        await wait_for(pilot, lambda: pilot.app.view.iteration == 1234)
        pilot.app.flush()

    assert snap_compare(replay_app(recording, cursor=1234), terminal_size=(120, 36), run_before=at_cursor)


def test_replay_screen_small_terminal(snap_compare, recording):
    async def at_cursor(pilot):
        await wait_for(pilot, lambda: pilot.app.view.iteration == 1234)
        pilot.app.flush()

    assert snap_compare(replay_app(recording, cursor=1234), terminal_size=(80, 24), run_before=at_cursor)


@scenario
async def test_f_forks_at_the_cursor_and_b_switches_the_branch_shown(tmp_path):
    record(tmp_path / "run.rec", CONFIG)
    app = create_replay_app(Replayer(Recording.open(tmp_path / "run.rec")), cursor=1500)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.view.iteration == 1500)
        await pilot.press(*"o" * 6)  # from adam, round the list: random-search, hill-climb, ..., rmsprop
        assert app.fork_optimizer == "rmsprop"
        await pilot.press("minus")  # its learning rate halved
        await pilot.press("f")
        for _ in range(600):  # the fork runs 500 iterations in the session's thread
            if app.branch != "main":
                break
            await pilot.pause(0.05)
        assert (app.branch, app.branches) == ("rmsprop-1500", ["main", "rmsprop-1500"])
        assert app.view.optimizer == "rmsprop" and app.view.hyperparams["lr"] == 0.0005
        assert [name for name, _, _ in app.view.overlays] == ["main"]  # the original drawn beside it
        await pilot.press("end")
        await wait_for(pilot, lambda: app.view.iteration == 2000)
        forked = fork(Recording.open(tmp_path / "run.rec"), 1500, "again", optimizer="rmsprop",
                      hyperparams={"lr": 0.0005})
        np.testing.assert_array_equal(app.view.params, forked.net.params)  # the same branch, computed again
        await pilot.press("b")
        await wait_for(pilot, lambda: app.branch == "main")
        assert app.view.optimizer == "hill-climb" and [n for n, _, _ in app.view.overlays] == ["rmsprop-1500"]
        await pilot.press("q")


def test_replay_screen_with_a_fork(snap_compare, tmp_path):
    record(tmp_path / "run.rec", CONFIG)
    fork(Recording.open(tmp_path / "run.rec"), 600, "adam-600", optimizer="adam", hyperparams={"lr": 0.05},
         snapshot_every=97)

    async def at_cursor(pilot):
        await wait_for(pilot, lambda: pilot.app.view.iteration == 1000)
        pilot.app.flush()

    rec = Recording.open(tmp_path / "run.rec", "adam-600")
    assert snap_compare(create_replay_app(Replayer(rec), cursor=1000), terminal_size=(120, 36), run_before=at_cursor)


@scenario
async def test_help_palette_status_log_and_network_views_at_the_cursor(recording):
    from textual.command import CommandPalette

    from tui_nn.tui.help_screen import HelpScreen
    from tui_nn.tui.widgets.network_graph import NetworkGraph
    from tui_helpers import log_text, status

    app = replay_app(recording, cursor=1000)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.view.iteration == 1000)
        app.flush()
        bar = status(app)
        assert "cursor 1,000" in bar and "of 0–2,000" in bar and "branch main" in bar
        assert "speed" not in bar and "it/s" not in bar
        # the run's log up to the cursor: its evaluations (every 20 iterations, before the iteration named), the last at 1,000
        lines = log_text(app).splitlines()
        assert lines[-1].startswith("1,000: training loss")
        assert not any("iteration 1,020" in line for line in lines)
        await pilot.press("left_square_bracket")  # back a tenth: the log follows the cursor
        await wait_for(pilot, lambda: app.view.iteration == 800)
        assert log_text(app).splitlines()[-1].startswith("800: training loss")
        await pilot.press("v")  # the network graph, of the weights at the cursor
        await pilot.pause()
        assert app.query_one("#panel-tabs").active == "tab-graph"
        np.testing.assert_array_equal(app.query_one(NetworkGraph).view.params, straight(CONFIG, 800).net.params)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        keys = [key for key, _ in app.screen.key_rows(app.screen.keys, app.screen.other_keys)]
        assert {"←", "[", "f", "b", "v", "?"} <= set(keys) and "space" not in keys
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        commands = [c.title for c in app.get_system_commands(app.screen)]
        assert "Fork (f)" in commands and "Start (Home)" in commands
        await pilot.press("escape")
        await pilot.press("q")


@scenario
async def test_the_hidden_spaces_layer_keys_work_beside_the_cursors_arrows(tmp_path):
    """In replay ←/→ move the cursor, so the hidden space's layer (←/→ in the live dashboard)
    has < and > there, listed in the help screen, the palette and the footer."""
    from tui_nn.tui.help_screen import HelpScreen
    from tui_nn.tui.widgets.hidden_space import HiddenSpace

    record(tmp_path / "deep.rec", dict(iterations=300, layers=(8, 6)))
    app = replay_app(tmp_path / "deep.rec", cursor=200)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.view.iteration == 200)
        await pilot.press("greater_than_sign")  # shows the hidden space, on its next layer
        await pilot.pause()
        hidden = app.query_one(HiddenSpace)
        assert app.query_one("#panel-tabs").active == "tab-hidden"
        assert hidden.hidden_layer == 2 and "layer 2" in hidden.border_title and app.cursor == 200
        await pilot.press("left")  # the arrows stay the cursor's, the panel keeps its layer
        await wait_for(pilot, lambda: app.view.iteration == 199)
        assert hidden.hidden_layer == 2
        await pilot.press("down")  # ↑/↓: its axes, as in the live dashboard
        await pilot.press("less_than_sign")
        await pilot.pause()
        assert hidden.hidden_layer == 1 and app.cursor == 199
        bound = {b.binding.action for b in app.active_bindings.values() if b.binding.show}
        assert {"hidden_layer(-1)", "hidden_layer(1)"} <= bound  # in the footer
        commands = [c.title for c in app.get_system_commands(app.screen)]
        assert any(title.startswith("Layer") and "(<)" in title for title in commands)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        keys = [key for key, _ in app.screen.key_rows(app.screen.keys, app.screen.other_keys)]
        assert {"<", ">"} <= set(keys)
        help_text = " ".join(text for _, text in app.screen.key_rows(app.screen.keys, app.screen.other_keys))
        assert "←/→ layer" not in help_text  # the live dashboard's words would be wrong here
        await pilot.press("escape")
        await pilot.press("q")
