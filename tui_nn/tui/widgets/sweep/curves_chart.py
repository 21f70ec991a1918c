"""The sweep dashboard's chart of one configuration's curves, drawn like the training
dashboard's (a NumPy braille canvas, :mod:`tui_nn.tui.widgets.chart`)."""

from __future__ import annotations

import math

import numpy as np
from textual.content import Content

from ...colors import theme_color
from ...numbers import num
from ...plotting import finite, nice_ticks
from ..chart import POINTS, SOLID, Chart, Line, Plot


class CurvesChart(Chart):
    """Training and validation values of one configuration per evaluation (by epoch): the
    training curve solid, the validation values as points, so the two differ without colour."""

    def __init__(self, title: str, train_key: str, val_key: str, unit_range: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.title, self.train_key, self.val_key, self.unit_range = title, train_key, val_key, unit_range
        self.history: list[dict] = []
        self.label = ""

    def on_mount(self) -> None:
        super().on_mount()
        self.border_title = self.title

    def show(self, history: list[dict], label: str) -> None:
        self.history, self.label = history, label
        super().show(history)

    def plot(self, history: list[dict]) -> Plot:
        app = self.app
        epochs = np.array([p["epoch"] for p in history], float)
        lines, last, ys = [], [], []
        for key, name, color, kind in ((self.train_key, "train", "primary", SOLID),
                                       (self.val_key, "val", "warning", POINTS)):
            values = [math.nan if p.get(key) is None else p[key] for p in history]
            x, y = finite(epochs, values)
            if len(y):
                lines.append(Line(x, y, theme_color(app, color), name, kind, "•"))
                last.append(f"{name} {num(y[-1])}")
                ys.append(y)
        self.border_title = " · ".join([self.title, *last])
        self.border_subtitle = Content(self.label)  # plain text: a configuration may print [16, 8]
        right = max(float(epochs[-1]) if len(epochs) else 1.0, 1.0)
        if self.unit_range:
            low = min([0.0] + [float(np.min(y)) for y in ys])  # R² can go below 0
            y_range = (max(-1.0, low), 1.0)
        elif ys:
            top, bottom = max(float(np.max(y)) for y in ys), min(float(np.min(y)) for y in ys)
            pad = (top - bottom) * 0.05 or abs(top) * 0.05 or 0.05
            y_range = (max(bottom - pad, 0.0) if bottom >= 0 else bottom - pad, top + pad)  # a loss: not below 0
        else:
            y_range = (0.0, 1.0)
        return Plot(lines, (0, right), y_range, nice_ticks(right), empty="no evaluation yet")
