"""The NumPy network core: dense layers, activations, dropout, losses, one model.

Naming follows *Neural Networks from Scratch*: ``forward(inputs)`` sets ``output``,
``backward(dvalues)`` sets ``dinputs`` (and ``dweights``/``dbiases`` on dense layers).
Unlike the book, all parameters of a model live in ONE flat vector ``Network.params``;
each dense layer's ``weights`` and ``biases`` are views into it, and its ``dweights`` and
``dbiases`` are views into ``Network.grads``. Optimizers, checkpoints and the weights panel
therefore work on a single array.

Randomness always comes from an explicit ``np.random.RandomState`` passed in; nothing here
touches NumPy's global state.

The module is over 600 lines so that the whole plain path (layers with the book's chapter-14
regularisers, activations, losses, the model) reads in one sitting, in the book's order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .settings import INITS, TRAINING, SettingError  # the one table of choices, ranges and defaults

EPS = 1e-7  # the book's clipping constant for cross-entropy


def book_dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``np.dot`` as the book computes it under ``nnfs.init()``: the products and sums in float64,
    the result rounded to the inputs' type (float32)."""
    return np.dot(a.astype(np.float64), b.astype(np.float64)).astype(np.result_type(a, b))


# How a network multiplies: "book" as nnfs.init() does, "fast" in its own dtype (float32 BLAS).
PRODUCTS = {"book": book_dot, "fast": np.dot}

# ---------------------------------------------------------------------------------------
# Layers


class Dense:
    """A fully connected layer: ``output = inputs @ weights + biases``, with the book's
    chapter-14 L1/L2 regularisers of its weights and biases (0: off)."""

    def __init__(self, n_inputs: int, n_neurons: int, init: str = "nnfs", weight_regularizer_l1: float = 0,
                 weight_regularizer_l2: float = 0, bias_regularizer_l1: float = 0, bias_regularizer_l2: float = 0):
        if init not in INITS:
            raise ValueError(f"unknown init {init!r}; choose one of {', '.join(INITS)}")
        self.n_inputs, self.n_neurons, self.init = n_inputs, n_neurons, init
        self.weights = self.biases = self.dweights = self.dbiases = None  # views, see bind()
        self.weight_regularizer_l1 = weight_regularizer_l1
        self.weight_regularizer_l2 = weight_regularizer_l2
        self.bias_regularizer_l1 = bias_regularizer_l1
        self.bias_regularizer_l2 = bias_regularizer_l2

    @property
    def n_params(self) -> int:
        return self.n_inputs * self.n_neurons + self.n_neurons

    def bind(self, params: np.ndarray, grads: np.ndarray) -> None:
        """Make weights/biases (and their gradients) views into the flat vectors."""
        n_w = self.n_inputs * self.n_neurons
        shape = (self.n_inputs, self.n_neurons)
        self.weights = params[:n_w].reshape(shape)
        self.biases = params[n_w:].reshape(1, self.n_neurons)
        self.dweights = grads[:n_w].reshape(shape)
        self.dbiases = grads[n_w:].reshape(1, self.n_neurons)

    def initialize(self, rng: np.random.RandomState) -> None:
        """Draw the initial weights from ``rng`` (in place); biases start at zero."""
        dtype = self.weights.dtype
        n_in, n_out = self.n_inputs, self.n_neurons
        if self.init == "nnfs":  # the book: 0.01 * randn, drawn in float32 as nnfs.init() does
            w = dtype.type(0.01) * rng.randn(n_in, n_out).astype(dtype)
        elif self.init == "he":
            w = rng.randn(n_in, n_out) * math.sqrt(2.0 / n_in)
        else:  # glorot (uniform)
            limit = math.sqrt(6.0 / (n_in + n_out))
            w = rng.uniform(-limit, limit, size=(n_in, n_out))
        self.weights[...] = w
        self.biases[...] = 0

    def forward(self, inputs: np.ndarray, training: bool = False, dot=np.dot) -> np.ndarray:
        self.inputs = inputs
        self.output = dot(inputs, self.weights) + self.biases
        return self.output

    def backward(self, dvalues: np.ndarray, dot=np.dot) -> np.ndarray:
        self.dweights[...] = dot(self.inputs.T, dvalues)
        self.dbiases[...] = np.sum(dvalues, axis=0, keepdims=True)
        # The regularisers' gradients (the book's chapter 14; the sign of 0 counts as +1 there)
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
        self.dinputs = dot(dvalues, self.weights.T)
        return self.dinputs

    @property
    def regularized(self) -> bool:
        return any(r > 0 for r in (self.weight_regularizer_l1, self.weight_regularizer_l2,
                                   self.bias_regularizer_l1, self.bias_regularizer_l2))

    def __repr__(self) -> str:
        return f"Dense({self.n_inputs}, {self.n_neurons})"


