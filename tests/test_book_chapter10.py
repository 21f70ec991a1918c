"""The book's chapter 10 to the bit: its five optimizer runs, side by side with tui-nn.

The reference is the book's own code (Neural Networks from Scratch, chapter 10), written out
below as printed, run under ``nnfs.init()`` (float32 values, ``np.dot`` computed in float64 and
rounded to float32) on its data, ``nnfs.datasets.spiral_data(samples=100, classes=3)``, with its
model: ``Dense(2, 64)``, ReLU, ``Dense(64, 3)``, softmax with categorical cross-entropy, full
batch. tui-nn runs the same settings in book precision (the default on the book's datasets) and
must give the same loss and accuracy, bit for bit, at every epoch the book prints (every 100th)
and in between. The normal runs are short; the full 10,001 epochs are marked ``slow`` (the
README's test command, which CI runs, includes them; ``-m "not slow"`` leaves them out).
"""

from __future__ import annotations

import numpy as np
import pytest

from tui_nn import events as ev
from tui_nn.trainer import Trainer, TrainConfig

nnfs = pytest.importorskip("nnfs")
from nnfs.datasets import spiral_data  # noqa: E402

# -- the book's code, chapter 10 -------------------------------------------------------------------


class Layer_Dense:
    def __init__(self, n_inputs, n_neurons):
        self.weights = 0.01 * np.random.randn(n_inputs, n_neurons)
        self.biases = np.zeros((1, n_neurons))

    def forward(self, inputs):
        self.inputs = inputs
        self.output = np.dot(inputs, self.weights) + self.biases

    def backward(self, dvalues):
        self.dweights = np.dot(self.inputs.T, dvalues)
        self.dbiases = np.sum(dvalues, axis=0, keepdims=True)
        self.dinputs = np.dot(dvalues, self.weights.T)


class Activation_ReLU:
    def forward(self, inputs):
        self.inputs = inputs
        self.output = np.maximum(0, inputs)

    def backward(self, dvalues):
        self.dinputs = dvalues.copy()
        self.dinputs[self.inputs <= 0] = 0


class Activation_Softmax:
    def forward(self, inputs):
        self.inputs = inputs
        exp_values = np.exp(inputs - np.max(inputs, axis=1, keepdims=True))
        probabilities = exp_values / np.sum(exp_values, axis=1, keepdims=True)
        self.output = probabilities


class Loss:
    def calculate(self, output, y):
        sample_losses = self.forward(output, y)
        data_loss = np.mean(sample_losses)
        return data_loss


class Loss_CategoricalCrossentropy(Loss):
    def forward(self, y_pred, y_true):
        samples = len(y_pred)
        y_pred_clipped = np.clip(y_pred, 1e-7, 1 - 1e-7)
        if len(y_true.shape) == 1:
            correct_confidences = y_pred_clipped[range(samples), y_true]
        elif len(y_true.shape) == 2:
            correct_confidences = np.sum(y_pred_clipped * y_true, axis=1)
        negative_log_likelihoods = -np.log(correct_confidences)
        return negative_log_likelihoods


class Activation_Softmax_Loss_CategoricalCrossentropy():
    def __init__(self):
        self.activation = Activation_Softmax()
        self.loss = Loss_CategoricalCrossentropy()

    def forward(self, inputs, y_true):
        self.activation.forward(inputs)
        self.output = self.activation.output
        return self.loss.calculate(self.output, y_true)

    def backward(self, dvalues, y_true):
        samples = len(dvalues)
        if len(y_true.shape) == 2:
            y_true = np.argmax(y_true, axis=1)
        self.dinputs = dvalues.copy()
        self.dinputs[range(samples), y_true] -= 1
        self.dinputs = self.dinputs / samples


class Optimizer_SGD:
    def __init__(self, learning_rate=1., decay=0., momentum=0.):
        self.learning_rate = learning_rate
        self.current_learning_rate = learning_rate
        self.decay = decay
        self.iterations = 0
        self.momentum = momentum

    def pre_update_params(self):
        if self.decay:
            self.current_learning_rate = self.learning_rate * (1. / (1. + self.decay * self.iterations))

    def update_params(self, layer):
        if self.momentum:
            if not hasattr(layer, 'weight_momentums'):
                layer.weight_momentums = np.zeros_like(layer.weights)
                layer.bias_momentums = np.zeros_like(layer.biases)
            weight_updates = self.momentum * layer.weight_momentums - self.current_learning_rate * layer.dweights
            layer.weight_momentums = weight_updates
            bias_updates = self.momentum * layer.bias_momentums - self.current_learning_rate * layer.dbiases
            layer.bias_momentums = bias_updates
        else:
            weight_updates = -self.current_learning_rate * layer.dweights
            bias_updates = -self.current_learning_rate * layer.dbiases
        layer.weights += weight_updates
        layer.biases += bias_updates

    def post_update_params(self):
        self.iterations += 1


