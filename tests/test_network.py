"""Tests for the NumPy network core (tui_nn/network.py)."""

from __future__ import annotations

import json
import math
import os
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

from tui_nn import weights
from tui_nn.network import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    Dense,
    Dropout,
    Linear,
    MeanSquaredError,
    ModelSpec,
    Network,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
    output_for_task,
)
from tui_nn.weights import WeightsFileError

FD_EPS = 1e-6


def numeric_grad(f, x: np.ndarray) -> np.ndarray:
    """Central differences of the scalar ``f()`` with respect to every entry of ``x`` (in place)."""
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + FD_EPS
        plus = f()
        flat[i] = old - FD_EPS
        minus = f()
        flat[i] = old
        gflat[i] = (plus - minus) / (2 * FD_EPS)
    return grad


def make_labels(kind: str, n: int, k: int, rng: np.random.RandomState):
    if kind == "int":
        return rng.randint(0, k, n)
    if kind == "onehot":
        return np.eye(k)[rng.randint(0, k, n)]
    if kind == "binary1d":
        return rng.randint(0, 2, n)
    if kind == "binary_col":
        return rng.randint(0, 2, (n, 1))
    if kind == "multilabel":
        return rng.randint(0, 2, (n, k))
    if kind == "real":
        return rng.randn(n, k)
    if kind == "real1d":
        return rng.randn(n)
    if kind == "real01":
        return rng.uniform(0, 1, (n, k))
    raise AssertionError(kind)


def random_net(n_in, hidden, n_out, *, seed=0, scale=0.8, **kwargs) -> Network:
    net = Network(n_in, hidden, n_out, dtype=np.float64, **kwargs)
    net.params[:] = np.random.RandomState(seed).uniform(-scale, scale, net.n_params)
    return net


def check_network_gradients(net, X, y, training=False, dropout_seed=None):
    def reseed():
        if dropout_seed is not None:
            net.set_rng(np.random.RandomState(dropout_seed))

    def loss():
        reseed()
        return net.loss(X, y, training=training)

    reseed()
    net.forward(X, training=training)
    analytic = net.backward(y).copy()
    numeric = numeric_grad(loss, net.params)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)
    assert np.abs(analytic).max() > 1e-3  # the check was not vacuous


# ---------------------------------------------------------------------------------------
# 1. Gradients against finite differences

GRAD_CASES = [
    # id, hidden, hidden activation, output activation, loss, n_outputs, labels
    ("relu-softmax-cce-int", (5,), "relu", "softmax", "cce", 3, "int"),
    ("relu-softmax-cce-onehot", (5,), "relu", "softmax", "cce", 3, "onehot"),
    ("sigmoid-hidden", (5,), "sigmoid", "softmax", "cce", 3, "int"),
    ("tanh-hidden", (5,), "tanh", "softmax", "cce", 3, "int"),
    ("linear-hidden", (5,), "linear", "softmax", "cce", 3, "onehot"),
    ("sigmoid-bce-labels-1d", (4,), "relu", "sigmoid", "bce", 1, "binary1d"),
    ("sigmoid-bce-labels-column", (4,), "tanh", "sigmoid", "bce", 1, "binary_col"),
    ("sigmoid-bce-3-outputs", (4,), "tanh", "sigmoid", "bce", 3, "multilabel"),
    ("linear-mse", (4,), "tanh", "linear", "mse", 2, "real"),
    ("linear-mse-targets-1d", (4,), "relu", "linear", "mse", 1, "real1d"),
    # non-fused: the generic Loss.backward followed by the output activation's backward
    ("sigmoid-mse", (4,), "relu", "sigmoid", "mse", 2, "real01"),
    ("softmax-mse", (4,), "relu", "softmax", "mse", 3, "onehot"),
    ("tanh-mse", (4,), "sigmoid", "tanh", "mse", 2, "real"),
    ("relu-output-mse", (4,), "tanh", "relu", "mse", 2, "real"),
    ("sigmoid-cce-onehot", (4,), "relu", "sigmoid", "cce", 3, "onehot"),
    ("sigmoid-cce-int", (4,), "tanh", "sigmoid", "cce", 3, "int"),
    ("softmax-bce", (4,), "tanh", "softmax", "bce", 3, "multilabel"),
    # depth 0 (logistic / softmax regression) and depth 3
    ("logistic-regression", (), "relu", "sigmoid", "bce", 1, "binary1d"),
    ("softmax-regression", (), "relu", "softmax", "cce", 3, "int"),
    ("linear-regression", (), "relu", "linear", "mse", 1, "real1d"),
    ("depth3-relu-softmax", (4, 5, 3), "relu", "softmax", "cce", 3, "int"),
    ("depth3-tanh-mse", (4, 3, 2), "tanh", "linear", "mse", 1, "real"),
]


@pytest.mark.parametrize(
    "hidden,activation,out_act,loss,n_out,labels", [c[1:] for c in GRAD_CASES], ids=[c[0] for c in GRAD_CASES]
)
def test_backward_matches_finite_differences(hidden, activation, out_act, loss, n_out, labels):
    rng = np.random.RandomState(1)
    net = random_net(3, hidden, n_out, activation=activation, output_activation=out_act, loss=loss)
    X = rng.randn(7, 3)
    y = make_labels(labels, 7, n_out, rng)
    check_network_gradients(net, X, y)


