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
    ("Loss", "gradient runs: the loss of every step (solid: lowest, faint: highest of the iterations in "
             "each column; a mini-batch's loss when batched), validation loss (•), the current weights' loss "
             "(◆), the best full-data loss (─); searches: every candidate (faint) and the best so far "
             "(solid); a dotted marker named after the optimizer where it was switched"),
    ("Accuracy", "training and validation accuracy of the current weights at each evaluation (R² for regression)"),
    ("Weights", "each layer as the network stores it: a row per input, a column per neuron, the biases "
                "below; colour strength is the size relative to the layer's largest; ▴/▾: moved by the last "
                "accepted step; gradients (g) too small to read are shown ×10^e, e in the layer's title "
                "(×1e-4)"),
    ("Optimizer", "● marks the one in use; edit a hyperparameter and press Enter; live statistics below"),
    ("Data", "training points (filled shapes) and validation points (hollow) over the model's decision "
             "regions, two pixels per character, pale where the model is unsure and deep where it is sure "
             "(without colour: a texture where sure); more than two features: a PCA projection coloured "
             "by predicted class"),
    ("Graph (v)", "the network as columns of neurons, inputs on the left: every weight an edge, solid when "
                  "positive, dashed when negative, stronger colour and two dots thick the larger it is against "
                  "its layer's largest; the selected weight (shared with the Weights panel) in reverse; each "
                  "neuron's activation over the input plane beside its name (PCA plane for more than two "
                  "features); a layer too tall shows its strongest neurons and edges and says how many are hidden"),
    ("Neuron map (m)", "the selected weight's neuron's activation over the input plane, large, in the Data "
                       "panel's place, the data over it (blue +, red −; without colour + # and - =)"),
    ("Hidden space (h)", "every point where a hidden layer's activations put it (shape: class, hollow: "
                         "validation): the first two principal components, fitted when chosen, or two of its "
                         "neurons (↑/↓); ←/→ the layer; moves as the weights change"),
    ("Confusion (x)", "training and validation confusion matrices (rows: true class, columns: predicted), "
                      "each count shaded by its share of its row; recall at the end of each row, precision below"),
    ("Log", "new bests in the book's words, switches, edits, pauses, saves, errors; at 20 iterations "
            "per second or slower (and on each n step) every candidate, accepted or rejected"),
]


class HelpScreen(ModalScreen[None]):
    """Keys and panels. Any of Escape, ? or q closes it."""

    BINDINGS = [
        Binding("escape,question_mark,q", "dismiss", "Close help"),
    ]

    def __init__(self, keys=None, other_keys=None):
        super().__init__()
        self.keys = keys  # the dashboard's keys (default: the training dashboard's, KEYS)
        self.other_keys = other_keys  # and the rows after them (default: OTHER_KEYS and WEIGHT_KEYS)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body") as body:
            body.border_title = "tui-nn · keys"
            body.border_subtitle = "Esc, ? or q closes"
            yield Static(self._keys_table(self.key_rows(self.keys, self.other_keys)), id="help-keys")
            yield Static(self._panels_table(), id="help-panels")

    def on_mount(self) -> None:
        # The scrolling body takes the keys at once: Down, PageDown, End scroll without Tab first.
        self.query_one("#help-body", VerticalScroll).focus()

    @staticmethod
    def key_rows(keys=None, other_keys=None) -> list[tuple[str, str]]:
        """(key, what it does) for every key of the dashboard (``keys``: another's, e.g. replay's)."""
        rows = []
        seen = set()
        for k in KEYS if keys is None else keys:
            if k.action.startswith(("pick_optimizer", "type_digit")) or k.display in seen:  # 1-9: one row below
                continue
            seen.add(k.display)
            rows.append((k.display, k.help))
        return rows + (OTHER_KEYS + WEIGHT_KEYS if other_keys is None else other_keys)

    @staticmethod
    def _keys_table(rows) -> Table:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        for display, text in rows:
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
