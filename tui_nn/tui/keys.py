"""Every key of the dashboard, in one table: the bindings, the help screen and the command
palette are all built from it, so they cannot disagree."""

from __future__ import annotations

from dataclasses import dataclass, replace

from textual.binding import Binding


@dataclass(frozen=True)
class Key:
    keys: str  # Textual key names, comma separated
    display: str  # how the help screen and footer show it
    action: str
    label: str  # short, for the footer
    help: str  # one line, for the help screen and the command palette
    show: bool = True  # in the footer
    group: str | None = None  # neighbours with the same group share one footer entry
    priority: bool = False  # before any widget's own binding of the key (ctrl+c in an input)
    rank: int = 1  # what a narrow footer keeps first: 0 the essentials, then 1, 2, 3 (KeysFooter)


KEYS: list[Key] = [
    # The footer shows them in this order; a narrow one keeps rank 0 (the essentials) first, then
    # the views, so an 80-column footer has them (the rest: ? More, the help screen).
    # One footer entry, space toggles; the app relabels it in place (KeysFooter.relabel): Resume
    # while paused, without rebuilding the footer.
    Key("space", "space", "toggle_pause", "Pause",
        "Pause training, or resume it; after the end, run as many iterations again", rank=0),
    Key("n", "n", "step", "Step", "Run exactly one iteration, then stay paused", rank=0),
    Key("s", "s", "save", "Save", "Save a checkpoint (resume it with tui-nn train --resume FILE)", rank=0),
    Key("q", "q", "quit", "Quit", "Quit: an unfinished run is saved to a checkpoint first (the command "
        "that continues it is printed)", rank=0),
    Key("question_mark", "?", "help", "Help", "Show every key and what the panels mean", rank=0),
    Key("r", "r", "reset", "Reset", "Re-initialise the weights (same seed, same start)", rank=0),
    Key("v", "v", "show_tab('graph')", "Graph", "Network graph: every weight an edge (solid +, dashed −), each "
        "neuron's activation map beside it; arrows and clicks select a weight, [ ] nudge it"),
    Key("m", "m", "toggle_neuron_map", "Map", "Neuron map: the selected weight's neuron's activation over the "
        "input plane, large, in the data panel (m again: the data)"),
    Key("h", "h", "show_tab('hidden')", "Hidden", "Hidden space: the data as a hidden layer sees it (PCA of its "
        "activations, or two of its neurons), live; ←/→ layer, ↑/↓ axes"),
    Key("x", "x", "show_tab('confusion')", "Confusion", "Confusion matrices of the training and validation data, "
        "live, with per-class precision and recall"),
    Key("o", "o", "next_optimizer", "Optimizer", "Switch to the next optimizer (the weights are kept)", rank=2),
    Key("plus,equals_sign", "+", "scale_primary(2.0)", "lr×2",
        "Double the learning rate (gradient) or perturbation scale (search)", group="lr/scale", rank=2),
    Key("minus,underscore", "-", "scale_primary(0.5)", "lr÷2",
        "Halve the learning rate (gradient) or perturbation scale (search)", group="lr/scale", rank=2),
    Key("less_than_sign,comma", "<", "slower", "Slower", "Halve the iteration rate (down to 1.25 per second)",
        group="speed", rank=2),
    Key("greater_than_sign,full_stop", ">", "faster", "Faster", "Double the iteration rate, then full speed (max)",
        group="speed", rank=2),
    Key("l", "l", "toggle_log_scale", "Log", "Loss chart: toggle a logarithmic scale", rank=3),
    Key("g", "g", "toggle_gradients", "Grads", "Weights panel: show the last gradient instead (gradient optimizers)",
        rank=3),
    Key("f", "f", "fork", "Fork", "While paused: fork the run here; the run so far is kept as a branch and what "
        "you change next (optimizer, hyperparameters) changes the new one; both on the loss chart", show=False),
    Key("b", "b", "next_branch", "Branch", "Show the next branch of the run (after f) in the panels", show=False),
    Key("ctrl+c", "ctrl+c", "interrupt", "Quit", "Stop as q does; the command exits 130", show=False,
        priority=True),
]
# The panel groups (tabs on narrow or short terminals), each by its own key.
for _key, _name, _label in (("c", "charts", "Charts"), ("w", "weights", "Weights"), ("p", "optimizer", "Optimizer"),
                            ("d", "data", "Data"), ("e", "log", "Log")):
    KEYS.append(Key(_key, _key, f"show_tab('{_name}')", _label,
                    f"Show the {_label} panel (a tab on narrow terminals) and give it the keys", show=False))
TAB_KEYS = KEYS[-5:]  # the replay dashboard has them too
for _i in range(1, 10):
    KEYS.append(Key(str(_i), str(_i), f"pick_optimizer({_i - 1})", f"Optimizer {_i}",
                    f"Switch to optimizer number {_i} in the list", show=False))

