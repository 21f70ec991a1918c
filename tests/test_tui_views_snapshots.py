"""Snapshot tests of the views inside the network (issue 14), in truecolor and without colour.

Spiral data, a 2-8-3 network, Adam for 1,500 steps before the app starts, then paused: nothing
moves, so the pictures are the same on every run. Regenerate after an intended change with
``pytest tests/test_tui_views_snapshots.py --snapshot-update`` and look at the SVGs first.
"""

from __future__ import annotations

import pytest

from tui_nn.trainer import TrainConfig, Trainer
from tui_nn.tui.app import create_app

from test_tui_snapshots import ready, wait_for


def spiral_app(layers=(8,)):
    trainer = Trainer(TrainConfig(dataset="spiral", optimizer="adam", layers=layers, seed=0, precision="fast"))
    trainer.advance(1500)
    return create_app(trainer, paused=True)


def press(*keys):
    async def run_before(pilot) -> None:
        await ready(pilot)
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
        pilot.app.flush()
        await pilot.pause()

    return run_before


@pytest.fixture(params=["truecolor", "no-color"])
def colours(request, monkeypatch):
    if request.param == "no-color":
        monkeypatch.setenv("NO_COLOR", "1")
    return request.param


def test_network_graph(snap_compare, colours):
    # The weight x2 → h3 selected in the graph (down, then right twice from x1 → h1).
    assert snap_compare(spiral_app(), terminal_size=(120, 36), run_before=press("v", "down", "right", "right"))


def test_network_graph_small_terminal_wide_layer(snap_compare, colours):
    assert snap_compare(spiral_app(layers=(64,)), terminal_size=(80, 24), run_before=press("v"))


def test_neuron_map(snap_compare, colours):
    assert snap_compare(spiral_app(), terminal_size=(120, 36), run_before=press("v", "right", "m"))


def test_hidden_space(snap_compare, colours):
    # The second of two hidden layers, its first two principal components.
    assert snap_compare(spiral_app(layers=(16, 16)), terminal_size=(120, 36), run_before=press("h", "right"))


def test_confusion_matrices(snap_compare, colours):
    trainer = Trainer(TrainConfig(dataset="iris", optimizer="adam", layers=(8,), seed=0, val_split=0.2,
                                  precision="fast"))
    trainer.advance(300)
    assert snap_compare(create_app(trainer, paused=True), terminal_size=(80, 24), run_before=press("x"))


def test_features_graph_and_data(snap_compare, colours):
    # --features: the network sees x1^2, x2^2 and x1*x2 of the circles' points; the data panel
    # and the neuron maps stay over the points' own plane, the graph names its inputs by feature.
    trainer = Trainer(TrainConfig(dataset="circles", features="x1^2,x2^2,x1*x2", layers=(4,), optimizer="adam",
                                  seed=0, precision="fast", hyperparams={"lr": 0.02}))
    trainer.advance(300)
    assert snap_compare(create_app(trainer, paused=True), terminal_size=(120, 36), run_before=press("v"))


def test_early_stopping_says_why_it_stopped(snap_compare):
    # A run whose validation loss rises (as tests/test_early_stopping.py's), one step before its
    # early stop: n takes the step, the status says "early stop" and the log why.
    from test_early_stopping import OVERFITS

    config = TrainConfig(**{**OVERFITS, "patience": 2, "layers": (16,)})
    whole = Trainer(config)
    whole.run()
    assert whole.stop_reason is not None
    trainer = Trainer(config)
    trainer.advance(whole.iteration - 1)

    async def step_into_the_stop(pilot) -> None:
        app = pilot.app
        await wait_for(pilot, lambda: app.view.started)
        await pilot.press("n")
        await wait_for(pilot, lambda: app.view.state == "finished")
        app.clear_notifications()  # the "Finished" toast would cover the status bar for a few seconds
        app.flush()
        await pilot.pause()

    assert snap_compare(create_app(trainer, paused=True), terminal_size=(120, 36), run_before=step_into_the_stop)
