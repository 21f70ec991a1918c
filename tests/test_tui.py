"""The dashboard, driven as a user would: keys, clicks, edits; state checked as a user sees it.

Every app comes from ``create_app`` (the factory the CLI uses) over a small seeded trainer,
started paused so nothing moves unless the test says so. Waiting is always on a condition
checked after each batch of trainer events (``until``), bounded by a number of batches, never
by sleeping.
"""

from __future__ import annotations

import functools
import gc
from pathlib import Path

import numpy as np
import pytest

from tui_nn import events as ev
from tui_nn.trainer import TrainConfig, Trainer
from tui_nn.tui.app import DEFAULT_SPEED, MAX_SPEED, MIN_SPEED, faster, slower
from tui_nn.tui.app import create_app as create_app_in_a_child_process
from tui_nn.tui.help_screen import HelpScreen
from tui_nn.tui.widgets.accuracy_chart import AccuracyChart
from tui_nn.tui.widgets.dataset_view import DatasetView
from tui_nn.tui.widgets.event_log import EventLog
from tui_nn.tui.widgets.loss_chart import LossChart
from tui_nn.tui.widgets.optimizer_panel import OptimizerPanel
from tui_nn.tui.numbers import cell as format_value
from tui_nn.tui.numbers import num as format_number
from tui_nn.tui.widgets.weights_view import WeightsView

from tui_helpers import SIZE, log_text, notifications, running, scenario, settle, status, until

# These tests look at the trainer object itself (app.trainer), so it runs in a thread of the test
# process; tests/test_tui_process.py covers the dashboard over a trainer in a child process.
create_app = functools.partial(create_app_in_a_child_process, separate_process=False)

@pytest.fixture(autouse=True)
def _in_a_fresh_folder(tmp_path, monkeypatch):
    """q of an unfinished run saves a checkpoint in the working folder: keep it out of the tree."""
    monkeypatch.chdir(tmp_path)



def small(**overrides) -> TrainConfig:
    """The book's 2-3-3 network on a smaller vertical set: fast and deterministic."""
    return TrainConfig(**{"samples": 30, "iterations": 300, "seed": 0, **overrides})


def make_app(tmp_path: Path | None = None, *, paused: bool = True, speed=DEFAULT_SPEED, **overrides):
    checkpoint = str(tmp_path / "run.ckpt.npz") if tmp_path is not None else None
    return create_app(Trainer(small(**overrides)), paused=paused, speed=speed, checkpoint_path=checkpoint)


# -- the factory ---------------------------------------------------------------------------------


def test_factory_defaults_and_validation():
    app = create_app(Trainer(small()))
    assert app.view.speed == DEFAULT_SPEED and not app.start_paused
    assert app.checkpoint_path == "tui-nn-vertical-hill-climb-seed0.ckpt.npz"
    assert create_app(Trainer(small()), speed=None).view.speed is None
    with pytest.raises(ValueError, match="speed"):
        create_app(Trainer(small()), speed=0)


@scenario
async def test_a_key_pressed_while_the_first_frame_is_drawn_is_not_lost():
    # The trainer's session starts after the first frame (start-up time): what the user asked
    # for before that waits for it, in order.
    app = make_app()
    app.send(ev.Step())
    app.send(ev.Step())
    async with running(app) as pilot:
        await until(pilot, lambda: app.view.iteration == 2)
        assert app.trainer.iteration == 2 and app.view.state == "paused"


@scenario
async def test_the_garbage_collector_is_back_on_once_the_trainer_runs():
    gc.disable()  # as tui-nn train does while the dashboard draws its first frame
    try:
        app = make_app()
        async with running(app) as pilot:
            await settle(pilot)
            assert app.session is not None and gc.isenabled()
    finally:
        gc.enable()


def test_speed_ladder():
    assert slower(DEFAULT_SPEED) == 320 and faster(DEFAULT_SPEED) == 1280
    assert slower(MIN_SPEED) == MIN_SPEED
    assert faster(MAX_SPEED) is None and slower(None) == MAX_SPEED
    # The default run (10,000 iterations) takes 10-20 s at the default speed.
    assert 10 <= 10_000 / DEFAULT_SPEED <= 20


def test_format_value_fits_five_characters():
    for v in (0.0, -0.0, 0.123, -0.126, 9.996, -12.34, 123.4, -9999.0, 123456.0, -1e9):
        assert len(format_value(v)) <= 6
    assert format_value(-0.001) == " 0.00" and format_value(0.5) == " 0.50"


# -- keys ------------------------------------------------------------------------------------------