class Optimizer_Adagrad:
    def __init__(self, learning_rate=1., decay=0., epsilon=1e-7):
        self.learning_rate = learning_rate
        self.current_learning_rate = learning_rate
        self.decay = decay
        self.iterations = 0
        self.epsilon = epsilon

    def pre_update_params(self):
        if self.decay:
            self.current_learning_rate = self.learning_rate * (1. / (1. + self.decay * self.iterations))

    def update_params(self, layer):
        if not hasattr(layer, 'weight_cache'):
            layer.weight_cache = np.zeros_like(layer.weights)
            layer.bias_cache = np.zeros_like(layer.biases)
        layer.weight_cache += layer.dweights**2
        layer.bias_cache += layer.dbiases**2
        layer.weights += -self.current_learning_rate * layer.dweights / (np.sqrt(layer.weight_cache) + self.epsilon)
        layer.biases += -self.current_learning_rate * layer.dbiases / (np.sqrt(layer.bias_cache) + self.epsilon)

    def post_update_params(self):
        self.iterations += 1


class Optimizer_RMSprop:
    def __init__(self, learning_rate=0.001, decay=0., epsilon=1e-7, rho=0.9):
        self.learning_rate = learning_rate
        self.current_learning_rate = learning_rate
        self.decay = decay
        self.iterations = 0
        self.epsilon = epsilon
        self.rho = rho

    def pre_update_params(self):
        if self.decay:
            self.current_learning_rate = self.learning_rate * (1. / (1. + self.decay * self.iterations))

    def update_params(self, layer):
        if not hasattr(layer, 'weight_cache'):
            layer.weight_cache = np.zeros_like(layer.weights)
            layer.bias_cache = np.zeros_like(layer.biases)
        layer.weight_cache = self.rho * layer.weight_cache + (1 - self.rho) * layer.dweights**2
        layer.bias_cache = self.rho * layer.bias_cache + (1 - self.rho) * layer.dbiases**2
        layer.weights += -self.current_learning_rate * layer.dweights / (np.sqrt(layer.weight_cache) + self.epsilon)
        layer.biases += -self.current_learning_rate * layer.dbiases / (np.sqrt(layer.bias_cache) + self.epsilon)

    def post_update_params(self):
        self.iterations += 1


class Optimizer_Adam:
    def __init__(self, learning_rate=0.001, decay=0., epsilon=1e-7, beta_1=0.9, beta_2=0.999):
        self.learning_rate = learning_rate
        self.current_learning_rate = learning_rate
        self.decay = decay
        self.iterations = 0
        self.epsilon = epsilon
        self.beta_1 = beta_1
        self.beta_2 = beta_2

    def pre_update_params(self):
        if self.decay:
            self.current_learning_rate = self.learning_rate * (1. / (1. + self.decay * self.iterations))

    def update_params(self, layer):
        if not hasattr(layer, 'weight_cache'):
            layer.weight_momentums = np.zeros_like(layer.weights)
            layer.weight_cache = np.zeros_like(layer.weights)
            layer.bias_momentums = np.zeros_like(layer.biases)
            layer.bias_cache = np.zeros_like(layer.biases)
        layer.weight_momentums = self.beta_1 * layer.weight_momentums + (1 - self.beta_1) * layer.dweights
        layer.bias_momentums = self.beta_1 * layer.bias_momentums + (1 - self.beta_1) * layer.dbiases
        weight_momentums_corrected = layer.weight_momentums / (1 - self.beta_1 ** (self.iterations + 1))
        bias_momentums_corrected = layer.bias_momentums / (1 - self.beta_1 ** (self.iterations + 1))
        layer.weight_cache = self.beta_2 * layer.weight_cache + (1 - self.beta_2) * layer.dweights**2
        layer.bias_cache = self.beta_2 * layer.bias_cache + (1 - self.beta_2) * layer.dbiases**2
        weight_cache_corrected = layer.weight_cache / (1 - self.beta_2 ** (self.iterations + 1))
        bias_cache_corrected = layer.bias_cache / (1 - self.beta_2 ** (self.iterations + 1))
        layer.weights += -self.current_learning_rate * weight_momentums_corrected / \
            (np.sqrt(weight_cache_corrected) + self.epsilon)
        layer.biases += -self.current_learning_rate * bias_momentums_corrected / \
            (np.sqrt(bias_cache_corrected) + self.epsilon)

    def post_update_params(self):
        self.iterations += 1