def test_dropout_gradients_with_a_fixed_mask():
    rng = np.random.RandomState(2)
    net = random_net(3, (6, 5), 3, dropout=0.3)
    X, y = rng.randn(8, 3), rng.randint(0, 3, 8)
    check_network_gradients(net, X, y, training=True, dropout_seed=11)
    assert any((d.mask == 0).any() for d in net.dropouts)  # some units were really dropped


def test_network_without_biases_has_zero_bias_gradients():
    net = Network.from_weights([[[0.5, -1.0], [1.5, 0.3]], [[0.7, -0.2]]], activations=["tanh", "linear"])
    rng = np.random.RandomState(3)
    X, y = rng.randn(6, 2), rng.randn(6)
    net.forward(X)
    net.backward(y)
    for layer in net.dense:
        assert np.all(layer.dbiases == 0)
        numeric = numeric_grad(lambda: net.loss(X, y), layer.weights)
        np.testing.assert_allclose(layer.dweights, numeric, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("layer", [ReLU(), Sigmoid(), Tanh(), Softmax(), Linear()], ids=lambda l: l.name)
def test_activation_dinputs_match_finite_differences(layer):
    rng = np.random.RandomState(4)
    x = rng.randn(5, 4) * 2
    upstream = rng.randn(5, 4)
    layer.forward(x)
    analytic = layer.backward(upstream).copy()
    numeric = numeric_grad(lambda: float(np.sum(layer.forward(x) * upstream)), x)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)


def test_dropout_and_dense_dinputs_match_finite_differences():
    rng = np.random.RandomState(5)
    x, upstream = rng.randn(6, 4), rng.randn(6, 4)
    drop = Dropout(0.5)

    def f():
        drop.rng = np.random.RandomState(9)
        return float(np.sum(drop.forward(x, training=True) * upstream))

    f()
    np.testing.assert_allclose(drop.backward(upstream), numeric_grad(f, x), rtol=1e-5, atol=1e-8)

    dense = Dense(4, 3)
    params = rng.randn(dense.n_params)
    dense.bind(params, np.zeros_like(params))
    up3 = rng.randn(6, 3)
    dense.forward(x)
    np.testing.assert_allclose(
        dense.backward(up3), numeric_grad(lambda: float(np.sum(dense.forward(x) * up3)), x), rtol=1e-5, atol=1e-8
    )


@pytest.mark.parametrize("labels", ["int", "onehot"])
def test_fused_softmax_cce_equals_the_chain_rule(labels):
    rng = np.random.RandomState(6)
    probs = Softmax().forward(rng.randn(5, 4))
    y = make_labels(labels, 5, 4, rng)
    softmax = Softmax()
    softmax.output = probs
    chained = softmax.backward(CategoricalCrossentropy().backward(probs, y))
    np.testing.assert_allclose(CategoricalCrossentropy.softmax_backward(probs, y), chained, atol=1e-12)


@pytest.mark.parametrize(
    "out_act,loss,labels",
    [("softmax", "cce", "onehot"), ("sigmoid", "cce", "onehot"), ("sigmoid", "bce", "binary1d"),
     ("linear", "mse", "real1d"), ("softmax", "mse", "onehot")],
)
def test_float32_networks_backpropagate_in_float32(out_act, loss, labels):
    # float64 or integer labels must not break (or silently upcast) a float32 network
    rng = np.random.RandomState(7)
    n_out = 1 if labels in ("binary1d", "real1d") else 3
    net = Network(2, (4,), n_out, output_activation=out_act, loss=loss)
    net.initialize(rng)
    X, y = rng.randn(6, 2), make_labels(labels, 6, n_out, rng)
    net.forward(X)
    grads = net.backward(y)
    assert grads is net.grads and grads.dtype == np.float32
    assert np.all(np.isfinite(grads)) and np.any(grads != 0)


# ---------------------------------------------------------------------------------------
# 2. One flat parameter vector


def test_layer_weights_and_biases_are_views_into_params():
    net = Network(3, (4, 5), 2, output_activation="linear")
    for layer in net.dense:
        for arr in (layer.weights, layer.biases):
            assert np.shares_memory(arr, net.params)
        for arr in (layer.dweights, layer.dbiases):
            assert np.shares_memory(arr, net.grads)
    net.params[:] = np.arange(net.n_params)
    np.testing.assert_array_equal(net.dense[0].weights, np.arange(12).reshape(3, 4))
    np.testing.assert_array_equal(net.dense[0].biases, [[12, 13, 14, 15]])
    np.testing.assert_array_equal(net.dense[1].weights[0], [16, 17, 18, 19, 20])
    net.dense[2].biases[...] = -1
    np.testing.assert_array_equal(net.params[-2:], [-1, -1])
    # an optimizer step on the flat vector changes what the network computes
    X = np.ones((1, 3))
    before = net.forward(X).copy()
    net.params -= 0.001
    assert not np.allclose(net.forward(X), before)