@scenario
async def test_starts_paused_and_space_resumes_then_pauses():
    app = make_app(speed=100, iterations=10_000_000)
    async with running(app) as pilot:
        await settle(pilot)
        assert app.view.state == "paused" and "PAUSED" in status(app)
        assert app.trainer.iteration == 0
        assert "best none yet" in status(app)  # the start's loss is shown; no candidate compared yet
        await pilot.press("space")
        await until(pilot, lambda: app.view.state == "running" and app.view.iteration > 0)
        assert "RUNNING" in status(app)
        await pilot.press("space")
        await until(pilot, lambda: app.view.state == "paused")
        stopped_at = app.view.iteration
        assert "PAUSED" in status(app) and f"Paused after iteration {stopped_at - 1:,}" in log_text(app)
        assert app.session.paused


@scenario
async def test_n_runs_exactly_one_iteration():
    app = make_app()
    async with running(app) as pilot:
        await settle(pilot)
        for expected in (1, 2, 3):
            await pilot.press("n")
            await until(pilot, lambda: app.view.iteration == expected)
        assert app.trainer.iteration == 3 and app.view.state == "paused"
        assert "done 3/300" in status(app)
        assert app.view.losses.count == 3  # every iteration reached the chart's series


@scenario
async def test_the_log_and_the_status_number_iterations_the_same_way():
    """The book's numbering everywhere (defect 12: 'Paused at iteration 741', then 'iteration
    741: candidate rejected' while the status said 'it 742'): a step is named by its number
    from 0; the status counts the steps done, so after 'done N' comes iteration N."""
    import re

    app = make_app(optimizer="anneal", speed=100, iterations=10_000)
    async with running(app) as pilot:
        await settle(pilot)
        await pilot.press("space")
        await until(pilot, lambda: app.view.state == "running" and app.view.iteration > 20)
        await pilot.press("space")
        await until(pilot, lambda: app.view.state == "paused")
        done = app.view.iteration
        assert f"Paused after iteration {done - 1:,}" in log_text(app) and f"done {done:,}/" in status(app)
        await pilot.press("n")
        await until(pilot, lambda: app.view.iteration == done + 1)
        last = log_text(app).splitlines()[-1]
        assert re.search(rf"\biteration:? {done:,}\b", last), last  # the step just run
        assert f"done {done + 1:,}/" in status(app)
        await pilot.press("space")
        await until(pilot, lambda: f"Resumed at iteration {done + 1:,}" in log_text(app))
        await pilot.press("space")  # leave it paused: nothing redraws while the app closes
        await until(pilot, lambda: app.view.state == "paused")


@scenario
async def test_o_switches_to_the_next_optimizer_and_keeps_the_weights():
    app = make_app()
    async with running(app) as pilot:
        await settle(pilot)
        await pilot.press("n", "n")
        await until(pilot, lambda: app.view.iteration == 2)
        before = app.view.params.copy()
        await pilot.press("o")
        await until(pilot, lambda: app.view.optimizer == "anneal")
        assert app.trainer.optimizer.name == "anneal"
        assert np.array_equal(app.trainer.net.params, before)
        assert app.view.switches[-1] == (2, "anneal")  # the loss chart's marker
        assert "hill-climb → anneal" in log_text(app)
        await pilot.pause()
        assert app.query_one("#hp-temperature").value == "0.01"  # anneal's own hyperparameters


@scenario
async def test_number_keys_and_clicks_pick_an_optimizer():
    app = make_app()
    async with running(app) as pilot:
        await settle(pilot)
        await pilot.press("7")
        await until(pilot, lambda: app.view.optimizer == "adam")
        assert app.trainer.optimizer.name == "adam"
        assert app.query_one("#hp-lr").value == "0.001"
        await pilot.press("9")  # there are seven optimizers
        await pilot.pause()
        assert app.view.optimizer == "adam"
        assert any("press 1–7" in m for m in notifications(app))
        await pilot.press("1")
        await until(pilot, lambda: app.view.optimizer == "random-search")
        await pilot.click("#optimizer-list", offset=(4, 3))  # a click on the fourth row: sgd
        await until(pilot, lambda: app.view.optimizer == "sgd")
        assert app.trainer.optimizer.name == "sgd"


@scenario
async def test_r_resets_to_the_same_start():
    app = make_app()
    start = app.view.params.copy()
    async with running(app) as pilot:
        await settle(pilot)
        await pilot.press("n", "n", "n", "n", "n")
        await until(pilot, lambda: app.view.iteration == 5)
        await pilot.press("r")
        await until(pilot, lambda: app.view.iteration == 0 and "Reset" in log_text(app))
        assert np.array_equal(app.trainer.net.params, start)
        assert np.array_equal(app.view.params, start)
        assert app.view.losses.count == 0 and "done 0/300" in status(app)


@scenario
async def test_plus_and_minus_scale_the_primary_hyperparameter():
    app = make_app()
    async with running(app) as pilot:
        await settle(pilot)
        await pilot.press("plus")
        await until(pilot, lambda: app.trainer.optimizer.hp["scale"] == 0.1)
        await pilot.press("minus", "minus")
        await until(pilot, lambda: app.trainer.optimizer.hp["scale"] == 0.025)
        assert app.query_one("#hp-scale").value == "0.025"
        assert "hill-climb scale: 0.05 → 0.1" in log_text(app)
        await pilot.press("7", "plus")  # adam: the learning rate
        await until(pilot, lambda: app.trainer.optimizer.name == "adam" and app.trainer.optimizer.hp["lr"] == 0.002)


