"""Optimizers: the book's chapter-10 update formulas, a known quadratic, small classification
problems, annealing's acceptance rule, and hyperparameter validation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tui_nn.optimizers import OPTIMIZERS, Adam, make_optimizer
from tui_nn.trainer import ConfigError, Trainer, TrainConfig

GRADIENT = ["sgd", "adagrad", "rmsprop", "adam"]
SEARCH = ["random-search", "hill-climb", "anneal"]


# -- the book's formulas, written out as in chapter 10 ----------------------------------------


def book_steps(name, hp, params, grads):
    """Apply the book's optimizer loop (pre_update_params / update_params / post_update_params)
    to ``params`` for each gradient in ``grads``; return the params after every step."""
    w = params.copy()
    momentum = np.zeros_like(w)
    cache = np.zeros_like(w)
    out = []
    for iterations, d in enumerate(grads):
        lr = hp["lr"] * (1.0 / (1.0 + hp.get("decay", 0.0) * iterations))
        if name == "sgd":
            if hp.get("momentum", 0.0):
                updates = hp["momentum"] * momentum - lr * d
                momentum = updates
            else:
                updates = -lr * d
            w = w + updates
        elif name == "adagrad":
            cache = cache + d**2
            w = w + -lr * d / (np.sqrt(cache) + hp["epsilon"])
        elif name == "rmsprop":
            cache = hp["rho"] * cache + (1 - hp["rho"]) * d**2
            w = w + -lr * d / (np.sqrt(cache) + hp["epsilon"])
        elif name == "adam":
            momentum = hp["beta1"] * momentum + (1 - hp["beta1"]) * d
            m_hat = momentum / (1 - hp["beta1"] ** (iterations + 1))
            cache = hp["beta2"] * cache + (1 - hp["beta2"]) * d**2
            c_hat = cache / (1 - hp["beta2"] ** (iterations + 1))
            w = w + -lr * m_hat / (np.sqrt(c_hat) + hp["epsilon"])
        out.append(w.copy())
    return out


CASES = [
    ("sgd", {"lr": 0.5}),
    ("sgd", {"lr": 0.5, "decay": 0.1}),
    ("sgd", {"lr": 0.3, "momentum": 0.9, "decay": 0.01}),
    ("adagrad", {"lr": 1.0, "decay": 0.05}),
    ("rmsprop", {"lr": 0.02, "rho": 0.9, "decay": 1e-3}),
    ("adam", {"lr": 0.05, "decay": 5e-3}),
    ("adam", {"lr": 0.01, "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-5}),
]


@pytest.mark.parametrize("name,hp", CASES, ids=[f"{n}-{'-'.join(h)}" for n, h in CASES])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_update_is_the_books_formulas_bit_for_bit(name, hp, dtype):
    rng = np.random.RandomState(3)
    params = rng.randn(13).astype(dtype)
    grads = [rng.randn(13).astype(dtype) for _ in range(5)]
    grads[2][4] = 0.0  # a zero gradient on one parameter
    opt = make_optimizer(name, **hp)
    full_hp = dict(opt.hp)
    expected = book_steps(name, full_hp, params, grads)  # in the same dtype, operation for operation
    p = params.copy()
    for t, (g, want) in enumerate(zip(grads, expected)):
        assert opt.lr == hp["lr"] * (1.0 / (1.0 + hp.get("decay", 0.0) * t))  # the book's current_learning_rate
        opt.update(p, g)
        assert p.dtype == dtype
        np.testing.assert_array_equal(p, want, err_msg=f"step {t + 1}")
    assert opt.steps == len(grads)


def test_decay_lowers_the_learning_rate_as_lr_over_one_plus_decay_t():
    opt = make_optimizer("sgd", lr=1.0, decay=0.5)
    p, g = np.zeros(2), np.ones(2)
    seen = []
    for _ in range(4):
        seen.append(opt.lr)
        opt.update(p, g)
    assert seen == [1.0, 1 / 1.5, 1 / 2.0, 1 / 2.5]
    np.testing.assert_allclose(p, -np.sum(seen) * np.ones(2))
    assert opt.stats() == {"lr": 1 / 3.0}


def test_defaults_are_the_books():
    off = {"l1": 0.0, "l2": 0.0, "bias_l1": 0.0, "bias_l2": 0.0}  # chapter 14's regularisers, off
    assert make_optimizer("adam").hp == {"lr": 0.001, "decay": 0.0, "epsilon": 1e-7, "beta1": 0.9, "beta2": 0.999,
                                         **off}
    assert make_optimizer("sgd").hp == {"lr": 1.0, "decay": 0.0, "momentum": 0.0, **off}
    assert make_optimizer("adagrad").hp == {"lr": 1.0, "decay": 0.0, "epsilon": 1e-7, **off}
    assert make_optimizer("rmsprop").hp == {"lr": 0.001, "decay": 0.0, "epsilon": 1e-7, "rho": 0.9, **off}
    for name in SEARCH:
        assert make_optimizer(name).hp["scale"] == 0.05
    assert Adam().lr == 0.001


def test_registry_names_kinds_and_documented_hyperparameters():
    assert list(OPTIMIZERS) == ["random-search", "hill-climb", "anneal", "sgd", "adagrad", "rmsprop", "adam"]
    for name, cls in OPTIMIZERS.items():
        assert cls.name == name
        assert cls.kind == ("search" if name in SEARCH else "gradient")
        assert cls.description
        assert cls.primary in [h.name for h in cls.hyper]
        for h in cls.hyper:
            assert h.help
            assert h.validate(h.default) == h.default  # every default is in its own range


# -- a known quadratic ----------------------------------------------------------------------

QUADRATIC = [
    ("sgd", {"lr": 0.1}),
    ("sgd", {"lr": 0.05, "momentum": 0.9}),
    ("adagrad", {"lr": 0.5}),
    ("rmsprop", {"lr": 0.01}),
    ("adam", {"lr": 0.05}),
]


@pytest.mark.parametrize("name,hp", QUADRATIC, ids=[n + str(len(h)) for n, h in QUADRATIC])
def test_gradient_optimizers_find_the_minimum_of_a_quadratic(name, hp):
    # f(p) = 1/2 sum a_i (p_i - c_i)^2, minimum at c; gradient a * (p - c).
    a = np.array([1.0, 3.0, 0.5, 2.0])
    c = np.array([1.0, -2.0, 0.5, 3.0])
    p = np.zeros(4)
    opt = make_optimizer(name, **hp)
    f = lambda p: 0.5 * np.sum(a * (p - c) ** 2)  # noqa: E731
    start = f(p)
    for _ in range(2000):
        opt.update(p, a * (p - c))
    assert f(p) < 1e-4 * start
    np.testing.assert_allclose(p, c, atol=0.02)


# -- small classification problems ----------------------------------------------------------------

SMALL = [("sgd", {}), ("sgd", {"momentum": 0.9, "lr": 0.5}), ("adagrad", {}), ("rmsprop", {"lr": 0.01}),
         ("adam", {"lr": 0.02})]


@pytest.mark.parametrize("name,hp", SMALL, ids=[n + str(len(h)) for n, h in SMALL])
def test_each_gradient_optimizer_drives_a_classification_loss_down(name, hp):
    t = Trainer(TrainConfig(optimizer=name, hyperparams=hp, iterations=300))
    before, _ = t.metrics(t.X_train, t.y_train)
    summary = t.run()
    assert summary["iterations"] == 300
    assert summary["train_loss"] < 0.4 * before
    assert summary["train_accuracy"] > 0.85


def test_mini_batches_also_learn():
    t = Trainer(TrainConfig(layers=(32,), optimizer="adam", hyperparams={"lr": 0.05}, batch_size=32, epochs=10))
    before, _ = t.metrics(t.X_train, t.y_train)
    summary = t.run()
    assert summary["iterations"] == 100  # 10 epochs of ceil(300 / 32) = 10 mini-batches
    assert summary["train_loss"] < 0.4 * before


# -- annealing ----------------------------------------------------------------------------------


def small_problem():
    t = Trainer(TrainConfig(iterations=100))
    return t.net, t.X_train, t.y_train


def test_anneal_acceptance_rule_exp_minus_delta_over_t():
    opt = make_optimizer("anneal", temperature=1.0, cooling=1.0)
    opt.current_loss = 1.0
    opt._base_step = 0
    # delta 0.5 at T = 1: accepted iff u < exp(-0.5) = 0.6065
    opt._u = np.array([0.7, 0.1])
    assert opt.accept(np.array([1.5, 0.9], np.float32), 0) == 1  # worse rejected, better taken
    opt._u = np.array([0.5, 0.1])
    assert opt.accept(np.array([1.5, 0.9], np.float32), 0) == 0  # worse accepted: 0.5 < 0.6065
    opt._u = np.array([0.0, 0.0])
    assert opt.accept(np.array([np.nan, np.inf], np.float32), 0) is None  # never a non-finite loss


def test_anneal_temperature_cools_to_its_floor():
    opt = make_optimizer("anneal", temperature=2.0, cooling=0.5, min_temperature=0.1)
    assert [opt.temperature_at(t) for t in range(6)] == [2.0, 1.0, 0.5, 0.25, 0.125, 0.1]
    assert opt.temperature == 2.0
    net, X, y = small_problem()
    opt.run(net, X, y, 3, np.random.RandomState(0))
    assert opt.temperature == 0.25
    assert opt.stats()["temperature"] == 0.25


def test_anneal_at_high_temperature_accepts_worse_candidates():
    net, X, y = small_problem()
    opt = make_optimizer("anneal", temperature=10.0, cooling=1.0)
    losses, _, accepted = opt.run(net, X, y, 300, np.random.RandomState(1))
    kept = losses[accepted]
    worse = np.sum(np.diff(kept) > 0)
    assert accepted.mean() > 0.9
    assert worse > 50  # many uphill moves were taken
    assert opt.stats()["acceptance_rate"] == accepted.mean()


def test_anneal_at_tiny_temperature_is_hill_climb():
    net, X, y = small_problem()
    p0 = net.params.copy()
    anneal = make_optimizer("anneal", temperature=1e-300, min_temperature=1e-300)
    la, acc_a, ok_a = anneal.run(net, X, y, 1500, np.random.RandomState(5))
    pa = net.params.copy()
    net.params[...] = p0
    rng = np.random.RandomState(5)
    rng.randint(2**31 - 1)  # anneal seeds its uniforms from the stream first
    lh, acc_h, ok_h = make_optimizer("hill-climb").run(net, X, y, 1500, rng)
    assert ok_a.sum() > 100
    np.testing.assert_array_equal(ok_a, ok_h)
    np.testing.assert_array_equal(la, lh)
    np.testing.assert_array_equal(pa, net.params)
    assert np.all(np.diff(la[ok_a]) < 0)


def test_search_optimizers_never_accept_a_worse_point_except_anneal():
    for name in ("random-search", "hill-climb"):
        net, X, y = small_problem()
        losses, _, accepted = make_optimizer(name).run(net, X, y, 800, np.random.RandomState(2))
        kept = losses[accepted]
        assert len(kept) > 3
        assert np.all(np.diff(kept) < 0), name
        # every rejected candidate was no better than the best point at its time
        best = np.minimum.accumulate(np.where(accepted, losses, np.inf))
        rejected = np.flatnonzero(~accepted)
        assert np.all(losses[rejected] >= best[rejected])


# -- hyperparameter validation ------------------------------------------------------------------


@pytest.mark.parametrize("name,key,value,message", [
    ("sgd", "lr", -0.1, "lr must be in (0, 1e+06], got -0.1"),
    ("adam", "lr", 0, "lr must be in (0, 1e+06], got 0"),
    ("hill-climb", "scale", 0, "scale must be in (0, 1000], got 0"),
    ("sgd", "momentum", 1.5, "momentum must be in [0, 1], got 1.5"),
    ("adam", "beta1", 1.0, "beta1 must be in [0, 1), got 1"),
    ("adam", "beta2", 1.2, "beta2 must be in [0, 1), got 1.2"),
    ("rmsprop", "rho", 1.0, "rho must be in [0, 1), got 1"),
    ("sgd", "decay", -1, "decay must be in [0, 1e+06], got -1"),
    ("anneal", "temperature", 0, "temperature must be in (0, 1e+06], got 0"),
    ("sgd", "lr", "fast", "lr must be a number, got 'fast'"),
    ("sgd", "lr", float("nan"), "lr must be finite, got nan"),
    ("sgd", "lr", float("inf"), "lr must be finite, got inf"),
    ("sgd", "scale", 0.1, "sgd has no hyperparameter 'scale'; it has lr, decay, momentum, l1, l2, bias_l1, bias_l2"),
])
def test_bad_hyperparameters_are_refused_with_a_clear_message(name, key, value, message):
    with pytest.raises(ValueError) as e:
        make_optimizer(name).set(key, value)
    assert str(e.value) == message
    with pytest.raises(ValueError) as e:
        OPTIMIZERS[name](**{key: value})  # the constructor checks the same way
    assert str(e.value) == message


def test_set_keeps_the_old_value_when_refused():
    opt = make_optimizer("sgd", lr=0.5, momentum=0.5)
    with pytest.raises(ValueError):
        opt.set("momentum", 2)
    assert opt.hp["momentum"] == 0.5
    assert opt.set("momentum", "0.25") == 0.25  # numbers as text (from a form) are fine


def test_a_hyperparameter_the_optimizer_does_not_have_is_refused_not_dropped():
    with pytest.raises(ValueError, match="sgd has no hyperparameter 'beta1'; it has lr, decay, momentum"):
        make_optimizer("sgd", lr=0.1, beta1=0.9)
    assert make_optimizer("sgd", lr=0.1, momentum=0.5).hp["momentum"] == 0.5


def test_unknown_optimizer_names_the_choices():
    with pytest.raises(ValueError, match=r"unknown optimizer 'newton'; choose one of random-search, hill-climb, "
                                         r"anneal, sgd, adagrad, rmsprop, adam"):
        make_optimizer("newton")


def test_config_reports_bad_hyperparameters_by_name():
    with pytest.raises(ConfigError, match=r"^lr must be in \(0, 1e\+06\], got -1$") as e:
        TrainConfig(optimizer="adam", hyperparams={"lr": -1}).validate()
    assert e.value.setting == "lr"
    with pytest.raises(ConfigError, match="^momentum must be in"):
        Trainer(TrainConfig(optimizer="sgd", hyperparams={"momentum": 3}))


def test_state_dict_round_trip_continues_identically():
    for name in GRADIENT:
        rng = np.random.RandomState(9)
        grads = [rng.randn(6).astype(np.float32) for _ in range(6)]
        a = make_optimizer(name, decay=0.01)
        pa = np.ones(6, np.float32)
        for g in grads[:3]:
            a.update(pa, g)
        b = make_optimizer(name, decay=0.01)
        b.load_state_dict(a.state_dict())
        pb = pa.copy()
        for g in grads[3:]:
            a.update(pa, g)
            b.update(pb, g)
        np.testing.assert_array_equal(pa, pb, err_msg=name)
        assert math.isclose(a.lr, b.lr)
