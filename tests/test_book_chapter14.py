"""The book's chapter 14 (L1 and L2 regularisation) to the bit, side by side with tui-nn.

The reference is the book's own chapter-14 code, written out below as printed: ``Layer_Dense``
with its four regularisers and the backward pass's additions, ``Loss.regularization_loss``,
and the training loop that adds the regularisation loss to the data loss and prints both. The
rest of its classes (ReLU, softmax with cross-entropy, Adam) are chapter 10's, as the book
reuses them (``tests/test_book_chapter10.py``). The run is the chapter's first:
``spiral_data(samples=100, classes=3)``, ``Layer_Dense(2, 64, weight_regularizer_l2=5e-4,
bias_regularizer_l2=5e-4)``, ReLU, ``Layer_Dense(64, 3)``, ``Optimizer_Adam(learning_rate=0.02,
decay=5e-7)``, under ``nnfs.init()``. tui-nn runs ``--dataset spiral --layers 64 --optimizer
adam --lr 0.02 --decay 5e-7 --l2 5e-4 --bias-l2 5e-4`` (the regularisers apply to the hidden
layer, as the book's) and must give the same data loss, regularisation loss and accuracy at
every epoch, and the same weights at the end.
"""

from __future__ import annotations

import numpy as np
import pytest

from tui_nn import events as ev
from tui_nn.trainer import Trainer, TrainConfig

nnfs = pytest.importorskip("nnfs")
from nnfs.datasets import spiral_data  # noqa: E402
from test_book_chapter10 import (Activation_ReLU, Activation_Softmax_Loss_CategoricalCrossentropy,  # noqa: E402
                                 Optimizer_Adam, book)  # noqa: F401  (book: the fixture)
from test_book_chapter10 import Loss_CategoricalCrossentropy as Chapter10_Loss_CategoricalCrossentropy  # noqa: E402

# -- the book's code, chapter 14 -------------------------------------------------------------------


class Layer_Dense:
    def __init__(self, n_inputs, n_neurons, weight_regularizer_l1=0, weight_regularizer_l2=0,
                 bias_regularizer_l1=0, bias_regularizer_l2=0):
        self.weights = 0.01 * np.random.randn(n_inputs, n_neurons)
        self.biases = np.zeros((1, n_neurons))
        self.weight_regularizer_l1 = weight_regularizer_l1
        self.weight_regularizer_l2 = weight_regularizer_l2
        self.bias_regularizer_l1 = bias_regularizer_l1
        self.bias_regularizer_l2 = bias_regularizer_l2

    def forward(self, inputs):
        self.inputs = inputs
        self.output = np.dot(inputs, self.weights) + self.biases

    def backward(self, dvalues):
        self.dweights = np.dot(self.inputs.T, dvalues)
        self.dbiases = np.sum(dvalues, axis=0, keepdims=True)
        if self.weight_regularizer_l1 > 0:
            dL1 = np.ones_like(self.weights)
            dL1[self.weights < 0] = -1
            self.dweights += self.weight_regularizer_l1 * dL1
        if self.weight_regularizer_l2 > 0:
            self.dweights += 2 * self.weight_regularizer_l2 * self.weights
        if self.bias_regularizer_l1 > 0:
            dL1 = np.ones_like(self.biases)
            dL1[self.biases < 0] = -1
            self.dbiases += self.bias_regularizer_l1 * dL1
        if self.bias_regularizer_l2 > 0:
            self.dbiases += 2 * self.bias_regularizer_l2 * self.biases
        self.dinputs = np.dot(dvalues, self.weights.T)


class Loss:
    def regularization_loss(self, layer):
        regularization_loss = 0
        if layer.weight_regularizer_l1 > 0:
            regularization_loss += layer.weight_regularizer_l1 * np.sum(np.abs(layer.weights))
        if layer.weight_regularizer_l2 > 0:
            regularization_loss += layer.weight_regularizer_l2 * np.sum(layer.weights * layer.weights)
        if layer.bias_regularizer_l1 > 0:
            regularization_loss += layer.bias_regularizer_l1 * np.sum(np.abs(layer.biases))
        if layer.bias_regularizer_l2 > 0:
            regularization_loss += layer.bias_regularizer_l2 * np.sum(layer.biases * layer.biases)
        return regularization_loss

    def calculate(self, output, y):
        sample_losses = self.forward(output, y)
        data_loss = np.mean(sample_losses)
        return data_loss


class Loss_CategoricalCrossentropy(Loss):
    forward = Chapter10_Loss_CategoricalCrossentropy.forward


class Activation_Softmax_Loss_CategoricalCrossentropy_14(Activation_Softmax_Loss_CategoricalCrossentropy):
    def __init__(self):
        super().__init__()
        self.loss = Loss_CategoricalCrossentropy()  # chapter 14's Loss, with regularization_loss


