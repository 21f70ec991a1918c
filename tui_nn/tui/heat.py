"""Drawing helpers shared by the views inside the network (graph, neuron maps, hidden space):
signed heat maps in half-block cells, class markers over them, rows of cells into Strips.

A heat map holds values from -1 to 1 (each neuron scaled by its largest absolute activation):
positive in the theme's primary colour, negative in its error colour (the weights panel's
colours for the signs), near zero the panel's background. Two pixels per character cell (the
upper and lower half of ``▀``). Without colour (NO_COLOR) each cell gets a glyph saying the sign
and the size of its mean instead: ``+ #`` positive, ``- =`` negative, blank near zero.
"""

from __future__ import annotations

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.strip import Strip

from .colors import class_palette, marker, theme_color

LEVELS = 8  # shades of each sign
UPPER_HALF = "▀"
NO_COLOR_GLYPHS = np.array(list("=-  +#"))  # strong -, weak -, ~0, ~0, weak +, strong +
NO_COLOR_LEGEND = "+ # positive, - = negative"


def levels(values: np.ndarray) -> np.ndarray:
    """Values from -1 to 1 to shade numbers from 0 (-1) through LEVELS (0) to 2 * LEVELS (1)."""
    return np.rint(np.clip(np.nan_to_num(values), -1, 1) * LEVELS).astype(np.int64) + LEVELS


class HeatPainter:
    """Styles for a widget's heat maps and markers, made once per theme and kept."""

    def __init__(self, widget):
        self.widget = widget
        app = widget.app
        self.no_color = app.no_color
        self.base = widget.background_colors[1]
        self.pos, self.neg = theme_color(app, "primary"), theme_color(app, "error")
        self._shades = [self._shade(q) for q in range(2 * LEVELS + 1)]
        self._cache: dict = {}

    def _shade(self, level: int) -> Color:
        q = level - LEVELS
        return self.base.blend(self.pos if q > 0 else self.neg, 0.9 * abs(q) / LEVELS)

    def cells(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(glyphs, keys) of a (2h, w) map: h rows of w cells; keys for :meth:`style`."""
        q = levels(values)
        up, down = q[0::2], q[1::2]
        if self.no_color:
            mean = (up + down - 2 * LEVELS) / (2 * LEVELS)  # -1 to 1
            idx = np.select([mean <= -0.6, mean <= -0.2, mean < 0.2, mean < 0.6], [0, 1, 2, 4], 5)
            return NO_COLOR_GLYPHS[idx], np.zeros(up.shape, np.int64)
        return np.full(up.shape, UPPER_HALF, dtype="<U1"), 1 + up * (2 * LEVELS + 1) + down

    def style(self, key: int) -> Style:
        """The style of a heat cell key (0: plain)."""
        key = int(key)
        style = self._cache.get(key)
        if style is None:
            if key <= 0 or self.no_color:
                style = Style()
            else:
                up, down = divmod(key - 1, 2 * LEVELS + 1)
                style = Style(color=self._shades[up].rich_color, bgcolor=self._shades[down].rich_color)
            self._cache[key] = style
        return style

    def class_styles(self, n_classes: int) -> list[Style]:
        colors = class_palette(self.widget.app, max(1, n_classes))
        return [Style(color=(self.base + c).rich_color, bold=True) for c in colors]


def class_markers(y_train: np.ndarray, y_val: np.ndarray, n_classes: int, task: str) -> tuple[np.ndarray, np.ndarray]:
    """(marker, class) of every training then validation sample: a shape per class, filled for
    training and hollow for validation (regression: one class)."""
    if task == "regression":
        classes = np.zeros(len(y_train) + len(y_val), np.int64)
    else:
        classes = np.concatenate([np.asarray(y_train).reshape(-1), np.asarray(y_val).reshape(-1)]).astype(np.int64)
    val = np.r_[np.zeros(len(y_train), bool), np.ones(len(y_val), bool)]
    table = {(c, v): marker(int(c), n_classes, bool(v)) for c in np.unique(classes) for v in (False, True)}
    markers = np.array([table[(c, v)] for c, v in zip(classes.tolist(), val.tolist())], dtype="<U1")
    return markers, classes


def cell_of(P: np.ndarray, lo, hi, w: int, h: int) -> tuple[np.ndarray, np.ndarray]:
    """Character cell (column, row) of each 2-D point; row 0 is the top (outside: the edge)."""
    span = np.where(np.asarray(hi) - np.asarray(lo) > 0, np.asarray(hi) - np.asarray(lo), 1.0)
    P = np.nan_to_num(np.asarray(P, np.float64))
    cx = np.clip(((P[:, 0] - lo[0]) / span[0] * w).astype(np.int64), 0, w - 1)
    cy = np.clip(((hi[1] - P[:, 1]) / span[1] * h).astype(np.int64), 0, h - 1)
    return cx, cy


def to_strips(chars: np.ndarray, keys: np.ndarray, style_of, base: Style) -> list[Strip]:
    """Rows of one-character cells into Strips, one segment per run of equal ``keys``; each
    key's style (``base`` plus ``style_of(key)``) is made once per call."""
    h, w = chars.shape
    styles: dict = {}
    out = []
    for r in range(h):
        line = "".join(chars[r].tolist())
        k = keys[r]
        cuts = (np.flatnonzero(k[1:] != k[:-1]) + 1).tolist()
        starts, ends = [0, *cuts], [*cuts, w]
        segments = []
        for a, b, key in zip(starts, ends, k[starts].tolist()):
            style = styles.get(key)
            if style is None:
                style = styles[key] = base + style_of(key)
            segments.append(Segment(line[a:b], style))
        out.append(Strip(segments, w))
    return out