class ReLU:
    name = "relu"

    def forward(self, inputs, training=False):
        self.inputs = inputs
        self.output = np.maximum(0, inputs)
        return self.output

    def backward(self, dvalues):
        self.dinputs = np.where(self.inputs > 0, dvalues, 0).astype(dvalues.dtype, copy=False)
        return self.dinputs


class Sigmoid:
    name = "sigmoid"

    def forward(self, inputs, training=False):
        with np.errstate(over="ignore"):  # exp(-x) = inf for very negative x gives exactly 0
            self.output = 1 / (1 + np.exp(-inputs))
        return self.output

    def backward(self, dvalues):
        self.dinputs = dvalues * (1 - self.output) * self.output
        return self.dinputs


class Tanh:
    name = "tanh"

    def forward(self, inputs, training=False):
        self.output = np.tanh(inputs)
        return self.output

    def backward(self, dvalues):
        self.dinputs = dvalues * (1 - self.output * self.output)
        return self.dinputs


class Softmax:
    name = "softmax"

    def forward(self, inputs, training=False):
        exp_values = np.exp(inputs - np.max(inputs, axis=-1, keepdims=True))
        self.output = exp_values / np.sum(exp_values, axis=-1, keepdims=True)
        return self.output

    def backward(self, dvalues):
        # Row-wise Jacobian-vector product: s * (d - sum(d * s)).
        s = self.output
        self.dinputs = s * (dvalues - np.sum(dvalues * s, axis=1, keepdims=True))
        return self.dinputs


class Linear:
    name = "linear"

    def forward(self, inputs, training=False):
        self.output = inputs
        return inputs

    def backward(self, dvalues):
        self.dinputs = dvalues
        return dvalues


ACTIVATIONS = {cls.name: cls for cls in (ReLU, Sigmoid, Tanh, Softmax, Linear)}


class Dropout:
    """Inverted dropout: active only in training; scales kept units by 1 / (1 - rate)."""

    def __init__(self, rate: float):
        if not 0 <= rate < 1:
            raise ValueError(f"dropout rate must be in [0, 1), got {rate}")
        self.rate = rate
        self.rng: np.random.RandomState | None = None  # set by the owner before training

    def forward(self, inputs, training=False):
        if not training or self.rate == 0:
            self.mask = None
            self.output = inputs
            return inputs
        if self.rng is None:
            raise RuntimeError("dropout in training needs a random generator: call Network.set_rng(rng) first")
        keep = 1 - self.rate
        self.mask = (self.rng.binomial(1, keep, size=inputs.shape) / keep).astype(inputs.dtype)
        self.output = inputs * self.mask
        return self.output

    def backward(self, dvalues):
        self.dinputs = dvalues if self.mask is None else dvalues * self.mask
        return self.dinputs

    def __repr__(self) -> str:
        return f"Dropout({self.rate})"


# ---------------------------------------------------------------------------------------
# Losses. ``forward`` returns per-sample losses; ``calculate`` their mean (the book's API).


class Loss:
    def calculate(self, y_pred, y_true) -> float:
        return float(np.mean(self.forward(y_pred, y_true)))

    def regularization_loss(self, layer: Dense):
        """The book's chapter 14: the layer's L1 and L2 penalties, added to the data loss."""
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


