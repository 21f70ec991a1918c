"""The base of the live charts: axes, ticks, a legend in words and series drawn on a
:class:`~tui_nn.tui.canvas.Canvas` (one redraw is a few milliseconds, see canvas.py).

A subclass builds a :class:`Plot` from the run and calls :meth:`Chart.draw`; the rows are kept
and handed to Textual line by line (``render_line``), so an unchanged chart costs nothing.
Every series differs by its glyph as well as its colour (solid braille, sparse braille,
points, a line of ``─``), so the charts read the same under ``NO_COLOR``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from rich.style import Style
from textual.color import Color
from textual.strip import Strip

from ..canvas import Canvas, nice_steps
from ..numbers import fmt_tick
from .strips import StripPanel

SOLID, SPARSE, POINTS, RULE = "solid", "sparse", "points", "rule"
LEGEND_ROW_FROM = 6  # rows of plot: from here on the legend has a row of its own
LEGEND_GLYPH = {SOLID: "⣿", SPARSE: "⡁", RULE: "─"}


@dataclass
class Line:
    x: np.ndarray
    y: np.ndarray
    color: Color
    label: str
    kind: str = SOLID  # SOLID or SPARSE braille, POINTS (``glyph`` at each point), RULE (y[0] across)
    glyph: str = "•"
    bold: bool = False


@dataclass
class Plot:
    lines: list[Line]
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    x_ticks: tuple[list[float], list[str]]
    log_y: bool = False
    markers: list[tuple[float, str]] = field(default_factory=list)  # vertical markers: (x, name)
    empty: str = ""  # shown when there is nothing to draw


class Chart(StripPanel):
    """A chart drawn from a :class:`Plot`. See the module docstring."""

    DEFAULT_CSS = "Chart { height: 1fr; }"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._strips: list[Strip] = []
        self.view = None

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.replot())

    def redraw(self) -> None:  # on every resize (StripPanel)
        self.replot()

    def show(self, view) -> None:
        self.view = view
        self.replot()

    def replot(self) -> None:
        if self.view is None or not self.is_mounted:
            return
        self.draw(self.plot(self.view))

    def plot(self, view) -> Plot:  # pragma: no cover - each chart has its own
        raise NotImplementedError

    # -- drawing -----------------------------------------------------------------------------------
    def draw(self, plot: Plot) -> None:
        w, h = self.size.width, self.size.height
        self._strips = self.strips(plot, w, h)
        self.refresh()

    def _muted(self) -> Color:
        vars_ = self.app.theme_variables
        try:
            return Color.parse(vars_.get("foreground-muted") or vars_.get("text-muted") or "#999999")
        except Exception:  # noqa: BLE001 - a variable that is not a plain colour
            return Color.parse("#999999")

    def strips(self, plot: Plot, w: int, h: int) -> list[Strip]:
        base = self.rich_style
        bg = self.background_colors[1]
        muted = Style(color=(bg + self._muted()).rich_color)
        if w < 8 or h < 3:
            return []
        y0, y1 = plot.y_range
        tf = (lambda v: np.log10(np.maximum(v, 1e-300))) if plot.log_y else (lambda v: np.asarray(v, float))
        ty0, ty1 = float(tf(y0)), float(tf(y1))
        if not ty1 > ty0:
            ty0, ty1 = ty0 - 0.5, ty1 + 0.5
        if plot.log_y:
            ticks = [10.0 ** k for k in range(math.ceil(ty0 - 1e-9), math.floor(ty1 + 1e-9) + 1)] or [y0, y1]
        else:
            ticks = nice_steps(ty0, ty1, max(3, min(5, h // 3)))
        labels = [fmt_tick(t, ticks) for t in ticks]
        gutter = max((len(s) for s in labels), default=1) + 1
        cols, rows = w - gutter, h - 1
        # The legend gets the top row to itself when there is room (so it never hides the
        # first points), else it shares the top or the bottom row with the series.
        apart = rows >= LEGEND_ROW_FROM and any(line.label for line in plot.lines)
        canvas = Canvas(cols, rows)
        layers = [base, base + muted, base + muted]  # 0 empty, 1 axis and labels, 2 marker names
        W, H = canvas.width, canvas.height
        top_dot = 4 if apart else 0  # the series' first row of dots
        x0, x1 = plot.x_range
        span = (x1 - x0) or 1.0

        def px(x):
            return (np.asarray(x, float) - x0) / span * (W - 1)

        def py(y):
            return top_dot + (ty1 - tf(y)) / (ty1 - ty0) * (H - 1 - top_dot)

        for at, _name in plot.markers:  # under the series
            ys = np.arange(top_dot, H, 2)
            canvas.dots(np.full(ys.size, round(float(px(at)))), ys, 1)
        rules = []
        for line in plot.lines:
            layers.append(base + Style(color=(bg + line.color).rich_color, bold=line.bold))
            k = len(layers) - 1
            x, y = np.asarray(line.x, float), np.asarray(line.y, float)
            ok = np.isfinite(x) & np.isfinite(y) & (y > 0 if plot.log_y else True)
            x, y = x[ok], y[ok]
            if line.kind == SOLID:
                canvas.line(px(x), py(y), k)
            elif line.kind == SPARSE:
                canvas.line(px(x), py(y), k, sparse=True)
            elif line.kind == RULE and y.size:
                rules.append((int(np.clip(py(y[0]), 0, H - 1)) // 4, k))
        for row, k in rules:  # a rule fills the empty cells of its row
            empty = canvas.bits[row] == 0
            canvas.chars[row, empty] = "─"
            canvas.text_layer[row, empty] = k
        for i, line in enumerate(plot.lines):  # points on top of every line
            if line.kind != POINTS:
                continue
            k = 3 + i
            x, y = np.asarray(line.x, float), np.asarray(line.y, float)
            ok = np.isfinite(x) & np.isfinite(y) & (y > 0 if plot.log_y else True)
            cx = np.clip(px(x[ok]) // 2, 0, cols - 1).astype(int)
            cy = np.clip(py(y[ok]) // 4, 0, rows - 1).astype(int)
            canvas.chars[cy, cx] = line.glyph
            canvas.text_layer[cy, cx] = k
        # The legend, in words, on the top or the bottom row: whichever the series cross less.
        items = [(3 + i, line.glyph if line.kind == POINTS else LEGEND_GLYPH[line.kind], line.label)
                 for i, line in enumerate(plot.lines) if line.label]
        length = sum(len(label) + 4 for _, _, label in items)
        legend_row = 0 if apart else min((0, rows - 1), key=lambda r: (
            np.count_nonzero(canvas.bits[r, :length + 1]) + np.count_nonzero(canvas.chars[r, :length + 1])))
        top = legend_row == 0
        for at, name, column, row, align in place_switch_labels(
                plot.markers, x1, cols, rows - (0 if top else 1), 1 if top else 0, length + 1):
            if row is not None:  # right of its marker, or left of it near the right edge
                canvas.text(column + 1 if align == "left" else column - len(name), row, name, 2)
        col = 1
        for k, glyph, label in items:
            if col + len(label) + 2 > cols:
                break
            canvas.text(col, legend_row, glyph, k)
            canvas.text(col + 1, legend_row, f" {label}  "[: cols - col - 1], 1)
            col += len(label) + 4
        if plot.empty and not any(len(line.x) for line in plot.lines):
            canvas.text(max(0, (cols - len(plot.empty)) // 2), rows // 2, plot.empty, 1)
        body = canvas.strips(layers)
        out = []
        label_at = {min(rows - 1, max(0, int(round(float(py(t)))) // 4)): s for t, s in zip(ticks, labels)}
        axis = base + muted
        for r in range(rows):
            label = label_at.get(r, "")
            gut = Strip([_seg(label.rjust(gutter - 1) + ("┤" if label else "│"), axis)], gutter)
            out.append(Strip.join([gut, body[r]]))
        out.append(self._x_axis(plot, gutter, cols, px, axis))
        return out

    @staticmethod
    def _x_axis(plot: Plot, gutter: int, cols: int, px, style: Style) -> Strip:
        row = [" "] * (gutter + cols)
        taken = -1
        for t, s in zip(*plot.x_ticks):
            c = gutter + int(px(t)) // 2
            start = min(max(c - len(s) // 2, gutter), gutter + cols - len(s))
            if start <= taken + 1:
                continue
            row[start:start + len(s)] = list(s)
            taken = start + len(s)
        return Strip([_seg("".join(row), style)], gutter + cols)


def place_switch_labels(switches, right: float, columns: int, rows: int, legend_rows: int,
                        legend_width: int = 10):
    """Where to write each optimizer's name next to its switch marker: ``(iteration, name,
    column, row, alignment)``. A name goes to the right of its marker, or to its left when it
    would run past the chart's right edge; on the top row when free, else on the first row below
    where it overlaps no other name and not the legend (top left); ``row`` is None when no row
    has room."""
    taken: dict[int, list[tuple[int, int]]] = {}
    out = []
    for at, name in switches:
        column = round(at / max(right, 1) * max(columns - 1, 1))
        if column + 1 + len(name) > columns:
            span, align = (column - len(name), column), "right"
        else:
            span, align = (column + 1, column + 1 + len(name)), "left"
        placed = None
        for row in range(max(rows, 1)):
            if row < legend_rows and span[0] < legend_width:
                continue
            if all(span[1] + 1 <= a or b + 1 <= span[0] for a, b in taken.get(row, [])):
                taken.setdefault(row, []).append(span)
                placed = row
                break
        out.append((at, name, column, placed, align))
    return out


def _seg(text: str, style: Style):
    from rich.segment import Segment

    return Segment(text, style)
