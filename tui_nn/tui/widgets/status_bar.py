"""One line (two on narrow terminals) with the state of the run."""

from __future__ import annotations

import math

from rich.text import Text
from textual.widgets import Static

from ..state import RunView

STATE_LABELS = {"running": " RUNNING ", "paused": " PAUSED ", "finished": " FINISHED ",
                "diverged": " DIVERGED ", "failed": " FAILED ", "ready": " READY "}


def format_speed(speed: float | None) -> str:
    if speed is None:
        return "max"
    return f"{speed:,.0f}/s" if speed >= 10 else f"{speed:g}/s"


def format_elapsed(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _num(v: float | None, fmt: str = ".4f") -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "—"
    return format(v, fmt)


class StatusBar(Static):
    """State, iteration, epoch, loss, best loss, accuracy, validation accuracy, iterations per
    second (measured; "—" while not running), elapsed running time, dataset, seed (and the data's
    seed where it differs) and the speed setting. The state badge takes its colours from the ``status-bar--<state>`` component class."""

    COMPONENT_CLASSES = {f"status-bar--{state}" for state in STATE_LABELS} | {"status-bar--label"}

    def show(self, view: RunView) -> None:
        t = Text(no_wrap=False, overflow="fold")
        badge = self.get_component_rich_style(f"status-bar--{view.state}", partial=True)
        label_style = self.get_component_rich_style("status-bar--label", partial=True)
        t.append(STATE_LABELS.get(view.state, view.state), badge)
        fields = [
            ("it", f"{view.iteration:,}/{view.limit:,}"),
            ("epoch", f"{view.epoch:.4g}" if view.optimizer_kind == "gradient" else None),
            ("loss", _num(view.train_loss)),
            # Before the first step nothing has been compared yet (the book starts from "no best").
            ("best", _num(view.best_loss) if math.isfinite(view.best_loss) or view.iteration else "none yet"),
            (view.metric, _num(view.train_accuracy, ".4g")),
            ("val", _num(view.val_accuracy, ".4g") if view.n_val else None),
            ("it/s", f"{view.its_per_sec:,.0f}" if view.state == "running" and view.its_per_sec else "—"),
            ("", format_elapsed(view.elapsed_now())),
            ("speed", format_speed(view.speed)),
            ("", view.dataset_name),
            ("seed", str(view.seed) if view.data_seed in (None, view.seed) else f"{view.seed} data {view.data_seed}"),
        ]
        for label, value in fields:
            if value is None:
                continue
            t.append("  " if label != "seed" else " ")
            if label:
                t.append(label + " ", label_style)
            t.append(value, "bold")
        self._text = t
        self._fit()
        self.update(t, layout=False)  # the height only changes with _fit: no relayout per update

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        """One line, or two when the text does not fit (the ``-two-lines`` class)."""
        width = self.content_region.width
        text = getattr(self, "_text", None)
        if width and text is not None:
            self.set_class(text.cell_len > width, "-two-lines")
