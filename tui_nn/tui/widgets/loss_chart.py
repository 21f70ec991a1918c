"""The loss chart: every iteration's loss (as min/max bands), validation loss, best, switches."""

from __future__ import annotations

import numpy as np
from textual.reactive import reactive
from textual_plotext import PlotextPlot

from ..colors import rgb, theme_color
from ..plotting import finite, nice_ticks, positive, rebucket
from ..state import RunView


class LossChart(PlotextPlot):
    """Training loss per iteration, decimated so spikes stay visible: for each group of
    iterations the lowest loss (the solid line) and the highest (the faint line above it).
    Validation loss at each evaluation, the current weights' loss, the best loss so far, and a
    vertical marker named after the optimizer wherever the optimizer was switched."""

    log_scale: reactive[bool] = reactive(False)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.view: RunView | None = None

    def on_mount(self) -> None:
        super().on_mount()
        self.border_title = "Loss"
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.replot())

    def watch_log_scale(self) -> None:
        self.border_subtitle = "log scale (l)" if self.log_scale else "linear (l: log)"
        self.replot()

    def show(self, view: RunView) -> None:
        self.view = view
        self.replot()

    def on_resize(self) -> None:
        # The iterations are grouped by the chart's width: group them again for the new one
        # (a chart first drawn before the layout settled kept the buckets of the wrong width).
        self.replot()

    def replot(self) -> None:
        plt = self.plt
        plt.clear_figure()
        view = self.view
        if view is None or not self.is_mounted:
            return
        app = self.app
        primary = theme_color(app, "primary")
        muted = primary.blend(theme_color(app, "surface"), 0.55)
        val_color = theme_color(app, "warning")
        best_color = theme_color(app, "success")
        mark_color = theme_color(app, "foreground-muted", "#999999")
        keep = positive if self.log_scale else finite

        it, lo, hi, _last = view.losses.arrays()
        width = max(8, self.size.width - 10) * 2  # braille: two dots per cell
        it, lo, hi = rebucket(it, lo, hi, width)
        ys: list[np.ndarray] = []
        hx, hy = keep(it, hi)
        lx, ly = keep(it, lo)
        if len(hy) and not np.array_equal(hy, ly):
            plt.plot(hx.tolist(), hy.tolist(), marker="braille", color=rgb(muted), label="max")
            ys.append(hy)
        if len(ly):
            plt.plot(lx.tolist(), ly.tolist(), marker="braille", color=rgb(primary),
                     label="train" if np.array_equal(hy, ly) else "min")
            ys.append(ly)
        ev_it = np.array([e.iteration for e in view.evaluations], float)
        val = np.array([np.nan if e.val_loss is None else e.val_loss for e in view.evaluations], float)
        vx, vy = keep(ev_it, val)
        if len(vy):
            plt.plot(vx.tolist(), vy.tolist(), marker="•", color=rgb(val_color), label="val")
            ys.append(vy)
        if view.train_loss is not None:
            cx, cy = keep([view.iteration], [view.train_loss])
            if len(cy):
                plt.scatter(cx.tolist(), cy.tolist(), marker="◆", color=rgb(theme_color(app, "accent")), label="now")
                ys.append(cy)
        if np.isfinite(view.best_loss) and (view.best_loss > 0 or not self.log_scale):
            plt.horizontal_line(view.best_loss, color=rgb(best_color))
            ys.append(np.array([view.best_loss]))
        if not ys:
            plt.text("waiting for the first iteration", 0, 0, color=rgb(mark_color))
            plt.xticks([])
            plt.yticks([])
            self.refresh()
            return
        top = max(float(np.max(y)) for y in ys)
        bottom = min(float(np.min(y)) for y in ys)
        right = max(view.iteration, 1)
        plt.xlim(0, right)
        plt.xticks(*nice_ticks(right))
        if self.log_scale:
            plt.yscale("log")
        else:
            pad = (top - bottom) * 0.05 or abs(top) * 0.05 or 0.05
            plt.ylim(bottom - pad, top + pad)
        if self.log_scale:
            low, high = np.log10(max(bottom, 1e-300)), np.log10(max(top, 1e-300))
        else:
            low, high = bottom - pad, top + pad
        for at, name, column, row, align in place_switch_labels(
                view.switches[1:], right, self.size.width - 10, self.size.height - 4, len(ys)):
            plt.vertical_line(at, color=rgb(mark_color))
            if row is None:
                continue  # no room for its name
            y = high - (high - low) * row / max(1, self.size.height - 5)
            plt.text(name, at, 10 ** y if self.log_scale else y, color=rgb(mark_color), alignment=align)
        best = f"best {view.best_loss:.4g}" if np.isfinite(view.best_loss) else ""
        self.border_title = f"Loss · {best}" if best else "Loss"
        self.refresh()


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
        if column + len(name) > columns:
            span, align = (column - len(name) + 1, column + 1), "right"
        else:
            span, align = (column, column + len(name)), "left"
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