# The replay dashboard's keys (tui-nn replay): a cursor through the recorded run.
REPLAY_KEYS: list[Key] = [
    Key("left", "←", "move(-1)", "-1", "Cursor one iteration back", group="cursor", priority=True),
    Key("right", "→", "move(1)", "+1", "Cursor one iteration on", group="cursor", priority=True),
    Key("shift+left,left_square_bracket", "[", "move_tenth(-1)", "-1/10",
        "Cursor back by a tenth of the run (also shift+←)", group="tenth", priority=True),
    Key("shift+right,right_square_bracket", "]", "move_tenth(1)", "+1/10",
        "Cursor on by a tenth of the run (also shift+→)", group="tenth", priority=True),
    Key("home", "Home", "jump('first')", "Start", "Cursor to the recording's start", group="ends", priority=True),
    Key("end", "End", "jump('end')", "End", "Cursor to the recording's end (follows a run still recording)",
        group="ends", priority=True),
    Key("enter", "0-9 Enter", "go_typed", "Go", "Type an iteration number, then Enter: the cursor goes there"),
    Key("escape", "Escape", "clear_typed", "Clear", "Forget the number being typed", show=False),
    Key("backspace", "Backspace", "erase_typed", "Erase", "Erase the last digit typed", show=False),
    Key("f", "f", "fork", "Fork", "Fork at the cursor: continue from exactly this state with the optimizer and "
        "hyperparameters shown, as a new branch kept in the recording"),
    Key("o", "o", "fork_optimizer", "Optimizer", "The optimizer a fork continues with: the next one"),
    Key("plus,equals_sign", "+", "fork_scale(2.0)", "lr×2",
        "Double the fork's learning rate (gradient) or perturbation scale (search)", group="lr/scale"),
    Key("minus,underscore", "-", "fork_scale(0.5)", "lr÷2",
        "Halve the fork's learning rate (gradient) or perturbation scale (search)", group="lr/scale"),
    Key("b", "b", "next_branch", "Branch", "Show the next branch of the run in the panels (the original is main)"),
    Key("q", "q", "quit", "Quit", "Quit the replay (forks are in the recording already)"),
    Key("question_mark", "?", "help", "Help", "Show every key of the replay and what the panels mean"),
    Key("l", "l", "toggle_log_scale", "Log", "Loss chart: toggle a logarithmic scale"),
    Key("g", "g", "toggle_gradients", "Grads", "Weights panel: show the gradient at the cursor (gradient optimizers)"),
    Key("ctrl+c", "ctrl+c", "quit", "Quit", "Quit as q does", show=False, priority=True),
]
VIEW_ACTIONS = ("show_tab('graph')", "toggle_neuron_map", "show_tab('hidden')", "show_tab('confusion')")
# the views show the state at the cursor; the hidden space's layer is < > here (the arrows are the cursor's)
REPLAY_KEYS += [replace(k, help=k.help.replace("←/→ layer", "< > layer")) for k in KEYS if k.action in VIEW_ACTIONS]
REPLAY_KEYS += [
    Key("less_than_sign,comma", "<", "hidden_layer(-1)", "Layer−", "Hidden space: the previous hidden layer (← in "
        "the live dashboard, where the arrows are the panel's)", group="layer", rank=2),
    Key("greater_than_sign,full_stop", ">", "hidden_layer(1)", "Layer+", "Hidden space: the next hidden layer (→ in "
        "the live dashboard)", group="layer", rank=2),
    *TAB_KEYS,
]
for _i in range(10):
    REPLAY_KEYS.append(Key(str(_i), str(_i), f"type_digit({_i})", str(_i), f"Type the digit {_i} of an iteration",
                           show=False))

# Keys of the weights panel (bound in WeightsView; listed here for the help screen).
WEIGHT_KEYS: list[tuple[str, str]] = [
    ("arrows / click", "Select a weight or bias (Weights panel focused; Tab moves focus)"),
    ("] / [", "While paused: nudge the selected weight up / down by 0.05"),
    ("} / {", "While paused: nudge it by 0.5"),
]
OTHER_KEYS: list[tuple[str, str]] = [
    ("1–9", "Switch to that optimizer in the list (or click it)"),
    ("Enter", "Optimizer panel: apply the hyperparameter being edited"),
    ("Escape", "Leave an input field (its value in force comes back)"),
    ("Tab", "Move the focus between panels"),
    ("ctrl+p", "Command palette: every action by name"),
]


REPLAY_OTHER_KEYS: list[tuple[str, str]] = [
    ("0–9", "Type an iteration number (Enter goes there)"),
    ("Tab", "Move the focus between panels"),
    ("ctrl+p", "Command palette: every action by name"),
]


_GROUPS = {name: Binding.Group(name, compact=True) for name in ("lr/scale", "speed", "cursor", "tenth", "ends",
                                                                 "layer")}


def footer_ranks() -> dict[str, int]:
    """Each action's rank in a narrow footer (see :class:`~tui_nn.tui.widgets.footer.KeysFooter`),
    from the dashboard's and the replay's tables."""
    return {k.action: k.rank for k in [*REPLAY_KEYS, *KEYS]}


def bindings(keys: list[Key] | None = None) -> list[Binding]:
    return [Binding(k.keys, k.action, k.label, show=k.show, key_display=k.display,
                    group=_GROUPS.get(k.group), priority=k.priority) for k in (KEYS if keys is None else keys)]
