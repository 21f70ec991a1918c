"""The sweep dashboard's chart of one configuration's curves."""

from __future__ import annotations

import math

from textual_plotext import PlotextPlot

from ...colors import rgb, theme_color
from ...numbers import num
from ...plotting import finite


class CurvesChart(PlotextPlot):
    """Training and validation values of one configuration per evaluation (by epoch)."""

    def __init__(self, title: str, train_key: str, val_key: str, unit_range: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.title, self.train_key, self.val_key, self.unit_range = title, train_key, val_key, unit_range
        self.history: list[dict] = []
        self.label = ""

    def on_mount(self) -> None:
        super().on_mount()
        self.border_title = self.title
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.replot())

    def show(self, history: list[dict], label: str) -> None:
        self.history, self.label = history, label
        self.replot()

    def replot(self) -> None:
        plt = self.plt
        plt.clear_figure()
        if not self.is_mounted:
            return
        epochs = [p["epoch"] for p in self.history]
        last = []
        for key, name, color, mark in ((self.train_key, "train", "primary", "braille"),
                                       (self.val_key, "val", "warning", "braille")):
            values = [math.nan if p.get(key) is None else p[key] for p in self.history]
            x, y = finite(epochs, values)
            if len(y):
                plt.plot(x.tolist(), y.tolist(), marker=mark, color=rgb(theme_color(self.app, color)), label=name)
                last.append(f"{name} {num(y[-1])}")
        if self.unit_range:
            plt.ylim(0.0, 1.0)
        plt.xlabel("epoch")
        self.border_title = " · ".join([self.title, *last])
        self.border_subtitle = self.label
        self.refresh()
