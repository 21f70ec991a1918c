"""The race dashboard: every contender of a :class:`~tui_nn.race.Race` live, side by side.

The loss curves overlaid (:class:`RaceChart`), a small decision-region picture per contender
(:class:`RaceRegions`, the data panel's renderer) and a live table (:class:`RaceTable`). Keys:
space pauses or resumes every contender, ``n`` steps every one by one iteration, ``x`` drops the
contender under the table's cursor, ``o`` opens it in the full training dashboard (the CLI hands
its trainer over through a checkpoint, exactly; the race waits, paused), ``q`` ends the race.

Events come from the race's worker threads into a :class:`RaceBoard` (which outlives one
app, so the race dashboard comes back with its curves after the full dashboard closes); the
app folds them into one :class:`~tui_nn.tui.state.RunView` per contender and redraws the
changed panels every ``FLUSH_SECONDS``, or at once after a command.
"""

from __future__ import annotations

import threading

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Footer, Static

from .. import events as ev
from ..race import Race
from .numbers import count, exact
from .state import RunView
from .stopping import StopsOnSignals
from .widgets.race_chart import RaceChart
from .widgets.race_regions import RaceRegions
from .widgets.race_table import RaceTable

FLUSH_SECONDS = 0.2
QUIET = (ev.Progress, ev.Evaluation, ev.Snapshot)  # anything else redraws at once


class RaceBoard:
    """What the race dashboard knows, kept across app instances: a RunView per contender and
    the events not folded in yet (appended from the race's threads)."""

    def __init__(self, race: Race, paused: bool = False):
        self.race = race
        self.views = [RunView(t.started(), paused=paused) for t in race.trainers]
        self.labels = [c.label for c in race.contenders]
        self.opened: set[int] = set()  # handed to the full dashboard
        self._pending: list[tuple[int, list[ev.Event]]] = []
        self._lock = threading.Lock()
        self.listener = None  # called (from any thread) when events arrive
        race.on_events = self._arrived

    def _arrived(self, index: int, events: list[ev.Event]) -> None:
        with self._lock:
            first = not self._pending
            self._pending.append((index, events))
        if first and self.listener is not None:
            self.listener()

    def fold(self) -> tuple[set[int], bool]:
        """Fold the waiting events in: the contenders that changed, and whether any event
        needs drawing at once (a pause, a step, an end)."""
        with self._lock:
            pending, self._pending = self._pending, []
        changed, urgent = set(), False
        for index, events in pending:
            self.views[index].apply(events)
            changed.add(index)
            urgent = urgent or any(not isinstance(e, QUIET) for e in events)
        return changed, urgent


class RaceApp(StopsOnSignals, App):
    """The race dashboard. See the module docstring. ``run()`` returns ``("open", index)``
    when the user opens a contender, else None; ``interrupted`` says Ctrl+C or a signal ended it."""

    CSS_PATH = "race.tcss"
    TITLE = "tui-nn race"
    BINDINGS = [
        Binding("space", "toggle_pause", "Pause all"),
        Binding("n", "step", "Step all"),
        Binding("x", "drop", "Drop"),
        Binding("o", "open", "Open"),
        Binding("q", "quit_race", "Quit"),
        Binding("ctrl+c", "interrupt", "Quit", show=False, priority=True),
    ]

    class Arrived(Message):
        """Contender events are waiting in the board."""

    def __init__(self, board: RaceBoard):
        super().__init__()
        self.board = board
        self.race = board.race
        self.interrupted = False
        self._dirty: set[int] = set(range(len(board.views)))

    def compose(self) -> ComposeResult:
        yield Static(id="race-status")
        yield RaceChart(self.board.labels, id="race-chart", classes="panel")
        yield RaceRegions(self.board.labels, id="race-regions")
        yield RaceTable(id="race-table")
        yield Footer()

    def on_mount(self) -> None:
        self.board.listener = lambda: self.post_message(self.Arrived())
        if not self.race.started:
            self.race.start()
        self.install_signal_handlers()  # SIGTERM and SIGHUP as Ctrl+C; a dead terminal: _hung_up
        self.set_interval(FLUSH_SECONDS, self.flush)
        self.query_one(RaceTable).focus()
        self.flush()

    def on_unmount(self) -> None:
        self.board.listener = None
        self.remove_signal_handlers()

    def on_race_app_arrived(self, message: Arrived) -> None:
        changed, urgent = self.board.fold()
        self._dirty |= changed
        if urgent:
            self.flush()

    # -- drawing -----------------------------------------------------------------------------------
    def flush(self) -> None:
        """Redraw what changed since the last flush (all of it after a command)."""
        changed, _ = self.board.fold()
        dirty, self._dirty = self._dirty | changed, set()
        if not dirty:
            return
        views = self.board.views
        self.query_one(RaceChart).show_all(views)
        self.query_one(RaceRegions).show_all(views, dirty)
        self.query_one(RaceTable).show_all(self.race.standings, views)
        self.query_one("#race-status", Static).update(self._status())

    def _status(self) -> str:
        s0 = self.race.standings[0].start
        c = self.race.config
        states = [s.state for s in self.race.standings]
        running = sum(st == "running" for st in states)
        budget = (f"{exact(self.race.cpu_seconds)} s CPU each" if self.race.cpu_seconds
                  else f"{count(s0.limit)} iterations each")
        where = "running" if running else ("finished" if self.race.done else "paused")
        return f" {where.upper()} · race on {c.data or c.dataset} · {len(states)} contenders from one start · {budget}"

    # -- keys ----------------------------------------------------------------------------------------
    def _selected(self) -> int | None:
        table = self.query_one(RaceTable)
        if table.row_count == 0:
            return None
        return int(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def action_toggle_pause(self) -> None:
        standings = self.race.standings
        if any(s.state in ("running", "ready") for s in standings):
            self.race.send_all(ev.Pause())
        else:
            self.race.send_all(ev.Resume())
        self._dirty |= set(range(len(standings)))

    def action_step(self) -> None:
        self.race.send_all(ev.Step())

    def action_drop(self) -> None:
        index = self._selected()
        if index is not None and not self.race.standings[index].done:
            self.race.drop(index)
            self.notify(f"Dropped {self.board.labels[index]}", timeout=3)
            self._dirty.add(index)
            self.flush()

    def action_open(self) -> None:
        index = self._selected()
        if index is None:
            return
        if self.race.standings[index].state in ("dropped", "failed", "opened", "interrupted"):
            self.notify(f"{self.board.labels[index]} is out of the race; pick another", severity="warning")
            return
        self.race.send_all(ev.Pause())
        self.exit(("open", index))

    def action_quit_race(self) -> None:
        self.exit(None)

    def action_interrupt(self) -> None:
        self.interrupted = True
        self.exit(None)

    def _hung_up(self) -> None:
        """The terminal is gone (the SSH connection dropped): Textual can neither draw nor exit
        (its writer blocks on the dead terminal), so this thread saves every unfinished
        contender, ends their processes and the command (exit 130): nothing lost, nothing left
        running."""
        import io
        import os

        from .. import exit_codes
        from ..race_headless import save_unfinished

        save_unfinished(self.race, io.StringIO())
        self.race.stop()
        os._exit(exit_codes.INTERRUPTED)


def create_race_app(race: Race, paused: bool = False) -> RaceApp:
    """The race dashboard over ``race`` (started when the app mounts)."""
    return RaceApp(RaceBoard(race, paused=paused))
