"""The optimizers: pick one, edit its hyperparameters in place, watch its statistics."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ...optimizers import OPTIMIZERS
from ...settings import REGULARIZERS
from ..numbers import count, exact, num, percent
from ..state import RunView


class OptimizerPanel(Horizontal):
    """The list of optimizers (the current one marked ●; click or Enter switches, keeping the
    weights), the current one's hyperparameters as inputs (Enter applies; a value out of range
    is refused with a message and nothing changes), and its live statistics: acceptance rate
    for the derivative-free optimizers, temperature for ``anneal``, learning rate for the
    gradient ones.

    Nothing is cut: the live statistics come first (on two lines when one is too narrow), then
    the hyperparameters, then the whole description; the column scrolls when the panel is too
    short for all of it."""

    @dataclass
    class Picked(Message):
        """The user chose optimizer ``name``."""

        name: str

    @dataclass
    class HyperparamSubmitted(Message):
        """The user entered a valid ``value`` for hyperparameter ``name``."""

        name: str
        value: float

    def __init__(self, view: RunView | None = None, **kwargs):
        """``view``: the run at start, whose optimizer's form is part of the first frame (mounted
        by the first ``show`` instead, its rows came a layout later: ~130 ms at start-up)."""
        super().__init__(**kwargs)
        self.view = view
        self._shown_optimizer: str | None = None

    def compose(self) -> ComposeResult:
        yield OptionList(*[Option(name, id=name) for name in OPTIMIZERS], id="optimizer-list", compact=True)
        with VerticalScroll(id="optimizer-details", can_focus=False):
            yield Static(id="optimizer-stats")
            rows, description = ([], "") if self.view is None else self._form(self.view)
            self._shown_optimizer = None if self.view is None else self.view.optimizer
            yield Vertical(*rows, id="hyperparams")
            error = Static(id="hyperparam-error")
            error.display = False
            yield error
            yield Static(description, id="optimizer-description")

    def on_mount(self) -> None:
        self.border_title = "Optimizer"
        if self._shown_optimizer is not None:
            self._mark_current(self._shown_optimizer)

    # -- showing the run ------------------------------------------------------------------------
    def show(self, view: RunView) -> None:
        self.view = view
        if view.optimizer != self._shown_optimizer:
            self._shown_optimizer = view.optimizer
            self._mark_current(view.optimizer)
            self._build_form(view)
        self._refresh_values(view)
        stats = self.query_one("#optimizer-stats", Static)
        text = self._stats_text(view, stats.size.width or self.size.width)
        if text.plain.count("\n") != getattr(self, "_stats_lines", None):  # its height changes
            self._stats_lines = text.plain.count("\n")
            stats.update(text)
        else:
            stats.update(text, layout=False)

    def _mark_current(self, current: str) -> None:
        options = self.query_one("#optimizer-list", OptionList)
        for i, name in enumerate(OPTIMIZERS):
            prompt = Text()
            prompt.append("● " if name == current else "  ", "bold")
            prompt.append(f"{i + 1} " if i < 9 else "  ", "dim")
            prompt.append(name, "bold" if name == current else "")
            options.replace_option_prompt(name, prompt)
        options.highlighted = list(OPTIMIZERS).index(current)

    def _build_form(self, view: RunView) -> None:
        rows, description = self._form(view)
        self.query_one("#optimizer-description", Static).update(description)
        form = self.query_one("#hyperparams", Vertical)
        form.remove_children()
        form.mount_all(rows)
        self._say_error("")

    @staticmethod
    def _form(view: RunView) -> tuple[list[Horizontal], str]:
        """The rows of the current optimizer's hyperparameters, and its description."""
        cls = OPTIMIZERS[view.optimizer]
        rows = []
        penalties = []  # the L1/L2 regularisers, two to a row
        for h in cls.hyper:
            field = Input(exact(view.hyperparams.get(h.name, h.default)), id=f"hp-{h.name}",
                          classes="hp-input", compact=True, select_on_focus=True)
            field.tooltip = f"{h.help}; {h.range_text()}. Enter applies."
            if h.name in REGULARIZERS:
                penalties += [Label(h.name, classes="hp-name hp-penalty"), field.add_class("hp-penalty")]
            else:
                rows.append(Horizontal(Label(h.name, classes="hp-name"), field, classes="hp-row"))
        rows += [Horizontal(*penalties[i:i + 4], classes="hp-row") for i in range(0, len(penalties), 4)]
        return rows, cls.description

    def _refresh_values(self, view: RunView) -> None:
        for h in OPTIMIZERS[view.optimizer].hyper:
            try:
                field = self.query_one(f"#hp-{h.name}", Input)
            except Exception:  # noqa: BLE001 - the form is being rebuilt
                continue
            text = exact(view.hyperparams.get(h.name, h.default))
            if not field.has_focus and field.value != text:
                field.value = text

    @staticmethod
    def _stats_text(view: RunView, width: int = 1000) -> Text:
        """One line, or one line per statistic when ``width`` is too narrow for one."""
        s = view.stats
        out = Text()
        if view.optimizer_kind == "search":
            tried = s.get("tried", 0)
            rate = s.get("acceptance_rate", 0.0)
            out.append("accepted ", "dim")
            out.append(f"{count(s.get('accepted', 0))}/{count(tried)}")
            out.append(f" ({percent(rate)})", "bold")
            if "temperature" in s:
                temperature = num(s["temperature"], trim=True)  # at its floor: 0.000001, not 0.000001000
                one_line = out.cell_len + 4 + len(temperature) <= width
                out.append("  T " if one_line else "\nT ", "dim")
                out.append(temperature, "bold")
        else:
            out.append("lr now ", "dim")
            out.append(num(view.lr, trim=True), "bold")  # 0.001, as the setting reads
            if view.reg_loss:  # the losses elsewhere are data losses; this is what L1/L2 add
                out.append("  reg loss ", "dim")
                out.append(num(view.reg_loss), "bold")
        return out

    # -- user input --------------------------------------------------------------------------------
    @on(OptionList.OptionSelected, "#optimizer-list")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.post_message(self.Picked(event.option.id))

    @on(Input.Submitted, ".hp-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        view = self.view
        if view is None or event.input.id is None:
            return
        name = event.input.id.removeprefix("hp-")
        try:
            value = OPTIMIZERS[view.optimizer].spec(name).validate(event.value.strip())
        except ValueError as e:
            self.refuse(name, str(e))
            return
        self._say_error("")
        self.post_message(self.HyperparamSubmitted(name, value))

    @on(Input.Blurred, ".hp-input")
    def _blurred(self, event: Input.Blurred) -> None:
        """Leaving a field without Enter puts back the value in force."""
        if self.view is not None:
            self._refresh_values(self.view)

    def refuse(self, name: str, message: str) -> None:
        """Show why a value was refused and put back the value in force."""
        self._say_error(f"✗ {message}")
        self.app.notify(f"{message}; {name} unchanged", title="Value refused", severity="error")
        if self.view is not None:
            try:
                field = self.query_one(f"#hp-{name}", Input)
                field.value = exact(self.view.hyperparams.get(name, 0))
            except Exception:  # noqa: BLE001 - the form is being rebuilt
                pass

    def _say_error(self, message: str) -> None:
        """The last refusal under the fields; no line at all when there is none."""
        error = self.query_one("#hyperparam-error", Static)
        error.update(Text(message, "bold"))
        error.display = bool(message)

    def key_escape(self) -> None:
        self.screen.set_focus(None)
