"""Leaving the dashboard (issue 13, defects 3 and 13): q or Ctrl+C of an unfinished run saves a
checkpoint, named after the optimizer in use, before the session stops; a finished run saves
nothing. The terminal side (restored screen, summary, exit 130) is in test_tui_terminal.py."""

from __future__ import annotations

import functools

from tui_nn.trainer import TrainConfig, Trainer
from tui_nn.tui.app import create_app as create_app_in_a_child_process

from tui_helpers import running, scenario, settle, until

create_app = functools.partial(create_app_in_a_child_process, separate_process=False)


@scenario
async def test_ctrl_c_saves_an_unfinished_run_under_the_optimizer_in_use(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    trainer = Trainer(TrainConfig(samples=30, iterations=1000, seed=0))
    trainer.advance(50)
    app = create_app(trainer, paused=True)
    async with running(app) as pilot:
        await settle(pilot)
        await pilot.press("7")  # adam: the checkpoint is named after it, not after hill-climb
        await until(pilot, lambda: app.view.optimizer == "adam")
        await pilot.press("ctrl+c")
        await until(pilot, lambda: app.outcome is not None and app.return_code is not None)
    assert app.return_code == 130
    assert app.outcome.checkpoint == "tui-nn-vertical-adam-seed0.ckpt.npz"
    assert (tmp_path / app.outcome.checkpoint).exists()
    summary = app.outcome.summary()
    assert summary.startswith("Interrupted: 50 iterations, optimizer adam")
    assert "continue with: tui-nn train --resume tui-nn-vertical-adam-seed0.ckpt.npz" in summary
    resumed = Trainer.from_checkpoint(str(tmp_path / app.outcome.checkpoint))
    assert resumed.iteration == 50 and resumed.optimizer.name == "adam"


@scenario
async def test_q_after_the_end_only_summarises(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    trainer = Trainer(TrainConfig(samples=30, iterations=40, seed=0))
    app = create_app(trainer, paused=False, speed=None)
    async with running(app) as pilot:
        await until(pilot, lambda: app.view.state == "finished")
        await pilot.press("q")
        await until(pilot, lambda: app.return_code is not None)
    assert app.return_code == 0 and app.outcome.checkpoint is None
    assert app.outcome.summary().startswith("Finished: 40 iterations, optimizer hill-climb")
    assert not list(tmp_path.glob("*.npz"))


@scenario
async def test_help_scrolls_by_keyboard_at_once_and_lists_ctrl_c():
    trainer = Trainer(TrainConfig(samples=30, iterations=1000, seed=0))
    app = create_app(trainer, paused=True)
    async with running(app, size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        body = app.screen.query_one("#help-body")
        assert body.scroll_y == 0
        await pilot.press("end")
        await pilot.pause()
        assert body.scroll_y > 0 and body.scroll_y == body.max_scroll_y  # no Tab needed first
        await pilot.press("home", "pagedown")
        await pilot.pause()
        assert body.scroll_y > 0
        from tui_nn.tui.help_screen import HelpScreen

        assert "ctrl+c" in [key for key, _ in HelpScreen.key_rows()]


@scenario
async def test_tabs_have_direct_keys_and_the_footer_keeps_the_essentials_at_80x24():
    from tui_nn.tui.widgets.dataset_view import DatasetView
    from tui_nn.tui.widgets.loss_chart import LossChart
    from tui_nn.tui.widgets.weights_view import WeightsView

    trainer = Trainer(TrainConfig(samples=30, iterations=1000, seed=0))
    app = create_app(trainer, paused=True)
    async with running(app, size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await pilot.pause()
        assert app.query_one(DatasetView).region.height > 0 and app.query_one(LossChart).region.height == 0
        await pilot.press("w")
        await pilot.pause()
        weights = app.query_one(WeightsView)
        assert weights.has_focus
        await pilot.press("c")  # back to the charts: the arrows no longer move the weight selection
        await pilot.pause()
        cursor = weights.cursor
        await pilot.press("down")
        assert weights.cursor == cursor and app.query_one(LossChart).region.height > 0
        from tui_nn.tui.widgets.footer import KeysFooter

        footer = app.query_one(KeysFooter)
        shown = [w for w in footer.query("FooterKey") if w.region.width and w.region.right <= 80]
        labels = " ".join(str(w.description) for w in shown)
        for essential in ("Resume", "Step", "Save", "Quit", "More"):  # paused: space resumes; ? More: help
            assert essential in labels


def test_slower_from_full_speed_really_slows_down():
    from tui_nn.tui.app import MAX_SPEED, slower

    assert slower(None, measured=30_000) == 10_240  # the ladder step at or below half of it
    assert slower(None, measured=0) == MAX_SPEED  # nothing measured yet
    assert slower(None, measured=1.0) == 1.25
