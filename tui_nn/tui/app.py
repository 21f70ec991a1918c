"""The dashboard: watch and steer one training run live.

Build it with :func:`create_app` (the CLI and the tests share it)::

    from tui_nn.trainer import Trainer, TrainConfig
    from tui_nn.tui.app import create_app

    create_app(Trainer(TrainConfig(dataset="spiral", optimizer="adam")), paused=True).run()

After its first frame the app starts a :class:`~tui_nn.runner.ProcessSession`: the trainer runs in a
child process (so drawing never slows it: each has a core), and its events come back as
:class:`~tui_nn.tui.messages.TrainerEvents` messages. ``separate_process=False`` runs it in a thread
of this process instead (:class:`~tui_nn.runner.Session`) (tests look at the trainer object itself).
Events are folded into a :class:`~tui_nn.tui.state.RunView` as they arrive (no loss value is
dropped); every panel whose data changed redraws from it every ``FLUSH_SECONDS``, all in the same
redraw (so titles, status bar and charts show the same iteration), or at once after a command the
user is waiting for. Drawing is cheap enough for that (the charts are NumPy braille canvases,
milliseconds each at 200x60: ``benchmarks/bench_panels.py``), so it is never stretched or rationed.
Start-up: the views inside the network are mounted when first shown (:meth:`TuiNNApp.views`); the
session starts after the first frame (commands given before it wait for it, in order), unless
one started already is given (``tui-nn train`` starts it before importing Textual: startup.py).
"""

from __future__ import annotations

import gc
import os
import threading
from pathlib import Path
from typing import Iterable

from textual import on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Grid, VerticalScroll
from textual.screen import Screen
from textual.widgets import Tab, Tabs

from .. import events as ev
from .. import exit_codes
from ..optimizers import OPTIMIZERS
from ..runner import ProcessSession, Session
from ..settings import REGULARIZERS
from .branching import Branching
from .help_screen import HelpScreen
from .keys import KEYS, bindings, footer_ranks
from .messages import TrainerEvents
from .numbers import count
from .numbers import speed as format_speed
from .outcome import Outcome
from .speeds import DEFAULT_SPEED, MAX_SPEED, MIN_SPEED, SPACE_LABELS, faster, slower, space_label  # noqa: F401
from .startup import breakpoint_classes
from .state import RunView
from .stopping import StopsOnSignals
from .widgets.accuracy_chart import AccuracyChart
from .widgets.dataset_view import DatasetView
from .widgets.event_log import EventLog
from .widgets.footer import KeysFooter
from .widgets.loss_chart import LossChart
from .widgets.optimizer_panel import OptimizerPanel
from .widgets.status_bar import StatusBar
from .widgets.weights_view import WeightsView

FLUSH_SECONDS = 0.2  # every changed panel redraws this often while training runs (5 times a second)
TOPICS = {"status", "series", "weights", "optimizer", "log", "layout"}
QUIET_EVENTS = (ev.Progress, ev.Evaluation, ev.Snapshot)  # everything else redraws at once
PANEL_TABS = [("charts", "Charts c"), ("weights", "Weights w"), ("optimizer", "Optimizer p"), ("data", "Data d"),
              ("log", "Log e"), ("graph", "Graph v"),
              ("hidden", "Hidden h"), ("confusion", "Conf x")]  # the letter is the tab's key (keys.py)
# Views inside the network: on wide terminals each takes the charts' place while chosen (c: back).
INSIDE_VIEWS = ("graph", "hidden", "confusion")


class _Default:
    def __repr__(self) -> str:
        return "DEFAULT"


DEFAULT = _Default()