@scenario
async def test_plus_beyond_the_range_is_refused_and_changes_nothing():
    app = make_app(hyperparams={"scale": 800.0})
    async with running(app) as pilot:
        await settle(pilot)
        await pilot.press("plus")
        await pilot.pause()
        assert app.trainer.optimizer.hp["scale"] == 800.0
        assert any("scale must be in (0, 1000]" in m for m in notifications(app))
        assert "Refused: scale must be in" in log_text(app)


@scenario
async def test_s_saves_a_checkpoint_where_asked(tmp_path):
    app = make_app(tmp_path)
    async with running(app) as pilot:
        await settle(pilot)
        await pilot.press("n", "n")
        await until(pilot, lambda: app.view.iteration == 2)
        await pilot.press("s")
        path = tmp_path / "run.ckpt.npz"
        await until(pilot, lambda: "Checkpoint saved" in log_text(app))
        assert path.is_file() and str(path) in log_text(app)
        assert any(str(path.resolve()) in m for m in notifications(app))
    assert Trainer.from_checkpoint(path).iteration == 2


@scenario
async def test_s_saves_to_the_default_name_in_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = create_app(Trainer(small(seed=3)), paused=True)
    async with running(app) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await until(pilot, lambda: (tmp_path / "tui-nn-vertical-hill-climb-seed3.ckpt.npz").is_file())


@scenario
async def test_an_unwritable_checkpoint_path_is_reported_and_training_goes_on(tmp_path):
    target = tmp_path / "missing-folder" / "run.ckpt.npz"
    app = create_app(Trainer(small()), paused=True, checkpoint_path=str(target))
    async with running(app) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await until(pilot, lambda: "Refused" in log_text(app))
        assert not target.exists() and app.view.state == "paused"
        assert any("Refused" == n.title for n in app._notifications)
        await pilot.press("n")  # the trainer still answers
        await until(pilot, lambda: app.view.iteration == 1)


@scenario
async def test_less_and_greater_change_the_iteration_rate():
    app = make_app()
    async with running(app) as pilot:
        await settle(pilot)
        await pilot.press("less_than_sign")
        await until(pilot, lambda: app.view.speed == 320)
        assert app.session.speed == 320 and "speed 320/s" in status(app)
        await pilot.press("greater_than_sign", "greater_than_sign")
        await until(pilot, lambda: app.view.speed == 1280)
        for _ in range(7):
            await pilot.press("greater_than_sign")
        await until(pilot, lambda: app.view.speed is None)
        assert app.session.speed is None and "speed max" in status(app)
        await pilot.press("less_than_sign")
        await until(pilot, lambda: app.view.speed == MAX_SPEED)


@scenario
async def test_g_shows_gradients_for_gradient_optimizers_only():
    app = make_app()
    async with running(app) as pilot:
        await settle(pilot)
        weights = app.query_one(WeightsView)
        await pilot.press("g")
        assert not weights.show_grads
        assert any("derivative-free" in m for m in notifications(app))
        await pilot.press("4", "n")  # sgd, one step: now there is a gradient
        await until(pilot, lambda: app.view.grads is not None)
        await pilot.press("g")
        assert weights.show_grads
        assert str(app.query_one("#weights-panel").border_title).startswith("Gradients")
        assert np.array_equal(weights.values(), app.view.grads)
        # A nudge shows the gradient of the nudged weights at once, not the last step's (defect 13).
        before = app.view.grads.copy()
        weights.focus()
        await pilot.press("right_square_bracket")
        await until(pilot, lambda: not np.array_equal(app.view.grads, before))
        trainer = app.trainer
        trainer.net.forward(trainer.X_train)
        assert np.allclose(app.view.grads, trainer.net.backward(trainer.y_train), rtol=1e-5, atol=1e-7)
        assert np.array_equal(weights.values(), app.view.grads)
        await pilot.press("g")
        assert not weights.show_grads


@scenario
async def test_stepping_a_gradient_optimizer_updates_its_lr_and_the_status_at_each_step():
    app = make_app(optimizer="sgd", hyperparams={"lr": 1.0, "decay": 0.5}, eval_every=1000)  # no evaluation
    async with running(app) as pilot:
        await settle(pilot)
        for k in range(1, 4):
            await pilot.press("n")
            await until(pilot, lambda: app.view.iteration == k)
            app.flush()
            lr = app.trainer.optimizer.lr  # 1 / (1 + 0.5 k)
            assert f"lr now {format_number(lr, trim=True)}" in str(app.query_one("#optimizer-stats").render())
            acc = float(app.trainer.accuracies.arrays()[3][-1])  # the last step's (mini-batch) accuracy
            assert f"acc {acc:.4g}" in status(app)


