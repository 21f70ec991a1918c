"""The replay dashboard (``tui-nn replay RUN``): the training dashboard's panels over a recording,
with a cursor.

The charts show the whole recorded run and a marker at the cursor; every other panel (weights,
gradients, decision regions, optimizer state, status) shows the run's exact state at the cursor,
which a :class:`~tui_nn.replay.ReplaySession` reconstructs in its own thread and sends as a
:class:`~tui_nn.replay.CursorMoved` event: the app builds its :class:`RunView` from that event
alone, as the live dashboard does from its session's. Keys: ``REPLAY_KEYS`` in :mod:`keys`.
"""

from __future__ import annotations

import threading

from textual import work
from textual.message import Message

from .. import events as ev
from .. import exit_codes
from ..replay import CursorMoved, Replayer, ReplaySession
from .app import TuiNNApp
from .keys import REPLAY_KEYS, REPLAY_OTHER_KEYS, bindings
from .numbers import count, exact, num
from .state import LogLine, RunView
from .widgets.event_log import EventLog
from .widgets.loss_chart import LossChart


class ReplayApp(TuiNNApp, inherit_bindings=False):  # the live keys (space, n, o, ...) do not apply
    BINDINGS = bindings(REPLAY_KEYS)
    TITLE = "tui-nn replay"
    AUTO_FOCUS = None  # the arrows move the cursor
    HIDDEN_LAYER_KEYS = "< >"  # ... so the hidden space's layer is < > (its subtitle says so)

    class HistoryProgress(Message):
        """A checkpoint's history being recomputed: further on (``progress``), ready
        (``history``), or failed (``error``)."""

        def __init__(self, history=None, error: str | None = None):
            super().__init__()
            self.history, self.error = history, error

    def __init__(self, replayer, *, cursor: int | None = None, live=None, note: str | None = None,
                 checkpoint: str | None = None, history=None):
        self.replayer = replayer  # None while a checkpoint's history is recomputed (``history``)
        self.note = note  # a checkpoint's history that is not exact: what is shown instead
        self.checkpoint = checkpoint  # the checkpoint whose history this is (recomputed; no forks kept)
        self.history = history  # (progress) -> History, and the checkpoint's own trainer to show meanwhile
        self.progress = (0, 0)  # the history's iterations recomputed, of how many
        self._abandoned = False  # quitting while the history is recomputed: it stops
        self._progress_told = threading.Event()  # a progress message waits to be handled
        self.typed = ""  # digits of an iteration number being typed
        self._live = live
        self.fork_with: dict[str, dict] = {}  # the fork's hyperparameters, per optimizer
        self.fork_optimizer = "adam"
        if replayer is None:
            start = history[1]
            self.recording, self.wanted = None, cursor  # the cursor asked for, once there is a history
            self.cursor = self.first = self.end = start.iteration
            self.branch, self.branches = "main", ["main"]
        else:
            self.recording = replayer.recording
            self.cursor = self.recording.end if cursor is None else cursor
            self.first, self.end = self.recording.first, self.recording.end
            self.branch, self.branches = self.recording.branch, [self.recording.branch]
            start = replayer.state_at(self.cursor)
        super().__init__(start, paused=True, separate_process=False)

    def on_mount(self, event) -> None:
        event.prevent_default()  # not the training dashboard's: no trainer runs here
        self.set_interval(0.2, self.flush)
        if self.replayer is None:
            self._recompute()
            self._history_status()
        else:
            self._start_session()
        self.flush()

    def _start_session(self) -> None:
        self.session = ReplaySession(self.replayer, self._on_session_events, cursor=self.cursor, live=self._live)
        self.session.start()
        if self.note:
            self.notify(self.note, title="Checkpoint history", severity="warning", timeout=30)

    # -- a checkpoint's history, recomputed while the dashboard shows the checkpoint --------------------
    @work(thread=True, exit_on_error=False)
    def _recompute(self) -> None:
        def progress(done: int, total: int) -> None:
            if self._abandoned:
                raise _Abandoned
            self.progress = (done, total)  # the latest; one message waits at a time (coalesced)
            if not self._progress_told.is_set():
                self._progress_told.set()
                self.post_message(self.HistoryProgress())

        try:
            history = self.history[0](progress)
        except _Abandoned:
            return
        except Exception as e:  # noqa: BLE001 - said on screen; the checkpoint's own state stays shown
            self.post_message(self.HistoryProgress(error=f"{type(e).__name__}: {e}"))
            return
        self.post_message(self.HistoryProgress(history=history))

    def on_replay_app_history_progress(self, message: HistoryProgress) -> None:
        self._progress_told.clear()  # before reading it: a later step posts again
        if message.error:
            self.notify(f"The history could not be recomputed: {message.error}", title="Checkpoint history",
                        severity="error", timeout=30)
        elif message.history is not None:
            self.note = message.history.note
            self.replayer = Replayer(message.history.recording)
            self.recording = self.replayer.recording
            self.first, self.end = self.recording.first, self.recording.end
            wanted = self.end if self.wanted is None else self.wanted
            if not self.first <= wanted <= self.end:
                self.notify(f"Iteration {count(wanted)} is outside the history ({count(self.first)} to "
                            f"{count(self.end)}); the cursor is at its end.", severity="warning")
                wanted = self.end
            self.cursor = wanted
            self._start_session()
        self._history_status()

    def _history_status(self) -> None:
        """The status bar and the loss chart's caption say how far the history is."""
        if self.replayer is not None:
            return
        done, total = self.progress
        share = f"{100 * done // total}%" if total else "starting"
        self.view.replay_status = [("history", "history", f"recomputing {share}"),
                                   ("run", "at", count(self.cursor))]
        self.query_one(LossChart).border_subtitle = (
            f"recomputing the history: {count(done)} of {count(total or self.end)} iterations · "
            "the cursor works when it is done")
        self._dirty.add("status")

    def _history_there(self) -> bool:
        if self.replayer is None:
            done, total = self.progress
            self.notify(f"The history is being recomputed ({count(done)} of {count(total or self.end)} iterations): "
                        "the cursor works when it is done.")
        return self.replayer is not None

    def on_trainer_events(self, message) -> None:
        message.prevent_default()
        with self._lock:
            if self._batch is message.events:
                self._batch = None
        for e in message.events:
            if isinstance(e, CursorMoved):
                self._show(e)
            elif isinstance(e, ev.Failed):
                self.notify(e.error, title="Replay", severity="error")
        self.flush()

    def _show(self, e: CursorMoved) -> None:
        view = RunView(e.started, paused=True)
        view.apply([e.snapshot])
        view.train_loss, view.train_accuracy, view.val_loss, view.val_accuracy = e.metrics
        view.span = e.end
        view.marks = [(e.iteration, f"▼{count(e.iteration)}")]
        view.overlays = e.overlays
        self.branch, self.branches = e.branch, e.branches
        recording = " (recording)" if e.live else ""
        view.replay_status = [("cursor", "cursor", count(e.iteration)),
                              ("run", "of", f"{count(e.first)}–{count(e.end)}{recording}"),
                              ("branch", "branch", e.branch)]
        view.take_log()
        self.query_one(EventLog).replace(log_lines(self.recording.events_until(e.iteration)))
        self.view = view
        self.cursor, self.first, self.end = e.iteration, e.first, e.end
        self._dirty |= {"status", "series", "weights", "optimizer", "layout"}
        self._caption()

    def _caption(self) -> None:
        if self.replayer is None:
            return self._history_status()
        typed = f" · go to {self.typed}▏ (Enter)" if self.typed else ""
        hp = " ".join(f"{k} {exact(v)}" for k, v in self._fork_hyperparams().items())
        self.query_one(LossChart).border_subtitle = (
            f"{self.branch} · iteration {count(self.cursor)} of {count(self.first)}–{count(self.end)}{typed}"
            f" · f: fork {self.fork_optimizer} {hp}")

    # -- the cursor ------------------------------------------------------------------------------
    def seek(self, iteration: int) -> None:
        if not self._history_there():
            return
        if not self.first <= iteration <= self.end:
            self.notify(f"Iteration {count(iteration)} is outside the recording ({count(self.first)} to {count(self.end)}).",
                        severity="warning")
            return
        self.cursor = iteration
        self._caption()
        self.session.seek(iteration)

    def action_move(self, step: int) -> None:
        self.seek(min(self.end, max(self.first, self.cursor + step)))

    def action_move_tenth(self, sign: int) -> None:
        self.action_move(sign * max(1, (self.end - self.first) // 10))

    def action_jump(self, where: str) -> None:
        self.seek(self.first if where == "first" else self.end)

    def action_type_digit(self, digit: int) -> None:
        if len(self.typed) < 15:
            self.typed += str(digit)
        self._caption()

    def action_erase_typed(self) -> None:
        self.typed = self.typed[:-1]
        self._caption()

    def action_clear_typed(self) -> None:
        self.typed = ""
        self._caption()

    def action_go_typed(self) -> None:
        typed, self.typed = self.typed, ""
        self._caption()
        if typed:
            self.seek(int(typed))

    def action_hidden_layer(self, step: int) -> None:
        """< >: the hidden space (shown, given the keys) on its previous or next layer."""
        self.action_show_tab("hidden")
        hidden = self.query_one("#hidden")
        hidden.show(self.view)  # just mounted: the panel has no view before the next redraw
        hidden.action_layer(step)

    # -- forks and branches -----------------------------------------------------------------------
    def _fork_hyperparams(self) -> dict:
        from ..optimizers import OPTIMIZERS

        cls = OPTIMIZERS[self.fork_optimizer]
        return self.fork_with.setdefault(self.fork_optimizer, {cls.primary: cls.spec(cls.primary).default})

    def action_fork_optimizer(self) -> None:
        from ..optimizers import OPTIMIZERS

        names = list(OPTIMIZERS)
        self.fork_optimizer = names[(names.index(self.fork_optimizer) + 1) % len(names)]
        self._caption()

    def action_fork_scale(self, factor: float) -> None:
        from ..optimizers import OPTIMIZERS

        hp = self._fork_hyperparams()
        name = OPTIMIZERS[self.fork_optimizer].primary
        try:
            hp[name] = OPTIMIZERS[self.fork_optimizer].spec(name).validate(hp[name] * factor)
        except ValueError as e:
            self.notify(str(e), severity="warning")
        self._caption()

    def action_fork(self) -> None:
        if self.checkpoint:
            self.notify(f"A checkpoint's history keeps no branches: fork it with tui-nn train --resume "
                        f"{self.checkpoint} --optimizer NAME (or record a run with --record).", severity="warning")
            return
        name, k = f"{self.fork_optimizer}-{self.cursor}", 1
        while name in self.branches:
            k += 1
            name = f"{self.fork_optimizer}-{self.cursor}-{k}"
        self.notify(f"Forking at iteration {count(self.cursor)} with {self.fork_optimizer}: branch {name}", title="Fork")
        self.session.fork(name, self.fork_optimizer, dict(self._fork_hyperparams()))

    def action_next_branch(self) -> None:
        if len(self.branches) < 2:
            self.notify("This run has one branch: f forks one at the cursor.")
            return
        self.session.choose(self.branches[(self.branches.index(self.branch) + 1) % len(self.branches)])

    # -- leaving: nothing to save ----------------------------------------------------------------
    async def action_quit(self) -> None:
        self._abandoned = True  # a history being recomputed stops at its next chunk
        self._stop_session()
        self.exit(return_code=exit_codes.OK)

    def action_help(self) -> None:
        from .help_screen import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(REPLAY_KEYS, REPLAY_OTHER_KEYS))

    def get_system_commands(self, screen):
        from textual.app import SystemCommand

        for k in REPLAY_KEYS:
            if not k.action.startswith("type_digit"):
                yield SystemCommand(f"{k.label} ({k.display})", k.help, self._palette_action(k.action))
        yield from super(TuiNNApp, self).get_system_commands(screen)


LOG_LINES = 60  # the log shows the run's last lines before the cursor


def log_lines(events: list[dict]) -> list[LogLine]:
    """What the run's log said up to the cursor: its recorded events (evaluations, switches,
    edits, resets, its end) in the dashboard's words, the last ``LOG_LINES``."""
    out = []
    for e in events:
        i, kind = e["iteration"], e.get("event")
        if kind == "evaluation":
            val = f", val loss {num(e.get('val_loss'), 7)}" if e.get("val_loss") is not None else ""
            text = (f"{count(i)}: training loss {num(e.get('train_loss'), 7)}, accuracy "
                    f"{num(e.get('train_accuracy'))}{val}")
        elif kind == "optimizer_switched":
            text, kind = f"Optimizer switched from {e['old']} to {e['new']} from iteration {count(i)} on", "optimizer"
        elif kind == "hyperparam_changed":
            text = f"{e['name']} {exact(e['old'])} → {exact(e['new'])} from iteration {count(i)} on"
        elif kind == "weight_changed":
            text = f"Weight {count(e['index'])} set from {num(e['old'])} to {num(e['new'])} before iteration {count(i)}"
        elif kind == "reset":
            text = "Reset: the weights re-initialised (same seed, same start)"
        elif kind == "diverged":
            text = f"Diverged at iteration {count(i)}: {e.get('reason', '')}"
        elif kind == "finished":
            text = f"Finished after iteration {count(max(i - 1, 0))}"
        elif kind == "limit_changed":
            text = f"The run's length set to {count(e['limit'])} iterations"
        else:  # pauses, steps, speeds: how the run was watched, not what it did
            continue
        out.append(LogLine(kind, text))
    return out[-LOG_LINES:]


class _Abandoned(Exception):
    """The replay dashboard closed while the history was recomputed."""


def create_history_app(checkpoint: str, into: str, *, cursor: int | None = None, prepared=None,
                       recompute=None) -> ReplayApp:
    """The replay dashboard on the checkpoint's history, recomputed into the new recording
    ``into`` (:func:`tui_nn.checkpoint_history.recompute`, or ``recompute(progress)``) in a
    thread while the dashboard shows the checkpoint's own state and the progress; the cursor
    (at ``cursor``, else the end) works once the history is there."""
    from ..checkpoint_history import prepare, recompute as recompute_history
    from ..trainer import Trainer

    prepared = prepared or prepare(checkpoint)
    if recompute is None:
        def recompute(progress):
            return recompute_history(checkpoint, into, progress, prepared=prepared)
    return ReplayApp(None, cursor=cursor, checkpoint=checkpoint, history=(recompute, Trainer.from_checkpoint(checkpoint)))


def create_replay_app(replayer, *, cursor: int | None = None, live=None, note: str | None = None,
                      checkpoint: str | None = None) -> ReplayApp:
    """The replay dashboard over ``replayer`` (a :class:`~tui_nn.replay.Replayer`), its cursor
    at ``cursor`` (default: the recording's end); ``live()`` says whether the recording is still
    being written (then the dashboard follows its end); ``note`` is said first (a checkpoint's
    history that could not be recomputed exactly); ``checkpoint`` names the checkpoint whose
    history is replayed (it cannot be forked here)."""
    return ReplayApp(replayer, cursor=cursor, live=live, note=note, checkpoint=checkpoint)