def book_chapter10(optimizer, epochs):
    """The chapter's training loop; every epoch's (loss, accuracy) and the final weights."""
    X, y = spiral_data(samples=100, classes=3)
    dense1 = Layer_Dense(2, 64)
    activation1 = Activation_ReLU()
    dense2 = Layer_Dense(64, 3)
    loss_activation = Activation_Softmax_Loss_CategoricalCrossentropy()
    history = []
    for epoch in range(epochs):
        dense1.forward(X)
        activation1.forward(dense1.output)
        dense2.forward(activation1.output)
        loss = loss_activation.forward(dense2.output, y)
        predictions = np.argmax(loss_activation.output, axis=1)
        if len(y.shape) == 2:
            y = np.argmax(y, axis=1)
        accuracy = np.mean(predictions == y)
        history.append((loss, accuracy))
        if not epoch % 100:
            print(f'epoch: {epoch}, ' +
                  f'acc: {accuracy:.3f}, ' +
                  f'loss: {loss:.3f}, ' +
                  f'lr: {optimizer.current_learning_rate}')
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


@pytest.fixture
def book(monkeypatch):
    """Run ``f(*args)`` under ``nnfs.init()``; NumPy is given back unpatched afterwards."""

    def run(f, *args):
        with monkeypatch.context() as m:
            for module, name in ((np, "dot"), (np, "zeros"), (np, "eye"), (np.random, "randn")):
                m.setattr(module, name, getattr(module, name))  # restored on leaving
            state = np.random.get_state()
            nnfs.init()
            try:
                return f(*args)
            finally:
                np.random.set_state(state)

    return run


# The chapter's five settings: (tui-nn optimizer and hyperparameters, the book's optimizer).
SETTINGS = {
    "sgd": ("sgd", {"lr": 1.0}, lambda: Optimizer_SGD()),
    "sgd-decay-momentum": ("sgd", {"lr": 1.0, "decay": 1e-3, "momentum": 0.9},
                           lambda: Optimizer_SGD(decay=1e-3, momentum=0.9)),
    "adagrad": ("adagrad", {"lr": 1.0, "decay": 1e-4}, lambda: Optimizer_Adagrad(decay=1e-4)),
    "rmsprop": ("rmsprop", {"lr": 0.02, "decay": 1e-5, "rho": 0.999},
                lambda: Optimizer_RMSprop(learning_rate=0.02, decay=1e-5, rho=0.999)),
    "adam": ("adam", {"lr": 0.05, "decay": 5e-7}, lambda: Optimizer_Adam(learning_rate=0.05, decay=5e-7)),
}


def tui_chapter10(optimizer, hyperparams, epochs, **config):
    t = Trainer(TrainConfig(dataset="spiral", layers=(64,), optimizer=optimizer, hyperparams=hyperparams,
                            iterations=epochs, **config))
    events = list(t.events())
    chunks = [e for e in events if isinstance(e, ev.Progress)]
    losses = np.concatenate([c.losses for c in chunks])
    accuracies = np.concatenate([c.accuracies for c in chunks])
    return t, events, losses, accuracies


def compare(book_run, name, epochs, **config):
    optimizer, hyperparams, book_optimizer = SETTINGS[name]
    history, weights = book_run(book_chapter10, book_optimizer(), epochs)
    t, events, losses, accuracies = tui_chapter10(optimizer, hyperparams, epochs, **config)
    assert t.net.precision == "book"
    assert len(losses) == epochs and not any(isinstance(e, ev.Diverged) for e in events)
    book_losses = np.array([loss for loss, _ in history], np.float32)
    book_accuracies = np.array([acc for _, acc in history])
    printed = np.arange(0, epochs, 100)
    np.testing.assert_array_equal(losses[printed].astype(np.float32), book_losses[printed])  # the printed lines
    np.testing.assert_array_equal(accuracies[printed], book_accuracies[printed])
    np.testing.assert_array_equal(losses.astype(np.float32), book_losses)  # and every epoch between
    np.testing.assert_array_equal(accuracies, book_accuracies)
    return t, book_losses, weights


@pytest.mark.parametrize("name", SETTINGS)
def test_the_books_chapter10_runs_bit_for_bit(book, name):
    compare(book, name, 701)


