"""The accuracy chart: training and validation accuracy (R² for regression) at each evaluation."""

from __future__ import annotations

import numpy as np

from ..colors import theme_color
from ..numbers import num
from ..plotting import finite, nice_ticks
from ..state import RunView
from .chart import SOLID, SPARSE, Chart, Line, Plot


class AccuracyChart(Chart):
    """Full-data accuracy of the current weights on the training and validation sets, measured
    at every evaluation (every 1% of the run, or every epoch for mini-batches). Regression
    shows R² instead (1 is a perfect fit; the axis stops at -1)."""

    def on_mount(self) -> None:
        super().on_mount()
        self.border_title = "Accuracy"

    def plot(self, view: RunView) -> Plot:
        app = self.app
        regression = view.task == "regression"
        name = "R²" if regression else "Accuracy"
        it = np.array([e.iteration for e in view.evaluations], float)
        train = np.array([np.nan if e.train_accuracy is None else e.train_accuracy for e in view.evaluations])
        val = np.array([np.nan if e.val_accuracy is None else e.val_accuracy for e in view.evaluations])
        lines, lows = [], []
        for values, label, color, kind in ((train, "train", "primary", SOLID), (val, "val", "warning", SPARSE)):
            x, y = finite(it, values)
            if len(y):
                lines.append(Line(x, y, theme_color(app, color), label, kind))
                lows.append(float(np.min(y)))
        right = max(view.iteration, view.span, 1)
        y_range = (max(-1.0, min(lows + [0.0])), 1.0) if regression else (0.0, 1.0)
        parts = [name]
        if view.train_accuracy is not None:
            parts.append(f"train {num(view.train_accuracy)}")
        if view.val_accuracy is not None:
            parts.append(f"val {num(view.val_accuracy)}")
        self.border_title = " · ".join(parts)
        return Plot(lines, (0, right), y_range, nice_ticks(right), empty="waiting for the first evaluation",
                    markers=view.marks)