class CategoricalCrossentropy(Loss):
    name = "categorical_crossentropy"

    def forward(self, y_pred, y_true):
        clipped = np.clip(y_pred, EPS, 1 - EPS)
        if y_true.ndim == 1:
            correct = clipped[np.arange(len(y_pred)), y_true]
        else:
            correct = np.sum(clipped * y_true, axis=1)
        return -np.log(correct)

    def backward(self, dvalues, y_true):
        samples, labels = dvalues.shape
        if y_true.ndim == 1:
            y_true = np.eye(labels, dtype=dvalues.dtype)[y_true]
        y_true = y_true.astype(dvalues.dtype, copy=False)  # int or float64 one-hot labels
        self.dinputs = -y_true / np.clip(dvalues, EPS, 1 - EPS) / samples
        return self.dinputs

    @staticmethod
    def softmax_backward(probabilities, y_true):
        """Fused gradient of softmax followed by cross-entropy: (p - onehot) / n."""
        samples = len(probabilities)
        dinputs = probabilities.copy()
        if y_true.ndim == 1:
            dinputs[np.arange(samples), y_true] -= 1
        else:
            dinputs -= y_true
        dinputs /= samples
        return dinputs


class BinaryCrossentropy(Loss):
    name = "binary_crossentropy"

    def forward(self, y_pred, y_true):
        clipped = np.clip(y_pred, EPS, 1 - EPS)
        y_true = _as_column(y_true, y_pred)
        per_output = -(y_true * np.log(clipped) + (1 - y_true) * np.log(1 - clipped))
        return np.mean(per_output, axis=-1)

    def backward(self, dvalues, y_true):
        samples, outputs = dvalues.shape
        y_true = _as_column(y_true, dvalues)
        clipped = np.clip(dvalues, EPS, 1 - EPS)
        self.dinputs = -(y_true / clipped - (1 - y_true) / (1 - clipped)) / outputs / samples
        return self.dinputs

    @staticmethod
    def sigmoid_backward(probabilities, y_true):
        """Fused gradient of sigmoid followed by binary cross-entropy: (p - y) / (n * k)."""
        samples, outputs = probabilities.shape
        return (probabilities - _as_column(y_true, probabilities)) / (samples * outputs)


class MeanSquaredError(Loss):
    name = "mean_squared_error"

    def forward(self, y_pred, y_true):
        return np.mean((_as_column(y_true, y_pred) - y_pred) ** 2, axis=-1)

    def backward(self, dvalues, y_true):
        samples, outputs = dvalues.shape
        self.dinputs = -2 * (_as_column(y_true, dvalues) - dvalues) / outputs / samples
        return self.dinputs


LOSSES = {cls.name: cls for cls in (CategoricalCrossentropy, BinaryCrossentropy, MeanSquaredError)}
LOSS_ALIASES = {"cce": "categorical_crossentropy", "bce": "binary_crossentropy", "mse": "mean_squared_error"}


def _as_column(y_true, like):
    """Targets as a float array shaped like the predictions ((n,) -> (n, 1))."""
    y = np.asarray(y_true)
    if y.ndim == 1 and like.ndim == 2:
        y = y.reshape(-1, 1)
    return y.astype(like.dtype, copy=False)


# ---------------------------------------------------------------------------------------
# The model


@dataclass
class ModelSpec:
    """What the user chooses; sizes and the output activation follow from the data."""

    hidden: tuple[int, ...] = TRAINING["layers"].default
    activation: str = TRAINING["activation"].default
    dropout: float = TRAINING["dropout"].default
    init: str = TRAINING["init"].default

    def __post_init__(self):
        self.hidden = tuple(int(h) for h in self.hidden)
        if any(h <= 0 for h in self.hidden):
            raise ValueError(f"layer widths must be positive, got {','.join(map(str, self.hidden))}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {self.activation!r}; choose one of {', '.join(ACTIVATIONS)}")
        TRAINING["dropout"].validate(self.dropout)
        if self.init not in INITS:
            raise ValueError(f"unknown init {self.init!r}; choose one of {', '.join(INITS)}")


def output_for_task(task: str, n_outputs: int) -> tuple[str, str]:
    """(output activation, loss) for a task: softmax+CCE, sigmoid+BCE, or linear+MSE."""
    if task == "regression":
        return "linear", "mean_squared_error"
    if n_outputs == 1:
        return "sigmoid", "binary_crossentropy"
    return "softmax", "categorical_crossentropy"