class TuiNNApp(Branching, StopsOnSignals, App):
    """The tui-nn dashboard. See the module docstring."""

    CSS_PATH = "app.tcss"
    TITLE = "tui-nn"
    # The weights panel binds [ ] { } while it has the focus; elsewhere they say how to use them.
    BINDINGS = bindings() + [Binding("left_square_bracket,right_square_bracket,left_curly_bracket,"
                                     "right_curly_bracket", "nudge_hint", show=False)]
    AUTO_FOCUS = "#weights"
    # Narrow or short terminals show one group of panels at a time, chosen with tabs.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide"), (160, "-very-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall"), (50, "-very-tall")]

    def __init__(self, trainer, *, paused: bool = False, speed: float | None = DEFAULT_SPEED,
                 checkpoint_path: str | None = None, separate_process: bool = True, record: str | None = None,
                 pixels: type | None = None, session: ProcessSession | None = None):
        super().__init__()
        self.pixels = pixels  # --pixels: the image widget that draws the data panel in pixels
        self.record = record  # the session records the run there (tui-nn train --record)
        from ..checkpoint import default_path

        self.trainer = trainer
        self.view = RunView(trainer.started(), paused=paused, speed=speed)
        self.start_paused = paused
        # Named after the optimizer in use when it is saved (the default name), unless given or resumed.
        self._fixed_checkpoint = checkpoint_path is not None or getattr(trainer, "resumed_from", None) is not None
        self._checkpoint_paths: dict[str, str] = {}
        self.checkpoint_path = str(checkpoint_path or default_path(trainer))
        self.outcome: Outcome | None = None  # how the dashboard ended, for the summary the CLI prints
        self._saved = threading.Event()  # set by the session thread when a checkpoint is saved
        self._saved_path: str | None = None
        self.separate_process = separate_process
        self.session: ProcessSession | Session | None = None
        self._early = session  # started by run_dashboard with HeldEvents, taken on mount (startup.py)
        self.exit_status = exit_codes.OK  # FAILED when the trainer failed (the CLI exits with it)
        self._lock = threading.Lock()
        self._batch: list[ev.Event] | None = None  # events the session added since the last message
        self._dirty: set[str] = set(TOPICS)
        self._blas_limits = None  # threadpoolctl's limit while the trainer runs in a child
        self._flush_timer = None  # the redraw timer, from on_mount
        self._waiting: list[ev.Command] = []  # commands given before the session started
        self._views: tuple | None = None  # the views inside the network, once mounted (views())

    # -- layout ------------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Tabs(*[Tab(label, id=f"tab-{name}") for name, label in PANEL_TABS], id="panel-tabs")
        with Grid(id="panels", classes="show-charts"):
            yield LossChart(id="loss", classes="panel tab-charts charts-main")
            if self.pixels is not None:  # (the views inside the network come when first shown: views())
                from .widgets.data_pixels import PixelDataView

                yield PixelDataView(self.pixels, id="dataset", classes="panel tab-data data-panel")
            else:
                yield DatasetView(id="dataset", classes="panel tab-data data-panel")
            yield AccuracyChart(id="accuracy", classes="panel tab-charts charts-main")
            with VerticalScroll(id="weights-panel", classes="panel tab-weights"):
                yield WeightsView(id="weights")
            yield EventLog(id="log", classes="panel tab-log")
            yield OptimizerPanel(self.view, id="optimizer", classes="panel tab-optimizer")
        yield StatusBar(id="status")
        yield KeysFooter(ranks=footer_ranks(), labels={"toggle_pause": space_label(self.view.state)},
                         room={"toggle_pause": tuple(SPACE_LABELS.values())})  # no rebuild when relabelled

    def views(self) -> tuple:
        """(graph, neuron map, hidden space, confusion): mounted (hidden) in their places when first
        needed, not for the first frame (~40 ms with their imports); the graph has the weights' selection."""
        if self._views is None:
            from .widgets import confusion_panel, hidden_space, network_graph, neuron_map
            graph = network_graph.NetworkGraph(id="graph", classes="panel tab-graph inside view-graph")
            graph.cursor = self.query_one(WeightsView).cursor
            self._views = (graph, neuron_map.NeuronMapView(id="neuron-map", classes="panel tab-data neuron-panel"),
                           hidden_space.HiddenSpace(id="hidden", classes="panel tab-hidden inside view-hidden"),
                           confusion_panel.ConfusionPanel(id="confusion", classes="panel tab-confusion inside view-confusion"))
            self.query_one("#panels", Grid).mount(graph, self._views[2], self._views[3], after="#loss")
            self.query_one("#panels", Grid).mount(self._views[1], after="#dataset")
            self._dirty.add("weights")
            self.call_after_refresh(self.flush)
        return self._views

    def on_mount(self) -> None:
        self.screen.update_classes(breakpoint_classes(self), animate=False)  # before the first layout: startup.py
        if not self.query_one("#weights-panel").display:  # narrow or short: no focus on a panel in a hidden tab
            self.screen.AUTO_FOCUS = ""
        self.watch(self.query_one(WeightsView), "cursor", self._weight_selected, init=False)
        self.install_signal_handlers()  # SIGTERM and SIGHUP as Ctrl+C; a dead terminal: _hung_up
        self._flush_timer = self.set_interval(FLUSH_SECONDS, self.flush)
        self.flush()
        # The trainer's session (a child process: 30-50 ms to start) once the first frame is out,
        # or one already started: now, its first events are for the first frame.
        self._start_session() if self._early is not None else self.call_after_refresh(self._start_session)

    def _start_session(self) -> None:
        if self.session is not None or self.outcome is not None:  # started, or quitting already
            return
        # ProcessSession passes pipe descriptors to its child (POSIX); elsewhere, a thread.
        kind = ProcessSession if self.separate_process and os.name == "posix" else Session
        if kind is ProcessSession:
            # The trainer's BLAS leaves one core to us (see runner.child_environment); ours
            # (decision regions, projections: small products) keeps to one thread, so its
            # spinning threads never take the trainer's cores either.
            from threadpoolctl import threadpool_limits  # comes with scikit-learn

            self._blas_limits = threadpool_limits(1)
        session, self._early = self._early, None
        if session is None:
            session = kind(self.trainer, self._on_session_events, paused=self.start_paused,
                           speed=self.view.speed, record=self.record).start()
        else:
            session.on_events.attach(self._on_session_events)  # what it sent so far, then the rest
        self.session = session
        for command in self._waiting:
            session.send(command)
        self._waiting.clear()
        self.call_after_refresh(gc.enable)  # run_dashboard turned it off for the first frame (tui/__init__.py)

    def on_unmount(self) -> None:
        if self._flush_timer is not None:  # (the replay dashboard mounts its own way)
            self._flush_timer.stop()
        self.remove_signal_handlers()
        self._stop_session()
        if self._blas_limits is not None:
            self._blas_limits.restore_original_limits()

    def _hung_up(self) -> None:
        """The terminal is gone (the SSH connection dropped). Textual can neither draw nor exit
        cleanly any more (its writer blocks on the dead terminal, and the event loop with it),
        so this thread (the terminal watch's) saves the run and ends the process with the
        interrupted status: nothing is lost, nothing is left running."""
        import os

        view, session = self.view, self.session
        if (session is not None and view.state not in ("finished", "failed") and not self._trainer_lost()
                and view.iteration > 0):
            self._saved.clear()
            session.send(ev.Pause())
            session.send(ev.SaveCheckpoint(self.current_checkpoint_path()))
            self._saved.wait(10)
        if session is not None:
            session.stop(timeout=5.0)
        os._exit(exit_codes.INTERRUPTED)

    def _stop_session(self) -> None:
        session, self.session = self.session, None
        if session is not None:
            session.stop(timeout=5.0)

    @on(Tabs.TabActivated, "#panel-tabs")
    def _tab_activated(self, event: Tabs.TabActivated) -> None:
        grid = self.query_one("#panels", Grid)
        for name, _ in PANEL_TABS:
            grid.set_class(event.tab.id == f"tab-{name}", f"show-{name}")
        name = event.tab.id.removeprefix("tab-")
        if name in INSIDE_VIEWS:
            self.views()
        if name == "charts" or name in INSIDE_VIEWS:  # the wide layout's left column
            for view in INSIDE_VIEWS:
                grid.set_class(view == name, f"inside-{view}")
        if name in INSIDE_VIEWS:
            self._dirty.add("weights")
            self.call_after_refresh(self.flush)
        if name in ("graph", "hidden"):
            self.call_after_refresh(self.query_one(f"#{name}").focus)
        if event.tab.id == "tab-weights":
            # The grid, not the tabs, gets the keys: arrows select a weight, [ ] nudge it.
            self.call_after_refresh(self.query_one(WeightsView).focus)

    # -- events from the session thread ---------------------------------------------------------------
    def _on_session_events(self, events: list[ev.Event]) -> None:
        """Called in the session thread: batch the events and wake the app once per batch."""
        for e in events:
            if isinstance(e, (ev.CheckpointSaved, ev.Failed)):  # what quitting waits for
                self._saved_path = e.path if isinstance(e, ev.CheckpointSaved) else None
                self._saved.set()
        with self._lock:
            if self._batch is not None:
                self._batch.extend(events)
                return
            self._batch = batch = list(events)
        self.post_message(TrainerEvents(batch))

    def on_trainer_events(self, message: TrainerEvents) -> None:
        with self._lock:
            if self._batch is message.events:
                self._batch = None  # claimed: the session starts a new batch
        events = message.events
        rest = self._show_branch(events) if any(isinstance(e, ev.BranchShown) for e in events) else events
        self._dirty |= self.view.apply(rest)
        for e in events:
            self._notify_event(e)
        if any(not isinstance(e, QUIET_EVENTS) for e in events):
            self.flush()

    def _notify_event(self, e: ev.Event) -> None:
        if isinstance(e, ev.CheckpointSaved):
            self.notify(f"Checkpoint saved to {Path(e.path).resolve()}", title="Saved")
        elif isinstance(e, ev.Failed) and not e.traceback:
            self.notify(e.error, title="Refused", severity="error")
            self._dirty.add("optimizer")  # put back the values in force
        elif isinstance(e, ev.Failed):
            self.exit_status = exit_codes.FAILED
            then = ("The weights on screen are the last it sent; q quits." if self._trainer_lost()
                    else "Training stopped; s saves a checkpoint, q quits.")
            self.notify(f"{e.error}\n{then}", title="Trainer error", severity="error", timeout=30)
        elif isinstance(e, ev.Diverged):
            self.notify(f"{e.reason} at iteration {count(e.iteration)}; paused with the last good weights. "
                        "Lower the learning rate (-) and press space.", title="Diverged", severity="error",
                        timeout=10)
        elif isinstance(e, ev.Finished):
            self.notify("Run finished: space runs as many iterations again, s saves.", title="Finished")

    # -- redrawing -------------------------------------------------------------------------------------
    def flush(self) -> None:
        """Redraw the panels whose data changed since the last redraw."""
        if self._exit or not self.is_mounted:
            return  # closing: the panels may already be gone (the timer or a late event batch)
        if len(self.screen_stack) > 1:
            # Help or the command palette is open over the panels: a redraw underneath would
            # re-render the whole dimmed dashboard behind it. The panels catch up when it closes.
            return
        if "series" in self._dirty:
            self._dirty |= {"loss", "accuracy"}
            self._dirty.discard("series")
        dirty, self._dirty = self._dirty, set()
        view = self.view
        if view.state == "running":
            dirty.add("status")  # the clock
        if not dirty or not self.is_mounted:
            return
        if "layout" in dirty:
            self.query_one(WeightsView).editable = view.paused
            self.query_one(KeysFooter).relabel("toggle_pause", space_label(view.state))
        if "status" in dirty:
            self.query_one(StatusBar).show(view)
        if "log" in dirty:
            self.query_one(EventLog).add(view.take_log())
        if "loss" in dirty:
            self.query_one(LossChart).show(view)
        if "accuracy" in dirty:
            self.query_one(AccuracyChart).show(view)
        if "weights" in dirty:
            self.query_one(WeightsView).show(view)
            self.query_one(DatasetView).show(view)
            for panel in self._views or ():
                panel.show(view)
        if "optimizer" in dirty:
            self.query_one(OptimizerPanel).show(view)

    # -- commands --------------------------------------------------------------------------------------
    def _trainer_lost(self) -> bool:
        return getattr(self.session, "lost", False)

    def send(self, command: ev.Command) -> None:
        if self._trainer_lost():
            self.notify("The trainer process has ended: there is nothing to save or steer; q quits.",
                        severity="error")
            return
        if self.view.failed and not isinstance(command, (ev.SaveCheckpoint, ev.Stop)):
            # After a failure the session only saves and stops: say so rather than do nothing.
            self.notify("The trainer stopped after an error; s saves a checkpoint, q quits.", severity="error")
            return
        if self.session is not None:
            self.session.send(command)
        else:  # the first frame is being drawn: the session starts right after it
            self._waiting.append(command)

    def action_toggle_pause(self) -> None:
        self.send(ev.Pause() if self.view.state == "running" else ev.Resume())

    def action_step(self) -> None:
        self.send(ev.Step())

    def action_next_optimizer(self) -> None:
        names = list(OPTIMIZERS)
        self.switch_optimizer(names[(names.index(self.view.optimizer) + 1) % len(names)])

    def action_pick_optimizer(self, number: int) -> None:
        names = list(OPTIMIZERS)
        if number >= len(names):
            self.notify(f"There are {len(names)} optimizers; press 1–{len(names)}.", severity="warning")
            return
        self.switch_optimizer(names[number])

    def switch_optimizer(self, name: str) -> None:
        if name == self.view.optimizer:
            self.notify(f"{name} is already in use.")
            return
        # Its own remembered values, but the L1/L2 penalties: those stay with the model (the trainer's).
        remembered = {k: v for k, v in self.view.hp_memory.get(name, {}).items() if k not in REGULARIZERS}
        self.send(ev.SwitchOptimizer(name, remembered))

    def action_reset(self) -> None:
        self.send(ev.Reset())

    def action_scale_primary(self, factor: float) -> None:
        cls = OPTIMIZERS[self.view.optimizer]
        name = cls.primary
        value = self.view.hyperparams.get(name, cls.spec(name).default) * factor
        self.set_hyperparam(name, value)

    def set_hyperparam(self, name: str, value: float) -> None:
        try:
            value = OPTIMIZERS[self.view.optimizer].spec(name).validate(value)
        except ValueError as e:
            self.query_one(OptimizerPanel).refuse(name, str(e))
            self._dirty |= self.view.apply([ev.Failed(self.view.iteration, str(e), "")])
            self.flush()
            return
        self.view.hyperparams[name] = value  # at once, so quick repeated presses compound
        self.send(ev.SetHyperparam(name, value))

    def current_checkpoint_path(self) -> str:
        """Where ``s`` (and quitting) saves: the given or resumed file, else a file named after
        the optimizer in use now (kept once chosen, so saves of one optimizer share a file)."""
        if self._fixed_checkpoint:
            return self.checkpoint_path
        name = self.view.optimizer
        if name not in self._checkpoint_paths:
            from ..checkpoint import default_path

            self._checkpoint_paths[name] = str(default_path(self.trainer, optimizer=name))
        return self._checkpoint_paths[name]

    def action_save(self) -> None:
        self.send(ev.SaveCheckpoint(self.current_checkpoint_path()))

    def action_slower(self) -> None:
        if self.view.speed is not None and self.view.speed <= MIN_SPEED:
            self.notify(f"Already at the slowest speed, {format_speed(MIN_SPEED)}.")
            return
        self.set_speed(slower(self.view.speed, self.view.its_per_sec))

    def action_faster(self) -> None:
        if self.view.speed is None:
            self.notify("Already at full speed.")
            return
        self.set_speed(faster(self.view.speed))

    def set_speed(self, speed: float | None) -> None:
        self.view.speed = speed  # at once, so quick repeated presses compound
        self._dirty.add("status")
        self.send(ev.SetSpeed(speed))

    def action_show_tab(self, name: str) -> None:
        """A panel group by its key (c, w, p, d, e): its tab on narrow or short terminals, and the
        focus to its panel (away from the weights, so the arrows stop moving the selection)."""
        if name in INSIDE_VIEWS:
            self.views()
        self.query_one("#panel-tabs", Tabs).active = f"tab-{name}"
        if name == "weights":
            self.query_one(WeightsView).focus()
        elif name in ("graph", "hidden"):
            self.query_one(f"#{name}").focus()
        elif name == "optimizer":
            self.query_one(OptimizerPanel).focus()
        else:
            self.screen.set_focus(None)

    def action_toggle_log_scale(self) -> None:
        chart = self.query_one(LossChart)
        chart.log_scale = not chart.log_scale

    def action_toggle_gradients(self) -> None:
        weights = self.query_one(WeightsView)
        if not weights.show_grads and self.view.grads is None:
            self.notify(f"{self.view.optimizer} is derivative-free: there is no gradient to show. "
                        "Switch to a gradient optimizer (sgd, adagrad, rmsprop, adam) first.")
            return
        weights.show_grads = not weights.show_grads

    def action_toggle_neuron_map(self) -> None:
        """The data panel shows the selected neuron's map instead of the data (m again: back)."""
        self.views()
        grid = self.query_one("#panels", Grid)
        grid.toggle_class("neuron-map")
        if grid.has_class("neuron-map"):
            self.query_one("#panel-tabs", Tabs).active = "tab-data"
            self.call_after_refresh(self._show_neuron_map)

    def _show_neuron_map(self) -> None:
        graph, neuron_map = self.views()[:2]
        neuron_map.show(self.view, graph.selected_neuron)

    def _weight_selected(self, index: int) -> None:
        """The weights panel's selection changed: the graph and the neuron map follow (once mounted)."""
        if self._views is not None:
            self._views[0].select(index, announce=False)
            self._show_neuron_map()

    def on_network_graph_selected(self, message) -> None:
        self.query_one(WeightsView).select(message.index)

    def action_nudge_hint(self) -> None:
        panel = self.query_one("#weights-panel")
        where = ("click one in the Weights panel (or move the focus there with Tab)" if panel.region.height
                 else "open the Weights tab and pick one with the arrows or a click")
        self.notify(f"No weight is selected: {where}; then ] and [ nudge it (while paused).",
                    severity="warning")

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    async def action_quit(self) -> None:
        await self._finish(interrupted=False)

    async def action_interrupt(self) -> None:
        """Ctrl+C or SIGTERM: as ``q``, and the command exits 130 (as headless Ctrl-C)."""
        await self._finish(interrupted=True)

    async def _finish(self, interrupted: bool) -> None:
        """Stop the run; an unfinished one is paused and checkpointed first, so quitting never
        loses progress (a resumed run saves into the file it came from). The CLI prints the
        summary and the command that continues the run once the terminal is restored."""
        if self.outcome is not None:
            return  # a second Ctrl+C while saving: the first one finishes
        self._start_session()  # (quit during the first frame: the session saves a resumed run)
        view = self.view
        saved = None
        unfinished = view.state not in ("finished", "failed") and not self._trainer_lost()
        self.outcome = Outcome(view, None, interrupted)
        if unfinished and self.session is not None and view.iteration > 0:
            import asyncio

            self._saved.clear()
            self.session.send(ev.Pause())
            self.session.send(ev.SaveCheckpoint(self.current_checkpoint_path()))
            for _ in range(200):  # up to 10 s; the session thread sets the flag
                if self._saved.is_set():
                    break
                await asyncio.sleep(0.05)
            saved = self._saved_path
        self.outcome = Outcome(view, saved, interrupted)
        if self._flush_timer is not None:
            self._flush_timer.stop()  # no redraw while the app closes
        self._stop_session()
        status = exit_codes.INTERRUPTED if interrupted else self.exit_status
        self.exit(return_code=status)

    # -- messages from the panels ----------------------------------------------------------------------
    def on_optimizer_panel_picked(self, message: OptimizerPanel.Picked) -> None:
        if message.name != self.view.optimizer:
            self.switch_optimizer(message.name)

    def on_optimizer_panel_hyperparam_submitted(self, message: OptimizerPanel.HyperparamSubmitted) -> None:
        self.set_hyperparam(message.name, message.value)

    def on_weights_view_nudge(self, message: WeightsView.Nudge) -> None:
        view = self.view
        if not view.paused:
            self.notify("Pause first (space): weights can be edited while paused.", severity="warning")
            return
        if view.failed:
            self.send(ev.SetWeight(message.index, 0.0))  # refused, with the reason
            return
        new = float(view.params[message.index]) + message.delta
        view.params = view.params.copy()
        view.params[message.index] = new  # at once, so quick repeated nudges add up
        self.send(ev.SetWeight(message.index, new))

    # -- command palette ------------------------------------------------------------------------------
    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        for k in KEYS:
            if k.action.startswith("pick_optimizer"):
                continue
            label = k.label
            if k.action == "toggle_pause":  # say what it will do now
                label = space_label(self.view.state)
            yield SystemCommand(f"{label} ({k.display})", k.help, self._palette_action(k.action))
        for i, name in enumerate(OPTIMIZERS):
            yield SystemCommand(f"Optimizer: {name} ({i + 1})", OPTIMIZERS[name].description,
                                lambda name=name: self.switch_optimizer(name))
        yield from super().get_system_commands(screen)

    def _palette_action(self, action: str):
        async def run() -> None:
            await self.run_action(action)

        return run


