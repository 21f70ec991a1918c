"""Every layer's weights and biases as a signed heat map, with a cursor to edit one while paused."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.color import Color
from textual.content import Content
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from ..numbers import cell, num
from ..numbers import scale as scale_label
from ..state import RunView, neuron_label

NUMBER_CELL = 7  # "▴-0.12 ": change marker, five characters of number, a space
SMALL_CELL = 2  # colour only (plus the change marker); under NO_COLOR the sign too
LABEL = 4  # row labels ("x1", "h2", "b") and a space; wider for deep nets ("h2.10")
GAP = 2
NUDGE = 0.05  # [ and ]: the default hill-climb scale
BIG_NUDGE = 0.5  # { and }
NUDGE_GROUP = Binding.Group("nudge", compact=True)
LEVELS = 48  # shades of each sign in the heat map
ZERO_STYLE, NONFINITE_STYLE = 2 * LEVELS + 2, 2 * LEVELS + 3  # their places in the style table
SCALE_BELOW = 0.1  # gradients of a layer whose largest is smaller are printed ×10^e


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

    def row_label(self, r: int, name: Callable[[int, int], str]) -> str:
        """Row ``r``'s label; ``name(layer, i)`` names unit i of a layer (``RunView.unit_name``)."""
        if self.transposed:
            return name(self.layer + 1, r)
        return "b" if r == self.n_in else name(self.layer, r)

    def col_label(self, c: int, name: Callable[[int, int], str]) -> str:
        if self.transposed:
            return "b" if c == self.n_in else name(self.layer, c)
        return name(self.layer + 1, c)

    @property
    def stop(self) -> int:
        return self.start + (self.n_in + 1) * self.n_out


@dataclass
class Band:
    """Blocks side by side: a title line, a header line, then the rows of the tallest block."""

    y: int  # first line
    blocks: list[tuple[int, Block]] = field(default_factory=list)  # (x, block), left to right

    @property
    def height(self) -> int:
        return 2 + max(b.rows for _, b in self.blocks)

    @property
    def width(self) -> int:
        x, b = self.blocks[-1]
        return x + b.width


def sign_glyph(v: float) -> str:
    """A compact cell's sign under NO_COLOR: + - · (zero), ! (not a number)."""
    return "+" if v > 0 else "-" if v < 0 else "·" if v == 0 else "!"


