"""The race's loss chart: every contender's loss curve on one pair of axes."""

from __future__ import annotations

import numpy as np

from ..colors import class_palette
from ..plotting import finite, nice_ticks, rebucket
from ..state import RunView
from .chart import POINTS, SOLID, Chart, Line, Plot

LABELS_PER_CURVE = 4  # the contender's number is written this many times along its curve


class RaceChart(Chart):
    """One curve per contender, each in a colour of its own and labelled: the legend names
    every contender after its number, and the number is written along its curve (so the curves
    stay apart without colour, under NO_COLOR). A search's curve is its best loss so far (the
    weights it keeps); a gradient optimizer's is the loss of each step (the lowest per column)."""

    def __init__(self, labels: list[str], **kwargs):
        super().__init__(**kwargs)
        self.labels = labels
        self.views: list[RunView] = []

    def on_mount(self) -> None:
        super().on_mount()
        self.border_title = "Loss · every contender"

    def show_all(self, views: list[RunView]) -> None:
        self.views = views
        self.show(views[0] if views else None)

    def plot(self, view) -> Plot:
        colors = class_palette(self.app, len(self.views))
        columns = max(8, self.size.width - 8) * 2  # braille: two dots per cell
        lines: list[Line] = []
        ys: list[np.ndarray] = []
        right = 1.0
        for k, (v, color) in enumerate(zip(self.views, colors)):
            it, lo, hi, _last = v.losses.arrays()
            if v.optimizer_kind != "gradient" and lo.size:
                lo = np.fmin.accumulate(lo)
            it, lo, _ = rebucket(it, lo, lo, columns)
            x, y = finite(it, lo)
            right = max(right, float(v.iteration))  # the furthest contender, not the budget: the curves fill the chart
            lines.append(Line(x, y, color, "", SOLID))
            marks = _spread(len(x), LABELS_PER_CURVE, k)
            lines.append(Line(x[marks], y[marks], color, f"{self.labels[k]}", POINTS, str(k + 1), bold=True))
            ys.append(y)
        ys = [y for y in ys if len(y)]
        if ys:
            low = min(float(np.min(y)) for y in ys)
            high = max(float(np.max(y)) for y in ys)
        else:
            low, high = 0.0, 1.0
        pad = (high - low) * 0.05 or 0.05
        return Plot(lines, (0.0, right), (low - pad, high + pad), nice_ticks(right),
                    empty="waiting for the contenders")


def _spread(n: int, count: int, k: int) -> np.ndarray:
    """Where along a curve of ``n`` points its number goes: ``count`` places, offset per
    contender ``k`` so two curves that run together do not put their numbers in one cell."""
    if n == 0:
        return np.zeros(0, int)
    places = (np.arange(count) + 0.5 + 0.15 * (k % 4)) / count
    return np.unique(np.minimum((places * n).astype(int), n - 1))
