"""One neuron's activation over the input plane, large, in the data panel's place (key ``m``)."""

from __future__ import annotations

import numpy as np
from textual.strip import Strip

from ...activations import Plane, neuron_maps, scaled
from ..heat import NO_COLOR_LEGEND, cell_of, class_markers, to_strips
from ..numbers import num
from ..state import RunView, neuron_label
from .strips import StripPanel

POINTS = 1 << 20  # style keys of data points: POINTS + their class


class NeuronMapView(StripPanel):
    """The selected neuron's activation (after its activation function) at every point of the
    input plane, two pixels per character, scaled by its largest absolute value there: the
    Playground's per-neuron picture, big. The data are drawn over it (a shape per class: filled
    for training, hollow for validation), so one sees which points turn the neuron on. More
    than two features: the plane of their first two principal components (features clipped at
    their 0.5-99.5th percentiles first), labelled so."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.view: RunView | None = None
        self.plane: Plane | None = None
        self.neuron: tuple[int, int] = (1, 0)  # (layer, index); layer 1: the first hidden
        self.values: np.ndarray | None = None  # the activations last drawn, (2h, w)
        self._strips: list[Strip] = []
        self._markers = None
        self._computed = None  # (weights version, (neuron, size), its map) last computed
        self._cells = (None, None)  # (size, the data points' cells)

    def show(self, view: RunView, neuron: tuple[int, int] | None = None) -> None:
        if self.view is not view:
            self.view = view
            self.plane = Plane.of(np.concatenate([view.X_train, view.X_val]))
            self._cells = (None, None)
            n_classes = max(len(view.class_names), 1)
            self._markers = class_markers(view.y_train, view.y_val, n_classes, view.task)
        if neuron is not None:
            self.neuron = neuron
        self.redraw()

    def _map(self, v: RunView, w: int, h: int) -> np.ndarray:
        """The neuron's activations over a ``w`` x ``2h`` raster, computed once per weights
        version (``v.params`` is replaced, never changed in place, when the weights change),
        neuron and size: the layers after the neuron's are not computed."""
        key = (self.neuron, w, h)
        if self._computed is not None and self._computed[0] is v.params and self._computed[1] == key:
            return self._computed[2]
        layer, n = self.neuron
        v.net.params[...] = v.params
        raw = neuron_maps(v.net, self.plane, w, 2 * h, inputs=v.inputs, upto=layer)[layer][:, :, n]
        self._computed = (v.params, key, raw)
        return raw

    def redraw(self) -> None:
        v = self.view
        w, h = self.size.width, self.size.height
        if v is None or w < 4 or h < 2 or not self.is_mounted or not self.display:
            return
        painter = self.heat_painter()
        layer, n = self.neuron
        raw = self.values = self._map(v, w, h)
        chars, keys = painter.cells(scaled(raw))
        markers, classes = self._markers
        if self._cells[0] != (w, h):  # where the data points fall, once per size
            self._cells = ((w, h), cell_of(self.plane.points, self.plane.lo, self.plane.hi, w, h))
        cx, cy = self._cells[1]
        chars[cy, cx] = markers
        keys[cy, cx] = POINTS + classes
        n_classes = int(classes.max(initial=0)) + 1
        point_styles = painter.class_styles(max(n_classes, len(v.class_names)))
        base = self.rich_style

        def style_of(key):
            key = int(key)
            return point_styles[(key - POINTS) % len(point_styles)] if key >= POINTS else painter.style(key)

        self._strips = to_strips(chars, keys, style_of, base)
        L = len(v.widths)
        act = v.net.activation_names[layer - 1]
        over = ("over the PCA plane (PC1, PC2 of the features)" if self.plane.is_pca
                else "over " + ", ".join(v.feature_names[:2] or ["x1", "x2"]))
        name = neuron_label(layer, n, L)
        self.border_title = f"Neuron {name} ({act}) {over}"
        top = float(np.nanmax(np.abs(raw))) if raw.size else 0.0
        legend = NO_COLOR_LEGEND if painter.no_color else "blue +, red −, pale ≈ 0"
        options = [f"{legend} · |max| {num(top)} · m: data", f"{legend} · m: data", legend]
        self.border_subtitle = next((o for o in options if len(o) <= w - 4), options[-1])
        self.refresh()