def book_chapter14(regularizers, optimizer, epochs):
    """The chapter's training loop; every epoch's (data_loss, regularization_loss, accuracy)
    and the final weights."""
    X, y = spiral_data(samples=100, classes=3)
    dense1 = Layer_Dense(2, 64, **regularizers)
    activation1 = Activation_ReLU()
    dense2 = Layer_Dense(64, 3)
    loss_activation = Activation_Softmax_Loss_CategoricalCrossentropy_14()
    history = []
    for epoch in range(epochs):
        dense1.forward(X)
        activation1.forward(dense1.output)
        dense2.forward(activation1.output)
        data_loss = loss_activation.forward(dense2.output, y)
        regularization_loss = \
            loss_activation.loss.regularization_loss(dense1) + \
            loss_activation.loss.regularization_loss(dense2)
        loss = data_loss + regularization_loss  # noqa: F841  (the book prints it)
        predictions = np.argmax(loss_activation.output, axis=1)
        if len(y.shape) == 2:
            y = np.argmax(y, axis=1)
        accuracy = np.mean(predictions == y)
        history.append((data_loss, regularization_loss, accuracy))
        loss_activation.backward(loss_activation.output, y)
        dense2.backward(loss_activation.dinputs)
        activation1.backward(dense2.dinputs)
        dense1.backward(activation1.dinputs)
        optimizer.pre_update_params()
        optimizer.update_params(dense1)
        optimizer.update_params(dense2)
        optimizer.post_update_params()
    weights = np.concatenate([a.ravel() for a in (dense1.weights, dense1.biases, dense2.weights, dense2.biases)])
    return history, weights


# (the book's regularisers, tui-nn's hyperparameters): the chapter's run, and L1 on both.
RUNS = {
    "chapter14-l2": (dict(weight_regularizer_l2=5e-4, bias_regularizer_l2=5e-4), {"l2": 5e-4, "bias_l2": 5e-4}),
    "l1": (dict(weight_regularizer_l1=5e-4, bias_regularizer_l1=1e-4), {"l1": 5e-4, "bias_l1": 1e-4}),
}


def compare(book_run, name: str, epochs: int):
    book_regularizers, hyper = RUNS[name]
    history, weights = book_run(book_chapter14, book_regularizers, Optimizer_Adam(learning_rate=0.02, decay=5e-7),
                                epochs)
    t = Trainer(TrainConfig(dataset="spiral", layers=(64,), optimizer="adam",
                            hyperparams={"lr": 0.02, "decay": 5e-7, **hyper}, iterations=epochs, eval_every=1))
    assert t.net.precision == "book"
    events = list(t.events())
    losses = np.concatenate([e.losses for e in events if isinstance(e, ev.Progress)])
    accuracies = np.concatenate([e.accuracies for e in events if isinstance(e, ev.Progress)])
    evaluations = [e for e in events if isinstance(e, ev.Evaluation)]
    assert [e.iteration for e in evaluations] == list(range(epochs + 1))
    data = np.array([d for d, _, _ in history], np.float32)
    reg = np.array([r for _, r, _ in history], np.float32)
    acc = np.array([a for _, _, a in history])
    np.testing.assert_array_equal(losses.astype(np.float32), data)  # the training step's own loss
    np.testing.assert_array_equal(accuracies, acc)
    # every evaluation (the weights after `iteration` steps) is the book's epoch `iteration`
    np.testing.assert_array_equal(np.array([e.train_loss for e in evaluations[:-1]], np.float32), data)
    np.testing.assert_array_equal(np.array([e.reg_loss for e in evaluations[:-1]], np.float32), reg)
    assert reg[0] > 0 and np.all(reg > 0)
    np.testing.assert_array_equal(t.net.params, weights)
    return t, history


@pytest.mark.parametrize("name", RUNS)
def test_the_books_chapter14_run_bit_for_bit(book, name):
    compare(book, name, 301)


@pytest.mark.slow
def test_the_books_chapter14_run_bit_for_bit_for_all_10001_epochs(book):
    compare(book, "chapter14-l2", 10_001)


def test_the_headless_text_shows_the_data_and_the_regularisation_loss_as_the_book_prints_them(book):
    from click.testing import CliRunner

    from tui_nn.cli import main

    history, _ = book(book_chapter14, RUNS["chapter14-l2"][0], Optimizer_Adam(learning_rate=0.02, decay=5e-7), 201)
    out = CliRunner().invoke(main, ["train", "--headless", "--dataset", "spiral", "--layers", "64", "--optimizer",
                                    "adam", "--lr", "0.02", "--decay", "5e-7", "--l2", "5e-4", "--bias-l2", "5e-4",
                                    "--iterations", "200", "--eval-every", "100"], catch_exceptions=False).output
    lines = [line for line in out.splitlines() if line.startswith("epoch:")]
    assert len(lines) == 3
    for line, epoch in zip(lines, (0, 100, 200)):
        data_loss, reg_loss, _ = history[epoch]
        assert (f"loss: {data_loss + reg_loss:.4f} (data_loss: {data_loss:.4f}, reg_loss: {reg_loss:.4f})"
                in line), line
    assert f"  reg loss         {history[200][1]:.7f}" in out
