"""L1 and L2 regularisation (the book's chapter 14): gradients by finite differences for every
regulariser, the penalties on the hidden layers only, live changes, checkpoints, the fast path
declining, and the command line. The book's own run is in tests/test_book_chapter14.py."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from test_network import check_network_gradients, numeric_grad, random_net
from tui_nn import events as ev
from tui_nn.cli import main
from tui_nn.fast import faster
from tui_nn.trainer import Trainer, TrainConfig

REGULARIZERS = ["l1", "l2", "bias_l1", "bias_l2"]


def regularized_net(**penalties):
    net = random_net(3, (5, 4), 3, seed=3)
    net.regularize(**penalties)
    return net


@pytest.mark.parametrize("name", REGULARIZERS)
def test_each_regularisers_gradient_matches_finite_differences(name):
    rng = np.random.RandomState(4)
    X, y = rng.randn(9, 3), rng.randint(0, 3, 9)
    net = regularized_net(**{name: 0.3})
    plain = random_net(3, (5, 4), 3, seed=3)
    plain.forward(X)
    data_grads = plain.backward(y).copy()

    def total():
        return net.loss(X, y) + net.regularization_loss()

    net.forward(X)
    analytic = net.backward(y).copy()
    np.testing.assert_allclose(analytic, numeric_grad(total, net.params), rtol=1e-5, atol=1e-8)
    penalty = analytic - data_grads
    assert np.abs(penalty).max() > 0.05  # the regulariser changed the gradient: the check was not vacuous
    out = net.slices[-2][1].start  # the output layer is not regularised (the book: its hidden layer)
    assert not penalty[out:].any() and net.regularization_loss() > 0


def test_all_four_together_match_finite_differences():
    rng = np.random.RandomState(5)
    net = regularized_net(l1=0.1, l2=0.2, bias_l1=0.05, bias_l2=0.3)
    X, y = rng.randn(9, 3), rng.randint(0, 3, 9)
    original = net.loss

    def loss(X_, y_, training=False):
        return original(X_, y_, training) + net.regularization_loss()

    net.loss = loss
    check_network_gradients(net, X, y)


def test_the_penalties_are_the_books_formulas():
    net = regularized_net(l1=0.1, l2=0.2, bias_l1=0.05, bias_l2=0.3)
    hidden = net.dense[:-1]
    expected = sum(0.1 * np.abs(d.weights).sum() + 0.2 * (d.weights ** 2).sum() + 0.05 * np.abs(d.biases).sum()
                   + 0.3 * (d.biases ** 2).sum() for d in hidden)
    assert net.regularization_loss() == pytest.approx(expected, rel=1e-12)
    net.regularize()
    assert net.regularization_loss() == 0.0 and not net.regularized


def test_the_fast_step_declines_a_regularised_network(monkeypatch):
    monkeypatch.delenv("TUI_NN_PLAIN", raising=False)
    t = Trainer(TrainConfig(dataset="moons", optimizer="adam", layers=(8,), iterations=5))
    assert faster("step", t.net, t.X_train, t.y_train) is not None
    t.set_hyperparam("l2", 1e-3)
    assert faster("step", t.net, t.X_train, t.y_train) is None  # Dense.backward adds the penalties' gradients


def _run(**hyper):
    t = Trainer(TrainConfig(dataset="moons", optimizer="adam", layers=(8,), iterations=60,
                            hyperparams={"lr": 0.05, **hyper}))
    events = list(t.events())
    return t, [e for e in events if isinstance(e, ev.Evaluation)]


def test_regularisation_shrinks_the_weights_and_evaluations_carry_both_losses():
    plain, plain_evals = _run()
    reg, reg_evals = _run(l2=0.05)
    hidden = reg.net.slices[0][1]
    assert np.abs(reg.net.params[hidden]).sum() < np.abs(plain.net.params[hidden]).sum()
    assert all(e.reg_loss == 0.0 for e in plain_evals)
    last = reg_evals[-1]
    assert last.reg_loss == reg.net.regularization_loss() > 0
    assert last.train_loss == reg.metrics(reg.X_train, reg.y_train)[0]  # the data loss alone
    assert last.to_dict()["reg_loss"] == last.reg_loss


def test_a_live_change_and_an_optimizer_switch_keep_the_penalties():
    t = Trainer(TrainConfig(dataset="moons", optimizer="adam", layers=(8,), iterations=100))
    t.advance(10)
    changed, evaluation = t.set_hyperparam("l1", 0.01)
    assert changed.name == "l1" and changed.new == 0.01 and t.net.dense[0].weight_regularizer_l1 == 0.01
    assert evaluation.reg_loss == t.net.regularization_loss() > 0  # shown at once
    switched = t.switch_optimizer("sgd", lr=0.5)
    assert t.optimizer.hp["l1"] == 0.01 and switched[-1].reg_loss > 0
    t.switch_optimizer("hill-climb")  # a search optimizer takes no penalties
    assert not t.net.regularized and t.evaluate().reg_loss == 0.0


def test_the_penalties_come_back_after_a_search_optimizer_even_across_a_checkpoint(tmp_path):
    t = Trainer(TrainConfig(dataset="moons", optimizer="adam", layers=(8,), iterations=100,
                            hyperparams={"l2": 0.02}))
    t.advance(10)
    t.set_hyperparam("bias_l1", 0.003)  # changed live: the latest values are the user's
    t.switch_optimizer("hill-climb")
    assert not t.net.regularized
    t.advance(5)
    t.save_checkpoint(tmp_path / "c.npz")  # saved while the search trains
    for trainer in (t, Trainer.from_checkpoint(tmp_path / "c.npz")):
        switched, evaluation = trainer.switch_optimizer("sgd")  # never used before: nothing remembered
        assert {k: trainer.optimizer.hp[k] for k in REGULARIZERS} == {"l1": 0.0, "l2": 0.02, "bias_l1": 0.003,
                                                                      "bias_l2": 0.0}
        assert switched.hyperparams["l2"] == 0.02 and evaluation.reg_loss == trainer.net.regularization_loss() > 0
        assert trainer.net.dense[0].weight_regularizer_l2 == 0.02


def test_a_checkpoint_continues_a_regularised_run_bit_for_bit(tmp_path):
    config = TrainConfig(dataset="moons", optimizer="adam", layers=(8,), iterations=80,
                         hyperparams={"lr": 0.05, "l1": 1e-3, "bias_l2": 1e-2})
    whole = Trainer(config)
    whole.run()
    half = Trainer(config)
    half.advance(40)
    half.save_checkpoint(tmp_path / "c.npz")
    resumed = Trainer.from_checkpoint(tmp_path / "c.npz")
    assert resumed.net.dense[0].bias_regularizer_l2 == 1e-2
    resumed.run()
    np.testing.assert_array_equal(resumed.net.params, whole.net.params)


def test_command_line_flags_and_bad_values():
    runner = CliRunner()
    ok = runner.invoke(main, ["train", "--headless", "--dataset", "moons", "--optimizer", "adam", "--iterations", "20",
                              "--l1", "1e-3", "--l2", "1e-3", "--bias-l1", "1e-4", "--bias-l2", "1e-4"])
    assert ok.exit_code == 0 and "reg_loss:" in ok.output and "reg loss" in ok.output
    for args, word in ((["--l2", "-1"], "--l2"), (["--bias-l1", "x"], "--bias-l1")):
        bad = runner.invoke(main, ["train", "--headless", "--optimizer", "adam", *args])
        assert bad.exit_code == 2 and word in bad.output
        assert len(bad.output.strip().splitlines()) == 1, bad.output
    search = runner.invoke(main, ["train", "--headless", "--optimizer", "hill-climb", "--l2", "0.1"])
    assert search.exit_code == 2 and "--l2" in search.output
