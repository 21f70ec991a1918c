"""The fast gradient step: one mini-batch of backpropagation with the same float32 operations as
``Network.forward``/``backward`` (the book's chapters 9-10), into scratch arrays kept per batch
size, with the loss and accuracy read off the forward pass; then the optimizer's update (Adam in
place, the others by their own ``update``). Reached only through
:func:`tui_nn.fast.faster` (job ``"step"``).
"""

from __future__ import annotations

import numpy as np

from ..network import EPS, score

F32 = np.float32


class LeanStep:
    """For plain stacks of dense layers in float32 (no dropout: its masks are drawn by the
    network's own layers); anything else takes the network's own methods."""

    FUSED = {("softmax", "categorical_crossentropy"), ("sigmoid", "binary_crossentropy"),
             ("linear", "mean_squared_error")}

    @classmethod
    def build(cls, net, y, loops=None) -> "LeanStep | None":
        out_act, loss = net._fused
        if (net.dropouts or not net.has_biases or net.dtype != np.float32 or net.precision != "fast"
                or (out_act, loss) not in cls.FUSED
                or any(a not in ("relu", "sigmoid", "tanh", "linear") for a in net.activation_names[:-1])
                or (loss == "categorical_crossentropy" and y.ndim != 1)):
            return None
        return cls(net, loops)

    def __init__(self, net, loops=None):
        self.net = net
        self.out_act, self.loss = net._fused
        self.layers = [(d.weights, d.biases, d.dweights, d.dbiases, act)
                       for d, act in zip(net.dense, net.activation_names)]
        self._bufs: dict[int, dict] = {}
        self._scratch = (np.empty_like(net.params), np.empty_like(net.params))
        self._adam_key, self._adam = None, ()
        self.loops = loops  # tui_nn.fast.compiled, or None: NumPy calls alone
        # One sigmoid output and binary cross-entropy (labels 0/1): its element-wise work compiled.
        self.fused_sigmoid = loops is not None and self.out_act == "sigmoid" and net.widths[-1] == 1

    def _buffers(self, B: int) -> dict:
        bufs = self._bufs.get(B)
        if bufs is None:
            widths = self.net.widths
            bufs = self._bufs[B] = {
                "z": [np.empty((B, w), np.float32) for w in widths[1:]],
                "d": [np.empty((B, w), np.float32) for w in widths[1:]],
                "tmp": [np.empty((B, w), np.float32) for w in widths[1:]],
                "mask": [np.empty((B, w), bool) for w in widths[1:]],
                "rows": np.arange(B), "m": np.empty((B, 1), np.float32), "s": np.empty((B, 1), np.float32),
                "q": np.empty((B, widths[-1]), np.float32), "yes": np.empty((B, widths[-1]), bool),
                "no": np.empty((B, widths[-1]), bool), "B": np.float32(B),
            }
            last = len(self.layers) - 1
            # The layers as each pass meets them, with their arrays for this batch size: forward
            # (weights, biases, outputs, hidden activation or None for the output layer);
            # backward from the output (input activations or None for the batch itself, weights,
            # their gradients, this layer's and the previous layer's dvalues, its activation,
            # and its mask and scratch array).
            bufs["forward"] = [(W, bias, bufs["z"][i], act if i < last else None)
                               for i, (W, bias, _, _, act) in enumerate(self.layers)]
            bufs["backward"] = [
                (None if i == 0 else bufs["z"][i - 1], W, dW, db, bufs["d"][i],
                 None if i == 0 else bufs["d"][i - 1], None if i == 0 else self.layers[i - 1][4],
                 None if i == 0 else bufs["mask"][i - 1], None if i == 0 else bufs["tmp"][i - 1])
                for i, (W, _, dW, db, _) in reversed(list(enumerate(self.layers)))]
        return bufs

    def forward(self, Xb, yb) -> tuple[float, float]:
        """Forward pass of one batch; returns (loss, accuracy or R²) as the trainer reports them."""
        B = len(Xb)
        b = self._bufs.get(B) or self._buffers(B)
        a = Xb
        loops, fused_sigmoid = self.loops, self.fused_sigmoid
        for W, bias, z, act in b["forward"]:
            np.dot(a, W, out=z)
            if loops is not None and act == "relu":
                loops.bias_relu(z, bias)
                a = z
                continue
            if fused_sigmoid and act is None:  # the output layer: -(z + b), the sigmoid's exp next
                loops.bias_negate(z, bias)
                break
            z += bias
            if act == "relu":
                np.maximum(z, 0, out=z)
            elif act == "sigmoid":
                _sigmoid(z)
            elif act == "tanh":
                np.tanh(z, out=z)
            a = z
        p, q = a, b["q"]
        if self.out_act == "softmax":
            np.max(p, axis=1, keepdims=True, out=b["m"])
            p -= b["m"]
            np.exp(p, out=p)
            np.sum(p, axis=1, keepdims=True, out=b["s"])
            p /= b["s"]
            c = p[b["rows"], yb]  # the correct class's probability, clipped as the loss does
            np.minimum(np.maximum(c, EPS, out=c), 1 - EPS, out=c)  # np.clip, without its wrappers
            np.log(c, out=c)
            loss = -float(np.add.reduce(c) / np.float32(B))  # np.mean's float32 sum and division
            acc = float(np.count_nonzero(np.argmax(p, axis=1) == yb)) / B
        elif fused_sigmoid:  # as below, in one compiled pass around NumPy's exp and log
            p = z
            np.exp(p, out=p)
            right = loops.sigmoid_bce(p, yb, F32(EPS), F32(1 - EPS), q)
            np.log(q, out=q)
            loss = -float(np.add.reduce(q, axis=None) / b["B"])  # as np.mean
            acc = float(right) / B
        elif self.out_act == "sigmoid":
            _sigmoid(p)
            np.minimum(np.maximum(p, EPS, out=q), 1 - EPS, out=q)  # np.clip, without its wrappers
            yes = np.greater(yb, 0.5, out=b["yes"])
            if p.shape[1] == 1:  # labels 0/1: y*log(c) + (1-y)*log(1-c) is log(c) or log(1-c)
                np.subtract(1, q, out=q, where=np.logical_not(yes, out=b["no"]))
                np.log(q, out=q)
                loss = -float(np.add.reduce(q, axis=None) / b["B"])  # as np.mean
                right = np.equal(np.greater(p, 0.5, out=b["mask"][-1]), yes, out=b["mask"][-1])
                acc = float(np.count_nonzero(right)) / B
            else:
                loss = float(np.mean(self.net.loss_function.forward(p, yb)))
                acc = score(self.net.task, p, yb, self.net.predictions)
        else:
            np.subtract(yb, p, out=q)
            np.square(q, out=q)
            loss = float(np.mean(np.mean(q, axis=-1)))
            acc = score(self.net.task, p, yb, self.net.predictions)
        self.Xb, self.yb, self.B = Xb, yb, B
        return loss, acc

    def backward(self) -> None:
        """Fill the network's gradients for the batch of the last forward pass."""
        Xb, yb, B = self.Xb, self.yb, self.B
        b = self._bufs[B]
        last = len(self.layers) - 1
        d = b["d"][last]
        p = b["z"][last]
        if self.out_act == "softmax":  # (p - onehot) / n
            np.copyto(d, p)
            d[b["rows"], yb] -= 1
            d /= B
        elif self.fused_sigmoid:
            self.loops.sigmoid_bce_grad(p, yb, F32(B), d)
        elif self.out_act == "sigmoid":  # (p - y) / (n * k)
            np.subtract(p, yb, out=d)
            d /= B * p.shape[1]
        else:  # -2 (y - p) / k / n
            np.subtract(yb, p, out=d)
            d *= -2
            d /= p.shape[1]
            d /= B
        for a, W, dW, db, d, prev, act, mask, t in b["backward"]:
            np.dot(Xb.T if a is None else a.T, d, out=dW)
            np.add.reduce(d, axis=0, keepdims=True, out=db)
            if prev is None:  # the first layer: no dvalues for the batch itself
                break
            np.dot(d, W.T, out=prev)
            if act == "relu" and self.loops is not None:
                self.loops.relu_grad(prev, a)
            elif act == "relu":  # np.where(inputs > 0, d, 0), as ReLU.backward: +0 where off, even for NaN
                np.copyto(prev, 0, where=np.logical_not(np.greater(a, 0, out=mask), out=mask))
            elif act == "sigmoid":  # d * (1 - out) * out
                np.subtract(1, a, out=t)
                prev *= t
                prev *= a
            elif act == "tanh":  # d * (1 - out * out)
                np.multiply(a, a, out=t)
                np.subtract(1, t, out=t)
                prev *= t


    def update(self, opt) -> None:
        """``opt.update(net.params, net.grads)``. Adam runs in place, in one compiled pass
        (``compiled.adam``) or into two scratch arrays, with the same float32 operations in the
        same order as ``Adam._update`` (its Python float hyperparameters become float32, as
        there); other optimizers run their own."""
        net, hp = self.net, opt.hp
        params, grads = net.params, net.grads
        lr = opt.lr
        if opt.name != "adam" or params.dtype != np.float32:
            opt.update(params, grads)
            return
        beta1, beta2, epsilon, t = hp["beta1"], hp["beta2"], hp["epsilon"], opt.steps + 1
        if not (type(lr) is float and type(beta1) is float and type(beta2) is float and type(epsilon) is float):
            opt.update(params, grads)  # a NumPy scalar would make the book's arithmetic float64
            return
        m, c = opt.buffer("momentum", params), opt.buffer("cache", params)
        key = (beta1, beta2, epsilon)
        if key != self._adam_key:  # Python floats meet float32 arrays as float32 (NEP 50): convert once
            self._adam_key = key
            self._adam = tuple(F32(x) for x in (beta1, 1 - beta1, beta2, 1 - beta2, epsilon))
        b1, one_b1, b2, one_b2, eps = self._adam
        c1, c2 = F32(1 - beta1**t), F32(1 - beta2**t)
        if self.loops is not None:
            self.loops.adam(params, grads, m, c, b1, one_b1, b2, one_b2, eps, c1, c2, F32(-lr))
            opt.steps += 1
            return
        s1, s2 = self._scratch
        np.multiply(m, b1, out=m)  # momentums = beta1 * momentums + (1 - beta1) * grads
        m += np.multiply(grads, one_b1, out=s1)
        np.multiply(c, b2, out=c)  # cache = beta2 * cache + (1 - beta2) * grads**2
        np.square(grads, out=s1)
        c += np.multiply(s1, one_b2, out=s1)
        # The corrections 1 - beta**t become exactly 1 in float32 once beta**t < 2**-25 (Adam's
        # beta1 0.9 after 165 steps): dividing by 1 changes no bit, so the division is skipped.
        np.sqrt(c if c2 == 1 else np.divide(c, c2, out=s1), out=s1)  # sqrt(cache_corrected) + epsilon
        s1 += eps
        np.multiply(m if c1 == 1 else np.divide(m, c1, out=s2), F32(-lr), out=s2)  # -lr * momentums_corrected
        params += np.divide(s2, s1, out=s2)  # ... / (...)
        opt.steps += 1


def _sigmoid(z: np.ndarray) -> None:
    """In place, as Sigmoid.forward computes it: 1 / (1 + exp(-z)) (the caller silences the
    overflow of exp, which gives exactly 0)."""
    np.negative(z, out=z)
    np.exp(z, out=z)
    z += 1
    np.divide(1, z, out=z)

