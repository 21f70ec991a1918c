"""The loss chart: every iteration's loss (decimated by min/max), validation loss, best, switches."""

from __future__ import annotations

import numpy as np
from textual.reactive import reactive

from ..colors import theme_color
from ..numbers import num
from ..plotting import finite, nice_ticks, positive, rebucket
from ..state import RunView
from .chart import POINTS, RULE, SOLID, SPARSE, Chart, Line, Plot


OVERLAY_COLORS = ("error", "secondary", "accent", "warning")  # other branches of a replayed run, in turn


class LossChart(Chart):
    """Training loss per iteration, decimated so spikes stay visible: for each column of dots
    the lowest loss (the solid line) and the highest (the faint line above it).

    - Gradient runs: the training loss of each step (of its mini-batch, when batched), the
      validation loss at each evaluation, the current weights' full-data loss and the best
      full-data loss so far (a rule across the chart).
    - Derivative-free searches: every candidate's loss, faint (most are rejected), and the best
      loss so far, prominent: the weights the search keeps.

    A vertical dotted marker named after the optimizer wherever the optimizer was switched."""

    log_scale: reactive[bool] = reactive(False)

    def on_mount(self) -> None:
        super().on_mount()
        self.border_title = "Loss"

    def watch_log_scale(self) -> None:
        self.border_subtitle = "log scale (l)" if self.log_scale else "linear (l: log)"
        self.replot()

    def plot(self, view: RunView) -> Plot:
        app = self.app
        primary = theme_color(app, "primary")
        faint = primary.blend(theme_color(app, "surface"), 0.55)
        keep = positive if self.log_scale else finite
        it, lo, hi, _last = view.losses.arrays()
        columns = max(8, self.size.width - 8) * 2  # braille: two dots per cell
        search = view.optimizer_kind != "gradient"
        lines: list[Line] = []
        ys: list[np.ndarray] = []
        if search:
            best_so_far = np.fmin.accumulate(lo) if lo.size else lo
            it, lo, hi = rebucket(it, lo, hi, columns)
            best_it, best_lo, _ = rebucket(view.losses.arrays()[0], best_so_far, best_so_far, columns)
            hx, hy = keep(it, hi)
            lines.append(Line(hx, hy, faint, "candidates", SPARSE))
            bx, by = keep(best_it, best_lo)
            lines.append(Line(bx, by, theme_color(app, "success"), "best so far", SOLID, bold=True))
            ys += [hy, by]
        else:
            it, lo, hi = rebucket(it, lo, hi, columns)
            batched = view.config.batch_size not in (None, 0) and view.config.batch_size < view.n_train
            hx, hy = keep(it, hi)
            lx, ly = keep(it, lo)
            if len(hy) and not np.array_equal(hy, ly):
                lines.append(Line(hx, hy, faint, "highest", SPARSE))
                ys.append(hy)
            lines.append(Line(lx, ly, primary, "batch loss" if batched else "train loss", SOLID))
            ys.append(ly)
        for k, (name, bx, by) in enumerate(view.overlays):  # replay: the run's other branches, labelled
            ox, oy = keep(bx, by)
            lines.append(Line(ox, oy, theme_color(app, OVERLAY_COLORS[k % len(OVERLAY_COLORS)]), name, SOLID))
            ys.append(oy)
        ev_it = np.array([e.iteration for e in view.evaluations], float)
        val = np.array([np.nan if e.val_loss is None else e.val_loss for e in view.evaluations], float)
        vx, vy = keep(ev_it, val)
        if len(vy):
            lines.append(Line(vx, vy, theme_color(app, "warning"), "val", POINTS, "•"))
            ys.append(vy)
        if not search and np.isfinite(view.best_loss) and (view.best_loss > 0 or not self.log_scale):
            lines.append(Line(np.array([0.0]), np.array([view.best_loss]), theme_color(app, "success"),
                              "best (full data)", RULE))
            ys.append(np.array([view.best_loss]))
        if view.train_loss is not None:
            cx, cy = keep([view.iteration], [view.train_loss])
            if len(cy):
                lines.append(Line(cx, cy, theme_color(app, "accent"), "now", POINTS, "◆"))
                ys.append(cy)
        best = f"best {num(view.best_loss)}" if np.isfinite(view.best_loss) else ""
        self.border_title = f"Loss · {best}" if best else "Loss"
        right = max(view.iteration, view.span, 1)
        ys = [y for y in ys if len(y)]
        if not ys:
            return Plot([], (0, right), (0, 1), nice_ticks(right), empty="waiting for the first iteration")
        top = max(float(np.max(y)) for y in ys)
        bottom = min(float(np.min(y)) for y in ys)
        if self.log_scale:
            y_range = (bottom, top)
        else:
            pad = (top - bottom) * 0.05 or abs(top) * 0.05 or 0.05
            # A loss is never negative: the axis stops at 0 rather than tick -0.08.
            y_range = (max(bottom - pad, 0.0) if bottom >= 0 else bottom - pad, top + pad)
        return Plot(lines, (0, right), y_range, nice_ticks(right), log_y=self.log_scale,
                    markers=[(at, name) for at, name in view.switches[1:]] + view.marks)
