"""Snapshot tests of the dashboard's screens (pytest-textual-snapshot).

Every app is the book's default run (vertical data, 2-3-3 network, hill-climb, seed 0), advanced
a fixed number of iterations before the app starts, then started paused: nothing moves, the
clock reads 0:00 and iterations per second "—", so the pictures are the same on every run.
Regenerate after an intended change with ``pytest tests/test_tui_snapshots.py --snapshot-update``
and look at the SVGs under ``tests/__snapshots__/`` before committing them.
"""

from __future__ import annotations

from tui_nn.trainer import TrainConfig, Trainer
from tui_nn.tui.app import create_app


def paused_app(iterations: int = 2000):
    trainer = Trainer(TrainConfig())
    trainer.advance(iterations)
    return create_app(trainer, paused=True)


async def wait_for(pilot, condition, tries: int = 400) -> None:
    """Pause (bounded by a count, never a delay) until ``condition()`` holds."""
    for _ in range(tries):
        if condition():
            return
        await pilot.pause()
    assert condition()


async def ready(pilot) -> None:
    """The session's first events are on screen, then three single steps."""
    app = pilot.app
    await wait_for(pilot, lambda: app.view.started)
    start = app.view.iteration
    for k in range(1, 4):
        await pilot.press("n")
        await wait_for(pilot, lambda: app.view.iteration == start + k)
    app.flush()


async def weight_nudged(pilot) -> None:
    await ready(pilot)
    app = pilot.app
    await pilot.press("down", "right", "right", "right_square_bracket")  # dense1 w[x2→h3] + 0.05
    await wait_for(pilot, lambda: "Weight dense1 w[x2→h3] set" in "\n".join(app.query_one("#log").texts))
    app.flush()


def test_main_screen(snap_compare):
    assert snap_compare(paused_app(), terminal_size=(120, 36), run_before=ready)


def test_main_screen_small_terminal(snap_compare):
    assert snap_compare(paused_app(), terminal_size=(80, 24), run_before=ready)


def test_weight_selected_and_nudged(snap_compare):
    assert snap_compare(paused_app(), terminal_size=(120, 36), run_before=weight_nudged)


def test_help_screen(snap_compare):
    assert snap_compare(paused_app(), terminal_size=(120, 36), run_before=ready, press=["question_mark"])


def finished_sweep_app():
    """The sweep dashboard over a small grid, run to the end before the app starts; each run's
    wall time is pinned, so the picture is the same on every machine."""
    from tui_nn.sweep import InlineBackend, Sweep, plan_sweep
    from tui_nn.tui.sweep_app import SweepApp

    grid = {"dataset": "vertical", "samples": 60, "nodes": [8, 16], "optimizer": "adam", "lr": [0.05, 0.01],
            "batch_size": 32, "epochs": 40}
    sweep = Sweep(plan_sweep(grid, seed=5), InlineBackend())
    for result in sweep.run():
        result.seconds = 0.5
    return SweepApp(sweep)


async def sweep_drawn(pilot) -> None:
    await pilot.pause()
    pilot.app.flush()
    await pilot.pause()


def test_sweep_leaderboard_screen(snap_compare):
    assert snap_compare(finished_sweep_app(), terminal_size=(120, 36), run_before=sweep_drawn)


# -- the data panel in each colour mode (issue 13): half-block regions shaded by confidence --------


def spiral_app():
    # fast precision: the pictures were drawn from float32 weights (spiral defaults to book precision)
    trainer = Trainer(TrainConfig(dataset="spiral", optimizer="adam", layers=(64,), seed=0, precision="fast"))
    trainer.advance(1500)
    return create_app(trainer, paused=True)


async def data_tab(pilot) -> None:
    await ready(pilot)
    await pilot.click("#tab-data")
    await pilot.pause()
    pilot.app.flush()


def test_data_panel_truecolor(snap_compare):
    assert snap_compare(spiral_app(), terminal_size=(120, 36), run_before=ready)


def test_data_panel_256_colours(snap_compare, monkeypatch):
    import textual.constants

    monkeypatch.setattr(textual.constants, "COLOR_SYSTEM", "256")
    assert snap_compare(spiral_app(), terminal_size=(120, 36), run_before=ready)


def test_data_panel_no_color(snap_compare, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    assert snap_compare(spiral_app(), terminal_size=(120, 36), run_before=ready)


def test_data_panel_small_terminal(snap_compare):
    assert snap_compare(spiral_app(), terminal_size=(80, 24), run_before=data_tab)