@pytest.mark.slow
@pytest.mark.parametrize("name", SETTINGS)
def test_the_books_chapter10_runs_bit_for_bit_for_all_10001_epochs(book, name):
    t, book_losses, weights = compare(book, name, 10_001)
    # the weights after the last update too (tui-nn's final evaluation is of these)
    np.testing.assert_array_equal(t.net.params, weights)


def test_book_precision_is_the_default_on_the_books_datasets_only():
    for dataset in ("vertical", "spiral", "sine"):
        assert Trainer(TrainConfig(dataset=dataset, optimizer="sgd", iterations=1)).net.precision == "book"
    assert Trainer(TrainConfig(dataset="iris", optimizer="sgd", iterations=1)).net.precision == "fast"
    assert Trainer(TrainConfig(dataset="spiral", optimizer="sgd", precision="fast")).net.precision == "fast"
    assert Trainer(TrainConfig(dataset="iris", optimizer="sgd", precision="book")).net.precision == "book"


def test_fast_precision_departs_from_the_book_and_book_precision_does_not(book):
    """Why the mode exists: float32 products change the chapter's Adam run within a few hundred epochs."""
    history, _ = book(book_chapter10, Optimizer_Adam(learning_rate=0.05, decay=5e-7), 400)
    book_losses = np.array([loss for loss, _ in history], np.float32)
    _, _, fast, _ = tui_chapter10("adam", {"lr": 0.05, "decay": 5e-7}, 400, precision="fast")
    assert not np.array_equal(fast.astype(np.float32), book_losses)
    assert np.abs(fast - book_losses).max() < 0.1  # close, not the same bits


def test_the_command_line_runs_the_books_adam_in_book_precision_and_says_so(book):
    """The chapter's Adam command, shortened: the jsonl stream's losses are the book's, and
    --precision fast gives other numbers (the header line names the mode)."""
    import json

    from click.testing import CliRunner

    from tui_nn.cli import main

    history, _ = book(book_chapter10, Optimizer_Adam(learning_rate=0.05, decay=5e-7), 301)
    args = ["train", "--headless", "--dataset", "spiral", "--layers", "64", "--optimizer", "adam", "--lr", "0.05",
            "--decay", "5e-7", "--iterations", "301"]
    for precision, same in ((None, True), ("book", True), ("fast", False)):
        extra = ["--precision", precision] if precision else []
        lines = CliRunner().invoke(main, [*args, *extra, "--format", "jsonl"], catch_exceptions=False).output
        losses = [r["loss"] for r in map(json.loads, lines.splitlines()) if r.get("event") == "iteration"]
        assert len(losses) == 301
        book_losses = [float(loss) for loss, _ in history]
        assert (losses == book_losses) is same, precision
        header = CliRunner().invoke(main, [*args, *extra, "--iterations", "1"], catch_exceptions=False).output
        assert header.splitlines()[0].endswith(f", {precision or 'book'} precision")


@pytest.mark.parametrize("name", ["sgd-decay-momentum", "adam"])
def test_headless_text_prints_the_books_lines_byte_for_byte(book, name, capsys):
    """The book's loop prints ``epoch: 100, acc: 0.400, loss: 1.087, lr: 1.0`` every 100th epoch;
    the same command's headless text prints the same lines, byte for byte, between its header
    and its summary (``--every N`` changes the cadence), so a learner can diff the two."""
    from click.testing import CliRunner

    from tui_nn.cli import main

    optimizer, hyperparams, book_optimizer = SETTINGS[name]
    capsys.readouterr()
    book(book_chapter10, book_optimizer(), 501)
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 6 and printed[0].startswith("epoch: 0, acc: ")
    args = ["train", "--headless", "--dataset", "spiral", "--layers", "64", "--optimizer", optimizer,
            "--iterations", "501", *(a for k, v in hyperparams.items() for a in (f"--{k}", str(v)))]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    lines = result.output.splitlines()
    assert lines[1:7] == printed and lines[7].startswith("Finished: 501 iterations")
    every = CliRunner().invoke(main, [*args, "--every", "200"], catch_exceptions=False).output.splitlines()
    assert [line for line in every if line.startswith("epoch: ")] == printed[::2]
    # Other runs keep tui-nn's own lines: fast precision, or mini-batches (not the book's setup).
    for other in (["--precision", "fast"], ["--batch-size", "100"]):
        lines = CliRunner().invoke(main, [*args, *other], catch_exceptions=False).output.splitlines()
        assert ", iteration: 0, loss: " in lines[1] and not set(lines) & set(printed), other
