"""The accuracy chart: training and validation accuracy (R² for regression) at each evaluation."""

from __future__ import annotations

import numpy as np
from textual_plotext import PlotextPlot

from ..colors import rgb, theme_color
from ..plotting import finite, nice_ticks
from ..state import RunView


class AccuracyChart(PlotextPlot):
    """Full-data accuracy of the current weights on the training and validation sets, measured
    at every evaluation (every 1% of the run, or every epoch for mini-batches). Regression
    shows R² instead (1 is a perfect fit; the axis stops at -1)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.view: RunView | None = None

    def on_mount(self) -> None:
        super().on_mount()
        self.border_title = "Accuracy"
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.replot())

    def show(self, view: RunView) -> None:
        self.view = view
        self.replot()

    def replot(self) -> None:
        plt = self.plt
        plt.clear_figure()
        view = self.view
        if view is None or not self.is_mounted:
            return
        app = self.app
        regression = view.task == "regression"
        name = "R²" if regression else "Accuracy"
        it = np.array([e.iteration for e in view.evaluations], float)
        train = np.array([np.nan if e.train_accuracy is None else e.train_accuracy for e in view.evaluations])
        val = np.array([np.nan if e.val_accuracy is None else e.val_accuracy for e in view.evaluations])
        lows = []
        for values, label, color, mark in ((train, "train", "primary", "braille"), (val, "val", "warning", "•")):
            x, y = finite(it, values)
            if len(y):
                plt.plot(x.tolist(), y.tolist(), marker=mark, color=rgb(theme_color(app, color)), label=label)
                lows.append(float(np.min(y)))
        plt.xlim(0, max(view.iteration, 1))
        plt.xticks(*nice_ticks(max(view.iteration, 1)))
        if regression:
            plt.ylim(max(-1.0, min(lows + [0.0])), 1.0)
        else:
            plt.ylim(0.0, 1.0)
        parts = [name]
        if view.train_accuracy is not None:
            parts.append(f"train {view.train_accuracy:.4g}")
        if view.val_accuracy is not None:
            parts.append(f"val {view.val_accuracy:.4g}")
        self.border_title = " · ".join(parts)
        self.refresh()