def test_grads_vector_holds_every_layers_gradients():
    rng = np.random.RandomState(8)
    net = random_net(3, (4,), 2, output_activation="linear")
    X, y = rng.randn(5, 3), rng.randn(5, 2)
    net.forward(X)
    grads = net.backward(y)
    assert grads is net.grads
    expected = np.concatenate([a.ravel() for d in net.dense for a in (d.dweights, d.dbiases)])
    np.testing.assert_array_equal(grads, expected)
    per_layer = net.gradients(X, y)
    np.testing.assert_array_equal(per_layer[1]["weights"], net.dense[1].dweights)
    np.testing.assert_array_equal(per_layer[0]["biases"], net.dense[0].dbiases)


def test_slices_cover_the_vector_in_layer_order():
    net = Network(3, (4, 5), 2)
    names = [name for name, _, _ in net.slices]
    assert names == ["dense1.weights", "dense1.biases", "dense2.weights", "dense2.biases",
                     "dense3.weights", "dense3.biases"]
    stops = 0
    for _, sl, _ in net.slices:
        assert sl.start == stops
        stops = sl.stop
    assert stops == net.n_params == 3 * 4 + 4 + 4 * 5 + 5 + 5 * 2 + 2
    net.params[:] = np.arange(net.n_params)
    arrays = [a for d in net.dense for a in (d.weights, d.biases)]
    for (_, sl, shape), arr in zip(net.slices, arrays):
        np.testing.assert_array_equal(net.params[sl].reshape(shape), arr)


# ---------------------------------------------------------------------------------------
# 3. Initialization


def test_nnfs_init_draws_like_the_book_layer_by_layer():
    net = Network(2, (3, 4), 3)
    net.params[:] = 1  # biases must come back as zero
    net.initialize(np.random.RandomState(0))
    by_hand = np.random.RandomState(0)
    for layer in net.dense:
        # the book under nnfs.init(): 0.01 * np.random.randn(...) with randn returning float32
        expected = 0.01 * by_hand.randn(layer.n_inputs, layer.n_neurons).astype(np.float32)
        assert layer.weights.dtype == np.float32
        np.testing.assert_array_equal(layer.weights, expected)
        assert np.all(layer.biases == 0)
    # seed 0 gives the well-known first draws 1.764, 0.400, 0.979, 2.241, 1.868, -0.977
    np.testing.assert_allclose(net.dense[0].weights.ravel(),
                               [0.0176405, 0.0040016, 0.0097874, 0.0224089, 0.0186756, -0.0097728], atol=1e-7)


def test_init_is_deterministic_and_ignores_global_random_state():
    state = np.random.get_state()
    a, b, c = (Network(4, (8,), 3, dropout=0.5) for _ in range(3))
    np.random.seed(123)
    a.initialize(np.random.RandomState(5))
    np.random.seed(456)
    b.initialize(np.random.RandomState(5))
    c.initialize(np.random.RandomState(6))
    np.testing.assert_array_equal(a.params, b.params)
    assert not np.array_equal(a.params, c.params)

    np.random.set_state(state)
    a.set_rng(np.random.RandomState(1))
    a.loss(np.ones((10, 4)), np.zeros(10, dtype=int), training=True)
    Network(4, (8,), 3, init="he").initialize(np.random.RandomState(1))
    Network(4, (8,), 3, init="glorot").initialize(np.random.RandomState(1))
    after = np.random.get_state()
    assert after[0] == state[0] and np.array_equal(after[1], state[1]) and after[2:] == state[2:]


def test_he_and_glorot_have_the_right_scale():
    he = Network(500, (), 400, init="he")
    he.initialize(np.random.RandomState(0))
    w = he.dense[0].weights
    assert abs(w.std() - math.sqrt(2 / 500)) < 0.01 * math.sqrt(2 / 500)
    assert abs(w.mean()) < 0.001
    assert np.all(he.dense[0].biases == 0)

    glorot = Network(500, (), 400, init="glorot")
    glorot.initialize(np.random.RandomState(0))
    w = glorot.dense[0].weights
    limit = math.sqrt(6 / 900)
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.999 * limit
    assert abs(w.std() - limit / math.sqrt(3)) < 0.01 * limit
    assert np.all(glorot.dense[0].biases == 0)

    nnfs = Network(500, (), 400)
    nnfs.initialize(np.random.RandomState(0))
    assert abs(nnfs.dense[0].weights.std() - 0.01) < 1e-4


def test_unknown_init_is_rejected():
    with pytest.raises(ValueError, match="unknown init 'xavier'"):
        Network(2, (3,), 2, init="xavier")


# ---------------------------------------------------------------------------------------
# 4. Summary


def summary_rows(text: str) -> dict[str, int]:
    rows = {}
    for line in text.splitlines():
        if line.startswith(("dense", "dropout")):
            rows[line.split()[0]] = int(line.split()[-1])
    return rows