@dataclass
class Frame:
    """The data the lines are drawn from until the values or the theme change."""

    values: np.ndarray
    level: np.ndarray  # per value: its style in ``table``
    table: list[Style]
    exponents: dict[int, int]  # layer -> e: its numbers are shown ×10^e
    delta: np.ndarray | None  # the last accepted step (weights only): ▴ / ▾ marks
    base: Style
    label: Style
    title: Style
    cursor: Style


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
        self._bands: tuple[int, list[Band]] | None = None  # (width, bands) of the last layout
        self._frame_cache: Frame | None = None
        self._table: tuple[tuple[Color, Color, Color], list[Style]] | None = None  # (colours, styles)

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
            self._bands = None
        self._frame_cache = None
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
        self._frame_cache = None
        self._update_subtitle()
        self.refresh()

    def watch_editable(self) -> None:
        self._update_subtitle()
        self.refresh()

    def watch_cursor(self) -> None:
        self._update_subtitle()
        self.refresh()
        self.call_after_refresh(self._scroll_to_cursor)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._frame_cache = None  # the theme's colours

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
        # Plain text, not markup: "bias[o3]" would otherwise be read as a tag and vanish.
        target.border_subtitle = Content(f"{name} = {num(value)} · {hint}")

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
        index = self.cell_at(offset.x, offset.y)
        if index is not None:
            self.focus()
            self.cursor = index

    def _block_of(self, index: int) -> tuple[int, Block]:
        for i, b in enumerate(self.blocks):
            if b.start <= index < b.stop:
                return i, b
        return 0, self.blocks[0]

    def _scroll_to_cursor(self) -> None:
        parent = self.parent
        at = self.cell_offset(self.cursor) if self.blocks else None
        if at is None or parent is None or not hasattr(parent, "scroll_to_region"):
            return
        x, y = at
        x += self.styles.padding.left
        region = self.virtual_region
        parent.scroll_to_region(Region(region.x + x, region.y + y, NUMBER_CELL, 1), animate=False, immediate=True)

    # -- layout and drawing --------------------------------------------------------------------
    def _arrange(self, width: int) -> list[Band]:
        """Pick each block's orientation and cell width (numbers if they fit), then place the
        blocks left to right in bands, wrapping to a new band when the panel is full.
        Remembered for the last width asked (the blocks are arranged for it)."""
        if self._bands is not None and self._bands[0] == width:
            return self._bands[1]
        name = self.view.unit_name if self.view else (lambda layer, i: neuron_label(layer, i, 3))
        for b in self.blocks:
            for transposed, cell in ((False, NUMBER_CELL), (True, NUMBER_CELL), (False, SMALL_CELL),
                                     (True, SMALL_CELL), (False, 1), (True, 1)):
                b.transposed, b.cell = transposed, cell
                b.label = max(LABEL, 1 + max(len(b.row_label(r, name)) for r in range(b.rows)))
                if b.width <= width:
                    break
            else:  # nothing fits: the narrowest layout, and the panel scrolls sideways
                b.transposed = b.n_out + 1 < b.n_in + 1
                b.label = max(LABEL, 1 + max(len(b.row_label(r, name)) for r in range(b.rows)))
        bands: list[Band] = []
        used = 0
        for b in self.blocks:
            if not bands or (bands[-1].blocks and used + GAP + b.width > width):
                y = bands[-1].y + bands[-1].height + 1 if bands else 0
                bands.append(Band(y))
                used = 0
            used += GAP if bands[-1].blocks else 0
            bands[-1].blocks.append((used, b))
            used += b.width
        self._bands = (width, bands)
        return bands

    def get_content_width(self, container: Size, viewport: Size) -> int:
        """The panel's width, or more when a layer cannot fit (the panel then scrolls sideways)."""
        available = max(1, container.width - self.styles.gutter.width)
        if not self.blocks:
            return available
        return max(available, max(band.width for band in self._arrange(available)))

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
        last = self._arrange(self._available_width())[-1]
        return last.y + last.height

    def cell_at(self, x: int, y: int) -> int | None:
        """The flat index of the weight drawn at content offset (x, y), if any."""
        for band in self._arrange(self._available_width()):
            r = y - band.y - 2
            if 0 <= r < band.height - 2:
                for bx, b in band.blocks:
                    c, rest = divmod(x - bx - b.label, b.cell)
                    if r < b.rows and 0 <= c < b.cols and x >= bx + b.label:
                        return b.index(r, c)
        return None

    def cell_offset(self, index: int) -> tuple[int, int] | None:
        """The content offset (x, y) of the cell drawing weight ``index``."""
        for band in self._arrange(self._available_width()):
            for bx, b in band.blocks:
                if b.start <= index < b.stop:
                    r, c = b.position(index)
                    return bx + b.label + c * b.cell, band.y + 2 + r
        return None

    def _frame(self) -> Frame:
        """What every visible line is drawn from, computed once per change of data or theme:
        the values, each cell's colour (an index into a small table of styles), the change
        marks and each block's scale. Lines are then drawn only when on screen."""
        if self._frame_cache is not None:
            return self._frame_cache
        values = self.values()
        pos, neg = self._color("weights--positive"), self._color("weights--negative")
        base = self.background_colors[1]
        if self._table is None or self._table[0] != (pos, neg, base):
            self._table = ((pos, neg, base), self._style_table(pos, neg, base))
        table = self._table[1]
        level = np.full(len(values), ZERO_STYLE, dtype=np.int32)
        exponents: dict[int, int] = {}
        finite = np.isfinite(values)
        for b in self.blocks:
            seg, ok = values[b.start:b.stop], finite[b.start:b.stop]
            vmax = float(np.max(np.abs(seg[ok]), initial=0.0)) or 1.0
            with np.errstate(invalid="ignore"):
                lv = np.rint(np.minimum(1.0, np.abs(seg) / vmax) * LEVELS).astype(np.int32)
            lv = np.where(seg < 0, lv + LEVELS + 1, lv)
            lv = np.where(seg == 0, ZERO_STYLE, lv)
            level[b.start:b.stop] = np.where(ok, lv, NONFINITE_STYLE)
            if self.show_grads and vmax < SCALE_BELOW:
                # Small gradients would all print as 0.00: show them ×10^e, e in the title.
                exponents[b.layer] = math.floor(math.log10(vmax))
        delta = None if self.show_grads or self.view.delta is None else self.view.delta
        style = self.rich_style
        self._frame_cache = Frame(
            values, level, table, exponents, delta, style,
            style + self.get_component_rich_style("weights--label", partial=True),
            style + self.get_component_rich_style("weights--title", partial=True),
            self.get_component_rich_style("weights--cursor", partial=True))
        return self._frame_cache

    def _style_table(self, pos: Color, neg: Color, base: Color) -> list[Style]:
        """Cell styles: LEVELS + 1 shades of ``pos``, as many of ``neg``, zero, not finite."""
        def shade(colour: Color, strength: float) -> Style:
            bg = base.blend(colour, 0.12 + 0.78 * strength)
            return Style(color=bg.get_contrast_text(0.9).rich_color, bgcolor=bg.rich_color)

        table = [shade(pos, k / LEVELS) for k in range(LEVELS + 1)]
        table += [shade(neg, k / LEVELS) for k in range(LEVELS + 1)]
        table.append(Style(color=base.get_contrast_text(0.9).rich_color, bgcolor=base.rich_color))  # zero
        table.append(Style(bold=True, reverse=True))  # inf, nan
        return table

    def render_line(self, y: int) -> Strip:
        """One line of the panel (Textual asks only for the lines on screen)."""
        if self.values() is None or not self.blocks:
            return Strip([Segment("waiting for the weights", self.rich_style)] if y == 0 else [])
        bands = self._arrange(self._available_width())
        band = next((band for band in bands if band.y <= y < band.y + band.height), None)
        if band is None:
            return Strip([])
        frame = self._frame()
        base, label_style = frame.base, frame.label
        name = self.view.unit_name
        r = y - band.y - 2
        segments: list[Segment] = []
        x = 0
        for bx, b in band.blocks:
            if bx > x:
                segments.append(Segment(" " * (bx - x), base))
            x = bx + b.width
            if r == -2:
                activation = self.view.net.activation_names[b.layer]
                exponent = frame.exponents.get(b.layer) if b.cell == NUMBER_CELL else None
                scale = "" if exponent is None else " " + scale_label(exponent)
                title = f"dense{b.layer + 1}{scale} {b.n_in}→{b.n_out} {activation}"
                segments.append(Segment(title[:b.width].ljust(b.width), frame.title))
            elif r == -1:
                cw = b.cell
                header = " " * b.label + "".join(
                    (b.col_label(c, name)[: cw - 1].center(cw) if cw == NUMBER_CELL else " " * cw)
                    for c in range(b.cols))
                segments.append(Segment(header, label_style))
            elif r < b.rows:
                segments.append(Segment(b.row_label(r, name).ljust(b.label), label_style))
                segments += self._cells(frame, b, r)
            else:  # a shorter block in the band
                segments.append(Segment(" " * b.width, base))
        return Strip(segments)

    def _cells(self, frame: Frame, b: Block, r: int) -> list[Segment]:
        cw = b.cell
        table, level, values, delta = frame.table, frame.level, frame.values, frame.delta
        scale = 10.0 ** -frame.exponents.get(b.layer, 0)
        cursor = self.cursor if self.has_focus else -1
        signs = self.app.no_color
        out = []
        for c in range(b.cols):
            index = b.index(r, c)
            mark = " "
            if delta is not None and delta[index] != 0:
                mark = "▴" if delta[index] > 0 else "▾"
            if cw == NUMBER_CELL:
                text = mark + cell(float(values[index]) * scale) + " "
            elif signs:  # no colour: the shade says how large, the glyph which sign
                text = ((mark if cw > 1 else "") + sign_glyph(values[index]))[:cw]
            else:
                text = (mark + " ")[:cw]
            style = table[level[index]]
            if index == cursor:
                style += frame.cursor
            out.append(Segment(text, style))
        return out

    def render(self) -> Text:
        """The whole panel as text (for tests and tools; the screen draws it line by line)."""
        self._arrange(self._available_width())
        height = self.get_content_height(self.size, self.size, self.size.width)
        return Text("\n").join(Text("".join(s.text for s in self.render_line(y))) for y in range(height))

    def _color(self, component: str) -> Color:
        return self.get_component_styles(component).color
