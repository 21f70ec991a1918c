"""The sweep dashboard: a live leaderboard of a :class:`~tui_nn.sweep.Sweep` and the curves of
the selected configuration.

The sweep runs in a thread of its own (the CLI starts it before the app, so it keeps running
while the training dashboard is open). The app subscribes to its events, which arrive as
:class:`SweepApp.Update` messages, folds them into plain state, and redraws the leaderboard at
most every ``FLUSH_SECONDS`` (at once when a configuration finishes). Keys become sweep
commands: ``p`` pauses or resumes new submissions, ``c`` cancels the selected running
configuration, ``o`` leaves with ``("open", index)`` so the CLI opens the best configuration,
trained (its final weights, finished), in the training dashboard, ``q`` leaves (the CLI stops
the sweep; ``--resume`` continues it).
"""

from __future__ import annotations

import math

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import DataTable, Static
from textual.widgets.data_table import CellDoesNotExist

from .. import sweep as sw
from .colors import theme_color
from .numbers import epochs, num
from .widgets.footer import KeysFooter
from .widgets.sweep import CurvesChart, Leaderboard


def _cell(x: float | None, digits: int = 6) -> str:
    """A table cell: blank, not a dash, until a value comes."""
    return num(x, digits, missing="")


FLUSH_SECONDS = 0.25


def _over_seeds(summary: sw.OverSeeds, metric: str) -> str:
    """The mean ± spread of ``metric`` over a configuration's finished seeds, and how many."""
    mean, sd = summary.mean[metric], summary.spread[metric]
    if mean is None:
        return ""
    text = _cell(mean, 4) if sd is None else f"{_cell(mean, 4)} ± {_cell(sd, 2)}"
    return f"{text} ({summary.runs}/{summary.of})"