def test_summary_counts_parameters_per_layer():
    net = Network(10, (64, 64), 1, output_activation="sigmoid")
    text = net.summary()
    assert summary_rows(text) == {"dense1": 704, "dense2": 4160, "dense3": 65}
    assert "Total params: 4929" in text
    assert "(None, 64)" in text and "(None, 1)" in text
    assert "binary_crossentropy" in text


def test_summary_of_the_books_2_3_3_net():
    net = Network(2, (3,), 3)
    assert net.n_params == 21
    assert summary_rows(net.summary()) == {"dense1": 9, "dense2": 12}
    assert "Total params: 21" in net.summary()


def test_summary_dropout_rows_have_no_parameters():
    net = Network(10, (64, 64), 1, output_activation="sigmoid", dropout=0.2)
    text = net.summary()
    assert summary_rows(text) == {"dense1": 704, "dropout1": 0, "dense2": 4160, "dropout2": 0, "dense3": 65}
    assert "Dropout 0.2" in text
    assert "Total params: 4929" in text
    kinds = [type(layer).__name__ for layer in net.layers]
    assert kinds == ["Dense", "ReLU", "Dropout", "Dense", "ReLU", "Dropout", "Dense", "Sigmoid"]


# ---------------------------------------------------------------------------------------
# 5. Hand-worked examples


def intro_net() -> Network:
    return Network.from_weights([[[2, 1], [1, 2]], [[1, 1]]], activations=["relu", "relu"], loss="mse")


def test_intro_course_example_forward_loss_and_gradients():
    net = intro_net()
    assert net.widths == [2, 2, 1]
    np.testing.assert_array_equal(net.dense[0].weights, [[2, 1], [1, 2]])
    np.testing.assert_array_equal(net.dense[1].weights, [[1], [1]])
    X, y = np.array([[3.0, 5.0]]), np.array([20.0])
    assert net.forward(X)[0, 0] == 24
    np.testing.assert_array_equal(net.dense[0].output, [[11, 13]])
    np.testing.assert_array_equal(net.predict(X), [[24]])
    assert net.loss(X, y) == 16
    grads = net.gradients(X, y)
    # dL/dout = 2 (24 - 20) = 8; dW2 = hidden * 8; dhidden = 8 * (1, 1); dW1 = x^T dhidden
    np.testing.assert_array_equal(grads[1]["weights"], [[88], [104]])
    np.testing.assert_array_equal(grads[0]["weights"], [[24, 24], [40, 40]])
    np.testing.assert_array_equal(grads[0]["biases"], [[0, 0]])
    np.testing.assert_array_equal(grads[1]["biases"], [[0]])


def test_from_weights_with_biases_and_matrix_layout():
    node_major = Network.from_weights([[[2, 1], [1, 2]], [[1, 1]]], [[1, -1], [0.5]],
                                      activations=["relu", "linear"])
    matrix = Network.from_weights([[[2, 1], [1, 2]], [[1], [1]]], [[1, -1], [0.5]],
                                  activations=["relu", "linear"], node_major=False)
    np.testing.assert_array_equal(node_major.params, matrix.params)
    # hidden = (11 + 1, 13 - 1) = (12, 12), output = 24 + 0.5
    assert node_major.forward([[3, 5]])[0, 0] == 24.5
    grads = node_major.gradients([[3, 5]], [20])
    np.testing.assert_array_equal(grads[1]["biases"], [[9]])  # 2 * (24.5 - 20)
    np.testing.assert_array_equal(grads[0]["biases"], [[9, 9]])
    with pytest.raises(ValueError, match="do not chain"):
        Network.from_weights([[[2, 1], [1, 2]], [[1, 1, 1]]], activations=["relu", "relu"])


def test_regression_accuracy_is_r_squared():
    net = Network.from_weights([[[1]]], activations=["linear"], loss="mse")
    X, y = np.array([[1.0], [2.0], [3.0]]), np.array([1.0, 2.0, 4.0])
    assert net.task == "regression"
    # ss_res = 1, ss_tot = 42 / 9
    assert net.accuracy(X, y) == pytest.approx(1 - 9 / 42)
    assert net.accuracy(X, X[:, 0]) == 1.0
    # constant targets (one sample): exact is 1.0, anything else 0.0, as scikit-learn's r2_score
    assert net.accuracy([[3.0]], [3.0]) == 1.0
    assert net.accuracy([[3.0], [3.0]], [2.0, 2.0]) == 0.0


def test_a_model_too_large_for_memory_is_refused_before_allocating():
    from tui_nn.network import MAX_PARAMS

    # The Python API names the setting (layers); the command line says --layers (test_cli_basics).
    with pytest.raises(ValueError, match=r"^layers too large: a 2-99999999999-3 network has 599,999,999,997 "
                                         r"parameters.*; give smaller layers$") as e:
        Network(2, (99_999_999_999,), 3)
    assert e.value.setting == "layers" and "--" not in str(e.value)
    wide = int(MAX_PARAMS ** 0.5)
    with pytest.raises(ValueError, match="smaller layers"):
        Network(2, (wide, wide), 1)


