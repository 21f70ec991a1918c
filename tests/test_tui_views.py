"""The views inside the network (issue 14): the network graph, neuron maps, the hidden space and
the confusion matrix, driven by their keys as a user would; they follow the weights live.

Apps come from ``create_app`` over small seeded trainers, started paused; waiting is always on a
condition checked after each batch of trainer events (``until``), never a sleep.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from tui_nn.trainer import TrainConfig, Trainer
from tui_nn.tui.app import create_app as create_app_in_a_child_process
from tui_nn.tui.widgets.confusion_panel import ConfusionPanel
from tui_nn.tui.widgets.hidden_space import HiddenSpace
from tui_nn.tui.widgets.network_graph import NetworkGraph
from tui_nn.tui.widgets.neuron_map import NeuronMapView
from tui_nn.tui.widgets.weights_view import WeightsView

from tui_helpers import log_text, running, scenario, settle, until

create_app = functools.partial(create_app_in_a_child_process, separate_process=False)


@pytest.fixture(autouse=True)
def _in_a_fresh_folder(tmp_path, monkeypatch):
    """q of an unfinished run saves a checkpoint in the working folder: keep it out of the tree."""
    monkeypatch.chdir(tmp_path)


def trained(iterations=300, **overrides) -> Trainer:
    config = {"dataset": "spiral", "samples": 40, "layers": (4,), "optimizer": "adam", "seed": 0,
              "precision": "fast", "iterations": 5000, **overrides}
    trainer = Trainer(TrainConfig(**config))
    trainer.advance(iterations)
    return trainer


def shown(widget) -> bool:
    return widget.region.width > 0 and widget.region.height > 0


@scenario
async def test_v_shows_the_graph_in_place_of_the_charts_and_c_brings_them_back():
    app = create_app(trained(), paused=True)
    async with running(app) as pilot:
        await settle(pilot)
        assert not any(shown(graph) for graph in app.query(NetworkGraph)) and shown(app.query_one("#loss"))
        await pilot.press("v")
        await pilot.pause()
        graph = app.query_one(NetworkGraph)
        assert shown(graph) and graph.has_focus
        assert not shown(app.query_one("#loss")) and not shown(app.query_one("#accuracy"))
        for panel in ("#dataset", "#weights-panel", "#log", "#optimizer"):
            assert shown(app.query_one(panel)), panel
        text = graph.text()
        for name in ("x1", "x2", "h1", "h4", "o1", "o3"):
            assert name in text, name
        assert "Network 2→4→3" in str(graph.border_title)
        await pilot.press("c")
        await pilot.pause()
        assert not shown(graph) and shown(app.query_one("#loss"))


@scenario
async def test_selecting_in_either_view_selects_in_both_and_nudging_works_from_the_graph():
    app = create_app(trained(), paused=True)
    async with running(app) as pilot:
        await settle(pilot)
        weights = app.query_one(WeightsView)
        weights.select(5)  # dense1 w[x2→h2] (2 inputs, 4 neurons: 1 * 4 + 1), before the graph is shown
        await pilot.press("v")
        await pilot.pause()
        graph = app.query_one(NetworkGraph)
        assert graph.cursor == 5 and graph.selected_neuron == (1, 1)
        assert "dense1 w[x2→h2]" in str(graph.border_subtitle).replace("\\", "")
        await pilot.press("right")  # the next target neuron: h3
        assert graph.cursor == weights.cursor == 6
        await pilot.press("up")  # the previous source: x1
        assert weights.cursor == 2
        await pilot.press("right", "right")  # past h4: into dense2, from x1's row to h1's
        assert graph.position(weights.cursor)[0] == 1
        drawn_before = graph.text()
        index = graph.cursor
        before = float(app.view.params[index])
        await pilot.press("right_curly_bracket")  # +0.5, from the graph
        await until(pilot, lambda: "Weight dense2 w[h1→o1] set" in log_text(app))
        assert float(app.trainer.net.params[index]) == pytest.approx(before + 0.5, abs=1e-5)
        await pilot.pause()
        assert graph.text() != drawn_before


@scenario
async def test_clicking_an_edge_or_a_neuron_selects_it():
    app = create_app(trained(), paused=True)
    async with running(app) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await pilot.pause()
        graph = app.query_one(NetworkGraph)
        lay = graph.layout_
        # A neuron: its bias. h3 of the hidden layer.
        x, y = lay.xs[1], int(lay.tops[1][2])
        await pilot.click(NetworkGraph, offset=(x + graph.styles.gutter.left, y + graph.styles.gutter.top))
        assert app.view.weight_name(graph.cursor) == "dense1 bias[h3]"
        assert app.query_one(WeightsView).cursor == graph.cursor
        # An edge: the middle of x1 → h4.
        idx, x0, y0, x1, y1 = graph._edges
        k = int(np.flatnonzero(idx == 3)[0])  # dense1 w[x1→h4]
        cx, cy = int((x0[k] + x1[k]) / 4), int((y0[k] + y1[k]) / 8)
        await pilot.click(NetworkGraph, offset=(cx + graph.styles.gutter.left, cy + graph.styles.gutter.top))
        assert graph.position(graph.cursor)[0] == 0  # an edge of dense1 near that point
        assert graph.cursor < 8


@scenario
async def test_a_layer_wider_than_the_panel_shows_its_strongest_and_says_how_many_are_hidden():
    app = create_app(trained(layers=(64,)), paused=True)
    async with running(app, (80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await pilot.pause()
        graph = app.query_one(NetworkGraph)
        lay = graph.layout_
        assert 0 < len(lay.shown[1]) < 64 and lay.hidden[1] == 64 - len(lay.shown[1])
        title = str(graph.border_title)
        assert f"{lay.hidden[1]} neurons and {graph.hidden_edges} edges hidden" in title
        assert f"+{lay.hidden[1]}" in graph.text()
        # The strongest neurons are the ones drawn; the selected one always is.
        W1 = app.view.params[:128].reshape(2, 64)
        W2 = app.view.params[192:192 + 64 * 3].reshape(64, 3)
        score = np.abs(W1).sum(axis=0) + np.abs(W2).sum(axis=1)
        weakest_shown = score[lay.shown[1]].min()
        hidden = np.setdiff1d(np.arange(64), lay.shown[1])
        assert score[hidden].max() <= weakest_shown + 1e-6 or graph.selected_neuron[1] in lay.shown[1]
        app.query_one(WeightsView).select(int(np.argmin(score)))  # x1 → the weakest neuron
        await pilot.pause()
        assert int(np.argmin(score)) in graph.layout_.shown[1]


@scenario
async def test_m_shows_the_selected_neurons_map_large_and_it_follows_a_nudge():
    app = create_app(trained(), paused=True)
    async with running(app) as pilot:
        await settle(pilot)
        weights = app.query_one(WeightsView)
        weights.select(5)  # dense1 w[x2→h2]
        await pilot.press("m")
        await pilot.pause()
        big = app.query_one(NeuronMapView)
        assert shown(big) and not shown(app.query_one("#dataset"))
        assert big.neuron == (1, 1) and "Neuron h2 (relu) over x1, x2" in str(big.border_title)
        before = big.values.copy()
        # The map is h2's activation: relu(x @ W[:, 1] + b[1]) over the plane.
        params = app.view.params
        W, b = params[:8].reshape(2, 4), params[8:12]
        G = big.plane.grid(big.size.width, 2 * big.size.height)
        assert np.allclose(before.ravel(), np.maximum(0, G @ W[:, 1] + b[1]), atol=1e-4)
        await pilot.press("w", "right_curly_bracket")  # x2→h2 + 0.5, from the weights panel
        await until(pilot, lambda: "Weight dense1 w[x2→h2] set" in log_text(app))
        await pilot.pause()
        assert not np.allclose(big.values, before)
        weights.select(6)  # x2 → h3: the map follows the selection
        await pilot.pause()
        assert big.neuron == (1, 2)
        await pilot.press("m")
        await pilot.pause()
        assert shown(app.query_one("#dataset")) and not shown(big)


@scenario
async def test_more_than_two_features_maps_are_over_the_pca_plane():
    app = create_app(trained(dataset="iris", samples=None), paused=True)
    async with running(app) as pilot:
        await settle(pilot)
        await pilot.press("m")
        await pilot.pause()
        big = app.query_one(NeuronMapView)
        assert "over the PCA plane" in str(big.border_title)
        await pilot.press("v")
        await pilot.pause()
        assert "maps over the PCA plane" in str(app.query_one(NetworkGraph).border_title)


@scenario
async def test_views_are_tabs_on_a_small_terminal():
    app = create_app(trained(), paused=True)
    async with running(app, (80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await pilot.pause()
        graph = app.query_one(NetworkGraph)
        assert app.query_one("#panel-tabs").active == "tab-graph"
        assert shown(graph) and not shown(app.query_one("#weights-panel"))
        await pilot.press("m")
        await pilot.pause()
        assert app.query_one("#panel-tabs").active == "tab-data"
        assert shown(app.query_one(NeuronMapView)) and not shown(app.query_one("#dataset")) and not shown(graph)
        await pilot.press("c")
        await pilot.pause()
        assert shown(app.query_one("#loss")) and not shown(app.query_one(NeuronMapView))


@scenario
async def test_h_shows_the_data_as_the_hidden_layer_sees_it_and_arrows_choose_layer_and_axes():
    app = create_app(trained(layers=(4, 3)), paused=True)
    async with running(app) as pilot:
        await settle(pilot)
        await pilot.press("h")
        await pilot.pause()
        hidden = app.query_one(HiddenSpace)
        assert shown(hidden) and hidden.has_focus and hidden.hidden_layer == 1
        assert "layer 1 (4 relu) · PCA fitted at iteration 300" in str(hidden.border_title)
        n = app.view.n_train + app.view.n_val
        assert hidden.points.shape == (n, 2)
        assert {"●", "▲", "■"} <= set(hidden.text())  # a shape per class
        await pilot.press("down")  # axes: the first pair of neurons, h1.1 and h1.2
        acts = np.maximum(0, app.view.X_train @ app.view.params[:8].reshape(2, 4) + app.view.params[8:12])
        assert np.allclose(hidden.points[:len(acts)], acts[:, :2], atol=1e-5)
        assert "h1.1 → , h1.2 ↑" in str(hidden.border_title)
        await pilot.press("right")  # the second hidden layer, PCA again
        assert hidden.hidden_layer == 2 and hidden.projection.neurons is None


@scenario
async def test_x_shows_live_confusion_matrices_with_precision_and_recall():
    from tui_nn.inspect import confusion

    app = create_app(trained(val_split=0.25), paused=True)
    async with running(app) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await pilot.pause()
        panel = app.query_one(ConfusionPanel)
        assert shown(panel)
        train = confusion(app.trainer.net, app.trainer.X_train, app.trainer.y_train, precision="fast")
        assert np.array_equal(panel.confusions["train"].matrix, train.matrix)
        assert "validation" in panel.confusions
        text = panel.text()
        assert "recall" in text and "precision" in text and f"train ({train.total:,})" in text
        assert f"{train.recall[0]:.3f}".rstrip("0") in text.replace("1.000", "1")


@scenario
async def test_nudging_a_weight_changes_the_graph_the_neuron_map_and_the_confusion_matrix():
    app = create_app(trained(), paused=True)
    async with running(app, (200, 60)) as pilot:
        await settle(pilot)
        weights = app.query_one(WeightsView)
        await pilot.press("v")
        await pilot.press("m")
        await pilot.pause()
        graph, big = app.query_one(NetworkGraph), app.query_one(NeuronMapView)
        index = 12  # dense2 w[h1→o1]: raising it makes o1 win where h1 is active
        graph.select(index)
        await pilot.pause()
        assert weights.cursor == index and big.neuron == (2, 0)
        graph_before, map_before = graph.text(), big.values.copy()
        await pilot.press("x")  # the confusion panel takes the graph's place...
        await pilot.pause()
        panel = app.query_one(ConfusionPanel)
        matrix_before = panel.confusions["train"].matrix.copy()
        await pilot.press("v")  # ... and the graph comes back to take the nudges
        await pilot.press(*["right_curly_bracket"] * 6)
        await until(pilot, lambda: log_text(app).count("Weight dense2 w[h1→o1] set") == 6)
        app.flush()
        await pilot.pause()
        assert graph.text() != graph_before
        assert not np.allclose(big.values, map_before)
        await pilot.press("x")
        await pilot.pause()
        after = panel.confusions["train"].matrix
        assert after[:, 0].sum() > matrix_before[:, 0].sum()  # more points predicted as class 0
        assert after.sum() == matrix_before.sum()


@scenario
async def test_a_search_optimizer_keeps_the_users_penalties_for_the_next_gradient_optimizer():
    app = create_app(trained(hyperparams={"l2": 0.02}), paused=True)
    async with running(app) as pilot:
        await settle(pilot)
        await pilot.press("4")  # sgd: the penalties go with the model
        await until(pilot, lambda: app.view.optimizer == "sgd")
        assert app.trainer.optimizer.hp["l2"] == 0.02
        app.set_hyperparam("l2", 0.05)  # as the optimizer panel does: the user's latest value
        await until(pilot, lambda: app.trainer.optimizer.hp["l2"] == 0.05)
        await pilot.press("2")  # hill-climb: no penalties while it searches, and the log says so
        await until(pilot, lambda: app.view.optimizer == "hill-climb")
        assert not app.trainer.net.regularized
        assert "l2=0.05 not applied by a search, kept for the next gradient optimizer" in log_text(app)
        await pilot.press("7")  # back to adam: its own remembered l2 (0.02) is stale, the user's comes back
        await until(pilot, lambda: app.view.optimizer == "adam")
        assert app.trainer.optimizer.hp["l2"] == 0.05 and app.trainer.net.dense[0].weight_regularizer_l2 == 0.05
        await pilot.pause()
        assert app.query_one("#hp-l2").value == "0.05"


@scenario
async def test_the_hidden_space_refits_its_pca_after_a_reset():
    from tui_nn.activations import Projection, layer_outputs

    app = create_app(trained(layers=(4, 3)), paused=True)
    async with running(app) as pilot:
        await settle(pilot)
        await pilot.press("h")
        await pilot.pause()
        hidden = app.query_one(HiddenSpace)
        trained_fit = hidden.projection
        assert "PCA fitted at iteration 300" in str(hidden.border_title)
        await pilot.press("r")  # new weights: the old axes would show them through the trained net's PCA
        await until(pilot, lambda: app.view.iteration == 0 and "Reset: weights re-initialised" in log_text(app))
        app.flush()
        await pilot.pause()
        assert hidden.projection is not trained_fit
        assert "PCA fitted at iteration 0" in str(hidden.border_title)
        net = app.view.net
        net.params[...] = app.view.params
        X = np.concatenate([app.view.X_train, app.view.X_val])
        refit = Projection.fit(1, layer_outputs(net, X, upto=1)[-1])
        assert np.allclose(hidden.projection.axes, refit.axes) and not np.allclose(trained_fit.axes, refit.axes)
