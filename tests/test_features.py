"""--features (the Playground's input features of 2-D data) and --layers 0 (no hidden layer):
circles solved by a single layer on x1^2 and x2^2, the dashboard's decision regions drawn through
the same features."""

from __future__ import annotations

import json

import numpy as np
from click.testing import CliRunner

from tui_nn import features
from tui_nn.cli import main
from tui_nn.sweep.grid import GRID_KEYS
from tui_nn.trainer import Trainer, TrainConfig
from tui_helpers import running, scenario, settle


def test_every_feature_of_the_playground():
    X = np.array([[0.5, -2.0], [1.0, 3.0]], np.float32)
    out = features.expand(X, features.parse("x1,x2,x1^2,x2^2,x1*x2,sin(x1),sin(x2)"))
    x1, x2 = X[:, 0], X[:, 1]
    np.testing.assert_array_equal(out, np.c_[x1, x2, x1 * x1, x2 * x2, x1 * x2, np.sin(x1), np.sin(x2)])
    assert out.dtype == np.float32


def _train(*args):
    return CliRunner().invoke(main, ["train", "--headless", *args], catch_exceptions=False)


def test_circles_with_squared_features_and_no_hidden_layer_reach_95_percent():
    out = _train("--dataset", "circles", "--features", "x1^2,x2^2", "--layers", "0", "--iterations", "2000",
                 "--format", "jsonl").output
    summary = json.loads(out.splitlines()[-1])
    assert summary["train_accuracy"] >= 0.95 and summary["val_accuracy"] >= 0.95
    assert Trainer(TrainConfig(dataset="circles", features="x1^2,x2^2", layers=())).net.n_params == 3  # one unit
    plain = json.loads(_train("--dataset", "circles", "--layers", "0", "--iterations", "2000",
                              "--format", "jsonl").output.splitlines()[-1])
    assert plain["val_accuracy"] < 0.8  # the raw coordinates cannot separate the rings with one layer


def test_x1_x2_is_the_run_without_features_bit_for_bit():
    config = dict(dataset="moons", optimizer="adam", layers=(4,), iterations=30)
    a, b = Trainer(TrainConfig(**config)), Trainer(TrainConfig(**config, features="x1,x2"))
    a.run(), b.run()
    np.testing.assert_array_equal(a.net.params, b.net.params)


def test_bad_features_are_one_line_errors():
    for args, message in (
            (["--features", "x3"], "Error: --features has an unknown feature 'x3'; choose any of x1, x2, x1^2, x2^2, "
                                   "x1*x2, sin(x1), sin(x2)"),
            (["--features", "x1,x1"], "Error: --features 'x1,x1' names a feature twice; give each once"),
            (["--dataset", "iris", "--features", "x1"], "Error: --features apply to 2-D data; iris has 4 inputs; "
                                                        "drop --features"),
            (["--layers", "0,3"], None)):
        result = CliRunner().invoke(main, ["train", "--headless", *args])
        assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1, result.output
        if message:
            assert result.output.strip() == message
    assert "features" in GRID_KEYS


@scenario
async def test_the_dashboard_draws_decision_regions_through_the_features():
    from tui_nn.tui.app import create_app
    from tui_nn.tui.widgets.dataset_view import DatasetView

    trainer = Trainer(TrainConfig(dataset="circles", features="x1^2,x2^2", layers=(), optimizer="adam",
                                  hyperparams={"lr": 0.1}, iterations=400))
    trainer.run()
    app = create_app(trainer, paused=True)
    async with running(app) as pilot:
        await settle(pilot)
        view = app.query_one(DatasetView)
        assert view.mode == "regions" and "decision regions" in str(view.border_title)
        v = app.view
        assert v.X_train.shape[1] == 2 and v.net.n_inputs == 2
        # the regions come from the features of the plane's points: a point's region is its class
        inside = v.net.predict(v.inputs(np.array([[0.0, 0.0], [0.9, 0.9]], np.float32)))
        assert inside.tolist() == [1, 0]
        assert view.text().strip()
        # the inputs are named by their features wherever a weight is named
        from tui_nn.tui.widgets.weights_view import WeightsView

        drawn = app.query_one(WeightsView).render().plain
        assert "x1^2" in drawn and "x2^2" in drawn and "x1 " not in drawn
        assert v.weight_name(1) == "dense1 w[x2^2→o1]"