def test_classification_example_by_hand():
    # logits equal the inputs; x = (ln 3, 0) gives probabilities (3/4, 1/4)
    net = Network.from_weights([[[1, 0], [0, 1]]], [[0, 0]], activations=["softmax"], loss="cce")
    X = np.array([[math.log(3), 0.0]])
    np.testing.assert_allclose(net.forward(X), [[0.75, 0.25]])
    assert net.loss(X, [0]) == pytest.approx(-math.log(0.75))
    grads = net.gradients(X, [0])
    # (p - onehot) = (-1/4, 1/4); dW = x^T (p - onehot); db = p - onehot
    np.testing.assert_allclose(grads[0]["weights"], [[-math.log(3) / 4, math.log(3) / 4], [0, 0]], atol=1e-15)
    np.testing.assert_allclose(grads[0]["biases"], [[-0.25, 0.25]])
    assert net.task == "classification"
    assert net.accuracy(X, [0]) == 1.0
    assert net.accuracy(X, [1]) == 0.0


def test_accuracy_accepts_one_hot_labels():
    net = Network.from_weights([[[1, 0, 0], [0, 1, 0], [0, 0, 1]]], activations=["softmax"], loss="cce")
    X = np.array([[3.0, 0, 0], [0, 3, 0], [0, 0, 3], [3, 0, 0]])
    labels = np.array([0, 1, 1, 0])
    assert net.accuracy(X, labels) == 0.75
    assert net.accuracy(X, np.eye(3)[labels]) == 0.75


# ---------------------------------------------------------------------------------------
# 6. Save and load


def trained_looking_net(**kwargs) -> Network:
    net = Network(3, (5, 4), 2, **kwargs)
    net.initialize(np.random.RandomState(0))
    net.params += np.random.RandomState(1).randn(net.n_params).astype(net.dtype) * 0.3
    return net


def test_json_is_readable_layer_by_layer_and_round_trips(tmp_path):
    net = trained_looking_net(activation="tanh", output_activation="softmax", dropout=0.25, init="he")
    path = weights.save(net, tmp_path / "model.json")
    assert path == tmp_path / "model.json"
    text = path.read_text()
    assert text.count("\n") > 20  # indented, not one long line
    data = json.loads(text)
    assert data["loss"] == "categorical_crossentropy"
    assert [(l["inputs"], l["units"], l["activation"]) for l in data["layers"]] == [
        (3, 5, "tanh"), (5, 4, "tanh"), (4, 2, "softmax")]
    first = data["layers"][0]
    assert len(first["weights"]) == 3 and all(len(row) == 5 for row in first["weights"])
    assert first["weights"][1][2] == pytest.approx(float(net.dense[0].weights[1, 2]))
    assert len(first["biases"]) == 5

    loaded = weights.load(path)
    assert loaded.params.dtype == np.float32
    np.testing.assert_array_equal(loaded.params, net.params)
    assert loaded.activation_names == net.activation_names
    assert loaded.loss_function.name == net.loss_function.name
    assert (loaded.dropout_rate, loaded.init, loaded.widths) == (0.25, "he", [3, 5, 4, 2])
    X = np.random.RandomState(2).randn(4, 3)
    np.testing.assert_array_equal(loaded.forward(X), net.forward(X))


def test_npz_round_trips_bit_exactly(tmp_path):
    net = trained_looking_net(activation="sigmoid", output_activation="sigmoid", loss="bce", dropout=0.1)
    weights.load(weights.save(net, tmp_path / "model.npz"))
    loaded = weights.load(tmp_path / "model.npz")
    assert loaded.params.dtype == np.float32
    assert loaded.params.tobytes() == net.params.tobytes()
    assert loaded.activation_names == ["sigmoid", "sigmoid", "sigmoid"]
    assert loaded.loss_function.name == "binary_crossentropy"
    assert loaded.dropout_rate == 0.1
    assert loaded.widths == net.widths


@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_round_trip_keeps_dtype_and_missing_biases(tmp_path, suffix):
    net = intro_net()  # float64, no biases
    loaded = weights.load(weights.save(net, tmp_path / f"intro{suffix}"))
    assert loaded.params.dtype == np.float64
    assert not loaded.has_biases
    np.testing.assert_array_equal(loaded.params, net.params)
    grads = loaded.gradients([[3.0, 5.0]], [20.0])
    np.testing.assert_array_equal(grads[1]["biases"], [[0]])


def test_loading_mismatched_json_shapes_is_a_clear_error(tmp_path):
    data = weights.to_dict(trained_looking_net())
    data["layers"][1]["weights"] = [row[:3] for row in data["layers"][1]["weights"]]  # 5x3, layer says 5x4
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=r"bad\.json.*layer 5->4.*\(5, 3\).*do not match \(5, 4\)"):
        weights.load(path)


def test_loading_mismatched_npz_is_a_clear_error(tmp_path):
    net = trained_looking_net()
    path = weights.save(net, tmp_path / "model.npz")
    with np.load(path) as z:
        meta = json.loads(str(z["meta"]))
    meta["layers"][0]["units"] = meta["layers"][1]["inputs"] = 6
    np.savez(path, params=net.params, meta=json.dumps(meta))
    with pytest.raises(ValueError, match=r"model\.npz: 54 parameters stored, the layers need 62"):
        weights.load(path)


