"""The ``?`` screen: every key, and what each panel shows."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from .keys import KEYS, OTHER_KEYS, WEIGHT_KEYS

PANELS = [
    ("Loss", "loss of every iteration (solid: lowest, faint: highest of each group of iterations), "
             "validation loss (•), the current weights' loss (◆), the best loss (horizontal line), "
             "a marker where the optimizer was switched"),
    ("Accuracy", "training and validation accuracy of the current weights at each evaluation (R² for regression)"),
    ("Weights", "each layer as the network stores it: a row per input, a column per neuron, the biases "
                "below; colour strength is the size relative to the layer's largest; ▴/▾: moved by the last "
                "accepted step; gradients (g) too small to read are shown ×10^e, e in the layer's title "
                "(×1e-4)"),
    ("Optimizer", "● marks the one in use; edit a hyperparameter and press Enter; live statistics below"),
    ("Data", "training points (filled shapes) and validation points (hollow) over the model's decision "
             "regions; more than two features: a PCA projection coloured by predicted class"),
    ("Log", "new bests in the book's words, switches, edits, pauses, saves, errors; at 20 iterations "
            "per second or slower (and on each n step) every candidate, accepted or rejected"),
]


class HelpScreen(ModalScreen[None]):
    """Keys and panels. Any of Escape, ? or q closes it."""

    BINDINGS = [
        Binding("escape,question_mark,q", "dismiss", "Close help"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body") as body:
            body.border_title = "tui-nn · keys"
            body.border_subtitle = "Esc, ? or q closes"
            yield Static(self._keys_table(), id="help-keys")
            yield Static(self._panels_table(), id="help-panels")

    @staticmethod
    def key_rows() -> list[tuple[str, str]]:
        """(key, what it does) for every key of the dashboard."""
        rows = []
        seen = set()
        for k in KEYS:
            if not k.show or k.display in seen:
                continue
            seen.add(k.display)
            rows.append((k.display, k.help))
        return rows + OTHER_KEYS + WEIGHT_KEYS

    def _keys_table(self) -> Table:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        for display, text in self.key_rows():
            table.add_row(display, text)
        return table

    @staticmethod
    def _panels_table() -> Table:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        table.add_row(Text(""), Text(""))
        for name, text in PANELS:
            table.add_row(name, text)
        return table