@scenario
async def test_small_gradients_are_shown_with_a_common_exponent():
    app = make_app(optimizer="sgd")
    async with running(app) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await until(pilot, lambda: app.view.grads is not None)
        grads = np.zeros_like(app.view.grads)
        grads[0], grads[1] = 4.5e-4, -1.2e-4  # dense1 w[x1→h1], w[x1→h2]
        app.view.grads = grads
        await pilot.press("g")
        drawn = app.query_one(WeightsView).render().plain
        assert "dense1 ×1e-4 2→3" in drawn and " 4.50 " in drawn and "-1.20 " in drawn
        assert "= 0.0004500 " in str(app.query_one("#weights-panel").border_subtitle)  # no exponent


@scenario
async def test_question_mark_opens_help_and_escape_closes_it():
    app = make_app()
    async with running(app) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        shown = [key for key, _ in app.screen.key_rows()]
        for key in ("space", "n", "o", "1–9", "r", "+", "-", "<", ">", "s", "l", "g", "?", "q", "] / ["):
            assert key in shown
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("question_mark", "q")  # q closes help, it does not quit
        assert not isinstance(app.screen, HelpScreen) and app.is_running


@scenario
async def test_while_running_weights_are_locked_and_q_quits_stopping_the_trainer():
    app = make_app(paused=False, speed=20, iterations=10_000_000)
    async with running(app) as pilot:
        await until(pilot, lambda: app.view.state == "running" and app.view.iteration > 0)
        await pilot.press("right_square_bracket")
        assert any("Pause first" in m for m in notifications(app))
        session = app.session
        await pilot.press("q")
    assert app.return_code == 0
    assert not session.running


@scenario
async def test_every_key_is_in_the_command_palette():
    app = make_app()
    async with running(app) as pilot:
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for label in ("Resume (space)", "Step", "Optimizer", "Reset", "lr×2", "lr÷2", "Slower", "Faster", "Save", "Log",
                      "Grads", "Help", "Quit"):
            assert any(t.startswith(label) for t in titles), label
        assert "Optimizer: adam (7)" in titles
        await pilot.press("ctrl+p")
        await pilot.press(*"Step (n)")
        await until(pilot, lambda: app.screen.query("CommandList").first().option_count > 0)
        await pilot.press("enter")
        await until(pilot, lambda: app.view.iteration == 1)


# -- editing ---------------------------------------------------------------------------------------


@scenario
async def test_editing_a_hyperparameter_applies_a_good_value():
    app = make_app()
    async with running(app) as pilot:
        await settle(pilot)
        await pilot.click("#hp-scale")
        field = app.query_one("#hp-scale")
        assert field.has_focus
        field.value = ""
        await pilot.press(*"0.2", "enter")
        await until(pilot, lambda: app.trainer.optimizer.hp["scale"] == 0.2)
        await until(pilot, lambda: "hill-climb scale: 0.05 → 0.2" in log_text(app))
        assert str(app.query_one("#hyperparam-error").render()) == ""


@scenario
async def test_an_l2_penalty_is_edited_live_and_the_panel_shows_the_regularisation_loss():
    app = make_app(optimizer="adam")
    async with running(app) as pilot:
        await settle(pilot)
        assert "reg loss" not in str(app.query_one("#optimizer-stats").render())
        await pilot.click("#hp-l2")
        field = app.query_one("#hp-l2")
        field.value = ""
        await pilot.press(*"0.01", "enter")
        await until(pilot, lambda: app.trainer.optimizer.hp["l2"] == 0.01)
        assert app.trainer.net.dense[0].weight_regularizer_l2 == 0.01
        await until(pilot, lambda: app.view.reg_loss > 0)  # the change's evaluation carries the penalty
        await until(pilot, lambda: "reg loss" in str(app.query_one("#optimizer-stats").render()))


@scenario
async def test_the_status_shows_the_data_seed_where_it_differs_from_the_seed():
    app = make_app(seed=3, data_seed=0)
    async with running(app) as pilot:
        await settle(pilot)
        assert "seed 3 data 0" in status(app)
    app = make_app(seed=3, data_seed=3)
    async with running(app) as pilot:
        await settle(pilot)
        assert "seed 3" in status(app) and "data 3" not in status(app)


@scenario
async def test_the_panel_shows_open_bounds_and_refuses_them():
    """rho may come as close to 1 as you like but not reach it: the panel says [0, 1), not [0, 1]."""
    app = make_app(optimizer="rmsprop")
    async with running(app) as pilot:
        await settle(pilot)
        field = app.query_one("#hp-rho")
        assert "[0, 1)" in str(field.tooltip)
        assert "(0, 1e+06]" in str(app.query_one("#hp-lr").tooltip)
        await pilot.click("#hp-rho")
        field.value = ""
        await pilot.press(*"1", "enter")
        assert "rho must be in [0, 1), got 1" in str(app.query_one("#hyperparam-error").render())
        assert app.trainer.optimizer.hp["rho"] == 0.9


