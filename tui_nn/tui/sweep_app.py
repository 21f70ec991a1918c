"""The sweep dashboard: a live leaderboard of a :class:`~tui_nn.sweep.Sweep` and the curves of
the selected configuration.

The sweep runs in a thread of its own. The CLI hands the app its plan and a ``start`` function
(check the data, start the workers or the Dask cluster, start the sweep's thread: seconds on a
busy machine); the app calls it in a worker thread once its first full frame is on screen, so
the leaderboard (empty, the status saying what is starting) shows at once. Tests may hand it a
ready :class:`~tui_nn.sweep.Sweep` instead. The app subscribes to the sweep's events, which
arrive as :class:`SweepApp.Update` messages, folds them into plain state, and redraws the
leaderboard at most every ``FLUSH_SECONDS`` (at once when a configuration finishes). Keys become
sweep commands: ``p`` pauses or resumes new submissions, ``c`` cancels the selected running
configuration, ``o`` leaves with ``("open", index)`` so the CLI opens the best configuration,
trained (its final weights, finished), in the training dashboard, ``q`` leaves (the CLI stops
the sweep; ``--resume`` continues it). Ctrl+C, SIGTERM and SIGHUP leave with ``("interrupt",)``
(the CLI stops the sweep and exits 130); a terminal that goes away (a dropped SSH connection)
stops the sweep from the terminal watch's thread and ends the process with 130 (see
:mod:`tui_nn.tui.stopping`): the results file keeps every finished configuration, and the same
command with ``--resume`` continues.
"""

from __future__ import annotations

import math
import threading
from typing import Callable

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
from .stopping import StopsOnSignals
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


STARTING = "starting: checking the data, starting the workers..."
STOP_SECONDS = 10.0  # a dropped terminal: how long the sweep may take to stop before the process ends


class SweepApp(StopsOnSignals, App):
    """The sweep dashboard over ``sweep``, or over ``plan`` with ``start`` (a function returning
    the running sweep, called after the first frame). See the module docstring."""

    CSS_PATH = "sweep.tcss"
    TITLE = "tui-nn sweep"
    BINDINGS = [
        Binding("p", "toggle_pause", "Pause/resume"),
        Binding("c", "cancel", "Cancel selected"),
        Binding("o", "open_best", "Open best"),
        Binding("q", "quit", "Quit"),
        Binding("ctrl+c", "interrupt", "Quit", show=False, priority=True),
    ]

    class Update(Message):
        """A sweep event, posted from the sweep's thread."""

        def __init__(self, event: sw.SweepEvent):
            super().__init__()
            self.event = event

    paused: reactive[bool] = reactive(False)

    def __init__(self, sweep: sw.Sweep | None = None, *, plan: sw.Plan | None = None,
                 start: Callable[[], sw.Sweep] | None = None):
        super().__init__()
        self.sweep = sweep  # None until ``start`` has returned it
        self.plan = sweep.plan if sweep is not None else plan
        self._start = start
        self._ended = threading.Event()  # set (in the sweep's thread) when the sweep has finished or stopped
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
        self.install_signal_handlers()  # SIGTERM and SIGHUP as Ctrl+C; a dead terminal: _hung_up
        self._timer = self.set_interval(FLUSH_SECONDS, self.flush)
        if self.sweep is not None:
            self._attach(self.sweep)
        else:
            self.flush()  # the first frame: the plan's columns, the status saying what is starting
            self.call_after_refresh(self.run_worker, self._starting, thread=True, name="start the sweep")
        table.focus()

    def _starting(self) -> None:
        """In a worker thread, after the first frame: the CLI's ``start`` (the data check, the
        workers, the sweep's thread). A failure (a bad data file) leaves with ``("error", e)``."""
        try:
            sweep = self._start()
        except Exception as e:  # noqa: BLE001 - the CLI reports it once the terminal is restored
            self.call_from_thread(self.exit, ("error", e))
            return
        self.call_from_thread(self._attach, sweep)

    def _attach(self, sweep: sw.Sweep) -> None:
        self.sweep = sweep
        sweep.subscribe(self._forward)  # first, so nothing after the snapshot is missed
        self.results, self.running = sweep.snapshot()
        self.paused = sweep.paused
        self.finished = not self.running and len(self.results) == self.total
        self._dirty = True
        self.flush()

    def on_unmount(self) -> None:
        self._timer.stop()
        self.remove_signal_handlers()
        if self.sweep is not None:
            self.sweep.unsubscribe(self._forward)

    def _forward(self, event: sw.SweepEvent) -> None:
        """Called in the sweep's thread."""
        if isinstance(event, sw.SweepFinished):
            self._ended.set()
        self.post_message(self.Update(event))

    # -- stopping from outside (stopping.StopsOnSignals) ---------------------------------------------
    def action_interrupt(self) -> None:
        """Ctrl+C, SIGTERM, SIGHUP: leave; the CLI stops the sweep and exits 130."""
        self.exit(("interrupt",))

    def _hung_up(self) -> None:
        """The terminal is gone (a dropped SSH connection): Textual can no longer draw or exit, so
        this thread (the terminal watch's) stops the sweep, waits for it to close its results
        file and its workers, and ends the process with the interrupted status. Every finished
        configuration is in the results file; ``--resume`` continues."""
        import os

        from ..exit_codes import INTERRUPTED

        sweep = self.sweep
        if sweep is not None and not self.finished:
            sweep.stop()
            self._ended.wait(STOP_SECONDS)
        os._exit(INTERRUPTED)

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
        if not self._dirty or not self.is_mounted or self._exit:
            return
        self._dirty = False
        self._draw_status()
        self._draw_table()
        self._draw_curves()

    def _draw_status(self) -> None:
        if self.sweep is None:
            self.query_one("#status", Static).update(f"0/{self.total} done · {STARTING}")
            return
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
    def _started(self) -> bool:
        if self.sweep is None:
            self.notify("The sweep is still starting.", severity="warning")
        return self.sweep is not None

    def action_toggle_pause(self) -> None:
        if not self._started():
            return
        if self.paused:
            self.sweep.resume()
        else:
            self.sweep.pause()

    def action_cancel(self) -> None:
        if not self._started():
            return
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