def test_save_is_atomic_when_writing_fails(tmp_path, monkeypatch):
    path = weights.save(trained_looking_net(), tmp_path / "model.npz")
    before = path.read_bytes()

    def broken_savez(f, **arrays):
        f.write(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken_savez)
    other = trained_looking_net(init="he")
    with pytest.raises(OSError, match="disk full"):
        weights.save(other, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz"]


# ---------------------------------------------------------------------------------------
# 7. Dropout


def test_dropout_is_inactive_outside_training():
    x = np.random.RandomState(0).randn(4, 5)
    drop = Dropout(0.5)  # no rng needed when not training
    np.testing.assert_array_equal(drop.forward(x), x)
    np.testing.assert_array_equal(drop.backward(x * 2), x * 2)
    net, plain = trained_looking_net(dropout=0.5), trained_looking_net()
    np.testing.assert_array_equal(net.params, plain.params)
    np.testing.assert_array_equal(net.forward(x[:, :3]), plain.forward(x[:, :3]))


def test_dropout_keeps_and_rescales_in_training():
    drop = Dropout(0.3)
    drop.rng = np.random.RandomState(0)
    x = np.ones((200, 500), dtype=np.float32)
    out = drop.forward(x, training=True)
    kept = out != 0
    assert out.dtype == np.float32
    assert abs(kept.mean() - 0.7) < 0.005
    np.testing.assert_allclose(out[kept], 1 / 0.7, rtol=1e-6)
    assert abs(out.mean() - 1) < 0.01
    # backward passes gradient through kept units only, with the same scale
    upstream = np.full_like(x, 2.0)
    np.testing.assert_allclose(drop.backward(upstream), 2.0 * out, rtol=1e-6)


def test_dropout_masks_depend_only_on_the_given_rng():
    x = np.ones((10, 20))
    masks = []
    for seed in (4, 4, 5):
        drop = Dropout(0.5)
        drop.rng = np.random.RandomState(seed)
        masks.append(drop.forward(x, training=True))
    np.testing.assert_array_equal(masks[0], masks[1])
    assert not np.array_equal(masks[0], masks[2])


def test_dropout_rate_zero_is_identity_and_bad_rates_are_rejected():
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(Dropout(0).forward(x, training=True), x)
    for rate in (1.0, -0.1):
        with pytest.raises(ValueError, match="dropout rate"):
            Dropout(rate)


def test_training_with_dropout_needs_an_rng():
    net = trained_looking_net(dropout=0.5)
    with pytest.raises(RuntimeError, match="set_rng"):
        net.forward(np.ones((2, 3)), training=True)
    net.set_rng(np.random.RandomState(0))
    out = net.forward(np.ones((2, 3)), training=True)
    np.testing.assert_allclose(out.sum(axis=1), 1, rtol=1e-6)  # no dropout after the softmax


# ---------------------------------------------------------------------------------------
# 8. Loss values


def test_cce_matches_the_book_and_clips_at_1e_7():
    probs = np.array([[0.7, 0.1, 0.2], [0.1, 0.5, 0.4], [0.02, 0.9, 0.08]])
    cce = CategoricalCrossentropy()
    assert cce.calculate(probs, np.array([0, 1, 1])) == pytest.approx(0.38506088005216804)
    assert cce.calculate(probs, np.eye(3)[[0, 1, 1]]) == pytest.approx(0.38506088005216804)
    zero = np.array([[0.0, 1.0, 0.0]])
    assert cce.calculate(zero, np.array([0])) == pytest.approx(-math.log(1e-7))
    assert cce.calculate(zero.astype(np.float32), np.array([0])) == pytest.approx(-math.log(1e-7), rel=1e-6)
    assert cce.calculate(zero, np.array([1])) == pytest.approx(-math.log(1 - 1e-7))


def test_softmax_subtracts_the_row_max():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = Softmax().forward(np.array([[1000.0, 1001.0, 1002.0], [-1000.0, 0.0, 1000.0]]))
    assert np.all(np.isfinite(out))
    e = np.exp([0.0, 1.0, 2.0])
    np.testing.assert_allclose(out[0], e / e.sum())
    np.testing.assert_allclose(out[1], [0, 0, 1])
    np.testing.assert_allclose(out.sum(axis=1), 1)


def test_sigmoid_saturates_without_overflow_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = Sigmoid().forward(np.array([-1000.0, 0.0, 1000.0], dtype=np.float32))
    np.testing.assert_array_equal(out, [0.0, 0.5, 1.0])


def test_bce_by_hand():
    bce = BinaryCrossentropy()
    pred = np.array([[0.9], [0.2]])
    assert bce.calculate(pred, np.array([1, 0])) == pytest.approx((-math.log(0.9) - math.log(0.8)) / 2)
    # several outputs: mean over outputs per sample, then over samples
    pred2 = np.array([[0.9, 0.4], [0.3, 0.6]])
    y2 = np.array([[1, 0], [1, 1]])
    per_sample = bce.forward(pred2, y2)
    np.testing.assert_allclose(per_sample, [(-math.log(0.9) - math.log(0.6)) / 2,
                                            (-math.log(0.3) - math.log(0.6)) / 2])
    # a confidently wrong prediction is clipped to a finite loss
    assert bce.calculate(np.array([[1.0]]), np.array([0])) == pytest.approx(-math.log(1e-7), rel=1e-6)


def test_mse_by_hand():
    mse = MeanSquaredError()
    pred = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(mse.forward(pred, np.ones((2, 2))), [0.5, 6.5])
    assert mse.calculate(pred, np.ones((2, 2))) == 3.5
    assert mse.calculate(np.array([[1.0], [3.0]]), np.array([2.0, 2.0])) == 1.0


def test_loss_names_and_defaults():
    assert Network(2, (3,), 3).loss_function.name == "categorical_crossentropy"
    assert Network(2, (3,), 1, output_activation="sigmoid").loss_function.name == "binary_crossentropy"
    assert Network(2, (3,), 1, output_activation="linear").loss_function.name == "mean_squared_error"
    assert Network(2, (3,), 2, output_activation="tanh", loss="mse").task == "regression"
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        Network(2, (3,), 2, loss="hinge")


# ---------------------------------------------------------------------------------------
# 9. Predictions


def test_predictions_per_task():
    softmax = Network(2, (3,), 3)
    np.testing.assert_array_equal(softmax.predictions(np.array([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2]])), [1, 0])
    sigmoid = Network(2, (3,), 1, output_activation="sigmoid")
    np.testing.assert_array_equal(sigmoid.predictions(np.array([[0.2], [0.5], [0.51], [0.99]])), [0, 0, 1, 1])
    regression = Network(2, (3,), 2, output_activation="linear")
    out = np.array([[1.5, -2.0]])
    np.testing.assert_array_equal(regression.predictions(out), out)


