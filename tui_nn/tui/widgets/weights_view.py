"""Every layer's weights and biases as a signed heat map, with a cursor to edit one while paused."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.color import Color
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from ..state import RunView, neuron_label

NUMBER_CELL = 7  # "▴-0.12 ": change marker, five characters of number, a space
SMALL_CELL = 2  # colour only (plus the change marker)
LABEL = 4  # row labels ("x1", "h2", "b") and a space; wider for deep nets ("h2.10")
GAP = 2
NUDGE = 0.05  # [ and ]: the default hill-climb scale
BIG_NUDGE = 0.5  # { and }
NUDGE_GROUP = Binding.Group("nudge", compact=True)


@dataclass
class Block:
    """One dense layer as a grid. Normally as the network stores it: a row per input, a column
    per neuron, then the bias row. A layer too wide for the panel is drawn transposed: a row per
    neuron, a column per input, then the bias column."""

    layer: int  # 0-based dense layer
    start: int  # first flat index of its weights
    n_in: int
    n_out: int
    transposed: bool = False
    cell: int = NUMBER_CELL  # characters per cell
    label: int = LABEL  # characters of the row labels, with their trailing space

    @property
    def rows(self) -> int:
        return self.n_out if self.transposed else self.n_in + 1

    @property
    def cols(self) -> int:
        return self.n_in + 1 if self.transposed else self.n_out

    @property
    def width(self) -> int:
        return self.label + self.cols * self.cell

    def index(self, row: int, col: int) -> int:
        """Flat parameter index of grid cell (row, col)."""
        i, j = (col, row) if self.transposed else (row, col)  # i: input (n_in = bias), j: neuron
        if i == self.n_in:
            return self.start + self.n_in * self.n_out + j
        return self.start + i * self.n_out + j

    def position(self, index: int) -> tuple[int, int]:
        """Grid cell (row, col) of a flat parameter index."""
        off = index - self.start
        i, j = (self.n_in, off - self.n_in * self.n_out) if off >= self.n_in * self.n_out else divmod(off, self.n_out)
        return (j, i) if self.transposed else (i, j)

    def row_label(self, r: int, n_layers: int) -> str:
        if self.transposed:
            return neuron_label(self.layer + 1, r, n_layers)
        return "b" if r == self.n_in else neuron_label(self.layer, r, n_layers)

    def col_label(self, c: int, n_layers: int) -> str:
        if self.transposed:
            return "b" if c == self.n_in else neuron_label(self.layer, c, n_layers)
        return neuron_label(self.layer + 1, c, n_layers)

    @property
    def stop(self) -> int:
        return self.start + (self.n_in + 1) * self.n_out


def format_value(v: float) -> str:
    """Five characters: ' 0.12', '-0.12', '-12.3', ' 1234', '-1e+5'."""
    a = abs(v)
    if a < 9.995:
        s = f"{v:5.2f}"
    elif a < 99.95:
        s = f"{v:5.1f}"
    elif a < 99999.5:
        s = f"{v:5.0f}"
    else:
        s = f"{v:.0e}".replace("e+0", "e").replace("e-0", "e-")
    return s if s.strip() != "-0.00" else " 0.00"


class WeightsView(Widget, can_focus=True):
    """A heat map per layer: blue-ish for positive, red-ish for negative (theme colours), the
    stronger the larger the value relative to the layer's largest. When the layers are small
    enough every value is printed. ▴/▾ mark the cells the last accepted step moved up/down.

    While paused, the cursor (arrow keys or a click) selects a weight and ``[``/``]`` nudge it
    by 0.05 (``{``/``}`` by 0.5): the app sends the change to the trainer, and the loss,
    accuracy and decision regions follow at once.
    """

    BINDINGS = [
        Binding("up", "move(-1, 0)", "Up", show=False),
        Binding("down", "move(1, 0)", "Down", show=False),
        Binding("left", "move(0, -1)", "Left", show=False),
        Binding("right", "move(0, 1)", "Right", show=False),
        Binding("left_square_bracket", f"nudge(-{NUDGE})", "Weight −", key_display="[", group=NUDGE_GROUP),
        Binding("right_square_bracket", f"nudge({NUDGE})", "Weight +", key_display="]", group=NUDGE_GROUP),
        Binding("right_curly_bracket", f"nudge({BIG_NUDGE})", "Weight ++", show=False),
        Binding("left_curly_bracket", f"nudge(-{BIG_NUDGE})", "Weight −−", show=False),
    ]

    COMPONENT_CLASSES = {
        "weights--positive", "weights--negative", "weights--label", "weights--cursor", "weights--title",
    }

    show_grads: reactive[bool] = reactive(False)
    editable: reactive[bool] = reactive(False)  # the app sets it: True while paused
    cursor: reactive[int] = reactive(0)

    @dataclass
    class Nudge(Message):
        """The user asked to move weight ``index`` by ``delta``."""

        index: int
        delta: float

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.view: RunView | None = None
        self.blocks: list[Block] = []
        self._hits: dict[int, list[tuple[int, int, int]]] = {}  # y -> [(x0, x1, index)]
        self._cursor_at: tuple[int, int] | None = None  # (x, y) of the cursor cell

    # -- data ------------------------------------------------------------------------------
    def show(self, view: RunView) -> None:
        first = self.view is not view or not self.blocks
        if first:
            self.view = view
            self.blocks = []
            start = 0
            for k in range(len(view.widths) - 1):
                n_in, n_out = view.widths[k], view.widths[k + 1]
                self.blocks.append(Block(k, start, n_in, n_out))
                start += (n_in + 1) * n_out
        self._update_subtitle()
        self.refresh(layout=first)  # the layers' shapes never change: no relayout afterwards

    def values(self) -> np.ndarray | None:
        v = self.view
        if v is None:
            return None
        if self.show_grads and v.grads is not None:
            return v.grads
        return v.params

    def watch_show_grads(self) -> None:
        self._update_subtitle()
        self.refresh()

    def watch_editable(self) -> None:
        self._update_subtitle()
        self.refresh()

    def watch_cursor(self) -> None:
        self._update_subtitle()
        self.refresh()
        self.call_after_refresh(self._scroll_to_cursor)

    def on_focus(self) -> None:
        self._update_subtitle()
        self.refresh()

    def on_blur(self) -> None:
        self._update_subtitle()
        self.refresh()

    def _update_subtitle(self) -> None:
        v = self.view
        target = self.parent if self.parent is not None else self
        grads = self.show_grads and v is not None and v.grads is not None
        target.border_title = "Gradients (g: weights)" if grads else "Weights (g: gradients)"
        if v is None or not self.has_focus:
            target.border_subtitle = "click a weight to select it" if v is not None else ""
            return
        name = v.weight_name(self.cursor)
        value = float(self.values()[self.cursor])
        hint = "[ ] nudge, { } ×10" if self.editable else "pause (space) to edit"
        target.border_subtitle = f"{name} = {value:.4f} · {hint}"

    # -- actions -----------------------------------------------------------------------------
    def action_move(self, d_row: int, d_col: int) -> None:
        if not self.blocks:
            return
        b_i, block = self._block_of(self.cursor)
        row, col = block.position(self.cursor)
        row = min(max(row + d_row, 0), block.rows - 1)
        col += d_col
        if col < 0:
            if b_i == 0:
                col = 0
            else:
                block = self.blocks[b_i - 1]
                col, row = block.cols - 1, min(row, block.rows - 1)
        elif col >= block.cols:
            if b_i == len(self.blocks) - 1:
                col = block.cols - 1
            else:
                block = self.blocks[b_i + 1]
                col, row = 0, min(row, block.rows - 1)
        self.cursor = block.index(row, col)

    def action_nudge(self, delta: float) -> None:
        self.post_message(self.Nudge(self.cursor, delta))

    def select(self, index: int) -> None:
        if self.blocks and 0 <= index < self.blocks[-1].stop:
            self.cursor = index

    def on_click(self, event) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        for x0, x1, index in self._hits.get(offset.y, ()):
            if x0 <= offset.x < x1:
                self.focus()
                self.cursor = index
                return

    def _block_of(self, index: int) -> tuple[int, Block]:
        for i, b in enumerate(self.blocks):
            if b.start <= index < b.stop:
                return i, b
        return 0, self.blocks[0]

    def _scroll_to_cursor(self) -> None:
        parent = self.parent
        if self._cursor_at is None or parent is None or not hasattr(parent, "scroll_to_region"):
            return
        x, y = self._cursor_at
        region = self.virtual_region
        parent.scroll_to_region(Region(region.x + x, region.y + y, NUMBER_CELL, 1), animate=False, immediate=True)

    # -- layout and drawing --------------------------------------------------------------------
    def _arrange(self, width: int) -> list[list[Block]]:
        """Pick each block's orientation and cell width (numbers if they fit), then place the
        blocks left to right in bands, wrapping to a new band when the panel is full."""
        n_layers = len(self.view.widths) if self.view else 3
        for b in self.blocks:
            for transposed, cell in ((False, NUMBER_CELL), (True, NUMBER_CELL), (False, SMALL_CELL),
                                     (True, SMALL_CELL), (False, 1), (True, 1)):
                b.transposed, b.cell = transposed, cell
                b.label = max(LABEL, 1 + max(len(b.row_label(r, n_layers)) for r in range(b.rows)))
                if b.width <= width:
                    break
            else:  # nothing fits: the narrowest layout, and the panel scrolls sideways
                b.transposed = b.n_out + 1 < b.n_in + 1
                b.label = max(LABEL, 1 + max(len(b.row_label(r, n_layers)) for r in range(b.rows)))
        bands: list[list[Block]] = [[]]
        used = 0
        for b in self.blocks:
            if bands[-1] and used + GAP + b.width > width:
                bands.append([])
                used = 0
            used += (GAP if bands[-1] else 0) + b.width
            bands[-1].append(b)
        return bands

    def get_content_width(self, container: Size, viewport: Size) -> int:
        """The panel's width, or more when a layer cannot fit (the panel then scrolls sideways)."""
        available = max(1, container.width - self.styles.gutter.width)
        if not self.blocks:
            return available
        bands = self._arrange(available)
        return max(available, max(sum(b.width for b in band) + GAP * (len(band) - 1) for band in bands))

    def _available_width(self) -> int:
        """The width the layers are arranged for: the scrolling panel's, not our own (which
        grows past it when a layer cannot fit)."""
        parent = self.parent
        if parent is not None and parent.size.width:
            return max(1, parent.scrollable_content_region.width - self.styles.gutter.width)
        return self.size.width

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        if not self.blocks:
            return 1
        bands = self._arrange(self._available_width())
        return sum(2 + max(b.rows for b in band) for band in bands) + len(bands) - 1

    def render(self) -> Text:
        values = self.values()
        if values is None or not self.blocks:
            return Text("waiting for the weights")
        bands = self._arrange(self._available_width())
        pos = self._color("weights--positive")
        neg = self._color("weights--negative")
        base = self.background_colors[1]
        label_style = self.get_component_rich_style("weights--label", partial=True)
        title_style = self.get_component_rich_style("weights--title", partial=True)
        cursor_style = self.get_component_rich_style("weights--cursor", partial=True)
        show_cursor = self.has_focus
        delta = None if self.show_grads else self.view.delta
        n_layers = len(self.view.widths)
        activations = self.view.net.activation_names
        self._hits = {}
        self._cursor_at = None
        lines: list[Text] = []
        for band in bands:
            height = 2 + max(b.rows for b in band)
            rows = [Text(no_wrap=True, overflow="crop") for _ in range(height)]
            for bi, b in enumerate(band):
                if bi:
                    for r in rows:
                        r.append(" " * GAP)
                cw = b.cell
                title = f"dense{b.layer + 1} {b.n_in}→{b.n_out} {activations[b.layer]}"
                rows[0].append(title[:b.width].ljust(b.width), title_style)
                header = " " * b.label + "".join(
                    (b.col_label(c, n_layers)[: cw - 1].center(cw) if cw == NUMBER_CELL else " " * cw)
                    for c in range(b.cols))
                rows[1].append(header, label_style)
                seg = values[b.start:b.stop]
                vmax = float(np.max(np.abs(seg[np.isfinite(seg)]), initial=0.0)) or 1.0
                for r in range(b.rows):
                    line = rows[2 + r]
                    line.append(b.row_label(r, n_layers).ljust(b.label), label_style)
                    y = len(lines) + 2 + r
                    for c in range(b.cols):
                        index = b.index(r, c)
                        v = float(values[index])
                        x = line.cell_len
                        self._hits.setdefault(y, []).append((x, x + cw, index))
                        mark = " "
                        if delta is not None and delta[index] != 0:
                            mark = "▴" if delta[index] > 0 else "▾"
                        text = (mark + format_value(v) + " ") if cw == NUMBER_CELL else (mark + " ")[:cw]
                        style = self._cell_style(v, vmax, pos, neg, base)
                        if show_cursor and index == self.cursor:
                            style += cursor_style
                            self._cursor_at = (x, y)
                        line.append(text, style)
                for r in range(b.rows, height - 2):  # pad shorter blocks in the band
                    rows[2 + r].append(" " * b.width)
            lines += rows
            lines.append(Text())
        if lines:
            lines.pop()
        return Text("\n", no_wrap=True, overflow="crop").join(lines)

    def _color(self, component: str) -> Color:
        return self.get_component_styles(component).color

    @staticmethod
    def _cell_style(v: float, vmax: float, pos: Color, neg: Color, base: Color) -> Style:
        if not np.isfinite(v):
            return Style(bold=True, reverse=True)
        strength = min(1.0, abs(v) / vmax)
        bg = base.blend(pos if v >= 0 else neg, 0.12 + 0.78 * strength) if v != 0 else base
        return Style(color=bg.get_contrast_text(0.9).rich_color, bgcolor=bg.rich_color)
