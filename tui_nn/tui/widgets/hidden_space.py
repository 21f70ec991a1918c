"""The data as a hidden layer sees it: its activations projected to 2-D (key ``h``)."""

from __future__ import annotations

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.strip import Strip

from ...activations import Projection, layer_outputs, neuron_pairs
from ..heat import cell_of, class_markers, to_strips
from ..numbers import count
from ..state import RunView, neuron_label
from .dataset_view import DatasetView
from .strips import StripPanel


class HiddenSpace(StripPanel, can_focus=True):
    """ConvNetJS's "transformed space": every training and validation point placed where a
    hidden layer's activations put it, drawn with its class's shape and colour (filled:
    training, hollow: validation), redrawn as the weights change, so one watches the layers
    pull the classes apart. The axes are the layer's first two principal components, fitted
    once when the view is chosen (so the picture moves only when the weights do; choose PCA
    again to refit), or two of its neurons. ←/→ choose the layer, ↑/↓ the axes (PCA, then each
    pair of neurons; the replay dashboard, whose arrows move its cursor, has < > for the layer:
    ``HIDDEN_LAYER_KEYS``). The axes span the points, unless a few stretch them past three times the
    1st-99th percentile span (those are drawn on the edge)."""

    BINDINGS = [
        Binding("left", "layer(-1)", "Layer −", show=False),
        Binding("right", "layer(1)", "Layer +", show=False),
        Binding("up", "axes(-1)", "Axes −", show=False),
        Binding("down", "axes(1)", "Axes +", show=False),
    ]

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.view: RunView | None = None
        self.hidden_layer = 1  # 1: the first hidden layer
        self.axes = 0  # 0: PCA; k: the k-th pair of neurons
        self.projection: Projection | None = None
        self.points: np.ndarray | None = None  # the 2-D points last drawn
        self._fitted_at = 0  # the iteration and the count of resets the PCA was fitted at
        self._fitted_resets = 0
        self._computed = None  # (weights version, projection, (layer, axes), (points, bounds)) last computed
        self._inputs = (None, None)  # (run view, its data as the network's inputs)
        self._strips: list[Strip] = []
        self._markers = None

    @property
    def n_hidden(self) -> int:
        return len(self.view.widths) - 2 if self.view is not None else 0

    def show(self, view: RunView) -> None:
        if self.view is not view:
            self.view = view
            self._markers = class_markers(view.y_train, view.y_val, max(len(view.class_names), 1), view.task)
            self.projection = None
        self.redraw()

    def action_layer(self, step: int) -> None:
        if self.n_hidden:
            self.hidden_layer = (self.hidden_layer - 1 + step) % self.n_hidden + 1
            self.axes = 0
            self.projection = None
            self.redraw()

    def action_axes(self, step: int) -> None:
        if self.n_hidden:
            n = 1 + len(neuron_pairs(self.view.widths[self.hidden_layer]))
            self.axes = (self.axes + step) % n
            self.projection = None
            self.redraw()

    def redraw(self) -> None:
        v = self.view
        w, h = self.size.width, self.size.height
        if v is None or w < 4 or h < 2 or not self.is_mounted or not self.display:
            return
        if not self.n_hidden:
            self.border_title = "Hidden space"
            self.border_subtitle = ""
            note = "This network has no hidden layer: its inputs go straight to the output."
            self._strips = [Strip([Segment(note[:w].ljust(w), self.rich_style)], w)]
            self.refresh()
            return
        P, lo, hi = self._project(v)
        chars = np.full((h, w), " ", dtype="<U1")
        keys = np.full((h, w), -1, np.int64)
        markers, classes = self._markers
        cx, cy = cell_of(P, lo, hi, w, h)
        chars[cy, cx] = markers
        keys[cy, cx] = classes
        styles = self.heat_painter().class_styles(max(int(classes.max(initial=0)) + 1, len(v.class_names)))
        plain = Style()
        self._strips = to_strips(chars, keys, lambda k: styles[int(k) % len(styles)] if k >= 0 else plain,
                                 self.rich_style)
        self._titles(w)
        self.refresh()

    def _project(self, v: RunView) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(the points in 2-D, their bounds) for the weights now: computed once per weights
        version (``v.params`` is replaced, never changed in place, when the weights change), layer
        and axes; a reset (r) refits the PCA, as choosing the view does."""
        if self._fitted_resets != v.resets:
            self.projection = None
        c = self._computed
        if (c is not None and c[0] is v.params and c[1] is self.projection and self.projection is not None
                and c[2] == (self.hidden_layer, self.axes)):
            return c[3]
        if self._inputs[0] is not v:  # the data as the network takes it, once per run
            self._inputs = (v, v.inputs(np.concatenate([v.X_train, v.X_val])))
        v.net.params[...] = v.params
        acts = layer_outputs(v.net, self._inputs[1], upto=self.hidden_layer)[-1]
        if self.projection is None:
            pairs = neuron_pairs(v.widths[self.hidden_layer])
            neurons = pairs[self.axes - 1] if self.axes else None
            if neurons is None and v.widths[self.hidden_layer] == 2:
                neurons = (0, 1)  # two neurons are their own plane
            self.projection = Projection.fit(self.hidden_layer, acts, neurons)
            self._fitted_at, self._fitted_resets = v.iteration, v.resets
        P = self.points = self.projection(acts)
        lo, hi = DatasetView._robust_bounds(P) if len(P) else (np.zeros(2) - 1, np.ones(2))
        self._computed = (v.params, self.projection, (self.hidden_layer, self.axes), (P, lo, hi))
        return P, lo, hi

    def _titles(self, w: int) -> None:
        v = self.view
        L = len(v.widths)
        layer = f"layer {self.hidden_layer} ({v.widths[self.hidden_layer]} {v.net.activation_names[self.hidden_layer - 1]})"
        x_name, y_name = self.projection.axis_names(lambda i: neuron_label(self.hidden_layer, i, L))
        if self.projection.neurons is None:
            axes, short = f"PCA fitted at iteration {count(self._fitted_at)}", "PCA"
        else:
            axes = short = f"{x_name} → , {y_name} ↑"
        options = [f"Hidden space · {layer} · {axes}", f"Hidden {layer} · {axes}", f"Hidden {layer} · {short}",
                   f"Hidden layer {self.hidden_layer}"]
        self.border_title = next((o for o in options if len(o) <= w - 4), options[-1])
        keys = f"{getattr(self.app, 'HIDDEN_LAYER_KEYS', '←/→')} layer · ↑/↓ axes (PCA, neuron pairs)"
        shape = "shape: class, hollow: validation"
        options = [f"{count(len(self.points))} points · {shape} · {keys}", f"{shape} · {keys}", keys]
        self.border_subtitle = next((o for o in options if len(o) <= w - 2), options[-1])