def test_predict_runs_the_network():
    net = trained_looking_net()
    X = np.random.RandomState(3).randn(20, 3)
    preds = net.predict(X)
    np.testing.assert_array_equal(preds, np.argmax(net.forward(X), axis=1))
    assert net.accuracy(X, preds) == 1.0
    binary = Network(3, (5, 4), 1, output_activation="sigmoid")
    binary.initialize(np.random.RandomState(0))
    binary.params += np.random.RandomState(1).randn(binary.n_params).astype(np.float32)
    binary.forward(X)
    binary.dense[-1].biases -= np.median(binary.dense[-1].output)  # centre the logits
    probs = binary.forward(X)[:, 0]
    assert 0 < (probs > 0.5).sum() < len(X)  # both classes occur
    np.testing.assert_array_equal(binary.predict(X), (probs > 0.5).astype(int))


# ---------------------------------------------------------------------------------------
# Construction


def test_output_for_task_and_from_spec():
    assert output_for_task("regression", 3) == ("linear", "mean_squared_error")
    assert output_for_task("classification", 1) == ("sigmoid", "binary_crossentropy")
    assert output_for_task("classification", 4) == ("softmax", "categorical_crossentropy")
    net = Network.from_spec(ModelSpec(hidden=(8, 4), activation="tanh", dropout=0.2, init="glorot"), 5, 3,
                            "classification")
    assert net.widths == [5, 8, 4, 3]
    assert net.activation_names == ["tanh", "tanh", "softmax"]
    assert (net.dropout_rate, net.init, len(net.dropouts)) == (0.2, "glorot", 2)
    assert net.params.dtype == np.float32


