"""One line (two on narrow terminals) with the state of the run."""

from __future__ import annotations

import math

from rich.text import Text
from textual.widgets import Static

from ..numbers import clock, count, epochs, num, speed
from ..state import RunView

# Dropped first (then the next) when the bar would not fit on one line of a wide terminal.
DROP_ORDER = ("precision", "seed", "data", "clock", "it/s")
TWO_LINES_BELOW = 100  # columns: narrower terminals get two lines rather than fewer fields

STATE_LABELS = {"running": " RUNNING ", "paused": " PAUSED ", "finished": " FINISHED ",
                "diverged": " DIVERGED ", "failed": " FAILED ", "ready": " READY "}


class StatusBar(Static):
    """State, iteration, epoch, loss, best loss, accuracy, validation accuracy, iterations per
    second (measured; "—" while not running), elapsed running time, dataset, seed (and the data's
    seed where it differs), the arithmetic (book or fast precision) and the speed setting. The state badge takes its colours from the ``status-bar--<state>`` component class."""

    COMPONENT_CLASSES = {f"status-bar--{state}" for state in STATE_LABELS} | {"status-bar--label"}

    def show(self, view: RunView) -> None:
        self._view = view
        badge = self.get_component_rich_style(f"status-bar--{view.state}", partial=True)
        label_style = self.get_component_rich_style("status-bar--label", partial=True)
        gradient = view.optimizer_kind == "gradient"
        batched = gradient and view.config.batch_size not in (None, 0) and view.config.batch_size < view.n_train
        stopped = view.state == "finished" and view.stop_reason
        fields = [
            ("why", "", "early stop" if stopped else None),  # the log says why
            ("it", "done", f"{count(view.iteration)}/{count(view.limit)}"),  # steps done: the next is iteration N
            ("epoch", "epoch", epochs(view.epoch) if gradient else None),
            # A mini-batch's loss can be below the best full-data loss: the labels say which is which.
            ("loss", "batch loss" if batched else "loss", num(view.train_loss)),
            ("best", "best (full)" if batched else "best",
             # Before the first step nothing has been compared yet (the book starts from "no best").
             num(view.best_loss) if math.isfinite(view.best_loss) or view.iteration else "none yet"),
            ("acc", view.metric, num(view.train_accuracy)),
            ("val", "val", num(view.val_accuracy) if view.n_val else None),
            ("it/s", "it/s", count(view.its_per_sec) if view.state == "running" and view.its_per_sec else "—"),
            ("clock", "", clock(view.elapsed_now())),
            ("speed", "speed", speed(view.speed)),
            ("data", "", view.dataset_name),
            ("precision", "", f"{view.precision} precision"),
            ("seed", "seed", str(view.seed) if view.data_seed in (None, view.seed)
             else f"{view.seed} data {view.data_seed}"),
        ]
        if view.replay_status is not None:  # a replay: no speed or clock; its cursor, branch and length
            fields = fields[:1] + view.replay_status + [f for f in fields[2:] if f[0] not in ("it/s", "clock", "speed")]
        fields = [f for f in fields if f[2] is not None]
        width = self.content_region.width or self.app.size.width
        if width >= TWO_LINES_BELOW:
            for name in DROP_ORDER:
                if self._length(view, fields) <= width:
                    break
                fields = [f for f in fields if f[0] != name]
        t = Text(no_wrap=False, overflow="fold")
        t.append(STATE_LABELS.get(view.state, view.state), badge)
        for _name, label, value in fields:
            t.append("  ")
            if label:
                t.append(label + " ", label_style)
            t.append(value, "bold")
        self._text = t
        self._fit()
        self.update(t, layout=False)  # the height only changes with _fit: no relayout per update

    @staticmethod
    def _length(view: RunView, fields) -> int:
        return len(STATE_LABELS.get(view.state, view.state)) + sum(
            2 + (len(label) + 1 if label else 0) + len(value) for _n, label, value in fields)

    def on_resize(self) -> None:
        if getattr(self, "_view", None) is not None:
            self.show(self._view)

    def _fit(self) -> None:
        """One line, or two when the text does not fit (the ``-two-lines`` class)."""
        width = self.content_region.width
        text = getattr(self, "_text", None)
        if width and text is not None:
            self.set_class(text.cell_len > width, "-two-lines")