class SweepApp(App):
    """The sweep dashboard. See the module docstring."""

    CSS_PATH = "sweep.tcss"
    TITLE = "tui-nn sweep"
    BINDINGS = [
        Binding("p", "toggle_pause", "Pause/resume"),
        Binding("c", "cancel", "Cancel selected"),
        Binding("o", "open_best", "Open best"),
        Binding("q", "quit", "Quit"),
    ]

    class Update(Message):
        """A sweep event, posted from the sweep's thread."""

        def __init__(self, event: sw.SweepEvent):
            super().__init__()
            self.event = event

    paused: reactive[bool] = reactive(False)

    def __init__(self, sweep: sw.Sweep):
        super().__init__()
        self.sweep = sweep
        self.plan = sweep.plan
        self.results: dict[int, sw.Result] = {}
        self.running: dict[int, int] = {}  # index -> attempt
        self.live: dict[int, list[dict]] = {}  # index -> history so far, while it runs
        self.total = len(self.plan.configurations)
        self.finished = False
        self.selected: int | None = None
        self._placed: int | None = None  # where the last rebuild put the cursor
        self._dirty = True

    # -- layout ----------------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static(id="status")
        yield Leaderboard(id="leaderboard", cursor_type="row", zebra_stripes=True)
        with Horizontal(id="curves"):
            yield CurvesChart("Loss", "train_loss", "val_loss", id="loss", classes="panel")
            yield CurvesChart("Accuracy", "train_accuracy", "val_accuracy", unit_range=True, id="accuracy",
                              classes="panel")
        yield KeysFooter()

    def on_mount(self) -> None:
        table = self.query_one(Leaderboard)
        order = "lowest" if sw.METRICS[self.plan.metric] == "min" else "highest"
        table.border_title = f"Leaderboard: {order} {self.plan.metric} first"
        table.add_columns("", "#", *self.plan.varying, "status", "epoch", "val_loss", "val_acc", "train_loss",
                          "train_acc", "seconds")
        if self.plan.seeds:  # --seeds: each row's seed, and its configuration's mean and spread over them
            table.add_columns("seed", f"{self.plan.metric} over seeds")
        self.sweep.subscribe(self._forward)  # first, so nothing after the snapshot is missed
        self.results, self.running = self.sweep.snapshot()
        self.paused = self.sweep.paused
        self.finished = not self.running and len(self.results) == self.total
        self.set_interval(FLUSH_SECONDS, self.flush)
        self.flush()
        table.focus()

    def on_unmount(self) -> None:
        self.sweep.unsubscribe(self._forward)

    def _forward(self, event: sw.SweepEvent) -> None:
        """Called in the sweep's thread."""
        self.post_message(self.Update(event))

    # -- sweep events ------------------------------------------------------------------------------------
    def on_sweep_app_update(self, message: Update) -> None:
        e = message.event
        if isinstance(e, sw.ConfigSubmitted):
            self.running[e.index] = e.attempt
            self.live[e.index] = []
        elif isinstance(e, sw.ConfigProgress):
            if self.running.get(e.index) == e.attempt:
                self.live.setdefault(e.index, []).append(e.point)
        elif isinstance(e, sw.ConfigRetried):
            self.notify(f"#{e.index}: {e.reason}; retrying", title="Worker lost", severity="warning")
        elif isinstance(e, sw.ConfigFinished):
            self.running.pop(e.result.index, None)
            self.live.pop(e.result.index, None)
            self.results[e.result.index] = e.result
            if e.result.status == "failed":
                self.notify(f"#{e.result.index}: {e.result.error}", title="Failed", severity="error")
            self._dirty = True
            self.flush()
            return
        elif isinstance(e, sw.SweepPaused):
            self.paused = e.paused
        elif isinstance(e, sw.SweepFinished):
            self.finished = True
            self.running.clear()
            note = "stopped" if e.interrupted else "finished"
            self.notify(f"Sweep {note}: o opens the best configuration with its trained weights, q quits.",
                        title="Sweep")
        self._dirty = True

    def watch_paused(self) -> None:
        self._dirty = True

    # -- drawing -----------------------------------------------------------------------------------------
    def rows(self) -> list[tuple[int, str]]:
        """(index, state) in leaderboard order: finished by the metric, then running, then the
        failed and cancelled."""
        ranked = sw.ranking(self.results.values(), self.plan.metric)
        good = [(r.index, "done") for r in ranked if math.isfinite(r.score(self.plan.metric))]
        bad = [(r.index, "done") for r in ranked if not math.isfinite(r.score(self.plan.metric))]
        return good + [(i, "running") for i in sorted(self.running)] + bad

    def best(self) -> sw.Result | None:
        ranked = sw.ranking(self.results.values(), self.plan.metric)
        return ranked[0] if ranked and math.isfinite(ranked[0].score(self.plan.metric)) else None

    def flush(self) -> None:
        if not self._dirty or not self.is_mounted:
            return
        self._dirty = False
        self._draw_status()
        self._draw_table()
        self._draw_curves()

    def _draw_status(self) -> None:
        done = len(self.results)
        parts = [f"{done}/{self.total} done", f"{len(self.running)} running"]
        best = self.best()
        if best is not None:
            metric = self.plan.metric
            parts.append(f"best #{best.index} {metric} {num(getattr(best, metric), 6)}")
        if self.finished:
            parts.append("finished")
        elif self.paused:
            parts.append("PAUSED: no new configurations start (p resumes)")
        self.query_one("#status", Static).update(" · ".join(parts))

    def _draw_table(self) -> None:
        table = self.query_one(Leaderboard)
        best = self.best()
        rows = self.rows()
        # The row under the cursor now, not self.selected: a key press moves the cursor at once,
        # but its RowHighlighted message (which updates self.selected) may still be queued.
        cursor = self._cursor_key(table)
        if cursor is not None and cursor != self._placed:
            table.user_moved = True  # moved since the last rebuild (keys, mouse or otherwise)
        if table.user_moved or not rows:
            keep = cursor if cursor is not None else self.selected
        else:
            keep = rows[0][0]  # the best, or the first running before any has finished
        highlight = f"bold {theme_color(self, 'success').hex}"
        scrolled = table.scroll_y
        over = {s.group: s for s in sw.over_seeds(self.results.values(), self.plan)} if self.plan.seeds else {}
        table.clear()  # (which scrolls to the top)
        for index, state in rows:
            params = self.plan.configuration(index).params
            if state == "running":
                points = self.live.get(index, [])
                last = points[-1] if points else {}
                cells = ["▶", str(index), *(sw.show_value(params[k]) for k in self.plan.varying), "running",
                         epochs(last.get("epoch"), missing=""), _cell(last.get("val_loss")), _cell(last.get("val_accuracy"), 4),
                         _cell(last.get("train_loss")), _cell(last.get("train_accuracy"), 4), ""]
            else:
                r = self.results[index]
                cells = ["★" if best is not None and best.index == index else "", str(index),
                         *(sw.show_value(params[k]) for k in self.plan.varying), r.status, epochs(r.epochs, missing=""),
                         _cell(r.val_loss), _cell(r.val_accuracy, 4), _cell(r.train_loss), _cell(r.train_accuracy, 4),
                         num(r.seconds, 2)]
            if self.plan.seeds:
                c = self.plan.configuration(index)
                cells += [str(c.seed), _over_seeds(over[c.group], self.plan.metric)]
            if best is not None and best.index == index:
                cells = [Text(cell, style=highlight) for cell in cells]
            table.add_row(*cells, key=str(index))
        if table.row_count:
            try:
                row = table.get_row_index(str(keep)) if keep is not None else 0
            except Exception:  # noqa: BLE001 - the selected row is gone (a retried run): go to the top
                row = 0
            # Where the user had scrolled to, then the cursor into view if it is not (both wait
            # for the table's new size, in this order).
            table.call_after_refresh(table.scroll_to, y=scrolled, animate=False)
            table.move_cursor(row=row, animate=False)
            self.selected = self._placed = int(table.coordinate_to_cell_key((row, 0)).row_key.value)

    @staticmethod
    def _cursor_key(table: DataTable) -> int | None:
        """The configuration in the row under the table's cursor, if any."""
        if not table.row_count:
            return None
        try:
            return int(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        except CellDoesNotExist:
            return None

    def _draw_curves(self) -> None:
        index = self.selected
        if index is None:
            history, label = [], "no configuration yet"
        else:
            label = f"#{index} {sw.format_params(self.plan.configuration(index).params)}"
            if index in self.results:
                history = self.results[index].history
            else:
                history, label = self.live.get(index, []), label + " (running)"
        self.query_one("#loss", CurvesChart).show(history, label)
        self.query_one("#accuracy", CurvesChart).show(history, label)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is not None and event.row_key.value is not None:
            index = int(event.row_key.value)
            if index != self.selected:
                self.selected = index
                self._draw_curves()

    # -- actions -----------------------------------------------------------------------------------------
    def action_toggle_pause(self) -> None:
        if self.paused:
            self.sweep.resume()
        else:
            self.sweep.pause()

    def action_cancel(self) -> None:
        index = self.selected
        if index is None or index not in self.running:
            self.notify("Select a running configuration to cancel it.", severity="warning")
            return
        self.sweep.cancel(index)
        self.notify(f"Cancelling #{index}.")

    def action_open_best(self) -> None:
        best = self.best()
        if best is None:
            self.notify("No configuration has finished yet.", severity="warning")
            return
        self.exit(("open", best.index))
