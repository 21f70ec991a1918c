"""tui_nn.activations: what the views inside the network draw, computed without the dashboard."""

from __future__ import annotations

import numpy as np
import pytest

from tui_nn.activations import Plane, Projection, layer_outputs, neuron_maps, neuron_pairs, principal_axes, scaled
from tui_nn.network import Network


def net_2_3_2(dropout=0.0) -> Network:
    net = Network(2, (3,), 2, activation="relu", output_activation="softmax", dropout=dropout, dtype=np.float64)
    net.params[...] = np.random.RandomState(1).randn(net.n_params)
    return net


def test_layer_outputs_are_the_inputs_each_activation_and_the_output():
    net = net_2_3_2(dropout=0.5)  # inference: dropout does nothing
    X = np.random.RandomState(2).randn(7, 2)
    outs = layer_outputs(net, X)
    W1, b1 = net.dense[0].weights, net.dense[0].biases
    hidden = np.maximum(0, X @ W1 + b1)
    assert [o.shape for o in outs] == [(7, 2), (7, 3), (7, 2)]
    assert np.allclose(outs[0], X) and np.allclose(outs[1], hidden)
    assert np.allclose(outs[2], net.forward(X))


def test_principal_axes_match_scikit_learn_pca():
    from sklearn.decomposition import PCA

    X = np.random.RandomState(0).randn(50, 5) @ np.diag([5, 3, 1, 0.5, 0.1])
    mean, axes = principal_axes(X)
    assert np.allclose((X - mean) @ axes.T, PCA(2, svd_solver="full").fit_transform(X))


def test_two_features_are_their_own_plane_and_more_use_the_clipped_pca_plane():
    X = np.random.RandomState(0).randn(40, 2)
    plane = Plane.of(X)
    assert not plane.is_pca and np.array_equal(plane.points, X)
    assert (plane.lo < X.min(axis=0)).all() and (plane.hi > X.max(axis=0)).all()
    G = plane.grid(4, 3)
    assert G.shape == (12, 2) and G[0, 1] > G[-1, 1] and G[0, 0] < G[3, 0]  # rows from the top, left to right
    X4 = np.random.RandomState(1).randn(200, 4)
    X4[0, 0] = 1000.0  # one outlier does not set the first axis
    plane = Plane.of(X4)
    assert plane.is_pca and plane.points.shape == (200, 2)
    assert abs(plane.axes[0, 0]) < 0.99
    assert plane.grid(5, 5).shape == (25, 4)


def test_neuron_maps_are_each_layers_activations_over_the_plane():
    net = net_2_3_2()
    plane = Plane.of(np.random.RandomState(0).randn(30, 2))
    maps = neuron_maps(net, plane, 6, 4)
    assert [m.shape for m in maps] == [(4, 6, 2), (4, 6, 3), (4, 6, 2)]
    G = plane.grid(6, 4)
    assert np.allclose(maps[0].reshape(-1, 2), G)
    assert np.allclose(maps[1].reshape(-1, 3), np.maximum(0, G @ net.dense[0].weights + net.dense[0].biases))


def test_scaled_keeps_sign_and_zero():
    a = np.array([[-2.0, 1.0], [0.0, 0.5]])
    assert np.allclose(scaled(a), [[-1, 0.5], [0, 0.25]])
    assert np.allclose(scaled(np.zeros(3)), 0)
    assert np.allclose(scaled(a, axis=0), [[-1, 1], [0, 0.5]])


def test_projection_is_fitted_once_or_takes_two_neurons():
    A = np.random.RandomState(0).randn(30, 4)
    pca = Projection.fit(1, A)
    P = pca(A)
    assert P.shape == (30, 2) and np.allclose(P.mean(axis=0), 0)
    assert np.allclose(pca(A * 2), (A * 2 - pca.mean) @ pca.axes.T)  # the same axes afterwards
    pair = Projection.fit(1, A, neurons=(1, 3))
    assert np.array_equal(pair(A), A[:, [1, 3]])
    assert pair.axis_names(lambda i: f"h{i + 1}") == ("h2", "h4")
    assert neuron_pairs(3) == [(0, 1), (0, 2), (1, 2)]


def test_one_sample_or_one_feature_does_not_fail():
    mean, axes = principal_axes(np.ones((1, 3)))
    assert axes.shape == (2, 3) and not axes.any()
    plane = Plane.of(np.arange(5.0)[:, None])
    assert plane.grid(3, 2)[:, 0].tolist() == pytest.approx(plane.grid(3, 2)[:3, 0].tolist() * 2)
