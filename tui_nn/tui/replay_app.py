"""The replay dashboard (``tui-nn replay RUN``): the training dashboard's panels over a recording,
with a cursor.

The charts show the whole recorded run and a marker at the cursor; every other panel (weights,
gradients, decision regions, optimizer state, status) shows the run's exact state at the cursor,
which a :class:`~tui_nn.replay.ReplaySession` reconstructs in its own thread and sends as a
:class:`~tui_nn.replay.CursorMoved` event: the app builds its :class:`RunView` from that event
alone, as the live dashboard does from its session's. Keys: ``REPLAY_KEYS`` in :mod:`keys`.
"""

from __future__ import annotations

from .. import events as ev
from .. import exit_codes
from ..replay import CursorMoved, ReplaySession
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

    def __init__(self, replayer, *, cursor: int | None = None, live=None, note: str | None = None,
                 checkpoint: str | None = None):
        self.replayer = replayer
        self.note = note  # a checkpoint's history that is not exact: what is shown instead
        self.checkpoint = checkpoint  # the checkpoint whose history this is (recomputed; no forks kept)
        self.recording = replayer.recording
        self.cursor = self.recording.end if cursor is None else cursor
        self.first, self.end = self.recording.first, self.recording.end
        self.typed = ""  # digits of an iteration number being typed
        self._live = live
        self.branch, self.branches = self.recording.branch, [self.recording.branch]
        self.fork_with: dict[str, dict] = {}  # the fork's hyperparameters, per optimizer
        self.fork_optimizer = "adam"
        super().__init__(replayer.state_at(self.cursor), paused=True, separate_process=False)

    def on_mount(self, event) -> None:
        event.prevent_default()  # not the training dashboard's: no trainer runs here
        self.session = ReplaySession(self.replayer, self._on_session_events, cursor=self.cursor, live=self._live)
        self.session.start()
        self.set_interval(0.2, self.flush)
        self.flush()
        if self.note:
            self.notify(self.note, title="Checkpoint history", severity="warning", timeout=30)

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
        typed = f" · go to {self.typed}▏ (Enter)" if self.typed else ""
        hp = " ".join(f"{k} {exact(v)}" for k, v in self._fork_hyperparams().items())
        self.query_one(LossChart).border_subtitle = (
            f"{self.branch} · iteration {count(self.cursor)} of {count(self.first)}–{count(self.end)}{typed}"
            f" · f: fork {self.fork_optimizer} {hp}")

    # -- the cursor ------------------------------------------------------------------------------
    def seek(self, iteration: int) -> None:
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


def create_replay_app(replayer, *, cursor: int | None = None, live=None, note: str | None = None,
                      checkpoint: str | None = None) -> ReplayApp:
    """The replay dashboard over ``replayer`` (a :class:`~tui_nn.replay.Replayer`), its cursor
    at ``cursor`` (default: the recording's end); ``live()`` says whether the recording is still
    being written (then the dashboard follows its end); ``note`` is said first (a checkpoint's
    history that could not be recomputed exactly); ``checkpoint`` names the checkpoint whose
    history is replayed (it cannot be forked here)."""
    return ReplayApp(replayer, cursor=cursor, live=live, note=note, checkpoint=checkpoint)