@scenario
async def test_editing_a_hyperparameter_refuses_a_bad_value():
    app = make_app()
    async with running(app) as pilot:
        await settle(pilot)
        for typed, message in (("-1", "scale must be in (0, 1000]"), ("abc", "must be a number")):
            await pilot.click("#hp-scale")
            field = app.query_one("#hp-scale")
            field.value = ""
            await pilot.press(*typed, "enter")
            assert message in str(app.query_one("#hyperparam-error").render())
            assert any(message in m for m in notifications(app))
            assert field.value == "0.05"  # the value in force is back
            assert app.trainer.optimizer.hp["scale"] == 0.05
            await pilot.press("escape")
            assert not field.has_focus
        assert "scale: 0.05 →" not in log_text(app)


@scenario
async def test_selecting_and_nudging_a_weight_while_paused_updates_loss_accuracy_and_regions():
    trainer = Trainer(small(iterations=1000))
    trainer.advance(300)
    app = create_app(trainer, paused=True)
    async with running(app) as pilot:
        await settle(pilot)
        weights = app.query_one(WeightsView)
        assert weights.has_focus and weights.editable
        x, y = weights.cell_offset(5)  # dense1, row x2, column h3
        assert y == 3 and weights.cell_at(x + 2, y) == 5
        await pilot.click(WeightsView, offset=(x + 2 + weights.styles.padding.left, y))
        assert weights.cursor == 5 and weights.has_focus
        await pilot.press("up", "left")  # input x1 -> neuron h2 of dense1
        assert weights.cursor == 0 * 3 + 1
        await pilot.press("down")  # input x2 -> neuron h2
        assert weights.cursor == 1 * 3 + 1
        assert "dense1 w[x2→h2]" in str(app.query_one("#weights-panel").border_subtitle).replace("\\", "")
        index = weights.cursor
        before = float(app.trainer.net.params[index])
        loss_before = app.view.train_loss
        evals_before = len(app.view.evaluations)
        dataset = app.query_one(DatasetView)
        regions_before = dataset.regions.copy()
        await pilot.press(*["right_curly_bracket"] * 4)  # +0.5 each
        await until(pilot, lambda: len(app.view.evaluations) >= evals_before + 4)
        assert app.trainer.net.params[index] == pytest.approx(before + 2.0, abs=1e-4)
        assert app.view.train_loss != loss_before  # status bar and the loss chart's "now" point
        assert app.view.evaluations[-1].iteration == 300
        assert f"{app.view.train_loss:.4f}" in status(app)
        assert "dense1 w[x2→h2]" in log_text(app)
        # Raise the output bias of class 1 (o1): its decision region grows.
        weights.select(2 * 3 + 3 + 3 * 3)
        assert "dense2 bias[o1]" in str(app.query_one("#weights-panel").border_subtitle).replace("\\", "")
        await pilot.press(*["right_curly_bracket"] * 6)
        await until(pilot, lambda: len(app.view.evaluations) >= evals_before + 10)
        await pilot.pause()  # let the panel redraw
        assert (dataset.regions == 0).sum() > (regions_before == 0).sum()
        bias = weights.cursor
        bias_value = float(app.trainer.net.params[bias])
        await pilot.press("left_square_bracket")  # -0.05
        await until(pilot, lambda: app.trainer.net.params[bias] == pytest.approx(bias_value - 0.05, abs=1e-4))


# -- mouse -----------------------------------------------------------------------------------------


@scenario
async def test_narrow_terminal_shows_tabs_and_clicking_one_shows_its_panel():
    app = make_app()
    async with running(app, (80, 24)) as pilot:
        await settle(pilot)
        assert app.query_one("#panel-tabs").display
        assert app.query_one(LossChart).region.height > 0
        assert app.query_one("#weights-panel").region.height == 0
        await pilot.click("#tab-weights")
        await pilot.pause()
        assert app.query_one("#weights-panel").region.height > 0
        assert app.query_one(LossChart).region.height == 0
    app = make_app()
    async with running(app) as pilot:
        await settle(pilot)
        assert not app.query_one("#panel-tabs").display
        for panel in ("#loss", "#accuracy", "#weights-panel", "#optimizer", "#dataset", "#log"):
            assert app.query_one(panel).region.height > 0, panel