MAX_PARAMS = 2**28  # 1 GiB per float32 copy; training holds several (weights, gradients, optimizer state)


class Network:
    """Dense layers with activations (and optional dropout), one flat parameter vector.

    >>> net = Network(2, (3,), 3)            # the book's chapter-6 model
    >>> net.n_params
    21
    """

    def __init__(
        self,
        n_inputs: int,
        hidden=(3,),
        n_outputs: int = 3,
        *,
        activation: str = "relu",
        output_activation: str = "softmax",
        loss: str | None = None,
        dropout: float = 0.0,
        init: str = "nnfs",
        dtype=np.float32,
        activations: list[str] | None = None,
        biases: bool = True,
        precision: str = "fast",
    ):
        widths = [int(n_inputs), *map(int, hidden), int(n_outputs)]
        if any(w <= 0 for w in widths):
            raise ValueError(f"layer sizes must be positive, got {widths}")
        n_dense = len(widths) - 1
        total = sum((a + 1) * b for a, b in zip(widths, widths[1:]))
        if total > MAX_PARAMS:
            raise SettingError(
                f"layers too large: a {'-'.join(map(str, widths))} network has {total:,} parameters, more "
                f"than the {MAX_PARAMS:,} a model may have ({MAX_PARAMS * 4 // 2**30} GiB per float32 copy); "
                "give smaller layers", "layers")
        if activations is None:
            activations = [activation] * (n_dense - 1) + [output_activation]
        if len(activations) != n_dense:
            raise ValueError(f"{n_dense} layers need {n_dense} activations, got {len(activations)}")
        for name in activations:
            if name not in ACTIVATIONS:
                raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")
        loss = LOSS_ALIASES.get(loss, loss) if loss else _default_loss(activations[-1])
        if loss not in LOSSES:
            raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
        self.widths, self.activation_names, self.dropout_rate = widths, list(activations), dropout
        self.init, self.has_biases = init, biases
        if precision not in PRODUCTS:
            raise ValueError(f"unknown precision {precision!r}; choose one of {', '.join(PRODUCTS)}")
        self.precision = precision  # how forward/backward multiply in training (evaluate: always "book")
        self.dtype = np.dtype(dtype)
        self.loss_function = LOSSES[loss]()
        self.dense = [Dense(widths[i], widths[i + 1], init) for i in range(n_dense)]
        self.layers: list = []
        self.dropouts: list[Dropout] = []
        for i, (layer, act) in enumerate(zip(self.dense, activations)):
            self.layers += [layer, ACTIVATIONS[act]()]
            if dropout and i < n_dense - 1:
                self.dropouts.append(Dropout(dropout))
                self.layers.append(self.dropouts[-1])
        self.params = np.zeros(sum(d.n_params for d in self.dense), dtype=self.dtype)
        self.grads = np.zeros_like(self.params)
        self._bind()
        self._fused = self.activation_names[-1], self.loss_function.name
        self.output = None

    def _bind(self) -> None:
        """Point every layer's weights, biases and gradients into the flat vectors."""
        self.slices: list[tuple[str, slice, tuple[int, ...]]] = []
        start = 0
        for i, layer in enumerate(self.dense):
            stop = start + layer.n_params
            layer.bind(self.params[start:stop], self.grads[start:stop])
            n_w = layer.n_inputs * layer.n_neurons
            self.slices.append((f"dense{i + 1}.weights", slice(start, start + n_w), layer.weights.shape))
            self.slices.append((f"dense{i + 1}.biases", slice(start + n_w, stop), layer.biases.shape))
            start = stop

    def __setstate__(self, state: dict) -> None:
        # Pickling copies each layer's arrays apart from the flat vectors (the dashboard sends
        # its trainer to a child process this way): make them views into the vectors again.
        self.__dict__.update(state)
        self._bind()

    # -- construction helpers ------------------------------------------------------------
    @classmethod
    def from_spec(cls, spec: ModelSpec, n_inputs: int, n_outputs: int, task: str, dtype=np.float32,
                  precision: str = "fast"):
        out_act, loss = output_for_task(task, n_outputs)
        return cls(n_inputs, spec.hidden, n_outputs, activation=spec.activation, output_activation=out_act,
                   loss=loss, dropout=spec.dropout, init=spec.init, dtype=dtype, precision=precision)

    @classmethod
    def from_weights(cls, weights, biases=None, *, activations, loss="mse", node_major=True, dtype=np.float64):
        """Build a model from hand-written weights, as intro courses do.

        ``weights`` is one entry per layer. With ``node_major=True`` (the default) each entry
        lists, for every node of the layer, that node's incoming weights — ``[[2, 1], [1, 2]]``
        is a layer of two nodes with weights (2, 1) and (1, 2). With ``node_major=False`` an
        entry is the ``(n_inputs, n_nodes)`` matrix the network stores. ``biases`` is one list
        per layer or None for all-zero biases.
        """
        mats = [np.asarray(w, dtype=float) for w in weights]
        mats = [m.T if node_major else m for m in mats]
        for a, b in zip(mats, mats[1:]):
            if a.shape[1] != b.shape[0]:
                raise ValueError(f"layer shapes do not chain: {a.shape} then {b.shape}")
        net = cls(mats[0].shape[0], [m.shape[1] for m in mats[:-1]], mats[-1].shape[1],
                  activations=list(activations), loss=loss, dtype=dtype, biases=biases is not None)
        for i, (layer, m) in enumerate(zip(net.dense, mats)):
            layer.weights[...] = m
            layer.biases[...] = 0 if biases is None else np.asarray(biases[i], dtype=float).reshape(1, -1)
        return net

    def initialize(self, rng: np.random.RandomState) -> None:
        """Draw every layer's weights from ``rng`` in layer order (the book's order)."""
        for layer in self.dense:
            layer.initialize(rng)

    def set_rng(self, rng: np.random.RandomState) -> None:
        for d in self.dropouts:
            d.rng = rng

    @property
    def n_params(self) -> int:
        return self.params.size

    @property
    def n_inputs(self) -> int:
        return self.widths[0]

    @property
    def n_outputs(self) -> int:
        return self.widths[-1]

    @property
    def task(self) -> str:
        return "regression" if self.loss_function.name == "mean_squared_error" else "classification"

    # -- regularisation (the book's chapter 14) ---------------------------------------------
    def regularize(self, l1: float = 0.0, l2: float = 0.0, bias_l1: float = 0.0, bias_l2: float = 0.0) -> None:
        """Set the L1/L2 penalties of every hidden layer (every dense layer but the output, as the
        book's chapter 14 regularises its hidden layer); 0 turns one off."""
        for layer in self.dense[:-1]:
            # Python floats, as the book's: a NumPy float64 would make the float32 gradients float64
            layer.weight_regularizer_l1, layer.weight_regularizer_l2 = float(l1), float(l2)
            layer.bias_regularizer_l1, layer.bias_regularizer_l2 = float(bias_l1), float(bias_l2)

    @property
    def regularized(self) -> bool:
        return any(layer.regularized for layer in self.dense)

    def regularization_loss(self) -> float:
        """The sum of every layer's penalties (0.0 without regularisation)."""
        total = 0
        for layer in self.dense:
            total += self.loss_function.regularization_loss(layer)
        return float(total)

    # -- forward / backward ----------------------------------------------------------------
    def forward(self, X, training: bool = False, precision: str | None = None) -> np.ndarray:
        """The output for inputs X; products as ``precision`` says (default: the network's)."""
        dot = PRODUCTS[precision or self.precision]
        out = np.asarray(X, dtype=self.dtype)
        for layer in self.layers:
            out = layer.forward(out, training, dot) if isinstance(layer, Dense) else layer.forward(out, training)
        self.output = out
        return out

    __call__ = forward

    def backward(self, y) -> np.ndarray:
        """Backpropagate the loss of the last forward pass; fills ``grads`` (and returns it)."""
        y = np.asarray(y)
        out_act, loss = self._fused
        if out_act == "softmax" and loss == "categorical_crossentropy":
            d = CategoricalCrossentropy.softmax_backward(self.output, y)
            start = 1
        elif out_act == "sigmoid" and loss == "binary_crossentropy":
            d = BinaryCrossentropy.sigmoid_backward(self.output, y)
            start = 1
        else:
            d = self.loss_function.backward(self.output, y)
            start = 0
        dot = PRODUCTS[self.precision]
        for layer in self.layers[::-1][start:]:
            d = layer.backward(d, dot) if isinstance(layer, Dense) else layer.backward(d)
        if not self.has_biases:
            for layer in self.dense:
                layer.dbiases[...] = 0
        return self.grads

    def evaluate(self, X, y) -> tuple[float, float]:
        """(loss, accuracy or R²) on (X, y) with the book's arithmetic, whatever the training
        precision: how the trainer scores search candidates and reports every evaluation."""
        output = self.forward(X, precision="book")
        y = np.asarray(y)
        return self.loss_function.calculate(output, y), score(self.task, output, y, self.predictions)

    def loss(self, X, y, training: bool = False) -> float:
        """Mean data loss on (X, y)."""
        return self.loss_function.calculate(self.forward(X, training), np.asarray(y))

    def gradients(self, X, y) -> list[dict[str, np.ndarray]]:
        """Gradient of the loss with respect to every weight and bias, layer by layer."""
        self.forward(X)
        self.backward(y)
        return [{"weights": d.dweights.copy(), "biases": d.dbiases.copy()} for d in self.dense]

    def predict(self, X) -> np.ndarray:
        """Class ids for classification, output values for regression."""
        return self.predictions(self.forward(X))

    def predictions(self, output: np.ndarray) -> np.ndarray:
        out_act = self.activation_names[-1]
        if self.task == "regression":
            return output
        if out_act == "softmax" or output.shape[-1] > 1:
            return np.argmax(output, axis=-1)
        return (output[..., 0] > 0.5).astype(np.int64)

    def accuracy(self, X, y) -> float:
        """Fraction correct for classification; R² (coefficient of determination) for regression."""
        return score(self.task, self.forward(X), np.asarray(y), self.predictions)

    # -- inspection and persistence -----------------------------------------------------------
    def summary(self) -> str:
        """A Keras-style table: one row per layer, its output shape and parameter count."""
        rows = [("Layer (type)", "Output shape", "Params")]
        for i, (layer, act) in enumerate(zip(self.dense, self.activation_names)):
            rows.append((f"dense{i + 1} (Dense, {act})", f"(None, {layer.n_neurons})", str(layer.n_params)))
            if self.dropout_rate and i < len(self.dense) - 1:
                rows.append((f"dropout{i + 1} (Dropout {self.dropout_rate:g})", f"(None, {layer.n_neurons})", "0"))
        w0, w1 = max(len(r[0]) for r in rows), max(len(r[1]) for r in rows)
        w2 = max(len(r[2]) for r in rows)
        line = "─" * (w0 + w1 + w2 + 4)
        fmt = lambda r: f"{r[0]:<{w0}}  {r[1]:<{w1}}  {r[2]:>{w2}}"  # noqa: E731
        body = [line, fmt(rows[0]), line, *map(fmt, rows[1:]), line]
        body.append(f"Total params: {self.n_params}  (inputs: {self.n_inputs}, loss: {self.loss_function.name})")
        return "\n".join(body)

    def __repr__(self) -> str:
        parts = []
        for layer, act in zip(self.dense, self.activation_names):
            parts.append(f"{layer!r} {act}")
        return f"Network[{' -> '.join(parts)}]"


def _default_loss(output_activation: str) -> str:
    return {"softmax": "categorical_crossentropy", "sigmoid": "binary_crossentropy"}.get(
        output_activation, "mean_squared_error")


def score(task: str, output: np.ndarray, y: np.ndarray, predictions) -> float:
    """Accuracy for classification, R² for regression."""
    if task == "regression":
        y = _as_column(y, output)
        ss_res = float(np.sum((y - output) ** 2))
        ss_tot = float(np.sum((y - y.mean(axis=0)) ** 2))
        if ss_tot > 0:
            return 1.0 - ss_res / ss_tot
        return 1.0 if ss_res == 0 else 0.0  # constant targets (one sample): as scikit-learn's r2_score
    if y.ndim == 2 and y.shape[1] > 1:  # one-hot labels, as the book's accuracy accepts
        y = np.argmax(y, axis=1)
    return float(np.mean(predictions(output) == y.reshape(-1)))