def create_app(trainer, *, paused: bool = False, speed: float | None | _Default = DEFAULT,
               checkpoint_path: str | None = None, separate_process: bool = True,
               record: str | None = None, pixels: bool | type = False, session=None) -> TuiNNApp:
    """The dashboard over ``trainer`` (a :class:`~tui_nn.trainer.Trainer`).

    ``paused`` starts paused; ``speed`` is iterations per second (``DEFAULT``: ``DEFAULT_SPEED``;
    ``None``: full speed); ``checkpoint_path`` is where ``s`` saves (default: the file the run
    was resumed from, else ``tui-nn-<data>-<optimizer>-seed<seed>.ckpt.npz`` in the current
    directory, numbered so that it never replaces another run's file); ``separate_process``
    runs the trainer in a child process (the default: the dashboard then costs it nothing) or,
    if false, in a thread of this process; ``pixels``: draw the decision regions in pixels
    (``tui-nn train --pixels``): true asks textual-image, now, before Textual reads the terminal,
    for its widget (``PixelsUnavailable``, a ValueError, says why it cannot), or a widget class.
    ``session``: the trainer's :class:`~tui_nn.runner.ProcessSession`, started already with
    :class:`~tui_nn.tui.startup.HeldEvents` (by ``run_dashboard``: ``startup.py`` says why).
    """
    if pixels is True:
        from .widgets.data_pixels import pixel_widget

        pixels = pixel_widget()
    if speed is DEFAULT:
        speed = DEFAULT_SPEED
    if speed is not None and not speed > 0:
        raise ValueError(f"speed must be positive (iterations per second) or None for full speed, got {speed}")
    return TuiNNApp(trainer, paused=paused, speed=speed, checkpoint_path=checkpoint_path,
                    separate_process=separate_process, record=record, pixels=pixels or None, session=session)