@scenario
async def test_small_terminal_clicking_the_weights_tab_lets_the_keys_select_and_nudge():
    app = make_app()
    async with running(app, (80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("right_square_bracket")  # nothing selected yet: says what to do
        assert any("open the Weights tab" in m for m in notifications(app))
        await pilot.click("#tab-weights")
        await pilot.pause()
        weights = app.query_one(WeightsView)
        assert weights.has_focus
        await pilot.press("down", "right")
        assert app.query_one("#panel-tabs").active == "tab-weights"  # the arrows stayed in the grid
        assert weights.cursor == 1 * 3 + 1  # dense1 w[x2→h2]
        before = app.view.params[weights.cursor]
        await pilot.press("right_square_bracket")
        await until(pilot, lambda: "Weight dense1 w[x2→h2] set" in log_text(app))
        assert app.view.params[weights.cursor] == pytest.approx(before + 0.05)


@scenario
async def test_log_lines_written_while_its_tab_is_hidden_use_the_full_width_once_shown():
    app = make_app(iterations=2000)
    async with running(app, (80, 24)) as pilot:
        await settle(pilot)
        await pilot.click("#tab-log")
        await pilot.click("#tab-charts")  # the log has had a width, and is hidden again
        await pilot.press("space")
        await until(pilot, lambda: app.view.state == "finished")  # new bests logged while hidden
        app.flush()
        await pilot.click("#tab-log")
        await pilot.pause()
        log = app.query_one(EventLog)
        width = log.scrollable_content_region.width
        assert width > 60
        drawn = [strip.text.rstrip() for strip in log.lines]
        assert "New set of weights found" in log_text(app)
        # each new-best line fits on one row of the panel: none is cut at ~20 columns
        bests = [row for row in drawn if "New set of weights found" in row]
        assert len(bests) == log_text(app).count("New set of weights found") and all("acc:" in r for r in bests)


# -- the run's life --------------------------------------------------------------------------------


@scenario
async def test_finished_keeps_the_panels_and_space_extends_the_run():
    app = make_app(paused=False, speed=None, iterations=200)
    async with running(app) as pilot:
        await until(pilot, lambda: app.view.state == "finished")
        assert "FINISHED" in status(app) and "Finished after iteration 199" in log_text(app)
        assert app.view.losses.count == 200  # no loss value lost at full speed
        it, lo, hi, last = app.view.losses.arrays()
        t_it, t_lo, t_hi, _ = app.trainer.losses.arrays()
        assert np.array_equal(lo, t_lo) and np.array_equal(hi, t_hi)
        await pilot.press("space")
        await until(pilot, lambda: app.view.limit == 400 and app.view.state == "finished")
        assert app.trainer.iteration == 400


@scenario
async def test_an_early_stop_says_why_in_the_status_and_the_log():
    # the training loss must fall by 0.5 at every evaluation (every 2 iterations): the second cannot
    app = make_app(paused=False, speed=None, iterations=200, patience=1, monitor="loss", min_delta=0.5)
    async with running(app) as pilot:
        await until(pilot, lambda: app.view.state == "finished")
        assert app.trainer.iteration == 4
        assert "FINISHED" in status(app) and "early stop" in status(app)
        assert ("Finished after iteration 3 (early stopping: loss did not improve by more than 0.5 for 1 evaluation"
                in " ".join(log_text(app).split()))


@scenario
async def test_divergence_pauses_and_says_so():
    app = make_app(paused=False, speed=None, dataset="sine", samples=60, optimizer="sgd",
                   hyperparams={"lr": 1e4}, iterations=1000)
    async with running(app) as pilot:
        await until(pilot, lambda: app.view.state == "diverged")
        assert "DIVERGED" in status(app) and "Diverged at iteration" in log_text(app)
        assert any("Lower the learning rate" in m for m in notifications(app))
        assert np.isfinite(app.view.params).all()  # the last good weights


@scenario
async def test_a_trainer_error_is_shown_not_raised():
    app = make_app(paused=False)

    def broken(n):
        raise RuntimeError("the numbers went sideways")

    app.trainer.advance = broken
    async with running(app) as pilot:
        await until(pilot, lambda: app.view.state == "failed")
        assert "FAILED" in status(app)
        assert "the numbers went sideways" in log_text(app)
        assert "Traceback" not in log_text(app)
        assert app.exit_status == 1
        await pilot.press("o")  # the session no longer trains: the app says so
        assert any("stopped after an error" in m for m in notifications(app))
        await pilot.press("question_mark")  # the interface still answers
        assert isinstance(app.screen, HelpScreen)


@scenario
async def test_trainer_keeps_progressing_while_the_ui_redraws():
    app = make_app(paused=False, speed=None, iterations=10_000_000)
    async with running(app) as pilot:
        await until(pilot, lambda: app.view.iteration > 0)
        first = app.trainer.iteration
        for _ in range(20):  # redraw every panel, as fast as the UI can
            app._dirty |= {"status", "series", "weights", "optimizer", "log", "layout"}
            app.flush()
            await pilot.pause(0)
        # A thread shares the interpreter with the UI, so how far it gets depends on the machine
        # (the dashboard's default, a trainer process, is held to more in test_tui_process.py);
        # it must not stop, and no value may be dropped from the loss series.
        assert app.trainer.iteration > first
        await pilot.press("space")
        await until(pilot, lambda: app.view.state == "paused")
        assert app.session.paused
        await until(pilot, lambda: app.view.iteration == app.trainer.iteration)
        assert app.view.losses.count == app.trainer.iteration


@pytest.mark.parametrize("overrides, mode", [
    ({"dataset": "sine", "samples": 80}, "curve"),
    ({"dataset": "iris", "samples": None}, "projection"),
    ({"dataset": "moons"}, "regions"),
])
@scenario
async def test_dataset_panel_draws_each_kind_of_data(overrides, mode):
    app = make_app(**overrides)
    async with running(app) as pilot:
        await settle(pilot)
        view = app.query_one(DatasetView)
        assert view.mode == mode
        await app.workers.wait_for_complete()
        await pilot.pause()
        drawn = view.text()
        assert drawn.strip() and "projecting" not in drawn
        if mode == "curve":
            assert "R²" in str(app.query_one(AccuracyChart).border_title)


@scenario
async def test_a_run_advanced_before_the_app_shows_its_history_even_without_colour(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    trainer = Trainer(small())
    trainer.advance(300)  # trained: the regions differ
    app = create_app(trainer, paused=True)
    async with running(app) as pilot:
        await settle(pilot)
        assert app.no_color
        assert app.view.losses.count == 300 and "done 300/300" in status(app)  # the run's history
        drawn = app.query_one(DatasetView).text()
        assert "·" in drawn and ":" in drawn  # each predicted class has its own texture


@scenario
async def test_l_toggles_the_log_scale_and_charts_follow_the_theme():
    app = make_app()
    async with running(app) as pilot:
        await settle(pilot)
        chart = app.query_one(LossChart)
        assert not chart.log_scale
        await pilot.press("l")
        assert chart.log_scale and "log scale" in str(chart.border_subtitle)
        await pilot.press("l")
        assert not chart.log_scale
        app.theme = "textual-light"
        await pilot.pause()
        assert "now" in chart.text()


@scenario
async def test_a_large_network_draws_only_the_weights_on_screen():
    trainer = Trainer(TrainConfig(dataset="digits", layers=(64, 64), seed=0))
    app = create_app(trainer, paused=True)
    async with running(app) as pilot:
        await settle(pilot)
        weights = app.query_one(WeightsView)
        panel = app.query_one("#weights-panel")
        rows: list[tuple[int, int]] = []  # (layer, row) of each row of cells built
        build = weights._cells
        weights._cells = lambda frame, block, r: rows.append((block.layer, r)) or build(frame, block, r)
        weights.refresh()
        await pilot.pause()
        total = weights.get_content_height(weights.size, weights.size, weights.size.width)
        assert total > 3 * 64 and 0 < len(rows) <= panel.size.height  # not 200 rows: the visible ones
        assert "dense1 64→64" in weights.render().plain  # the whole grid is there to scroll to
        rows.clear()
        panel.scroll_end(animate=False, immediate=True)
        await pilot.pause()
        assert (2, 64) in rows and (0, 0) not in rows  # scrolled to the end: dense3's biases, only
        await pilot.press("question_mark")
        rows.clear()
        app._dirty.add("weights")
        app.flush()
        await pilot.pause()
        assert rows == []  # help covers the panels: they wait for it to close
        await pilot.press("escape")
        app.flush()
        await pilot.pause()
        assert rows


@scenario
async def test_the_footer_shows_the_keys_of_what_has_focus_and_follows_it():
    from textual.widgets._footer import FooterKey

    app = make_app()
    async with running(app) as pilot:
        await settle(pilot)

        def keys():
            return {k.key for k in app.query(FooterKey)}

        assert isinstance(app.focused, WeightsView)
        assert {"space", "n", "q", "left_square_bracket", "right_square_bracket"} <= keys()  # nudge keys too
        async def redrawn(condition):  # paused: no trainer events to wait for, only the UI's own
            for _ in range(100):
                await pilot.pause()
                if condition():
                    return True
            return False

        app.set_focus(None)
        assert await redrawn(lambda: "space" in keys() and "right_square_bracket" not in keys())
        assert {"n", "q"} <= keys()
        app.set_focus(app.query_one(WeightsView))
        assert await redrawn(lambda: "right_square_bracket" in keys())


@scenario
async def test_the_status_says_which_arithmetic_the_run_uses():
    # The book's datasets train with the book's products (nnfs.init()), others in float32.
    for dataset, precision, expected in (("spiral", None, "book precision"), ("moons", None, "fast precision"),
                                          ("spiral", "fast", "fast precision")):
        app = make_app(dataset=dataset, precision=precision)
        async with running(app, size=(200, 40)) as pilot:
            await settle(pilot)
            assert expected in status(app), status(app)


@scenario
async def test_the_footer_says_resume_while_paused_and_pause_while_running():
    from textual.widgets._footer import FooterKey

    app = make_app(speed=100, iterations=10_000_000)
    async with running(app) as pilot:
        await settle(pilot)

        def space() -> str:
            return " ".join(" ".join(str(k.render()).split()) for k in app.query(FooterKey) if k.key == "space")

        async def footer_says(label: str) -> None:  # the footer is redrawn by the UI itself
            for _ in range(100):
                await pilot.pause()
                if space() == f"space {label}":
                    return
            assert space() == f"space {label}"

        await footer_says("Resume")  # started paused
        await pilot.press("space")
        await until(pilot, lambda: app.view.state == "running")
        await footer_says("Pause")
        app.set_focus(None)  # the footer's keys are rebuilt for the new focus: the label stays
        await pilot.press("space")
        await until(pilot, lambda: app.view.state == "paused")
        await footer_says("Resume")


@scenario
async def test_the_footer_of_a_finished_run_says_space_runs_on():
    from textual.widgets._footer import FooterKey

    app = make_app(paused=False, speed=None, iterations=50)
    async with running(app) as pilot:
        await until(pilot, lambda: app.view.state == "finished")
        for _ in range(100):  # the footer is redrawn by the UI itself
            await pilot.pause()
            space = [" ".join(str(k.render()).split()) for k in app.query(FooterKey) if k.key == "space"]
            if space == ["space Run on"]:
                break
        assert space == ["space Run on"], space  # it said "Resume": there is nothing paused to resume


@scenario
async def test_no_redraw_runs_while_the_dashboard_closes():
    """The redraw timer and late event batches must not draw into a closing app (its panels
    are being removed): quitting a running run raises nothing, and a redraw asked for after
    the app has exited does nothing."""
    app = make_app(paused=False, speed=None, iterations=10_000_000)
    async with running(app) as pilot:
        await until(pilot, lambda: app.view.iteration > 100)
        await pilot.press("q")  # the run's events keep coming while it saves and closes
    assert app.outcome is not None and app.outcome.checkpoint
    app._dirty |= {"status", "loss", "weights", "log", "layout"}
    app.flush()  # a timer tick or an event batch after the panels are gone: nothing drawn, no error


@scenario
async def test_the_weight_caption_names_the_node_of_a_bias():
    """'dense2 bias[o3]', not 'dense2 bias' (the caption was read as markup: [o3] was a tag)."""
    import html
    import re

    app = make_app()
    async with running(app) as pilot:
        await settle(pilot)
        weights = app.query_one(WeightsView)
        weights.focus()
        weights.cursor = 20  # the book layout's last bias (o3 of dense2)
        await pilot.pause()
        screen = html.unescape(re.sub(r"<[^>]+>", "", app.export_screenshot())).replace("\xa0", " ")
        assert "dense2 bias[o3] = " in screen


@pytest.mark.parametrize("size", [(120, 40), (200, 60)])
@scenario
async def test_the_optimizer_panel_cuts_nothing(size):
    """Anneal's statistics and its whole description can be read at 120x40 and 200x60 (they
    stopped at 'accepted 1,166/6,180 (18.9%)  T' and '...probability exp(-delta')."""
    import html
    import re

    def screen() -> str:
        return html.unescape(re.sub(r"<[^>]+>", "", app.export_screenshot())).replace("\xa0", " ")

    app = make_app(optimizer="anneal")
    async with running(app, size=size) as pilot:
        await settle(pilot)
        app.view.stats = {"tried": 6180, "accepted": 1166, "acceptance_rate": 1166 / 6180, "temperature": 0.000012346}
        app.query_one(OptimizerPanel).show(app.view)
        await pilot.pause()
        assert "accepted 1,166/6,180 (18.9%)" in screen() and "T 0.00001235" in screen()
        app.query_one("#optimizer-details").scroll_end(animate=False, immediate=True)
        await pilot.pause()
        assert "never below" in screen() and "min_temperature." in screen()


@scenario
async def test_without_colour_compact_weight_cells_keep_their_sign(monkeypatch):
    """A 64,64 network's cells are too small for numbers; under NO_COLOR (grey shades only) each
    says its sign (+ or -), and they match the weights. With colour they stay plain shades."""
    for no_color in (True, False):
        if no_color:
            monkeypatch.setenv("NO_COLOR", "1")
        else:
            monkeypatch.delenv("NO_COLOR", raising=False)
        trainer = Trainer(TrainConfig(dataset="digits", layers=(64, 64), seed=0))
        app = create_app(trainer, paused=True)
        async with running(app) as pilot:
            await settle(pilot)
            weights = app.query_one(WeightsView)
            frame = weights._frame()
            block = weights.blocks[0]
            assert block.cell < 7  # compact: no room for numbers
            row = "".join(s.text for s in weights._cells(frame, block, 0))
            signs = "".join("+" if v > 0 else "-" for v in (block.index(0, c) for c in range(block.cols))
                            for v in [weights.values()[v]])
            shown = row[block.cell - 1::block.cell]
            assert shown == (signs if no_color else " " * len(signs))
