"""What the network computes inside, for the dashboard's views of it (issue 14): every layer's
activations, the input plane its neuron maps are drawn over, and 2-D projections of a hidden
layer. Pure NumPy; the widgets only draw what these return.

- :func:`layer_outputs` runs the network forward (no dropout) and keeps each layer's output:
  the inputs, then every hidden layer after its activation, then the network's output.
- :class:`Plane` is the 2-D plane a neuron map covers: the two features themselves for 2-D data,
  else the first two principal components of the features (clipped at their 0.5-99.5th
  percentiles first, as the data panel's projection: one outlier cannot set an axis).
  :meth:`Plane.grid` turns a ``w`` x ``h`` raster of that plane into feature vectors.
- :func:`neuron_maps` is every neuron's activation over such a raster, all layers in one pass.
- :class:`Projection` maps a hidden layer's activations to 2-D: its first two principal
  components, fitted once (so the picture moves only when the weights do), or two chosen neurons.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .network import PRODUCTS, Dense, Dropout

OUTLIER_PERCENTILES = (0.5, 99.5)  # each feature clipped to these before PCA (here and in the data panel)


def clip_outliers(X: np.ndarray) -> np.ndarray:
    """Each feature (column) of ``X`` clipped to its ``OUTLIER_PERCENTILES``: before a PCA, so
    that one outlier (digits has a pixel at 75.8 standard deviations) cannot set an axis."""
    if len(X) < 2:
        return X
    low, high = np.percentile(X, OUTLIER_PERCENTILES, axis=0)
    return np.clip(X, low, high)


def layer_outputs(net, X, upto: int | None = None) -> list[np.ndarray]:
    """``[X, layer 1's activations, ..., the output]`` for inputs ``X`` (inference: no dropout,
    the network's own products); with ``upto``, only as far as layer ``upto`` (0: the inputs):
    the layers after it are not computed."""
    dot = PRODUCTS[net.precision]
    out = np.asarray(X, dtype=net.dtype)
    outs = [out]
    last = len(net.widths) - 1 if upto is None else upto
    for layer in net.layers:
        if len(outs) > last:
            break
        if isinstance(layer, Dense):
            out = layer.forward(out, False, dot)
        else:
            out = layer.forward(out, False)
            if not isinstance(layer, Dropout):  # an activation
                outs.append(out)
    return outs


def principal_axes(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mean, the first two principal directions as a (2, d) array) of the rows of ``X``.
    Each direction's largest entry is positive (a fixed sign, as scikit-learn's PCA). Fewer
    than two directions (one feature, one point) are padded with zero rows."""
    X = np.asarray(X, np.float64)
    mean = X.mean(axis=0) if len(X) else np.zeros(X.shape[1])
    axes = np.zeros((2, X.shape[1]))
    if len(X) > 1:
        _, _, vt = np.linalg.svd(X - mean, full_matrices=False)
        k = min(2, len(vt))
        vt = vt[:k]
        signs = np.sign(vt[np.arange(k), np.argmax(np.abs(vt), axis=1)])
        axes[:k] = vt * np.where(signs == 0, 1, signs)[:, None]
    return mean, axes


@dataclass
class Plane:
    """The plane neuron maps are drawn over, and where the data lie in it."""

    mean: np.ndarray | None  # None: the data's own two features (or one, and a blank second axis)
    axes: np.ndarray | None  # (2, d) principal directions
    points: np.ndarray  # (n, 2) every sample of ``X`` in the plane
    lo: np.ndarray  # the plane's bounds: the points' range, padded
    hi: np.ndarray
    dims: int = 2  # d: the columns of the data the plane was made of

    @property
    def is_pca(self) -> bool:
        return self.axes is not None

    @classmethod
    def of(cls, X: np.ndarray) -> Plane:
        X = np.asarray(X, np.float64)
        d = X.shape[1]
        if d <= 2:
            points = X if d == 2 else np.c_[X, np.zeros(len(X))]
            mean = axes = None
        else:
            clipped = clip_outliers(X)
            mean, axes = principal_axes(clipped)
            points = (clipped - mean) @ axes.T
        if len(points):
            lo, hi = points.min(axis=0), points.max(axis=0)
        else:
            lo, hi = np.full(2, -1.0), np.ones(2)
        pad = (hi - lo) * 0.04 + 1e-9
        return cls(mean, axes, points, lo - pad, hi + pad, d)

    def grid(self, w: int, h: int) -> np.ndarray:
        """The feature vectors at the centres of a ``w`` x ``h`` raster of the plane, row by row
        from the top (the largest second coordinate) down."""
        xs = self.lo[0] + (np.arange(w) + 0.5) / w * (self.hi[0] - self.lo[0])
        ys = self.hi[1] - (np.arange(h) + 0.5) / h * (self.hi[1] - self.lo[1])
        gx, gy = np.meshgrid(xs, ys)
        P = np.c_[gx.ravel(), gy.ravel()]
        return P if self.axes is None else self.mean + P @ self.axes

    def samples(self, w: int, h: int) -> np.ndarray:
        """:meth:`grid` as samples of the data: ``dims`` columns (one feature: the plane's first axis)."""
        G = self.grid(w, h)
        return G[:, :self.dims] if self.axes is None else G


def neuron_maps(net, plane: Plane, w: int, h: int, inputs=None, upto: int | None = None) -> list[np.ndarray]:
    """Each layer's activations over a ``w`` x ``h`` raster of ``plane``: one ``(h, w, width)``
    array per layer (the inputs first, the output last; with ``upto``, only as far as layer
    ``upto``). ``inputs`` turns samples of the data into what the network takes (the run's
    ``--features``: the maps stay over the data's own plane)."""
    G = plane.samples(w, h)
    if inputs is not None:
        G = inputs(G)
    return [np.asarray(a, np.float64).reshape(h, w, -1) for a in layer_outputs(net, G.astype(net.dtype), upto)]


def scaled(a: np.ndarray, axis=None) -> np.ndarray:
    """``a`` divided by its largest absolute value along ``axis`` (all zeros stay zero): -1 to 1,
    zero staying zero, so a map's colour says the sign as well as the size."""
    with np.errstate(invalid="ignore"):
        top = np.max(np.abs(np.nan_to_num(a)), axis=axis, keepdims=axis is not None)
        return np.nan_to_num(np.asarray(a, np.float64) / np.where(top > 0, top, 1.0))


@dataclass
class Projection:
    """A hidden layer's activations to 2-D: ``neurons`` (two indices) if given, else the first
    two principal components of the activations it was fitted on."""

    layer: int  # 1 = the first hidden layer
    mean: np.ndarray | None = None
    axes: np.ndarray | None = None
    neurons: tuple[int, int] | None = None

    @classmethod
    def fit(cls, layer: int, activations: np.ndarray, neurons: tuple[int, int] | None = None) -> Projection:
        if neurons is not None:
            return cls(layer, neurons=neurons)
        mean, axes = principal_axes(activations)
        return cls(layer, mean, axes)

    def __call__(self, activations: np.ndarray) -> np.ndarray:
        """The activations' rows in 2-D (float64), computed in the activations' own precision
        (float32 for a float32 network: a picture needs no more, and it is several times
        cheaper for many points): ``(A - mean) @ axes.T`` as ``A @ axes.T - mean @ axes.T``."""
        A = np.asarray(activations)
        if self.neurons is not None:
            return np.asarray(A[:, list(self.neurons)], np.float64)
        if A.dtype != np.float32:
            A = np.asarray(A, np.float64)
        P = A @ self.axes.T.astype(A.dtype)
        return P.astype(np.float64) - self.mean @ self.axes.T

    def axis_names(self, label) -> tuple[str, str]:
        """The axes' names; ``label(i)`` names neuron ``i`` of the layer."""
        if self.neurons is not None:
            return label(self.neurons[0]), label(self.neurons[1])
        return "PC1", "PC2"


def neuron_pairs(width: int) -> list[tuple[int, int]]:
    """The pairs of neurons of a layer a projection may use, in reading order: (0, 1), (0, 2), ..."""
    return [(i, j) for i in range(width) for j in range(i + 1, width)]
