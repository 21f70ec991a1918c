"""The confusion matrices of the training and validation data, live, with per-class precision and
recall (key ``x``). The numbers come from :mod:`tui_nn.inspect`, as the headless summary's."""

from __future__ import annotations

import numpy as np
from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from ...inspect import Confusion, confusion
from ..colors import theme_color
from ..numbers import count, num
from ..state import RunView

SHADES = 8  # colour strength of a cell: its share of its row (true class), in steps


class ConfusionPanel(Widget):
    """One matrix per data part (training, then validation when there is one): a row per true
    class, a column per predicted class, each count shaded by its share of the row (the
    diagonal in the success colour, mistakes in the error colour; without colour the diagonal
    is bold). Each row ends with the class's recall, the last row is each predicted class's
    precision. Side by side when they fit, else one above the other (the panel scrolls).

    The predictions are the network's with float32 products, as every panel draws (the decision
    regions too): recomputed for each new set of weights, that costs a third of the book's
    float64 products (19,020 MAGIC samples through 10-64-64-2: about 6 ms instead of 16). They
    can differ from the book's arithmetic of the headless summary only for a point whose two
    highest outputs tie to float32's precision."""

    DEFAULT_CSS = """
    ConfusionPanel {
        overflow-y: auto;
        scrollbar-size-vertical: 1;
        padding: 0 1;
    }
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.view: RunView | None = None
        self.confusions: dict[str, Confusion] = {}  # "train", "validation": the last drawn
        self._computed_for = None  # the weights version they belong to
        self._inputs = (None, None, None)  # (run view, its training and validation inputs)
        self._text = Text("")
        self._styles: dict = {}

    def show(self, view: RunView) -> None:
        self.view = view
        self.redraw()

    def render(self) -> Text:
        return self._text

    def text(self) -> str:
        return self._text.plain

    def on_resize(self) -> None:
        self.redraw()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = {}

    def redraw(self) -> None:
        v = self.view
        if v is None or not self.is_mounted or not self.display or not self.size.width:
            return
        self.border_title = "Confusion · rows: true class, columns: predicted"
        if v.task == "regression":
            self.border_subtitle = ""
            self._text = Text("A confusion matrix counts classes: this run is a regression.")
            self.refresh()
            return
        self.confusions = self._confusions(v)
        blocks = [self._block(name, c) for name, c in self.confusions.items()]
        width = max(line.cell_len for line in blocks[0]) if blocks else 0
        room = self.size.width
        if len(blocks) == 2 and 2 * width + 3 <= room:
            left, right = blocks
            lines = [a + Text(" " * (width - a.cell_len + 3)) + b for a, b in zip(left, right)]
        else:
            lines = [line for block in blocks for line in block + [Text("")]][:-1]
        if len(blocks) == 1:
            lines += [Text(""), Text("no validation set (--val-split to hold one out)", style="dim")]
        self._text = Text("\n").join(lines)
        acc = [f"{name} {num(np.trace(c.matrix) / max(1, c.total))}" for name, c in self.confusions.items()]
        self.border_subtitle = "accuracy " + ", ".join(acc)
        self.refresh(layout=True)

    def _confusions(self, v: RunView) -> dict[str, Confusion]:
        """The matrices of the weights now, computed once per weights version (``v.params`` is
        replaced, never changed in place, when the weights change), not once per redraw."""
        if self._computed_for is v.params:
            return self.confusions
        if self._inputs[0] is not v:  # the data as the network takes it (--features), once per run
            self._inputs = (v, v.inputs(v.X_train), v.inputs(v.X_val))
        _, X_train, X_val = self._inputs
        v.net.params[...] = v.params
        parts = [("train", X_train, v.y_train)] + ([("validation", X_val, v.y_val)] if len(X_val) else [])
        result = {name: confusion(v.net, X, y, precision="fast") for name, X, y in parts}
        self._computed_for = v.params
        return result

    def _block(self, title: str, c: Confusion) -> list[Text]:
        v = self.view
        k = len(c.matrix)
        names = [str(n) for n in v.class_names] if len(v.class_names) == k else [str(i) for i in range(k)]
        caption = f"{title} ({count(c.total)})"
        label = max(len("precision"), len(caption), *(len(n) for n in names)) + 1
        cell = max(7, *(len(n[:8]) + 2 for n in names), len(str(int(c.matrix.max(initial=0)))) + 2)
        precision, recall = c.precision, c.recall
        head = Text(caption.ljust(label), style="bold")
        head += Text("".join(n[:8].rjust(cell) for n in names) + "  recall", style="bold")
        lines = [head]
        totals = np.maximum(c.matrix.sum(axis=1), 1)
        for i, (name, row) in enumerate(zip(names, c.matrix.tolist())):
            line = Text(name[:label].ljust(label), style="bold")
            for j, n in enumerate(row):
                line.append(str(n).rjust(cell), style=self._cell_style(i == j, n / totals[i]))
            line.append(f"  {num(recall[i], 3) if c.matrix[i].sum() else '—'}".ljust(8))
            lines.append(line)
        line = Text("precision".ljust(label), style="bold")
        predicted = c.matrix.sum(axis=0)
        line.append("".join((num(p, 3) if predicted[j] else "—").rjust(cell) for j, p in enumerate(precision)))
        lines.append(line)
        return lines

    def _cell_style(self, diagonal: bool, share: float) -> Style:
        level = int(round(share * SHADES))
        key = (diagonal, level)
        style = self._styles.get(key)
        if style is None:
            if self.app.no_color:
                style = Style(bold=diagonal)
            else:
                base = self.background_colors[1]
                colour = theme_color(self.app, "success" if diagonal else "error")
                bg = base.blend(colour, 0.7 * level / SHADES)
                style = Style(color=bg.get_contrast_text(0.9).rich_color, bgcolor=bg.rich_color, bold=diagonal)
            self._styles[key] = style
        return style