@pytest.mark.parametrize(
    "kwargs,message",
    [({"hidden": (4, 0)}, "layer widths must be positive"), ({"activation": "gelu"}, "unknown activation"),
     ({"dropout": 1.0}, "dropout must be in"), ({"init": "zeros"}, "unknown init")],
)
def test_model_spec_rejects_bad_choices(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ModelSpec(**kwargs)


def test_network_rejects_bad_shapes_and_names():
    with pytest.raises(ValueError, match="layer sizes must be positive"):
        Network(2, (0,), 3)
    with pytest.raises(ValueError, match="2 layers need 2 activations, got 3"):
        Network(2, (3,), 3, activations=["relu", "relu", "softmax"])
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        Network(2, (3,), 3, activation="swish")


# ---------------------------------------------------------------------------------------
# 6b. Damaged and hostile weight files: one documented error type, one line naming file and field


def saved_json(tmp_path, change) -> Path:
    data = weights.to_dict(trained_looking_net())
    change(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    return path


def saved_npz(tmp_path, params=None, change=lambda meta: None) -> Path:
    net = trained_looking_net()
    path = weights.save(net, tmp_path / f"bad{len(list(tmp_path.iterdir()))}.npz")
    with np.load(path) as z:
        meta = json.loads(str(z["meta"]))
    change(meta)
    np.savez(path, params=net.params if params is None else params, meta=json.dumps(meta))
    return path


@pytest.mark.parametrize("change, field", [
    (lambda d: d["layers"][0]["weights"][0].__setitem__(0, float("nan")), "layers[0].weights: NaN"),
    (lambda d: d["layers"][1]["biases"].__setitem__(0, float("inf")), "layers[1].biases: NaN or infinite"),
    (lambda d: d["layers"][0]["weights"][0].__setitem__(0, 1e300), "layers[0].weights: a value is too large for float32"),
    (lambda d: d.__setitem__("dtype", "object"), "dtype: 'object' is not float32 or float64"),
    (lambda d: d.__setitem__("dtype", "complex128"), "dtype"),
    (lambda d: d.pop("layers"), "layers: expected a non-empty list"),
    (lambda d: d.__setitem__("layers", {"a": 1}), "layers: expected a non-empty list"),
    (lambda d: d["layers"].__setitem__(0, [1, 2]), "layers[0]: expected an object"),
    (lambda d: d["layers"][0].pop("units"), "layers[0].units: expected a whole number"),
    (lambda d: d["layers"][0].__setitem__("units", "5"), "layers[0].units"),
    (lambda d: d["layers"][0].__setitem__("inputs", 10**12), "layers[0].inputs"),
    (lambda d: d["layers"][1].__setitem__("inputs", 7), "layers[1].inputs: 7 does not match the 5 units"),
    (lambda d: d["layers"][2].__setitem__("activation", None), "layers[2].activation"),
    (lambda d: d["layers"][0].__setitem__("weights", "abc"), "layers[0].weights: expected a list"),
    (lambda d: d["layers"][0].__setitem__("weights", [["a"] * 5] * 3), "layers[0].weights: expected numbers"),
    (lambda d: d["layers"][0].__setitem__("weights", [[1, 2], [3]] * 3), "layers[0].weights: expected numbers in rows"),
    (lambda d: d["layers"][0].__setitem__("weights", [[1, 2]] * 3), "weights (3, 2) / biases (1, 5) do not match (3, 5)"),
    (lambda d: d.__setitem__("loss", 3), "loss"),
    (lambda d: d.__setitem__("dropout", 2), "dropout: expected a number in [0, 1)"),
    (lambda d: d.__setitem__("init", ["x"]), "init"),
    (lambda d: d.__setitem__("has_biases", "yes"), "has_biases"),
    (lambda d: d.__setitem__("format", "other/9"), "format"),
])
def test_a_bad_json_weights_file_names_its_field(tmp_path, change, field):
    path = saved_json(tmp_path, change)
    with pytest.raises(WeightsFileError) as err:
        weights.load(path)
    message = str(err.value)
    assert message.startswith(f"{path}: ") and field in message and "\n" not in message


@pytest.mark.parametrize("content, field", [
    (b"[1, 2]", "expected a JSON object"),
    (b"[" * 100_000, "nested too deeply"),
    (b'{"layers": ' + b"[" * 100_000, "nested too deeply"),
    (b"not json", "not valid JSON"),
    (b"\xff\xfe", "not UTF-8"),
], ids=["list", "deep", "deep-inside", "garbage", "latin-1"])
def test_a_broken_json_document_is_one_error(tmp_path, content, field):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(WeightsFileError, match=field):
        weights.load(path)


def test_bad_npz_weights_are_one_error_naming_the_field(tmp_path):
    net = trained_looking_net()
    bad = net.params.copy()
    bad[3] = np.nan
    cases = [
        (saved_npz(tmp_path, params=bad), "params: NaN or infinite value at index 3"),
        (saved_npz(tmp_path, params=net.params.astype(np.complex64)), "params: dtype complex64"),
        (saved_npz(tmp_path, params=net.params.astype(np.int64)), "params: dtype int64"),
        (saved_npz(tmp_path, params=net.params.reshape(2, -1)), "params: expected a flat vector"),
        (saved_npz(tmp_path, change=lambda m: m["layers"][0].__setitem__("inputs", -1)), "layers[0].inputs"),
        (saved_npz(tmp_path, change=lambda m: m.__setitem__("layers", [{"inputs": 2**27, "units": 2**27,
                                                                       "activation": "relu"}])),
         "parameters, more than"),
    ]
    for path, field in cases:
        with pytest.raises(WeightsFileError, match=re.escape(field)):
            weights.load(path)
    path = tmp_path / "no-meta.npz"
    np.savez(path, params=net.params)
    with pytest.raises(WeightsFileError, match="meta: missing"):
        weights.load(path)
    path.write_bytes(b"PK\x03\x04 cut short")
    with pytest.raises(WeightsFileError, match="not a weights file"):
        weights.load(path)
    np.savez(path, params=np.array([object()], dtype=object), meta=np.array("{}"))
    with pytest.raises(WeightsFileError, match="not a weights file"):  # allow_pickle=False
        weights.load(path)


def test_weights_from_a_pipe_or_a_missing_file_are_one_error(tmp_path):
    fifo = tmp_path / "w.npz"
    os.mkfifo(fifo)
    with pytest.raises(WeightsFileError, match="named pipe"):
        weights.load(fifo)
    with pytest.raises(WeightsFileError, match="cannot read"):
        weights.load(tmp_path / "missing.json")
